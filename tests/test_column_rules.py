"""One test per column synthesizer (`dbclone.synth.columns`) and per dispatch table that joins
the rules: fit a small SQLite source built for the rule, check the spec the rule wrote,
generate, and check the rule's promise on the generated rows. (The relations and family rules
are in test_synth_rules and test_family_rules.)"""

from __future__ import annotations

import random
import re
import uuid
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest
import sqlalchemy as sa

from dbclone.synth import dims, specs
from dbclone.synth.columns.base import ByKind
from dbclone.synth.columns.registry import FITTERS, GENERATORS, SYNTHESIZERS
from dbclone.synth.fit import STEPS
from dbclone.synth.model import ColumnModel
from dbclone.synth.sample import FINISHERS
from tests.helpers import fit_source_model, generate, sqlite_source

NewDb = Callable[[str], str]

#: Column kinds `schema.Column.kind` takes.
KINDS = ("integer", "float", "decimal", "date", "datetime", "time", "interval", "boolean",
         "enum", "string", "text", "binary", "uuid", "json", "array", "other", "mixed")


def test_registry_one_rule_per_kind_and_per_spec_type() -> None:
    """columns.registry: every column kind has the rule that fits it, every spec type but a
    grouped count (drawn by relations.grouped) the rule that generates it, each declared by
    its class once."""
    assert set(FITTERS) == set(KINDS)
    assert all(issubclass(rule, ByKind) and kind in rule.kinds for kind, rule in FITTERS.items())
    kinds = {cls.kind for cls in specs.Spec.__subclasses__()}
    assert set(GENERATORS) == kinds - {"count"}
    assert all(any(s.kind == kind for s in rule.specs) for kind, rule in GENERATORS.items())
    assert len(set(SYNTHESIZERS)) == len(SYNTHESIZERS)


def test_relations_finish_in_their_declared_order() -> None:
    """sample.FINISHERS: the first relation that applies finishes the column, so a share of
    the parent's number (based on the parent, op ratio) is never also a ratio within the row,
    and a ratio within the row never also a date after its base."""
    order = [f.name for f in FINISHERS]
    assert order == ["copies", "shares", "ratios", "dates"]

    def first(cm: ColumnModel) -> str | None:
        return next((f.name for f in FINISHERS if f.applies(cm)), None)

    assert first(ColumnModel("a", "parent", base=dims.parent("a"))) == "copies"
    assert first(ColumnModel("a", "numeric", base=dims.parent("b"), op="ratio")) == "shares"
    assert first(ColumnModel("a", "numeric", base="b", op="ratio")) == "ratios"
    assert first(ColumnModel("a", "numeric", base="b", op="order")) == "dates"
    assert first(ColumnModel("a", "numeric")) is None
    assert [s.name for s in STEPS] == ["children counts", "derived aggregates", "email styles",
                                       "grouped numbers", "grouped counts", "joint categories",
                                       "category order"]


def test_numeric_keeps_range_and_granularity(new_db: NewDb) -> None:
    """columns.numeric: prices in cents and quantities by their quantiles, never outside the
    source's range; prices stay on whole cents, quantities whole numbers."""
    rng = random.Random(1)
    rows = [(i + 1, round(rng.uniform(10, 500), 2), rng.randint(1, 1000)) for i in range(500)]
    source = sqlite_source(new_db, ["CREATE TABLE item (id INTEGER PRIMARY KEY, "
                                    "price REAL NOT NULL, qty INTEGER NOT NULL)"],
                           {"item": rows})
    model = fit_source_model(source)
    price, qty = model.table("item").column("price"), model.table("item").column("qty")
    assert (price.strategy, price.step, qty.strategy, qty.integer) == (
        "numeric", 0.01, "numeric", True)
    out = generate(model, seed=2, scale=2)["item"]
    prices = np.asarray(out["price"], dtype=float)
    lo, hi = min(r[1] for r in rows), max(r[1] for r in rows)
    assert prices.min() >= lo and prices.max() <= hi
    assert np.all(np.abs(prices * 100 - np.round(prices * 100)) < 1e-6)
    assert all(isinstance(q, int) and 1 <= q <= 1000 for q in out["qty"])
    assert len(set(out["qty"])) > 100  # a measurement, not a handful of categories


