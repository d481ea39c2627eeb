"""The k-owners rule, in one place: a value is kept only when at least k of the people the
rows are about hold it (`entities` says who they are; `owners_needed` how many are needed, k
or every owner when there are fewer), and rare categories' synthetic stand-ins (values absent
from the source, with the rare values' share).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dbclone.schema import Column, Table
from dbclone.source import key_codes
from dbclone.synth import pii
from dbclone.synth.columns.shaped import shape_of, shape_regex
from dbclone.synth.model import FKModel
from dbclone.synth.strgen import Pattern

if TYPE_CHECKING:
    from dbclone.synth.context import FitContext


def entities(table: Table, df: pd.DataFrame, driver: FKModel | None,
             skip: set[str]) -> pd.Series | None:
    """Who each row is about, for the rare-category rule (None: each row is its own).

    A table with personal data of its own (a customer's name) describes its rows' people,
    whoever drives it (customers served by three sales reps are still 59 customers). A
    table without (invoices, order lines, whose billing address only repeats the customer's)
    describes its driving parent: one customer's seven invoices in Oslo are one person in
    Oslo, not seven."""
    if driver is None or not len(df):
        return None
    for col in table.columns:
        if col.kind in ("string", "text") and col.name not in skip \
                and col.name not in table.primary_key:
            values = df[col.name].dropna().astype(str).head(500).tolist()
            if pii.detect(col.name, values) is not None:
                return None
    return pd.Series(key_codes(df, list(driver.columns), null_is_value=True), index=df.index)


def holders(df: pd.DataFrame, driver: FKModel | None) -> pd.Series | None:
    """Who holds each row's personal values, for keeping a whole one (a postcode k
    households share, a company's bank giro): the driving parent where there is one, even in
    a table with personal data of its own (one customer's 40 payments to one account, one
    caseworker's 200 logins from one address are one owner), else the row itself (None)."""
    if driver is None or not len(df):
        return None
    return pd.Series(key_codes(df, list(driver.columns), null_is_value=True), index=df.index)


def owners_needed(k: int, owners: pd.Series | None) -> int:
    """Distinct owners a value must have: k, or every owner when there are fewer than k."""
    return min(k, owners.nunique()) if owners is not None else k


def distinct_owners(ctx: FitContext, values: pd.Series,
                    keys: list[object] | np.ndarray) -> dict[object, int]:
    """Per category, how many distinct driving parents hold it (empty for root tables)."""
    if ctx.owners is None:
        return {}
    owners = ctx.owners.loc[values.index].to_numpy()
    frame = pd.DataFrame({"v": pd.Series(keys, dtype=object).astype(str), "o": owners})
    per = frame.groupby("v")["o"].nunique()
    return {key: int(per.get(str(key), 0)) for key in set(keys)}


#: Synthetic stand-ins per column at most; rarer values beyond share them.
MAX_STAND_INS = 50


#: Faker values a quasi-identifier's stand-ins are chosen from.
STAND_IN_POOL = 400


def stand_in_slots(ctx: FitContext, col: Column,
                   rare: list[tuple[object, int]]) -> dict[object, int]:
    """Rare text categories each get a synthetic stand-in slot (the long tail keeps its
    size and shape, never its values). Not for numbers, nor where a CHECK names the column
    (a stand-in could break it)."""
    if not rare or col.kind not in ("string", "text") or col.enum_values:
        return {}
    table = ctx.table
    checks = " ".join(c.sqltext for c in table.checks).lower() if table is not None else ""
    if col.name.lower() in checks:
        return {}
    return {v: i % MAX_STAND_INS for i, (v, _) in enumerate(rare)}


#: Values of a common value's shape tried for a stand-in before a common value is taken.
MAX_SHAPE_TRIES = 1000


def draw_stand_ins(ctx: FitContext, provider: str | None, common: list[str], source: set[str],
                   n: int, length: int | None, kind: list[str] | None = None) -> list[str]:
    """n synthetic values none of which occurs in the source column: values of the column's
    recognised kind (`kind`: public countries, cities, phrase-model titles), else Faker's for
    a quasi-identifier (countries, regions), else new combinations of the common values'
    words, else a common value's shape with new characters."""
    taken = set(source)
    pool: list[str] = [v for v in dict.fromkeys(kind or []) if v not in taken]
    if not pool and provider and n and ctx.fake is not None:
        # A few hundred Faker values hold far more than the MAX_STAND_INS needed (all 50
        # US states, most of the 243 countries).
        pool = [v for v in dict.fromkeys(ctx.fake.pool(provider, STAND_IN_POOL))
                if v not in taken]
    words = sorted({w for v in common for w in v.split()})
    sizes = [len(v.split()) for v in common]
    rng = ctx.rng
    out: list[str] = []
    for _ in range(n):
        value = pool.pop(int(rng.integers(0, len(pool)))) if pool else None
        for _ in range(20):
            if value is not None and value not in taken:
                break
            size = sizes[int(rng.integers(0, len(sizes)))]
            value = " ".join(words[int(rng.integers(0, len(words)))] for _ in range(size))
        for _ in range(MAX_SHAPE_TRIES):
            if value is not None and value not in taken:
                break
            shape = shape_of(common[int(rng.integers(0, len(common)))])
            value = Pattern(shape_regex(shape)).generate(rng)
        else:  # every value of the common values' shapes is taken (one letter, one digit):
            # the rare values' share goes to a common value rather than looping for ever
            value = common[int(rng.integers(0, len(common)))]
        value = value[:length] if length else value
        taken.add(value)
        out.append(value)
    return out


def shaped_stand_ins(ctx: FitContext, rare: list[str], source: set[str], n: int,
                     length: int | None, kind: list[str] | None = None) -> list[str]:
    """n stand-ins where no value is common: values of the column's recognised kind, else
    each rare value's character-class shape with new characters (its words are never
    reused: no common value vouches for them)."""
    taken = set(source)
    pool = [v for v in dict.fromkeys(kind or []) if v not in taken]
    out: list[str] = []
    for i in range(n):
        made = pool.pop(int(ctx.rng.integers(0, len(pool)))) if pool else \
            _new_of_shape(ctx, rare[i % len(rare)], taken, length)
        if made in source:  # every value of a tiny shape is the source's: share a stand-in
            if not out:
                return []
            made = out[-1]
        taken.add(made)
        out.append(made)
    return out


def _new_of_shape(ctx: FitContext, value: str, taken: set[str], length: int | None) -> str:
    """A value of `value`'s character-class shape with new characters, not in `taken`."""
    pattern = Pattern(shape_regex(shape_of(value)))
    made = value
    for _ in range(MAX_SHAPE_TRIES):
        made = pattern.generate(ctx.rng)
        if made not in taken:
            break
    made = made[:length] if length else made
    taken.add(made)
    return made


def slot_counts(rare: list[tuple[object, int]], slot: dict[object, int]) -> list[int]:
    out = [0] * (max(slot.values()) + 1 if slot else 0)
    for v, c in rare:
        if v in slot:
            out[slot[v]] += c
    return out
