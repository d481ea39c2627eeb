"""Rules that tie the columns of one row together, found in the source's rows and applied to
a generated table: a gender column and the first names and personnummer that go with it, a
place and its country, and the exact relations of `relations` (a product, a sibling counter,
a flag decided by another column). A rule is kept only where it holds in the source
(`consistency.HOLDS` of the rows); applying it makes it hold in every generated row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dbclone.semantic import consistency as cons
from dbclone.semantic import prefixes
from dbclone.semantic import reference as ref
from dbclone.semantic import relations as rel

#: Most distinct values of a column that can be a gender.
MAX_GENDERS = 4
#: How strongly a place must decide its country for the pair to be kept together.
PLACE_DEPENDENCY = 0.95
#: In a table of a few rows, the fewest rows a gender value, or the places the public lists
#: know, need for the lists to vouch for a rule on their own (every such row agreeing).
SMALL_LEAST = 3


@dataclass(frozen=True)
class RowRule:
    """kind: ``gender_name`` (columns: name, gender), ``gender_pnr`` (personnummer, gender),
    ``place_country`` (place, country), or a `relations.Relation` kind (target first, then
    operands). params: the gender map as (value, F/M) pairs; per country the places to draw
    (public values, none from the source); a relation's params."""

    kind: str
    columns: tuple[str, ...]
    params: tuple[Any, ...] = ()


def _gender_columns(df: pd.DataFrame, taken: set[str]) -> list[str]:
    out = []
    for c in df.columns:
        if c in taken or df[c].dtype != object:
            continue
        try:
            if 2 <= df[c].nunique() <= MAX_GENDERS:
                out.append(c)
        except TypeError:  # arrays, JSON: no gender
            continue
    return out


def gender_rules(df: pd.DataFrame, kinds: Mapping[str, str], locale: str,
                 small: bool = False) -> list[RowRule]:
    """A gender column learned from the first names it goes with (or from the personnummer's
    gender digit), and the personnummer that must agree with it. `small`: a table of a few
    rows, where a gender value needs only SMALL_LEAST rows, every one of whose names the
    lists give that gender."""
    names = [c for c, k in kinds.items() if k in ("first_name", "full_name") and c in df]
    pnrs = [c for c, k in kinds.items() if k == "personnummer" and c in df]
    out: list[RowRule] = []
    for gender in _gender_columns(df, set(kinds)):
        mapping: dict[object, str] = {}
        for name in names:
            found = cons.gender_map(df[gender], df[name], locale, *(
                (SMALL_LEAST, 1.0) if small else ()))
            if found and _agrees(df[name].map(lambda v: cons.name_gender(v, locale)),
                                 df[gender].map(found)) >= cons.HOLDS:
                mapping = found
                out.append(RowRule("gender_name", (name, gender), tuple(sorted(
                    found.items(), key=lambda kv: str(kv[0])))))
                break
        for pnr in pnrs:
            by_digit = mapping or _pnr_map(df[gender], df[pnr])
            if by_digit and _agrees(df[pnr].map(cons.pnr_gender),
                                    df[gender].map(by_digit)) >= cons.HOLDS:
                out.append(RowRule("gender_pnr", (pnr, gender), tuple(sorted(
                    by_digit.items(), key=lambda kv: str(kv[0])))))
        if mapping or any(r.columns[1] == gender for r in out):
            break
    return out


def _agrees(a: pd.Series, b: pd.Series) -> float:
    both = pd.DataFrame({"a": a, "b": b}).dropna()
    return float((both["a"] == both["b"]).mean()) if len(both) else 0.0


def _pnr_map(genders: pd.Series, pnrs: pd.Series) -> dict[object, str]:
    frame = pd.DataFrame({"g": genders, "p": pnrs.map(cons.pnr_gender)}).dropna()
    out: dict[object, str] = {}
    for value, group in frame.groupby("g"):
        share = (group["p"] == cons.FEMALE).mean()
        if len(group) >= 5 and (share >= cons.HOLDS or share <= 1 - cons.HOLDS):
            out[value] = cons.FEMALE if share >= 0.5 else cons.MALE
    return out if len(set(out.values())) == 2 else {}


