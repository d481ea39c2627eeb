"""Semantic types, phrase templates, within-row rules and exact relations (the functions of
`dbclone.semantic`, on frames made here; the clone-level checks live in the clone tests)."""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from dbclone.semantic import consistency, generate, ngram, relations
from dbclone.semantic import reference as ref
from dbclone.semantic.recognise import Semantic, from_name, recognise
from dbclone.synth.pii import luhn_ok
from tests.helpers import comments


@pytest.mark.parametrize(("column", "table", "values", "kind", "style"), [
    ("Country", "Customer", ["USA", "Brazil", "Germany", "Canada", "France", "Sweden"],
     "country", "name"),
    ("code", "country", ["AF", "AL", "DZ", "AS", "SE"], "country", "alpha2"),
    ("Code", "country", ["AFG", "ALB", "DZA", "ASM", "SWE"], "country", "alpha3"),
    ("valuta", "betalning", ["SEK", "USD", "EUR", "GBP", "NOK"], "currency", "code"),
    ("Language", "x", ["English", "Swedish", "French", "German"], "language", "name"),
    ("lang", "x", ["en", "sv", "fr", "de"], "language", "alpha2"),
    ("land", "leverans", ["Sverige", "Norge", "Danmark", "Finland"], "country", "name"),
    ("flag", "x", ["🇸🇪", "🇩🇪", "🇫🇷", "🇺🇸"], "emoji", "flag"),
    ("HomePage", "x", ["http://a.com", "https://b.se", "http://c.org", "www.d.com"], "url", "url"),
    ("City", "Customer", ["São Paulo", "Oslo", "Prague", "Paris", "Berlin"], "city", "name"),
    ("ext", "employee", ["x5800", "x3453", "x4566", "x101"], "extension", "name"),
    ("territory", "x", ["NA", "EMEA", "APAC", "LATAM"], "region", "code"),
    ("colour", "x", ["Red", "Blue", "Green", "Black", "White"], "colour", "name"),
])
def test_recognises_kind_from_values_and_name(column, table, values, kind, style):
    found = recognise(column, table, values)
    assert found is not None and (found.kind, found.style) == (kind, style), found


def test_table_name_decides_a_bare_name_or_title():
    assert from_name("Title", "Album").kind == "work_title"
    assert from_name("Title", "Employees").kind == "job"
    assert from_name("Name", "Track").kind == "work_title"
    assert from_name("ProductName", "Products").kind == "product"
    assert from_name("CompanyName", "Suppliers").kind == "company"
    assert from_name("foretagsnamn", "kund").kind == "company"


def test_a_person_named_after_a_place_is_not_the_place():
    """head_of_state is a person, not a state: the head word before "of" names the kind."""
    people = ["Beatrix", "George W. Bush", "Elisabeth II", "Vladimir Putin", "Jacques Chirac"]
    assert recognise("head_of_state", "country", people).kind == "person"
    assert recognise("HeadOfState", "country", people).kind == "person"
    assert recognise("Composer", "Track", people).kind == "person"


def test_words_that_are_no_kind_stay_unrecognised():
    assert recognise("description", "ticket", ["Printer jams", "Cannot log in", "Slow disk",
                                               "Screen flickers"]) is None


def test_candidates_are_of_the_kind_and_never_a_source_value():
    rng = np.random.default_rng(0)
    source = ["Germany", "France", "Sweden"]
    out = generate.candidates(Semantic("country", "name"), 30, rng, exclude=source)
    names = {c.names[0] for c in ref.countries()}
    assert len(out) == 30 and set(out) <= names and not set(out) & set(source)
    codes = generate.candidates(Semantic("country", "alpha2"), 10, rng)
    assert all(len(c) == 2 and c.isupper() for c in codes)
    assert set(generate.candidates(Semantic("currency", "code"), 10, rng)) <= \
        {c[0] for c in ref.currencies()}


