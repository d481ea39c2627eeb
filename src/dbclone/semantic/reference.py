"""Public reference lists (not personal data): country, currency and language names and codes
from pycountry (ISO 3166, 4217, 639) in English and in the translations pycountry ships,
regions (ISO 3166-2), cities with their country and population from GeoNames (a file in
data/, built by tools/build_cities.py), colours and emoji from Faker. Each list is built
once per process, on first use.
"""

from __future__ import annotations

import functools
import gettext
import gzip
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

import numpy as np

#: Translations of names the recogniser accepts besides English (the languages dbclone's
#: name rules speak).
LANGUAGES = ("sv",)
_BRACKET = re.compile(r"\s*\[[^\]]*\]$")  # pycountry disambiguates some names: "X län [SE-25]"


@functools.lru_cache(maxsize=1 << 18)
def fold(text: str) -> str:
    """Lower case without accents: the form names are compared in."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.lower().split())


def key(text: str) -> str:
    """The form values are told apart in: folded, or as written when folding leaves nothing
    (an emoji folds to "")."""
    return fold(text) or text


def keys(values: list[str]) -> list[str]:
    """`key` of each value; for ASCII text without NULs (most of a source) in bulk: one
    lower() of the values joined, then whitespace collapsed, as `fold` does (NFKD and the
    ASCII filter leave ASCII as it is). 700,000 TPC-H values: 4.6 s one by one."""
    joined = "\x00".join(values)
    if not joined.isascii() or joined.count("\x00") != len(values) - 1 or not values:
        return [key(v) for v in values]
    return [" ".join(f.split()) or v
            for f, v in zip(joined.lower().split("\x00"), values, strict=True)]


class Folded:
    """A set of folded strings for membership tests only, held as their hashes (8 bytes a
    string, not the strings: a sample's every text value was 56 MB for TPC-H at 255,000
    rows). Two strings of one 64-bit hash (about one chance in 10^8 per fit) would keep a
    public value out that needed not be, never let a source value through."""

    def __init__(self, strings: Iterable[str] = (), hashes: np.ndarray | None = None) -> None:
        own = np.fromiter((hash(s) for s in strings), dtype=np.int64)
        both = own if hashes is None else np.concatenate([hashes, own])
        self.hashes = np.unique(both)

    def __contains__(self, value: object) -> bool:
        h = hash(value)
        at = int(np.searchsorted(self.hashes, h))
        return at < len(self.hashes) and int(self.hashes[at]) == h

    def holds(self, values: list[str]) -> np.ndarray:
        """Whether each value's `key` is in the set, for many values at once."""
        h = np.fromiter((hash(v) for v in keys(values)), dtype=np.int64, count=len(values))
        at = np.minimum(np.searchsorted(self.hashes, h), max(len(self.hashes) - 1, 0))
        return self.hashes[at] == h if len(self.hashes) else np.zeros(len(h), dtype=bool)

    def __or__(self, more: Iterable[str]) -> Folded:
        return Folded(more, self.hashes)

    def __len__(self) -> int:
        return len(self.hashes)


@dataclass(frozen=True)
class Country:
    alpha_2: str
    alpha_3: str
    names: tuple[str, ...]  # English first, then each of LANGUAGES


def _translator(domain: str, lang: str) -> gettext.NullTranslations:
    import pycountry

    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang], fallback=True)


@functools.cache
def countries() -> tuple[Country, ...]:
    import pycountry

    tr = [_translator("iso3166-1", lang) for lang in LANGUAGES]
    out = []
    for c in pycountry.countries:
        name = getattr(c, "common_name", None) or c.name
        out.append(Country(c.alpha_2, c.alpha_3, (name, *(t.gettext(c.name) for t in tr))))
    return tuple(out)


@functools.cache
def country_by_code() -> dict[str, Country]:
    """Alpha-2 and alpha-3 codes and every name (folded) to its country."""
    import pycountry

    out: dict[str, Country] = {}
    for c, raw in zip(countries(), pycountry.countries, strict=True):
        out[c.alpha_2] = out[c.alpha_3] = c
        for name in (*c.names, raw.name, getattr(raw, "official_name", raw.name)):
            out.setdefault(fold(name), c)
    # Short forms people write that ISO spells otherwise.
    for short, code in (("usa", "US"), ("uk", "GB"), ("england", "GB"), ("russia", "RU")):
        out.setdefault(short, out[code])
    return out


@functools.cache
def currencies() -> tuple[tuple[str, str, str], ...]:
    """(code, English name, first translation) per ISO 4217 currency."""
    import pycountry

    tr = _translator("iso4217", LANGUAGES[0])
    return tuple((c.alpha_3, c.name, tr.gettext(c.name)) for c in pycountry.currencies)


@functools.cache
def languages() -> tuple[tuple[str, str, str, str], ...]:
    """(alpha-2, alpha-3, English name, first translation) per ISO 639-1 language (the 184
    with a two-letter code: the languages a table lists, not the 7,900 of ISO 639-3)."""
    import pycountry

    tr = _translator("iso639-3", LANGUAGES[0])
    return tuple((lang.alpha_2, lang.alpha_3, lang.name, tr.gettext(lang.name))
                 for lang in pycountry.languages if hasattr(lang, "alpha_2"))


