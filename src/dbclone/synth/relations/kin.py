"""A category kept within a family: a child column whose values repeat among the children of
one driving parent far more than independent draws would have them (a caseworker's cases
nearly all in one category; an album's tracks in one genre). Found per column from the
source's families, kept as a `RowRule` (kind ``family_values``, columns: the category, the
FK's column; params: whether its joint partners vary within a family (`partners_vary`),
then per size band of families the source's counts of families with 1, 2, ... distinct
values). Generated after the rows' own draws: each clone family draws
how many distinct values it has from its band and keeps that many of its own drawn values;
its other rows take the whole row of categories (a joint category's partners too) of a row
of the chunk holding a kept value, so partners still vary as they do given the category.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dbclone.semantic.rows import RowRule
from dbclone.source import key_codes
from dbclone.synth.model import ColumnModel, FKModel
from dbclone.synth.state import SampleState
from dbclone.synth.tables import Columns

KIND = "family_values"
#: Share of the way from independent draws (expected distinct values per family) to one
#: value per family the source's families must go for the column to be kept per family.
KIN_SHARE = 0.5
#: Fewest families of two rows or more the source must show.
MIN_FAMILIES = 10
#: Most distinct values per family counted apart (more count as this many).
MAX_DISTINCT = 12


def _band(size: int) -> int:
    """A family's size band: 2, 3-4, 5-8, 9-16, ... (its lower bound's log2)."""
    return int(np.ceil(np.log2(size)))


def find(df: pd.DataFrame, columns: Sequence[ColumnModel],
         driver: FKModel | None) -> list[RowRule]:
    """The categorical columns (a joint category's head included) whose families share
    values at least KIN_SHARE of the way from independence to one value each."""
    if driver is None or len(driver.columns) != 1 or driver.columns[0] not in df:
        return []
    fk = driver.columns[0]
    known = df[fk].notna().to_numpy()
    if known.sum() < 20:
        return []
    groups = key_codes(df.loc[known], [fk], null_is_value=True)
    sizes = np.bincount(groups)
    if int((sizes >= 2).sum()) < MIN_FAMILIES:
        return []
    out = []
    for cm in columns:
        if cm.strategy != "categorical" or cm.name not in df or len(cm.values) < 2:
            continue
        bands = _sharing(groups, sizes, df.loc[known, cm.name])
        if bands is None:
            continue
        # A joint category's partners that do not repeat within the family on their own
        # (a case's referral source, where its category does) vary row by row; partners
        # that do (an album's tracks keep media type, genre and price together) stay shared.
        vary = any(_sharing(groups, sizes, df.loc[known, p]) is None
                   for p in cm.joint if p in df)
        out.append(RowRule(KIND, (cm.name, fk), (vary, *bands)))
    return out


def partners_vary(rule: RowRule) -> bool:
    """Whether the rule's column is drawn row by row (its partners vary within a family)
    and only the rule keeps it per family, or its family shares its latent score as well."""
    return bool(rule.params[0])


def _sharing(groups: np.ndarray, sizes: np.ndarray,
             values: pd.Series) -> tuple[list[int], ...] | None:
    codes = pd.factorize(values, use_na_sentinel=False)[0]
    p = np.bincount(codes) / len(codes)
    pairs = np.unique(groups * (int(codes.max()) + 1) + codes)
    distinct = np.bincount(pairs // (int(codes.max()) + 1), minlength=len(sizes))
    fam = sizes >= 2
    m = sizes[fam]
    # E[distinct] of m independent draws: sum over values of 1 - (1 - p)^m
    expected = (1.0 - (1.0 - p[None, :]) ** m[:, None]).sum(axis=1)
    gap = float((expected - 1.0).sum())
    if gap <= 0 or float((expected - distinct[fam]).sum()) < KIN_SHARE * gap:
        return None
    bands: dict[int, list[int]] = {}
    for size, k in zip(m, distinct[fam], strict=True):
        row = bands.setdefault(_band(int(size)), [0] * MAX_DISTINCT)
        row[min(int(k), MAX_DISTINCT) - 1] += 1
    return tuple([b, *row] for b, row in sorted(bands.items()))


def apply(st: SampleState, rules: Sequence[RowRule], data: Columns,
          partners: dict[str, tuple[str, ...]]) -> None:
    """Keep each rule's column to its family's drawn number of distinct values (in place)."""
    for rule in rules:
        if rule.kind != KIND:
            continue
        name, fk = rule.columns
        if name not in data or fk not in data:
            continue
        _keep(st.rng, rule.params[1:], data, (name, *partners.get(name, ())), fk,
              partners_vary(rule))


def _keep(rng: np.random.Generator, params: Sequence[Sequence[int]], data: Columns,
          moved: tuple[str, ...], fk: str, anywhere: bool) -> None:
    """A stray row takes the categories of a row holding a kept value: of the chunk when
    the partners vary (`anywhere`), else of its own family (the partners it shares)."""
    keys = pd.Series(list(data[fk]), dtype=object)
    ok = keys.notna().to_numpy()
    if ok.sum() < 2:
        return
    fam = np.full(len(keys), -1)
    fam[ok] = pd.factorize(keys[ok])[0]
    codes = pd.factorize(pd.Series(list(data[moved[0]]), dtype=object),
                         use_na_sentinel=False)[0]
    donors = [np.flatnonzero(codes == c) for c in range(int(codes.max()) + 1)]
    bands = {int(row[0]): np.asarray(row[1:], dtype=float) for row in params}
    order = np.argsort(fam, kind="stable")
    starts = np.searchsorted(fam[order], np.arange(int(fam.max()) + 1))
    ends = np.append(starts[1:], len(order))
    take = np.arange(len(keys))  # the row whose categories each row takes
    for f in range(len(starts)):
        rows = order[starts[f]:ends[f]]
        if len(rows) < 2:
            continue
        kept = _kept_values(rng, codes[rows], _distinct(rng, bands, len(rows)))
        stray = rows[~np.isin(codes[rows], kept)]
        if not len(stray):
            continue
        weights = np.asarray([(codes[rows] == c).sum() for c in kept], dtype=float)
        chosen = rng.choice(kept, size=len(stray), p=weights / weights.sum())
        for c in np.unique(chosen):
            at = stray[chosen == c]
            pool = donors[c] if anywhere else rows[codes[rows] == c]
            take[at] = rng.choice(pool, size=len(at))
    if (take != np.arange(len(keys))).any():
        for col in moved:
            if col in data:
                data[col] = np.asarray(data[col], dtype=object)[take]


def _distinct(rng: np.random.Generator, bands: dict[int, np.ndarray], size: int) -> int:
    """How many distinct values a family of `size` rows keeps: drawn from its band's counts
    in the source (the nearest band the source has)."""
    band = _band(size)
    near = min(bands, key=lambda b: (abs(b - band), -b))
    counts = bands[near]
    return min(int(rng.choice(len(counts), p=counts / counts.sum())) + 1, size)


def _kept_values(rng: np.random.Generator, codes: np.ndarray, k: int) -> np.ndarray:
    """k of the family's own drawn values, each chosen as often as its rows hold it (so the
    column's share of each value stays the drawn one)."""
    values, counts = np.unique(codes, return_counts=True)
    if k >= len(values):
        return values
    return rng.choice(values, size=k, replace=False, p=counts / counts.sum())