def test_cities_follow_the_source_countries_and_a_row_country():
    rng = np.random.default_rng(1)
    mix = generate.source_countries(["Oslo", "Bergen", "Trondheim", "Paris"])
    assert set(mix) == {"NO", "FR"} and mix["NO"] == pytest.approx(0.75)
    by_name = ref.city_country()
    for city in generate.candidates(Semantic("city", "name"), 20, rng, countries=mix):
        assert by_name[ref.fold(city)] in ("NO", "FR")
    brazil = generate.for_country("city", "BR", 50, rng)
    assert all(by_name[ref.fold(c)] == "BR" for c in brazil)


# -- phrase templates ---------------------------------------------------------------------

def _titles(rng: np.random.Generator) -> list[str]:
    common = ["Greatest Hits", "Live", "The Best Of", "Unplugged", "Vol."]
    rare = ["Zyxwv Qrst", "Plumbus Frobnicator", "The Best Of Zorblax", "Live At Quuxville"]
    words = ["Love", "Night", "Blue", "River", "Dream", "Fire", "Stone", "Heart"]
    out = [common[int(rng.integers(0, len(common)))] + " " + words[int(rng.integers(0, 8))]
           for _ in range(300)]
    return out + rare + ["Greatest Hits Love"] * 3


def test_phrases_never_reproduce_a_rare_value():
    rng = np.random.default_rng(0)
    values = _titles(rng)
    held = Counter(values)
    model = ngram.fit(values, 5, public=ngram.public_words("en_US"))
    assert model is not None
    out = model.sample(3000, np.random.default_rng(1))
    assert not [v for v in out if 0 < held[v] < 5]
    text = json.dumps(model.to_json())
    for rare in ("Zyxwv", "Plumbus", "Zorblax", "Quuxville"):
        assert rare not in text and not any(rare in v for v in out)
    assert ngram.Phrases.from_json(json.loads(text)) == model


def test_phrases_keep_the_column_structure():
    values = _titles(np.random.default_rng(2))
    model = ngram.fit(values, 5, public=ngram.public_words("en_US"))
    assert model is not None
    out = model.sample(500, np.random.default_rng(3))
    starts = Counter(v.split()[0] for v in out)
    assert {"Greatest", "Live", "The", "Unplugged", "Vol."} <= set(starts)
    assert all(w[:1].isupper() for v in out for w in v.split())


def test_a_rare_value_of_common_words_is_blocked():
    """"Blue Night" is held by one row though both words are common: no template may spell it
    from the column's own words."""
    values = [f"{a} {b}" for a in ("Blue", "Red", "Green") for b in ("Sky", "Sea", "Fire")
              for _ in range(6)] + ["Blue Night"] + [f"Night {x}" for x in "ABCDE"] * 2
    model = ngram.fit(values, 5)
    assert model is not None
    assert "Blue Night" not in set(model.sample(5000, np.random.default_rng(0)))


def test_made_up_words_follow_the_column_and_are_no_source_word():
    """Two words in capitals, each word rare (a film's title): one shape, filled with words
    made up from characters k owners share, never a word or value of the source."""
    rng = np.random.default_rng(4)
    syllables = ["ka", "ro", "mi", "sta", "len", "dor", "vi", "na", "bel", "tru"]
    def word() -> str:
        return "".join(syllables[int(i)] for i in rng.integers(0, 10, 3)).upper()
    values = [f"{word()} {word()}" for _ in range(600)]
    held = Counter(w for v in values for w in v.split())
    rare_words = {w for w, n in held.items() if n < 5}
    model = ngram.fit(values, 5, rng=np.random.default_rng(0))
    assert model is not None
    out = model.sample(500, np.random.default_rng(1))
    assert not set(out) & set(values)
    assert all(v.isupper() for v in out)
    made = {w for v in out for w in v.split()}
    assert not made & rare_words and len(made) > 200
    # ~2 words a value, as in the source
    assert 1.7 < np.mean([len(v.split()) for v in out]) < 2.3