def place_rules(df: pd.DataFrame, kinds: Mapping[str, str],
                pools: Callable[[str, str, Sequence[str]], dict[str, tuple[str, ...]]],
                small: bool = False) -> list[RowRule]:
    """A city or region column that its row's country decides in the source: per country
    value, public places of that country (`pools(kind, place column, country values)`).
    `small`: a table of a few rows, where the lists must put every place they know (at least
    SMALL_LEAST) in its row's country."""
    countries = [c for c, k in kinds.items() if k == "country" and c in df]
    out = []
    for place, kind in kinds.items():
        if kind not in ("city", "region") or place not in df:
            continue
        for country in countries:
            if small and cons.listed_agreement(df[place], df[country], SMALL_LEAST) < 1.0:
                continue
            if small or cons.dependency(df[place], df[country]) >= PLACE_DEPENDENCY or \
                    cons.listed_agreement(df[place], df[country]) >= PLACE_DEPENDENCY:
                found = pools(kind, place, df[country].dropna().astype(str).unique().tolist())
                if found:
                    out.append(RowRule("place_country", (place, country),
                                       tuple(sorted(found.items()))))
                break
    return out


#: Rows a relation is looked for in at most (it must then hold in all of them).
DETECT_ROWS = 5000


def relation_rules(df: pd.DataFrame, groups: Sequence[str] = (), flags: Sequence[str] = (),
                   k: int = 5) -> list[RowRule]:
    """Exact relations among the row's columns: arithmetic, counters within each of
    `groups` (FK columns), flags among `flags` decided by one other column. A flag mapped
    from categories is kept only when each of them is held by k rows (its params name them)."""
    sample = df.sample(DETECT_ROWS, random_state=0) if len(df) > DETECT_ROWS else df
    found = rel.find_arithmetic(sample)
    for g in groups:
        found += rel.find_counter(df, g)
    for f in flags:
        flag = rel.find_flag(sample, f)
        if flag is not None and flag.kind == "mapping":
            held = df[flag.operands[0]].value_counts()
            if any(held.get(pair[0], 0) < k for pair in flag.params):  # type: ignore[index]
                continue
        if flag is not None:
            found.append(flag)
    return [RowRule(r.kind, (r.target, *r.operands), r.params) for r in found
            if r.kind == "counter" or rel.holds(df, r)]


# -- applying -----------------------------------------------------------------------------

def apply(frame: pd.DataFrame, rules: Sequence[RowRule], locale: str,
          rng: np.random.Generator, unique: Sequence[str] = ()) -> pd.DataFrame:
    """The generated rows with every rule made to hold (columns in `unique` stay unique)."""
    out = frame.copy()
    for rule in rules:
        if all(c in out for c in rule.columns):
            _APPLY[rule.kind](out, rule, locale, rng, rule.columns[0] in unique)
    return out


def _gender_from_name(df: pd.DataFrame, rule: RowRule, locale: str,
                      rng: np.random.Generator, unique: bool) -> None:
    """The gender follows the name (the row's email was made from the name already)."""
    name, gender = rule.columns
    back: dict[str, object] = {}
    for value, g in rule.params:
        back.setdefault(g, value)
    said = df[name].map(lambda v: cons.name_gender(v, locale) if isinstance(v, str) else None)
    wrong = said.notna() & df[gender].notna() & (df[gender].map(dict(rule.params)) != said)
    df.loc[wrong, gender] = said[wrong].map(back)


def _pnr_from_gender(df: pd.DataFrame, rule: RowRule, locale: str,
                     rng: np.random.Generator, unique: bool) -> None:
    """The personnummer's gender digit follows the gender; birth date and validity kept."""
    pnr, gender = rule.columns
    want = df[gender].map(dict(rule.params))
    taken = set(df[pnr].dropna().astype(str))
    values = df[pnr].to_numpy(dtype=object).copy()
    for i, (p, g) in enumerate(zip(values, want, strict=True)):
        if not isinstance(p, str) or g not in (cons.FEMALE, cons.MALE) or \
                cons.pnr_gender(p) == g:
            continue
        new = cons.with_gender(p, g, taken if unique else None)
        taken.discard(p)
        taken.add(new)
        values[i] = new
    df[pnr] = values