def test_categorical_keeps_frequencies(new_db: NewDb) -> None:
    """columns.categorical: a status in its shares (60/30/10), a boolean by its kind; no value
    the source does not hold."""
    statuses = ["open"] * 6 + ["closed"] * 3 + ["waiting"]
    rows = [(i + 1, statuses[i % 10], i % 4 != 0) for i in range(1000)]
    source = sqlite_source(new_db, ["CREATE TABLE ticket (id INTEGER PRIMARY KEY, "
                                    "status TEXT NOT NULL, urgent BOOLEAN NOT NULL)"],
                           {"ticket": rows})
    model = fit_source_model(source)
    assert model.table("ticket").column("status").strategy == "categorical"
    assert model.table("ticket").column("urgent").strategy == "categorical"
    out = generate(model, seed=3, scale=2)["ticket"]
    shares = Counter(out["status"])
    assert set(shares) == {"open", "closed", "waiting"}
    n = len(out["status"])
    assert shares["open"] / n == pytest.approx(0.6, abs=0.05)
    assert shares["waiting"] / n == pytest.approx(0.1, abs=0.05)
    assert sum(bool(u) for u in out["urgent"]) / n == pytest.approx(0.75, abs=0.05)


def test_text_from_the_vocabulary_never_a_value(new_db: NewDb) -> None:
    """columns.text: keyword strings (words joined by hyphens, too varied for a pattern, too
    few spaces for prose) become text of the source's common words; a word fewer than k rows
    hold (a reference code) never appears, nor any value of the source."""
    rng = random.Random(4)
    words = ["the", "cat", "sat", "on", "a", "mat", "while", "dog", "ran", "far", "away",
             "from", "home", "and", "then", "came", "back", "to", "sleep", "under", "tree"]
    codes = set()
    rows = []
    for i in range(400):
        code = "".join(rng.choice("qxzvwjk") for _ in range(8))
        codes.add(code)
        rows.append((i + 1, "-".join(rng.choice(words) for _ in range(rng.randint(2, 9)))
                     + f"-{code}"))
    source = sqlite_source(new_db, ["CREATE TABLE note (id INTEGER PRIMARY KEY, "
                                    "body TEXT NOT NULL)"], {"note": rows})
    model = fit_source_model(source)
    cm = model.table("note").column("body")
    assert cm.strategy == "text" and set(cm.values) == set(words)
    out = generate(model, seed=5)["note"]["body"]
    used = {w.lower() for body in out for w in re.findall(r"[A-Za-z]+", body)}
    assert used <= set(words) and not used & codes
    assert not set(out) & {body for _, body in rows}


def test_personal_emails_are_made_from_the_rows_names(new_db: NewDb) -> None:
    """columns.personal: names replaced by Faker's; an email built as first.last in the
    source is built from the clone's own first and last name."""
    rng = random.Random(6)
    firsts = ["anna", "erik", "maria", "johan", "karin", "lars", "eva", "per", "lena", "nils"]
    lasts = ["berg", "lund", "strom", "holm", "dahl", "ek", "sjo", "nord", "viklund", "hed"]
    rows = []
    for i in range(300):
        first, last = rng.choice(firsts), rng.choice(lasts)
        rows.append((i + 1, first.capitalize(), last.capitalize(), f"{first}.{last}@example.com"))
    source = sqlite_source(new_db, ["CREATE TABLE person (id INTEGER PRIMARY KEY, "
                                    "first_name TEXT NOT NULL, last_name TEXT NOT NULL, "
                                    "email TEXT NOT NULL)"], {"person": rows})
    model = fit_source_model(source)
    email = model.table("person").column("email")
    assert (email.strategy, email.pii) == ("pii", "email") and email.styles[0] == 1.0
    out = generate(model, seed=7)["person"]
    assert {f.lower() for f in out["first_name"]} - set(firsts)  # Faker's list, not ours
    made = [e.split("@")[0] == f"{f}.{la}".lower().replace(" ", "")
            for f, la, e in zip(out["first_name"], out["last_name"], out["email"], strict=True)]
    assert sum(made) >= 0.9 * len(made)