def test_chain_keeps_spacing_and_never_stores_a_value_as_written():
    """Composers joined by "/" with no spaces keep that spelling; a kept word is stored
    lower-cased behind its case, and a context's words one per string."""
    rng = np.random.default_rng(5)
    names = ["Steve", "Harris", "Bruce", "Dickinson", "Adrian", "Smith", "Dave", "Murray"]
    values = ["/".join(" ".join(names[int(j)] for j in rng.integers(0, 8, 2))
                       for _ in range(int(rng.integers(1, 4)))) for _ in range(400)]
    model = ngram.fit(values, 5, rng=np.random.default_rng(0))
    assert model is not None
    out = model.sample(300, np.random.default_rng(2))
    assert not set(out) & set(values)
    assert any("/" in v for v in out) and not any(" /" in v or "/ " in v for v in out)
    stored = json.dumps(model.to_json())
    assert '"Steve"' not in stored and '"<Aa>steve"' in stored
    assert ngram.Phrases.from_json(json.loads(stored)) == model


def test_values_reach_their_target_lengths_with_words_drawn_ahead():
    """Values far from their target length are lengthened by public words drawn ahead in one
    call (`Phrases._to_lengths`): that relies on numpy giving the same numbers for one
    bounded draw of n as for n draws of one, and leaving the generator in the same state."""
    for size in (3, 387, 2000):
        one, many = np.random.default_rng(7), np.random.default_rng(7)
        singly = [int(one.integers(0, size)) for _ in range(1001)]
        assert singly == many.integers(0, size, 1001).tolist()
        assert one.random() == many.random()
    values = _titles(np.random.default_rng(2))
    model = ngram.fit(values, 5, public=ngram.public_words("en_US"))
    assert model is not None
    want = np.tile([4, 30, 60, 90], 100)
    out = model.sample(len(want), np.random.default_rng(3), want)
    assert out == model.sample(len(want), np.random.default_rng(3), want)
    sizes = np.asarray([len(v) for v in out])
    # titles are ~10-20 characters: 60 and 90 are reached only by added words
    for target in (30, 60, 90):
        assert abs(sizes[want == target].mean() - target) < 4
    assert (sizes[want == 90] > 80).mean() > 0.9


# -- within a row -------------------------------------------------------------------------

def test_dependency_has_a_direction():
    df = pd.DataFrame({"city": list("aabbcd") * 10, "country": list("xxyyxy") * 10})
    assert consistency.dependency(df.city, df.country) == pytest.approx(1.0)
    assert consistency.dependency(df.country, df.city) < 0.5


def test_gender_values_are_learned_from_first_names():
    names = ["Maria", "Anna", "Eva", "Karin", "Lena", "Sara", "Erik", "Lars", "Karl", "Johan",
             "Anders", "Per"]
    genders = ["K"] * 6 + ["M"] * 6
    mapping = consistency.gender_map(pd.Series(genders), pd.Series(names), "sv_SE")
    assert mapping == {"K": "F", "M": "M"}
    drawn = consistency.names_for(["F", "M", None], "sv_SE", np.random.default_rng(0))
    assert consistency.name_gender(drawn[0], "sv_SE") == "F"
    assert consistency.name_gender(drawn[1], "sv_SE") == "M" and drawn[2] is None


