"""Values of a recognised kind (see `recognise`): drawn from public lists (ISO countries,
currencies, languages, regions; geonames cities by population; Faker's companies, jobs,
colours, emoji and URLs in the source's locale, companies and jobs in the locales of the rows'
countries where those are known), never from the source. `candidates` makes
the pool a fit stores in the model (public values only, the source's own values left out);
`for_country` gives a country's cities, regions or postcodes for a row that names it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np

from dbclone.semantic import reference as ref
from dbclone.semantic.recognise import Semantic

Rng = np.random.Generator


def _country_values(style: str) -> list[str]:
    pick: dict[str, Callable[[ref.Country], str]] = {
        "alpha2": lambda c: c.alpha_2, "alpha3": lambda c: c.alpha_3,
        "flag": lambda c: ref.flag(c.alpha_2), "name_sv": lambda c: c.names[-1],
    }
    return [pick.get(style, lambda c: c.names[0])(c) for c in ref.countries()]


def _currency_values(style: str) -> list[str]:
    col = {"code": 0, "name_sv": 2}.get(style, 1)
    return [c[col] for c in ref.currencies()]


def _language_values(style: str) -> list[str]:
    col = {"alpha2": 0, "alpha3": 1, "name_sv": 3}.get(style, 2)
    return [lang[col] for lang in ref.languages()]


def _emoji_values(style: str) -> list[str]:
    return _country_values("flag") if style == "flag" else list(ref.emoji())


def _codepoint_values(style: str) -> list[str]:
    return [f"U+{ord(e[0]):04X}" for e in ref.emoji()]


def _colour_values(style: str) -> list[str]:
    return list(ref.colours())


#: Kinds whose whole list is public and small enough to draw from directly.
_LISTS: dict[str, Callable[[str], list[str]]] = {
    "country": _country_values, "currency": _currency_values, "language": _language_values,
    "emoji": _emoji_values, "codepoint": _codepoint_values, "colour": _colour_values,
}
#: Kinds Faker makes per locale: kind -> Faker method.
_FAKER: dict[str, str] = {"company": "company", "job": "job", "url": "url", "person": "name"}
#: Kinds whose words are in a language: Faker must have the locale's own list for them.
FAKER_KINDS = frozenset(("company", "job"))


def faker_speaks(kind: str, locale: str) -> bool:
    """Whether Faker has the locale's own provider for the kind (its sv_SE jobs would be
    English ones)."""
    import importlib

    try:
        importlib.import_module(f"faker.providers.{kind}.{locale}")
    except ImportError:
        return False
    return True


def locale_country(locale: str) -> str:
    """The country a Faker locale is of (``sv_SE`` -> SE)."""
    return locale.rsplit("_", 1)[-1].upper() if "_" in locale else "US"


def region_values(country: str, style: str) -> list[str]:
    regions = ref.regions().get(country, ())
    return [code if style in ("alpha2", "code") else name for code, name in regions]


def city_values(country: str, n: int) -> list[str]:
    """A country's cities, largest first (geonames), at most n."""
    return [c.name for c in ref.cities_by_country().get(country, ())[:n]]


def source_countries(values: Iterable[str]) -> dict[str, float]:
    """Share of each country among the countries whose city lists hold the source's cities:
    a statistic of the column (which countries its places are in), not a value of it."""
    by_name = ref.city_country()
    counts: dict[str, int] = {}
    for v in values:
        code = by_name.get(ref.fold(str(v)))
        if code is not None:
            counts[code] = counts.get(code, 0) + 1
    total = sum(counts.values())
    return {k: c / total for k, c in sorted(counts.items())} if total else {}


def region_countries(values: Iterable[str], style: str) -> dict[str, float]:
    """Share of each country among the countries whose ISO 3166-2 lists hold the source's
    values (names or codes; a name several countries use counts for the one whose list
    holds most of the values): a column of one country's regions gives that country, a
    column of the world's districts its mix, not the one country that matches most."""
    by_name: dict[str, list[str]] = {}
    for country, regions in ref.regions().items():
        for code, name in regions:
            by_name.setdefault(ref.fold(code if style in ("alpha2", "code") else name),
                               []).append(country)
    found = [by_name.get(ref.fold(str(v)), []) for v in values]
    held = Counter(c for cs in found for c in set(cs))
    counts = Counter(max(cs, key=lambda c: (held[c], c)) for cs in found if cs)
    total = sum(counts.values())
    return {c: n / total for c, n in sorted(counts.items())} if total else {}


