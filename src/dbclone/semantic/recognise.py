"""Which kind of non-personal text a column holds (a city, a country code, a product name...):
from the values first (their share in a public reference list, or a shape such as a URL or
an emoji), then from the column's name tokens in English and Swedish, read with the table's
name where the column is only called ``name`` or ``title``. General rules only: nothing here
names a particular database's tables or columns.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dbclone.semantic import reference as ref

#: Share of a column's distinct values that must belong to a reference list for the values
#: alone to decide its kind; city lists are the least complete, so they need less.
MEMBER_SHARE = 0.8
CITY_SHARE = 0.6
SHAPE_SHARE = 0.9
#: Fewest distinct values for the values to decide at all.
MIN_DISTINCT = 4
#: Longest value looked up in the reference lists (their longest names are shorter).
LISTED_LENGTH = 80


@dataclass(frozen=True)
class Semantic:
    """A column's kind of text. style: the form values take within the kind (``alpha2``,
    ``alpha3``, ``name``, ``flag``, ``code``); reason: why, for `dbclone inspect`."""

    kind: str
    style: str = "name"
    reason: str = ""


# -- values -------------------------------------------------------------------------------

_URL = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)
_CODEPOINT = re.compile(r"^U\+[0-9A-F]{4,6}$")
_EXTENSION = re.compile(r"^(x|ext\.?|anKn\.?)?\s?\d{1,6}$", re.IGNORECASE)
_UPPER = re.compile(r"^[A-Z]{2,5}$")


def _is_emoji(value: str) -> bool:
    chars = [c for c in value if c not in "\u200d\ufe0f "]
    return bool(chars) and all(unicodedata.category(c) in ("So", "Sk", "Mn") or
                               0x1F000 <= ord(c) <= 0x1FAFF for c in chars)


def _is_flag(value: str) -> bool:
    return len(value) == 2 and all(0x1F1E6 <= ord(c) <= 0x1F1FF for c in value)


def _share(values: Sequence[str], test: Callable[[str], bool]) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


@functools.cache
def _membership() -> tuple[tuple[str, str, frozenset[str], bool], ...]:
    """(kind, style, members, case-sensitive) per reference list."""
    by_code = ref.country_by_code()
    langs = ref.languages()
    return (
        ("country", "alpha2", frozenset(c.alpha_2 for c in ref.countries()), True),
        ("country", "alpha3", frozenset(c.alpha_3 for c in ref.countries()), True),
        ("currency", "code", frozenset(c[0] for c in ref.currencies()), True),
        ("language", "alpha2", frozenset(lang[0] for lang in langs), False),
        ("language", "alpha3", frozenset(lang[1] for lang in langs), False),
        ("country", "name", frozenset(k for k in by_code if len(k) > 3), False),
        ("currency", "name", frozenset(ref.fold(n) for c in ref.currencies() for n in c[1:]),
         False),
        ("language", "name", frozenset(ref.fold(n) for lang in langs for n in lang[2:]), False),
        ("region", "name", frozenset(ref.fold(n) for rs in ref.regions().values()
                                     for _, n in rs), False),
        ("colour", "name", frozenset(ref.fold(c) for c in ref.colours()), False),
    )


def from_values(values: Sequence[str]) -> Semantic | None:
    """The kind the distinct values alone show, or None."""
    distinct = sorted({v.strip() for v in values if isinstance(v, str) and v.strip()})
    if len(distinct) < MIN_DISTINCT:
        return None
    shapes: tuple[tuple[str, str, Callable[[str], object]], ...] = (
        ("url", "url", _URL.match), ("emoji", "flag", _is_flag), ("emoji", "emoji", _is_emoji),
        ("codepoint", "code", _CODEPOINT.match))
    for kind, style, test in shapes:
        share = sum(1 for v in distinct if test(v)) / len(distinct)
        if share >= SHAPE_SHARE:
            return Semantic(kind, style, f"{share:.0%} of values are {kind}s")
    # No listed name is this long: prose and long titles are not looked up (nor folded, the
    # cost of a fit's recognition on a column of descriptions).
    short = [v for v in distinct if len(v) <= LISTED_LENGTH]
    if len(short) < min(MEMBER_SHARE, CITY_SHARE) * len(distinct):
        return None
    folded = [ref.fold(v) for v in short]
    best: tuple[float, str, str] = (0.0, "", "")
    for kind, style, members, exact in _membership():
        share = sum(1 for v in (short if exact else folded) if v in members) / len(distinct)
        if share > best[0]:
            best = (share, kind, style)
    share, kind, style = best
    if share >= MEMBER_SHARE:
        return Semantic(kind, style, f"{share:.0%} of values are {kind} {style}s (ISO lists)")
    names = ref.city_names()
    cities = sum(1 for v in folded if v in names) / len(distinct)
    if cities >= CITY_SHARE:
        return Semantic("city", "name", f"{cities:.0%} of values are city names (geonames)")
    return None


# -- names --------------------------------------------------------------------------------

#: kind -> column-name tokens (folded, English and Swedish).
NAME_TOKENS: dict[str, tuple[str, ...]] = {
    "city": ("city", "town", "ort", "postort", "stad", "municipality", "kommun", "kommunnamn",
             "ortnamn"),
    "country": ("country", "land", "nation", "countries"),
    "region": ("state", "province", "region", "county", "lan", "territory", "district",
               "landskap", "delstat"),
    "postcode": ("postal", "postcode", "zip", "zipcode", "postnummer", "postnr"),
    "language": ("language", "lang", "sprak", "languages", "locale"),
    "currency": ("currency", "valuta", "curr"),
    "company": ("company", "companyname", "foretag", "foretagsnamn", "supplier", "vendor",
                "leverantor", "manufacturer", "tillverkare", "publisher", "forlag", "employer",
                "arbetsgivare", "organisation", "organization", "firm", "carrier", "shipper",
                "bolag", "customer_company"),
    "product": ("product", "produkt", "item", "artikel", "vara", "varunamn", "productname"),
    "work_title": ("album", "song", "track", "film", "movie", "book", "bok", "episode",
                   "show", "playlist", "title", "titel"),
    # People named by their role: a person's full name (personal data).
    "person": ("composer", "author", "artist", "director", "actor", "writer", "singer",
               "performer", "head", "leader", "chairman", "president", "forfattare",
               "kompositor", "konstnar", "regissor"),
    "job": ("job", "jobtitle", "occupation", "yrke", "befattning", "tjanst", "roll",
            "position"),
    "colour": ("color", "colour", "farg"),
    "extension": ("extension", "ext", "anknytning"),
    "url": ("url", "website", "homepage", "webpage", "web", "link", "href", "webbplats",
            "hemsida", "uri"),
    "emoji": ("emoji", "icon", "flag", "flagga", "symbol"),
    "code": ("iata", "icao", "airport", "flygplats"),
}
#: A table about people: a ``title`` there is a job title, elsewhere a work's.
PERSON_TABLES = ("employee", "employees", "staff", "person", "personal", "anstalld", "user",
                 "users", "contact", "customer", "kund", "member", "medlem", "worker",
                 "handlaggare", "agent", "people")
_GENERIC = ("name", "namn", "title", "titel")
#: Words of a column naming the person a title belongs to (contact_title: a job title).
PERSON_WORDS = ("contact", "employee", "staff", "person", "kontakt", "anstalld")
#: Share of distinct values below which titles repeat like job titles (a work's title is
#: nearly unique to it).
REPEATED = 0.5


def tokens(name: str) -> list[str]:
    """A column or table name's words, folded (``ShipCity`` -> ship, city)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