def _valid(head: str, nine: str) -> str:
    """A personnummer with `head` before the serial and a correct check digit."""
    total = sum((d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 == 0 else d
                for i, d in enumerate(int(c) for c in nine))
    return head + nine[6:] + str((10 - total % 10) % 10)


@pytest.mark.parametrize("pnr", [_valid("19850312-", "850312123"), _valid("850312-", "850312123"),
                                 _valid("19850312", "850312128")])
def test_personnummer_takes_the_gender_and_keeps_the_birth_date(pnr):
    assert luhn_ok("".join(ch for ch in pnr if ch.isdigit())[-10:])
    for gender in ("F", "M"):
        fixed = consistency.with_gender(pnr, gender)
        assert consistency.pnr_gender(fixed) == gender
        assert consistency.pnr_birth(fixed) == consistency.pnr_birth(pnr)
        assert luhn_ok("".join(ch for ch in fixed if ch.isdigit())[-10:])
        assert len(fixed) == len(pnr)


# -- exact relations ----------------------------------------------------------------------

def _lines(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    q = rng.integers(1, 50, n).astype(float)
    p = np.round(rng.uniform(900, 2000, n), 2)
    df = pd.DataFrame({"order_id": rng.integers(0, 60, n), "qty": q, "price": p,
                       "extended": np.round(q * p, 2), "tax": np.round(rng.uniform(0, .1, n), 2)})
    df["line"] = df.groupby("order_id").cumcount() + 1
    df["ordered"] = pd.Timestamp("1995-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D")
    df["shipped"] = df.ordered + pd.to_timedelta(rng.integers(1, 121, n), "D")
    df["status"] = np.where(df.shipped <= pd.Timestamp("1996-06-17"), "F", "O")
    return df


def test_finds_product_counter_offset_and_flag():
    df = _lines()
    assert relations.find_arithmetic(df) == [
        relations.Relation("product", "extended", ("price", "qty"), (0.01,))]
    assert relations.find_counter(df, "order_id") == [
        relations.Relation("counter", "line", ("order_id",))]
    offsets = relations.find_offsets(df)
    assert [(r.target, r.operands) for r in offsets] == [("shipped", ("ordered",))]
    lo, hi, whole = offsets[0].params
    assert lo >= 1 and hi <= 120 and whole
    flag = relations.find_flag(df, "status")
    assert flag is not None and flag.kind == "threshold" and flag.operands == ("shipped",)
    np.testing.assert_array_equal(relations.apply_flag(flag, df.shipped), df.status)


def test_a_noisy_column_is_no_relation():
    df = _lines()
    df["extended"] = df["extended"] * np.random.default_rng(1).uniform(0.9, 1.1, len(df))
    assert not relations.find_arithmetic(df)
    df.loc[3, "line"] = 99
    assert not relations.find_counter(df, "order_id")


def test_generation_keeps_relations():
    df = _lines()
    rel = relations.find_arithmetic(df)[0]
    np.testing.assert_allclose(relations.apply_arithmetic(rel, df), df.extended)
    groups = np.array([3, 1, 3, 3, 1])
    assert relations.apply_counter(groups).tolist() == [1, 1, 2, 3, 2]


def test_granularity_keeps_the_share_of_round_amounts():
    rng = np.random.default_rng(0)
    source = np.r_[np.round(rng.uniform(100, 900, 980)), np.round(rng.uniform(100, 900, 20), 2)]
    grain = relations.granularity(source)
    out = relations.apply_granularity(rng.uniform(100, 900, 5000), grain, rng)
    whole = np.mean(out == np.round(out))
    assert whole == pytest.approx(np.mean(source == np.round(source)), abs=0.02)
    assert np.all(np.abs(out * 100 - np.round(out * 100)) < 1e-6)
    slots = relations.time_granularity(np.asarray([8 * 3600, 8.5 * 3600, 9 * 3600, 13.5 * 3600]))
    assert slots and slots[-1][0] == 1800.0


# -- column models and row rules ----------------------------------------------------------

def test_text_model_of_a_city_column_is_public_places_only():
    from dbclone.semantic import columns

    source = ["Oslo", "Bergen", "Paris", "Lyon", "Berlin", "Hamburg", "Prague", "Lisbon"] * 2
    model = columns.fit("City", "Customer", source, 5, "en_US", np.random.default_rng(0))
    assert model is not None and model.kind == "city"
    assert not set(model.pool) & set(source)
    assert {c for c, _ in model.countries} == {"NO", "FR", "DE", "CZ", "PT"}
    out = columns.sample(model, 200, np.random.default_rng(1), np.full(200, 6))
    assert set(out) <= set(model.pool)


def test_text_model_of_extensions_keeps_their_shape():
    from dbclone.semantic import columns

    source = [f"x{n}" for n in range(1000, 1040)] + [f"x{n}" for n in range(100, 110)]
    model = columns.fit("ext", "employees", source, 5, "en_US", np.random.default_rng(0))
    assert model is not None and model.kind == "extension"
    out = columns.sample(model, 100, np.random.default_rng(1))
    assert all(v[0] == "x" and v[1:].isdigit() and len(v) in (4, 5) for v in out)


def _people(rng: np.random.Generator, n: int = 400) -> pd.DataFrame:
    female = ["Maria", "Anna", "Eva", "Karin", "Lena", "Sara", "Elin", "Ida"]
    male = ["Erik", "Lars", "Karl", "Johan", "Anders", "Per", "Nils", "Olof"]
    genders = rng.choice(["K", "M"], n)
    names = [(female if g == "K" else male)[int(rng.integers(0, 8))] for g in genders]
    births = pd.Timestamp("1940-01-01") + pd.to_timedelta(rng.integers(0, 25000, n), "D")
    pnrs = []
    for g, b in zip(genders, births, strict=True):
        serial = int(rng.integers(0, 100)) * 10 + (int(rng.integers(0, 5)) * 2 +
                                                   (0 if g == "K" else 1))
        pnrs.append(_valid(f"{b:%Y%m%d}-", f"{b:%y%m%d}{serial:03d}"))
    return pd.DataFrame({"fornamn": names, "kon": genders, "personnummer": pnrs,
                         "fodd": births.date})


def test_row_rules_make_gender_name_and_personnummer_agree():
    from dbclone.semantic import rows

    rng = np.random.default_rng(0)
    source = _people(rng)
    kinds = {"fornamn": "first_name", "personnummer": "personnummer"}
    rules = rows.gender_rules(source, kinds, "sv_SE")
    assert [r.kind for r in rules] == ["gender_name", "gender_pnr"]
    clone = source.copy()
    for col in ("fornamn", "kon"):
        clone[col] = rng.permutation(clone[col].to_numpy())
    fixed = rows.apply(clone, rules, "sv_SE", rng, unique=["personnummer"])
    mapping = dict(rules[0].params)
    said = fixed.fornamn.map(lambda v: consistency.name_gender(v, "sv_SE"))
    assert (said == fixed.kon.map(mapping)).all()
    assert (fixed.personnummer.map(consistency.pnr_gender) == fixed.kon.map(mapping)).all()
    assert fixed.personnummer.is_unique
    assert (fixed.personnummer.map(consistency.pnr_birth) == fixed.fodd).all()


def test_no_gender_rule_where_the_source_breaks_it():
    from dbclone.semantic import rows

    source = _people(np.random.default_rng(1))
    source.loc[:40, "kon"] = source.loc[:40, "kon"].map({"K": "M", "M": "K"})
    assert rows.gender_rules(source, {"fornamn": "first_name", "personnummer": "personnummer"},
                             "sv_SE") == []


def test_row_rule_puts_a_city_in_its_row_country():
    from dbclone.semantic import columns, rows

    source = pd.DataFrame({"city": ["Oslo", "Bergen", "Paris", "Lyon", "Berlin"] * 10,
                           "country": ["Norway", "Norway", "France", "France", "Germany"] * 10})
    rng = np.random.default_rng(0)
    model = columns.fit("city", "customer", source.city.tolist(), 5, "en_US", rng)
    assert model is not None

    def pools(kind, place, countries):
        return columns.for_countries(model, countries, rng, exclude=source.city.tolist())

    rules = rows.place_rules(source, {"city": "city", "country": "country"}, pools)
    assert [r.kind for r in rules] == ["place_country"]
    clone = pd.DataFrame({"city": rng.permutation(list(model.pool))[:60],
                          "country": rng.choice(["Norway", "France", "Germany"], 60)})
    fixed = rows.apply(clone, rules, "en_US", rng)
    codes = {"Norway": "NO", "France": "FR", "Germany": "DE"}
    where = ref.city_country()
    assert all(where[ref.fold(c)] == codes[k] for c, k in zip(fixed.city, fixed.country,
                                                               strict=True))
    assert not set(fixed.city) & set(source.city)


def test_relation_rules_recompute_targets():
    from dbclone.semantic import rows

    df = _lines()
    rules = rows.relation_rules(df, groups=["order_id"], flags=["status"])
    assert {r.kind for r in rules} == {"product", "counter", "threshold"}
    clone = df.sample(frac=1.0, random_state=0).reset_index(drop=True)
    clone["extended"] = 0.0
    clone["line"] = 0
    clone["status"] = "?"
    fixed = rows.apply(clone, rules, "en_US", np.random.default_rng(0))
    np.testing.assert_allclose(fixed.extended, np.round(fixed.qty * fixed.price, 2))
    assert relations.find_counter(fixed, "order_id")
    assert set(fixed.status) == {"F", "O"}


def test_name_rules_read_the_values_too():
    assert recognise("territory_id", "territories", ["06897", "19713", "01581", "01730"]) is None
    assert recognise("contact_title", "suppliers", ["Purchasing Manager", "Owner"]).kind == "job"
    repeated = ["enhetschef", "socialsekreterare", "socialsekreterare", "enhetschef"] * 5
    assert recognise("title", "caseworker", repeated).kind == "job"
    invented = ["Lövnäs", "Stensund", "Hamnen", "Älvstad", "Norrby"]
    assert recognise("district", "household", invented).kind == "phrases"
    assert recognise("district", "address", ["Alberta", "Ontario", "Texas", "Bavaria"]).kind \
        == "region"


def test_a_kind_in_a_language_faker_lacks_falls_back_to_the_column_words():
    from dbclone.semantic import columns

    titles = ["enhetschef", "socialsekreterare", "förste socialsekreterare", "handläggare"] * 10
    model = columns.fit("title", "caseworker", titles, 5, "sv_SE", np.random.default_rng(0))
    assert model is not None and model.kind == "phrases"
    english = columns.fit("title", "employee", ["Sales Manager", "IT Staff"] * 10, 5, "en_US",
                          np.random.default_rng(0))
    assert english is not None and english.kind == "job"


def test_prefixes_keep_common_beginnings_and_draw_the_rest():
    from dbclone.semantic import prefixes

    rng = np.random.default_rng(0)
    mobiles = [f"07{rng.integers(0, 4)}-{rng.integers(100, 999)} {rng.integers(10, 99)} "
               f"{rng.integers(10, 99)}" for _ in range(300)]
    rare = ["0913-55 12 12", "0913-55 12 13"]
    kept = prefixes.fit(mobiles + rare, 5)
    assert not any(str(p[0]).startswith("091") for p in kept)
    # no mobile is held by five owners: none is kept whole, none made at fit time (the
    # beginnings leave millions of numbers to draw)
    assert all(p[2][0] == "0" and len(p) == 3 for p in kept)
    shapes = sorted({prefixes.shape_of(v) for v in mobiles})
    out = prefixes.draw(kept, shapes, 500, rng)
    assert all(prefixes.shape_of(v) in shapes for v in out)
    # The two values no five owners begin alike go to the empty beginning: any digits.
    assert np.mean([v.startswith("07") for v in out]) > 0.95
    assert not set(out) & set(mobiles + rare)


def test_whole_values_k_owners_hold_are_kept_and_no_rare_one_is_drawn():
    """A postcode k households share is kept whole; a rare one never comes out, even where
    its district leaves few codes to draw (they are made at fit time, the source's left out);
    an IP address keeps its network and valid octets. Owners, not rows, count: one owner's
    many rows keep nothing whole."""
    from dbclone.semantic import prefixes

    rng = np.random.default_rng(1)
    common = [f"645 {d}" for d in (31, 32, 40, 56, 73)]
    rare = [f"645 {d}" for d in range(10, 30)] + ["646 01", "646 02"]
    values = common * 10 + rare
    kept = prefixes.fit(values, 5, rng=rng)
    whole = {p[0] for p in kept if p[2][0] == "1"}
    assert whole == set(common)
    made = {v for p in kept for v in p[3:]}
    assert made and not made & set(values)
    out = prefixes.complete_shapes(kept, ["999 99"] * 3000, rng)
    assert not set(out) & set(rare)
    assert set(common) <= set(out)
    assert np.mean([v.startswith("645 ") for v in out]) > 0.9
    # one owner holds every row of a common code: not kept whole
    single = prefixes.fit(values, 5, owners=[0] * len(values), rng=rng)
    assert not any(p[2][0] == "1" for p in single)

    ips = [f"10.99.{rng.integers(0, 4)}.{rng.integers(1, 255)}" for _ in range(400)]
    shapes = sorted({prefixes.shape_of(v) for v in ips})
    digits = prefixes.digit_table(prefixes.digit_shares(ips, shapes))
    fitted = prefixes.fit(ips, 5, rng=rng, digits=digits, valid=prefixes.VALID["ipv4"])
    drawn = prefixes.complete_shapes(fitted, list(rng.choice(shapes, 2000)), rng, digits,
                                     prefixes.VALID["ipv4"])
    assert not set(drawn) & set(ips)
    assert all(v.startswith("10.99.") and prefixes.VALID["ipv4"](v) for v in drawn), drawn[:5]


def test_a_clone_keeps_the_phone_and_postcode_beginnings_k_owners_share(tmp_path):
    """Phones and postcodes of a clone start as the source's do where k owners share the
    beginning (a town's 645, its area code 0645), the rest drawn."""
    import sqlite3

    from dbclone.api import clone

    rng = np.random.default_rng(3)
    src = tmp_path / "s.db"
    con = sqlite3.connect(src)
    con.execute("CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT, phone TEXT, "
                "postal_code TEXT, client_ip TEXT)")
    rows = [(i, f"P{i}", f"0645-{rng.integers(10, 99)} {rng.integers(10, 99)} "
             f"{rng.integers(10, 99)}", f"645 {rng.integers(10, 99)}",
             f"10.41.{rng.integers(1, 9)}.{rng.integers(20, 29)}") for i in range(400)]
    con.executemany("INSERT INTO person VALUES (?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()
    dst = tmp_path / "c.db"
    clone(f"sqlite:///{src}", f"sqlite:///{dst}", seed=0)
    out = sqlite3.connect(dst).execute(
        "SELECT phone, postal_code, client_ip FROM person").fetchall()
    assert len(out) == 400
    assert np.mean([p.startswith("0645-") for p, _, _ in out]) > 0.95
    assert np.mean([c.startswith("64") for _, c, _ in out]) > 0.95
    source_phones = {r[2] for r in rows}
    assert len({p for p, _, _ in out} & source_phones) <= 2  # chance only: 6 digits drawn


def test_emoji_are_told_apart_though_they_fold_to_nothing():
    from dbclone.semantic import columns

    flags = [ref.flag(c) for c in ("SE", "NO", "DK", "FI", "DE", "FR")]
    model = columns.fit("emoji", "country_flag", flags, 5, "en_US", np.random.default_rng(0),
                        avoid=frozenset(ref.key(f) for f in flags))
    assert model is not None and model.kind == "emoji" and model.style == "flag"
    assert model.pool and not set(model.pool) & set(flags)
    assert all(len(v) == 2 for v in columns.sample(model, 20, np.random.default_rng(1)))
    # A column holding the whole list (a table of flags) keeps the list: reference data.
    every = [ref.flag(c.alpha_2) for c in ref.countries()]
    whole = columns.fit("emoji", "country_flag", every, 5, "en_US", np.random.default_rng(0),
                        avoid=frozenset(ref.key(f) for f in every))
    assert whole is not None and set(whole.pool) == set(every)


def test_pooled_values_of_one_length_use_the_whole_pool():
    from dbclone.semantic import columns

    codes = [c.alpha_2 for c in ref.countries()][:60]
    model = columns.fit("code2", "country", codes, 5, "en_US", np.random.default_rng(0))
    assert model is not None and model.kind == "country"
    out = columns.sample(model, 500, np.random.default_rng(1), np.full(500, 2))
    assert len(set(out)) > 100


def test_a_hash_sign_in_the_source_is_a_word_not_a_digit_slot() -> None:
    """'#' is both the digit slot's mark and punctuation in text ("Order # 12"): read as a
    slot of no length, sampling raised ValueError (AdventureWorks' clone stopped)."""
    colours = ["red", "blue", "green", "black", "white", "brown"]
    values = [f"{colours[i % 6]} shop # {i % 7} of {colours[i // 6 % 6]} town"
              for i in range(400)]
    model = ngram.fit(values, 5)
    assert model is not None
    made = model.sample(50, np.random.default_rng(0))
    assert all(re.fullmatch(r"\w+ \w+ # \d of \w+ \w+", v) for v in made), made[:5]


def test_source_strings_skip_arrays_and_fold_in_bulk() -> None:
    """Every source string folded once (ASCII in bulk, the rest one by one, as `key` does);
    an array column's lists are not strings and must not break the distinct pass (pagila's
    special_features failed the fit with 'unhashable type: list')."""
    import types

    from dbclone.semantic.reference import key
    from dbclone.synth.columns.meaning import source_strings

    frame = pd.DataFrame({"tags": [["a", "b"], None, ["c"]],
                          "name": ["Hello  World ", "Ünïcode Straße", "   "]})
    ctx = types.SimpleNamespace(strings=None, frames={"t": frame})
    found = source_strings(ctx)  # type: ignore[arg-type]
    keys = {key(v) for v in frame["name"]}
    assert all(k in found for k in keys) and len(found) == len(keys) == 3
    assert "hello world" in found and "Hello  World " not in found and "a" not in found


def test_folded_strings_are_a_membership_set() -> None:
    """`reference.Folded` answers `in` as the set of its strings does, grows with `|`, and
    holds 8 bytes a string."""
    from dbclone.semantic.reference import Folded

    words = [f"word {i}" for i in range(10_000)]
    held = Folded(words[::2])
    assert all(w in held for w in words[::2]) and not any(w in held for w in words[1::2])
    more = held | ["word 1", "other"]
    assert "word 1" in more and "other" in more and "word 1" not in held
    assert len(held) == 5_000 and held.hashes.nbytes == 40_000


@pytest.mark.parametrize(("column", "values"), [
    ("l_returnflag", ["A", "N", "R"] * 10),
    ("flag", ["Y", "N"] * 10),
    ("statusflagga", ["ja", "nej", "kanske"] * 5),
])
def test_a_flag_of_letters_is_no_emoji(column, values):
    """The name alone ("flag", "returnflag") does not make a column of letters emoji: the
    values must have the shape too."""
    found = recognise(column, "lineitem", values)
    assert found is None or found.kind != "emoji", found
    # The same names holding emoji are still emoji (fewer than MIN_DISTINCT values: the name
    # decides, the shape confirms).
    emoji = recognise(column, "lineitem", ["\U0001F600", "\U0001F680", "\u2764\ufe0f"] * 5)
    assert emoji is not None and emoji.kind == "emoji", emoji


def test_short_values_cut_to_their_length_are_no_source_values() -> None:
    """A value cut to its row's length keeps the made-up word that makes it new: short
    targets in a column of repeated short phrases gave source values whenever the cut fell
    before that word (14 of these 4,000 before). Lengths follow the targets as before (87 %
    within 4 characters). The chain alone holds: `ngram.fit` remembers no source values to
    check against."""
    values = comments(np.random.default_rng(5), 4000)
    model = ngram.fit(values, 5, rng=np.random.default_rng(0))
    assert model is not None
    want = np.asarray([len(v) for v in values])
    out = model.sample(len(want), np.random.default_rng(1), want)
    assert not set(out) & set(values), sorted(set(out) & set(values))[:10]
    sizes = np.asarray([len(v) for v in out])
    assert np.mean(np.abs(sizes - want) <= 4) > 0.8, np.quantile(np.abs(sizes - want),
                                                                 [0.5, 0.8, 0.95])
    assert np.corrcoef(sizes, want)[0, 1] > 0.9
