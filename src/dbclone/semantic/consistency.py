"""Consistency within a row: which columns go together (learned from the source as the
strength of a functional dependency between two columns), and the rules that tie a person's
first name, gender and Swedish personnummer (its ninth digit is odd for men, even for women;
its first six its birth date) — so a clone's Maria is a woman with an even gender digit.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from dbclone.synth.pii import check_digit

FEMALE, MALE = "F", "M"
#: Share of rows a rule must hold in, in the source, for the clone to keep it in every row.
HOLDS = 0.99


def dependency(a: pd.Series, b: pd.Series) -> float:
    """How far b is a function of a: the share of rows (both set) whose b is the most
    common b for their a, above what b's own mode gives (0 = no dependency, 1 = b follows
    from a). Symmetric tests miss the direction: a city gives its country, not the reverse."""
    both = pd.DataFrame({"a": a, "b": b}).dropna()
    if len(both) == 0 or both["a"].nunique() >= len(both):
        return 0.0
    hits = both.groupby("a")["b"].agg(lambda s: s.value_counts().iloc[0]).sum() / len(both)
    base = both["b"].value_counts().iloc[0] / len(both)
    return float((hits - base) / (1 - base)) if base < 1 else 0.0


#: Fewest rows whose place the public lists know for them to vouch for a place's country.
LISTED_ROWS = 10


def listed_agreement(places: pd.Series, countries: pd.Series, least: int = LISTED_ROWS) -> float:
    """The share of rows, among those whose place the public lists (GeoNames) know and whose
    country is a country, where the lists put the place in the row's country (0 when fewer
    than LISTED_ROWS such rows). Evidence that a place column follows the country even
    where each place is held by one row only (29 suppliers in 29 cities), which
    `dependency` cannot see."""
    from dbclone.semantic import reference as ref

    codes, where = ref.country_by_code(), ref.city_country()
    both = pd.DataFrame({"p": places, "c": countries}).dropna()
    home = both["c"].astype(str).map(
        lambda v: getattr(codes.get(v) or codes.get(ref.fold(v)), "alpha_2", None))
    listed = both["p"].astype(str).map(lambda v: where.get(ref.fold(v)))
    known = home.notna() & listed.notna()
    if known.sum() < least:
        return 0.0
    return float((home[known] == listed[known]).mean())


@functools.cache
def _first_names(locale: str) -> tuple[frozenset[str], frozenset[str]]:
    """(female, male) first names Faker knows for the locale, and for English besides."""
    female: set[str] = set()
    male: set[str] = set()
    for name in dict.fromkeys((locale, "en_US")):
        try:
            person = importlib.import_module(f"faker.providers.person.{name}").Provider
        except ImportError:
            continue
        female |= {n.lower() for n in getattr(person, "first_names_female", ())}
        male |= {n.lower() for n in getattr(person, "first_names_male", ())}
    return frozenset(female - male), frozenset(male - female)


def name_gender(name: str, locale: str) -> str | None:
    """F or M for a first name Faker lists for one gender only; None otherwise."""
    female, male = _first_names(locale)
    first = str(name).split()[0].lower() if str(name).split() else ""
    return FEMALE if first in female else MALE if first in male else None


def gender_map(genders: pd.Series, names: pd.Series, locale: str, least: int = 5,
               clear: float = 0.9) -> dict[object, str]:
    """Each value of a gender column (whatever its spelling: M/F, K/M, 1/2, man/kvinna)
    mapped to F or M by the first names it goes with in the source (`least` rows of it at
    least, a share `clear` of one gender); values whose names are not clearly of one gender
    stay unmapped."""
    found = pd.DataFrame({"g": genders, "n": names.map(lambda v: name_gender(v, locale))})
    found = found.dropna()
    out: dict[object, str] = {}
    for value, group in found.groupby("g"):
        share = (group["n"] == FEMALE).mean()
        if len(group) >= least and (share >= clear or share <= 1 - clear):
            out[value] = FEMALE if share >= clear else MALE
    return out if len(set(out.values())) == 2 else {}


def names_for(genders: Sequence[str | None], locale: str,
              rng: np.random.Generator) -> list[str | None]:
    """A first name of each row's gender (None where the gender is unknown)."""
    female, male = (sorted(s) for s in _first_names(locale))
    out: list[str | None] = []
    for g in genders:
        pool = female if g == FEMALE else male if g == MALE else None
        out.append(pool[int(rng.integers(0, len(pool)))].title() if pool else None)
    return out


# -- personnummer -------------------------------------------------------------------------

def _digits(pnr: str) -> str:
    d = "".join(ch for ch in str(pnr) if ch.isdigit())
    return d[-10:] if len(d) >= 10 else ""


def pnr_gender(pnr: str) -> str | None:
    d = _digits(pnr)
    return (MALE if int(d[8]) % 2 else FEMALE) if d else None


def pnr_birth(pnr: str) -> dt.date | None:
    """The birth date a personnummer states (century from the long form, else the latest
    century that is not in the future; a '+' marks a person over a hundred)."""
    text = str(pnr)
    digits = "".join(ch for ch in text if ch.isdigit())
    try:
        if len(digits) >= 12:
            return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]) % 60)
        yy, mm, dd = int(digits[:2]), int(digits[2:4]), int(digits[4:6]) % 60
        year = 2000 + yy if 2000 + yy <= dt.date.today().year else 1900 + yy
        if "+" in text:
            year -= 100
        return dt.date(year, mm, dd)
    except (ValueError, IndexError):
        return None


def with_gender(pnr: str, gender: str | None, taken: set[str] | None = None) -> str:
    """The personnummer with its gender digit set to the gender (the nearest digit of the
    right parity not giving a number in `taken`) and its check digit recomputed; the rest,
    separators included, kept."""
    d = _digits(pnr)
    if not d or gender not in (FEMALE, MALE) or pnr_gender(pnr) == gender:
        return pnr
    digit = int(d[8])
    new = pnr
    for step in (1, -1, 3, -3, 5, -5, 7, -7, 9, -9):
        if not 0 <= digit + step <= 9:
            continue
        nine = d[:8] + str(digit + step)
        new = _put(str(pnr), nine + check_digit(nine))
        if taken is None or new not in taken:
            return new
    return new


def _put(text: str, digits: str) -> str:
    """`text` with its last ten digits replaced by `digits`."""
    positions = [i for i, ch in enumerate(text) if ch.isdigit()][-10:]
    chars = list(text)
    for pos, ch in zip(positions, digits, strict=True):
        chars[pos] = ch
    return "".join(chars)


def rule_share(left: pd.Series, right: pd.Series, agree: object) -> float:
    """Share of rows (both set) in which `agree(left, right)` holds."""
    both = pd.DataFrame({"l": left, "r": right}).dropna()
    if both.empty:
        return 0.0
    return float(np.mean([bool(agree(x, y)) for x, y in zip(both["l"], both["r"],  # type: ignore[operator]
                                                              strict=True)]))