def _kind_of_token(word: str) -> str | None:
    for kind, names in NAME_TOKENS.items():
        if word in names:
            return kind
    # Swedish compounds: "leveransland", "fakturaort", "varunamn", "produktnamn"
    for kind, names in NAME_TOKENS.items():
        if any(len(n) >= 4 and word.endswith(n) and len(word) > len(n) + 2 for n in names):
            return kind
    return None


def from_name(column: str, table: str = "") -> Semantic | None:
    """The kind the column's name says, the table's name deciding for a bare ``name`` or
    ``title`` (``album.title``: a work's title; ``employee.title``: a job title)."""
    words = _head(tokens(column))
    table_words = tokens(table)
    # The last word naming a kind wins ("country_code" is a country, "city_name" a city).
    for word in reversed(words):
        kind = _kind_of_token(word)
        if kind is None:
            continue
        if word in ("title", "titel"):
            people = [p.rstrip("s") for p in (*PERSON_TABLES, *PERSON_WORDS)]
            kind = "job" if any(t.rstrip("s") in people for t in table_words + words) \
                else "work_title"
        return Semantic(kind, "name", f"column name {column!r}")
    if words and words[-1] in _GENERIC:
        for word in reversed(table_words):
            kind = _kind_of_token(word) or _kind_of_token(word.rstrip("s"))
            if kind is not None and kind not in ("extension", "url", "emoji"):
                return Semantic(kind, "name", f"{column!r} of table {table!r}")
    return None