#: Kinds whose values come from a public reference list (ISO codes and names, regions).
PUBLIC_LISTS = frozenset((*_LISTS, "region"))
#: Share of a public list that must remain once the source's values are left out; below it
#: the column holds the list itself and keeps it whole.
PUBLIC_FLOOR = 0.3


def candidates(sem: Semantic, n: int, rng: Rng, *, exclude: Iterable[str] = (),
               locale: str = "en_US", countries: dict[str, float] | None = None) -> list[str]:
    """Up to n distinct values of the kind, none in `exclude` (the source's values): the pool
    a fit keeps for a column whose source values are too rare to keep."""
    banned = {ref.key(str(v)) for v in exclude}
    pool = list(dict.fromkeys(_pool(sem, 2 * n, rng, locale, countries)))
    out = [v for v in pool if ref.key(v) not in banned]
    if sem.kind in PUBLIC_LISTS and len(out) < PUBLIC_FLOOR * len(pool):
        # The column is the public list itself (a table of the US states, of currencies):
        # its values are reference data, not anyone's, and a remainder would not read as it.
        out = pool
    if len(out) > n:
        out = [out[i] for i in sorted(rng.choice(len(out), n, replace=False))]
    return out


def _pool(sem: Semantic, size: int, rng: Rng, locale: str,
          countries: dict[str, float] | None) -> list[str]:
    if sem.kind in _LISTS:
        return _LISTS[sem.kind](sem.style)
    if sem.kind == "city":
        mix = countries or {locale_country(locale): 1.0}
        return [c for code, share in mix.items()
                for c in city_values(code, max(3, int(round(size * share))))]
    if sem.kind == "region":
        mix = countries or {locale_country(locale): 1.0}
        if len(mix) == 1:
            return [r for code in mix for r in region_values(code, sem.style)]
        out: list[str] = []
        for code, share in mix.items():  # each country's regions in its share
            found = region_values(code, sem.style)
            out += [found[i] for i in rng.permutation(len(found))[:max(1, round(size * share))]]
        return out
    if sem.kind in _FAKER:
        seed = int(rng.integers(0, 2**31))
        if countries and sem.kind in FAKER_KINDS:
            # In the languages of the rows' countries ("Franchi S.p.A.", "Folk och fä HB")
            return [v for code, share in countries.items()
                    for v in faker_values(_FAKER[sem.kind], ref.faker_locale(code) or locale,
                                          max(3, int(round(size * share))), seed)]
        return faker_values(_FAKER[sem.kind], locale, size, seed)
    if sem.kind == "code":
        letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        width = 3 if sem.style in ("alpha3", "code") else 2
        return ["".join(rng.choice(letters, width)) for _ in range(size)]
    return []


#: One Faker per locale (making one takes a tenth of a second or more).
_FAKERS: dict[str, object] = {}


def faker_values(method: str, locale: str, size: int, seed: int) -> list[str]:
    from faker import Faker

    if locale not in _FAKERS:
        _FAKERS[locale] = Faker(locale)
    fake = _FAKERS[locale]
    fake.seed_instance(seed)  # type: ignore[attr-defined]
    make = getattr(fake, method)
    return [str(make()).replace("\n", ", ") for _ in range(size)]


def for_country(kind: str, country: str, n: int, rng: Rng, *, style: str = "name",
                exclude: Iterable[str] | ref.Folded = ()) -> list[str]:
    """n values of a place kind inside one country (a row's city given its country), cities
    weighted by population; empty when the lists know no such place. `exclude` as a
    frozenset or a `reference.Folded` is taken as folded already."""
    banned = exclude if isinstance(exclude, frozenset | ref.Folded) else \
        frozenset(ref.fold(str(v)) for v in exclude)
    if kind == "city":
        found = [c for c in ref.cities_by_country().get(country, ())
                 if ref.fold(c.name) not in banned]
        if not found:
            return []
        weights = np.sqrt(np.asarray([max(c.population, 1) for c in found], dtype=float))
        picks = rng.choice(len(found), n, p=weights / weights.sum())
        return [found[i].name for i in picks]
    if kind == "region":
        values = [v for v in region_values(country, style) if ref.fold(v) not in banned]
        return [values[i] for i in rng.integers(0, len(values), n)] if values else []
    return []