def _place_from_country(df: pd.DataFrame, rule: RowRule, locale: str,
                        rng: np.random.Generator, unique: bool) -> None:
    place, country = rule.columns
    pools: dict[str, tuple[str, ...]] = dict(rule.params)
    by_name = ref.city_country()
    codes = ref.country_by_code()
    values = df[place].to_numpy(dtype=object).copy()
    for i, (p, c) in enumerate(zip(values, df[country], strict=True)):
        pool = pools.get(str(c))
        if not pool or p is None:
            continue
        known = codes.get(str(c)) or codes.get(ref.fold(str(c)))
        where = by_name.get(ref.fold(str(p)))
        # A place the lists put in another country moves; one they do not know (a local
        # spelling, München) stays, as the source had it.
        if known is None or where is None or where == known.alpha_2:
            continue
        # Of the country's places, one about as long as the value drawn (its length came
        # from the row's latent score).
        size = len(str(p))
        near = sorted(pool, key=lambda v: abs(len(v) - size))[:3]
        values[i] = near[int(rng.integers(0, len(near)))]
    df[place] = values


def _prefix_by(df: pd.DataFrame, rule: RowRule, locale: str, rng: np.random.Generator,
               unique: bool) -> None:
    """A phone, postcode or IP address drawn again from the beginnings of its row's group
    (`prefixes.fit_by`); a column that must stay unique keeps its values."""
    if unique:
        return
    value, by = rule.columns
    provider, *groups = rule.params
    df[value] = prefixes.redraw_by(df[value].tolist(), df[by].tolist(), groups, rng,
                                   prefixes.VALID.get(str(provider)))


def _arithmetic(df: pd.DataFrame, rule: RowRule, locale: str, rng: np.random.Generator,
                unique: bool) -> None:
    r = rel.Relation(rule.kind, rule.columns[0], rule.columns[1:], rule.params)
    got = rel.apply_arithmetic(r, df)
    # A row missing an operand (a NULL, a parent not found) keeps its drawn value.
    df[r.target] = np.where(np.isfinite(got), got, df[r.target].to_numpy(dtype=float))


def _counter(df: pd.DataFrame, rule: RowRule, locale: str, rng: np.random.Generator,
             unique: bool) -> None:
    target, group = rule.columns[:2]
    df[target] = rel.apply_counter(df[group].to_numpy())


def _flag(df: pd.DataFrame, rule: RowRule, locale: str, rng: np.random.Generator,
          unique: bool) -> None:
    r = rel.Relation(rule.kind, rule.columns[0], rule.columns[1:], rule.params)
    x = df[r.operands[0]]
    known = x.notna().to_numpy()  # a row without the number keeps its own category
    df.loc[known, r.target] = rel.apply_flag(r, x[known])


def _split(df: pd.DataFrame, rule: RowRule, locale: str, rng: np.random.Generator,
           unique: bool) -> None:
    r = rel.Relation(rule.kind, rule.columns[0], rule.columns[1:], rule.params)
    x = df[r.operands[0]]
    known = x.notna().to_numpy()  # a row without the number keeps its own category
    df.loc[known, r.target] = rel.apply_split(r, x[known], df.loc[known, r.target], rng)


def _null_flag(df: pd.DataFrame, rule: RowRule, locale: str, rng: np.random.Generator,
               unique: bool) -> None:
    r = rel.Relation(rule.kind, rule.columns[0], rule.columns[1:], rule.params)
    df[r.target] = rel.apply_null_flag(r, df[r.target], df[r.operands[0]], rng)


def _null_by_flag(df: pd.DataFrame, rule: RowRule, locale: str, rng: np.random.Generator,
                  unique: bool) -> None:
    r = rel.Relation(rule.kind, rule.columns[0], rule.columns[1:], rule.params)
    df[r.target] = rel.apply_null_by_flag(r, df[r.target], df[r.operands[0]], rng)


_APPLY: dict[str, Callable[[pd.DataFrame, RowRule, str, np.random.Generator, bool], None]] = {
    "gender_name": _gender_from_name, "gender_pnr": _pnr_from_gender,
    "place_country": _place_from_country, "prefix_by": _prefix_by, "product": _arithmetic,
    "sum": _arithmetic, "difference": _arithmetic, "counter": _counter, "threshold": _flag,
    "mapping": _flag, "split": _split, "null_flag": _null_flag, "null_by_flag": _null_by_flag,
}