def _head(words: list[str]) -> list[str]:
    """In "X of Y" the kind is X's (head_of_state is a person), unless X only says "name"
    (name_of_city is a city)."""
    if "of" not in words:
        return words
    at = words.index("of")
    before, after = words[:at], words[at + 1:]
    return after if before and all(w in _GENERIC for w in before) else before


@functools.cache
def _region_names() -> frozenset[str]:
    return frozenset(ref.fold(n) for rs in ref.regions().values() for _, n in rs)


def _one_name_each(sample: list[str]) -> bool:
    """Values that are one person's name each: few words, no list separators."""
    if not sample:
        return False
    single = _share(sample, lambda v: len(v.split()) <= 4 and not any(c in v for c in ",/&;"))
    return single >= SHAPE_SHARE


def _region_like(sample: list[str]) -> bool:
    """Values a region list holds in part, or codes (a region column of invented districts
    is better served by its own words than by a country's real provinces)."""
    if _share(sample, lambda v: bool(_UPPER.match(v))) >= SHAPE_SHARE:
        return True
    names = _region_names()
    distinct = {ref.fold(v) for v in sample}
    return bool(distinct) and sum(v in names for v in distinct) / len(distinct) >= 0.3


_STYLE_BY_SHAPE = {2: "alpha2", 3: "alpha3"}
#: Kinds whose values have a shape of their own: a column named for one must hold values of
#: that shape (the name says too little: "flag" is as often a status letter as an emoji).
#: (test, share of values that must pass).
_SHAPES: dict[str, tuple[Callable[[str], bool], float]] = {
    "extension": (lambda v: bool(_EXTENSION.match(v)), 0.8),
    "emoji": (lambda v: _is_emoji(v) or _is_flag(v), SHAPE_SHARE),
}


def recognise(column: str, table: str, values: Sequence[str]) -> Semantic | None:
    """The column's kind: the values' own evidence first (a list holding most of them),
    then the name, with the style (codes or names) read off the values."""
    found = from_values(values)
    named = from_name(column, table)
    if found is not None:
        # Two-letter codes are both countries and languages: the name decides between them.
        if named is not None and named.kind in ("country", "language") and \
                found.kind in ("country", "language") and found.style != "name":
            return Semantic(named.kind, found.style, found.reason + f"; {named.reason}")
        return found
    if named is None:
        return None
    sample = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if named.kind == "person" and not _one_name_each(sample):
        return None  # lists of names (composers of a song): not one person's name
    works = any(_kind_of_token(w) == "work_title" for w in tokens(table))
    if named.kind == "work_title" and not works and sample and \
            len(set(sample)) < REPEATED * len(sample):
        named = Semantic("job", named.style, named.reason + "; titles repeat")
    digits = _share(sample, lambda v: v.replace(" ", "").replace("-", "").isdigit())
    if digits >= SHAPE_SHARE and named.kind not in ("extension", "postcode"):
        return None  # ids and numbers in text: a code, not a name
    if named.kind == "region" and not _region_like(sample):
        return Semantic("phrases", "name", named.reason + "; no region list holds them")
    shape = _SHAPES.get(named.kind)
    if shape is not None and _share(sample, shape[0]) < shape[1]:
        # A kind with a shape of its own is never the name's word alone: a "returnflag" of
        # letters (A, N, R) is a status code, not emoji.
        return None
    if named.kind in ("country", "language", "region", "currency", "code") and sample and \
            _share(sample, lambda v: bool(_UPPER.match(v))) >= SHAPE_SHARE:
        lengths = {len(v) for v in sample}
        style = _STYLE_BY_SHAPE.get(len(lengths) == 1 and lengths.pop() or 0, "code")
        return Semantic(named.kind, style, named.reason + "; upper-case codes")
    return named