def test_keys_are_numbered_and_unique_at_any_scale(new_db: NewDb) -> None:
    """columns.keys: an integer primary key is 1..n; a text key in the source's code format
    stays in it and unique when the clone is three times the source."""
    rows = [(i + 1, f"C{i + 1:05d}") for i in range(200)]
    source = sqlite_source(new_db, [
        "CREATE TABLE a (id INTEGER PRIMARY KEY, code TEXT NOT NULL)",
        "CREATE TABLE b (code TEXT PRIMARY KEY, n INTEGER NOT NULL)"],
        {"a": rows, "b": [(c, i) for i, c in rows]})
    model = fit_source_model(source)
    assert model.table("b").column("code").strategy == "key"
    out = generate(model, seed=8, scale=3)
    assert out["a"]["id"] == list(range(1, 601))
    codes = out["b"]["code"]
    assert len(codes) == 600 and len(set(codes)) == 600
    assert all(re.fullmatch(r"C[0-9]{5}", c) for c in codes)


def test_bytes_keep_their_lengths(new_db: NewDb) -> None:
    """columns.other (bytes): random bytes of the source's lengths, none of the source's."""
    rng = random.Random(9)
    rows = [(i + 1, bytes(rng.randrange(256) for _ in range(rng.randint(4, 40))))
            for i in range(300)]
    source = sqlite_source(new_db, ["CREATE TABLE doc (id INTEGER PRIMARY KEY, "
                                    "data BLOB NOT NULL)"], {"doc": rows})
    model = fit_source_model(source)
    assert model.table("doc").column("data").strategy == "bytes"
    out = generate(model, seed=10)["doc"]["data"]
    assert all(isinstance(b, bytes) and 4 <= len(b) <= 40 for b in out)
    assert len({len(b) for b in out}) > 10
    assert not set(out) & {b for _, b in rows}


def test_uuids_are_fresh_version_4(new_db: NewDb) -> None:
    """columns.other (uuid): a UUID column gets new random version-4 UUIDs, all distinct."""
    rng = random.Random(11)
    rows = [(i + 1, str(uuid.UUID(int=rng.getrandbits(128), version=4))) for i in range(200)]
    source = new_db("postgresql")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE token (id INTEGER PRIMARY KEY, uid UUID NOT NULL)")
        conn.execute(sa.text("INSERT INTO token VALUES (:i, CAST(:u AS uuid))"),
                     [{"i": i, "u": u} for i, u in rows])
    model = fit_source_model(source)
    assert model.table("token").column("uid").strategy == "uuid"
    out = [str(u) for u in generate(model, seed=12)["token"]["uid"]]
    assert len(set(out)) == 200 and not set(out) & {u for _, u in rows}
    assert all(uuid.UUID(u).version == 4 for u in out)


def test_lookup_keys_are_categories_of_the_row(new_db: NewDb) -> None:
    """relations.lookups: a small genre table is copied as it is; a track's genre (its album
    drives the track's rows) is a category over the genres' real keys, each in its source
    share."""
    genres = [(g, f"genre {g}") for g in range(1, 6)]
    weights = [50, 25, 15, 5, 5]
    picks = [g for g, w in zip(range(1, 6), weights, strict=True) for _ in range(w * 8)]
    random.Random(14).shuffle(picks)
    albums = [(a, f"album {a}") for a in range(1, 101)]
    tracks = [(i + 1, i % 100 + 1, g) for i, g in enumerate(picks)]
    source = sqlite_source(new_db, [
        "CREATE TABLE genre (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
        "CREATE TABLE album (id INTEGER PRIMARY KEY, title TEXT NOT NULL)",
        "CREATE TABLE track (id INTEGER PRIMARY KEY, album_id INTEGER NOT NULL "
        "REFERENCES album(id), genre_id INTEGER NOT NULL REFERENCES genre(id))"],
        {"genre": genres, "album": albums, "track": tracks})
    model = fit_source_model(source)
    assert model.table("genre").verbatim
    fk = next(f for f in model.table("track").fks if f.ref_table == "genre")
    assert fk.as_category and not fk.driving
    cm = model.table("track").column("genre_id")
    assert cm.strategy == "categorical" and set(cm.values) == set(range(1, 6))
    out = Counter(generate(model, seed=13, scale=2)["track"]["genre_id"])
    n = sum(out.values())
    assert set(out) <= set(range(1, 6))
    assert out[1] / n == pytest.approx(0.5, abs=0.05)
    assert out[2] / n == pytest.approx(0.25, abs=0.05)