@functools.cache
def regions() -> dict[str, tuple[tuple[str, str], ...]]:
    """Per country alpha-2: its ISO 3166-2 subdivisions as (code after the dash, name), top
    level only (states, provinces, län), not their districts, of the country's most common
    type."""
    import pycountry

    found: dict[str, list[tuple[str, str, str]]] = {}
    for s in pycountry.subdivisions:
        if getattr(s, "parent_code", None):
            continue
        found.setdefault(s.country_code, []).append(
            (s.code.split("-", 1)[1], _BRACKET.sub("", s.name), s.type))
    # A country's main kind of region only (the 50 states, not the outlying areas).
    out = {}
    for country, rows in found.items():
        main = Counter(t for _, _, t in rows).most_common(1)[0][0]
        out[country] = tuple((code, name) for code, name, t in rows if t == main)
    return out


@dataclass(frozen=True)
class City:
    name: str
    country: str  # alpha-2
    region: str  # the geonames admin1 code
    population: int


@functools.cache
def cities() -> tuple[City, ...]:
    """Cities of at least 15,000 inhabitants (GeoNames, CC BY 4.0; see data/NOTICE), in the
    order of the shipped file. Names with digits were dropped when it was built."""
    data = resources.files("dbclone.semantic") / "data" / "cities15000.tsv.gz"
    lines = gzip.decompress(data.read_bytes()).decode("utf-8").splitlines()
    # The header is the leading "#" lines only; a city's name may start with anything.
    start = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    out = []
    for line in lines[start:]:
        name, country, region, population = line.split("\t")
        out.append(City(name, country, region, int(population)))
    return tuple(out)


@functools.cache
def cities_by_country() -> dict[str, tuple[City, ...]]:
    out: dict[str, list[City]] = {}
    for c in cities():
        out.setdefault(c.country, []).append(c)
    return {k: tuple(sorted(v, key=lambda c: -c.population)) for k, v in out.items()}


@functools.cache
def city_country() -> dict[str, str]:
    """A city's name (folded) to the country of the largest city so named."""
    out: dict[str, str] = {}
    for c in sorted(cities(), key=lambda c: -c.population):
        out.setdefault(fold(c.name), c.country)
    return out


@functools.cache
def city_names() -> frozenset[str]:
    return frozenset(fold(c.name) for c in cities())


@functools.cache
def city_words() -> tuple[str, ...]:
    """Cities named by one word (Hanoi, Celaya), as written, largest first: words for the
    street names of a column whose streets are named after cities."""
    found = sorted((c for c in cities() if c.name.isalpha()), key=lambda c: -c.population)
    return tuple(dict.fromkeys(c.name for c in found))


@functools.cache
def colours() -> tuple[str, ...]:
    """Colour names Faker knows, in English and Swedish (its locales' colour lists)."""
    from faker import Faker

    out: list[str] = []
    for locale in ("en_US", "sv_SE"):
        provider = getattr(Faker(locale).color_name, "__self__", None)
        out += list(getattr(provider, "all_colors", {}).keys())
        out += list(getattr(provider, "safe_colors", ()))
    return tuple(dict.fromkeys(out))


@functools.cache
def emoji() -> tuple[str, ...]:
    from faker.providers.emoji import Provider

    return tuple(Provider.emojis)


def flag(alpha_2: str) -> str:
    """A country's flag emoji: its code in regional indicator letters."""
    return "".join(chr(0x1F1E6 + ord(ch) - ord("A")) for ch in alpha_2.upper())


@functools.cache
def faker_locale(alpha_2: str) -> str | None:
    """Faker's locale for a country (DE -> de_DE, MX -> es_MX; the first in Faker's sorted
    list where it has several), None where Faker has none."""
    from faker.config import AVAILABLE_LOCALES

    found = sorted(loc for loc in AVAILABLE_LOCALES if loc.endswith("_" + alpha_2.upper()))
    return found[0] if found else None


#: Share of a column's values that must name countries for it to be the table's country.
COUNTRY_SHARE = 0.8


def row_countries(columns: dict[str, list[object]], k: int) -> dict[str, float]:
    """The share of rows per country (alpha-2) of a table, read in its column whose values
    are country names or codes (at least COUNTRY_SHARE of them); countries of fewer than k
    rows left out. Empty where no column names countries."""
    by_code = country_by_code()
    for values in columns.values():
        text = [str(v) for v in values if isinstance(v, str) and v.strip()]
        if not text:
            continue
        found = [by_code.get(v) or by_code.get(fold(v)) for v in text]
        if sum(c is not None for c in found) < COUNTRY_SHARE * len(text):
            continue
        counts = Counter(c.alpha_2 for c in found if c is not None)
        kept = {code: n for code, n in counts.items() if n >= k}
        total = sum(kept.values())
        return {code: n / total for code, n in sorted(kept.items())} if total else {}
    return {}
