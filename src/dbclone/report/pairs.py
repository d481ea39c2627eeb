"""Pair trends: does each pair of columns move together in the target as in the source?

Two numeric (or date) columns: correlation similarity, 1 - |r_source - r_target| / 2 (Pearson).
Any other pair: contingency similarity, 1 - TVD of the joint frequency table, with numbers cut
into the source's quantile bins (the same scheme as SDMetrics' ColumnPairTrends).
Text columns (free text) and personal data (names, emails, addresses, replaced with Faker
values) are left out: their values are not meant to recur, so their trends mean nothing.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from dbclone.report.data import LENGTH_FAMILIES, Feature
from dbclone.report.model import PairTrend

#: Quantile bins for numbers in a contingency table.
BINS = 10
#: Columns per side considered; wide tables would otherwise cost O(columns^2) pairs.
MAX_COLUMNS = 12
_NULL = "<null>"


def paired(features: list[Feature]) -> list[Feature]:
    # An id's value has no trend with the row's other values (a soft key, like an FK).
    return [f for f in features if f.family not in (*LENGTH_FAMILIES, "reuse")][:MAX_COLUMNS]


def within(scope: str, features: list[Feature], real: pd.DataFrame,
           synth: pd.DataFrame) -> list[PairTrend]:
    """Every pair of comparable columns inside one table."""
    cols = paired(features)
    return [pair_trend(scope, a, b, real, synth) for a, b in itertools.combinations(cols, 2)]


def across(scope: str, left: list[Feature], right: list[Feature], real: pd.DataFrame,
           synth: pd.DataFrame) -> list[PairTrend]:
    """Child-column x parent-column pairs over a joined sample (columns already prefixed)."""
    return [pair_trend(scope, a, b, real, synth)
            for a in paired(left) for b in paired(right)]


def pair_trend(scope: str, a: Feature, b: Feature, real: pd.DataFrame,
               synth: pd.DataFrame) -> PairTrend:
    numeric = {"numeric", "datetime"}
    if a.family in numeric and b.family in numeric:
        r = _corr(real[a.column], real[b.column])
        s = _corr(synth[a.column], synth[b.column])
        score = math.nan if r is None or s is None else 1.0 - abs(r - s) / 2.0
        return PairTrend(scope, a.column, b.column, "correlation", score, r, s)
    score = _contingency(real, synth, a, b)
    return PairTrend(scope, a.column, b.column, "contingency", score)


def _corr(x: pd.Series, y: pd.Series) -> float | None:
    both = pd.concat([x.astype(float), y.astype(float)], axis=1).dropna()
    if len(both) < 3 or both.iloc[:, 0].std() == 0 or both.iloc[:, 1].std() == 0:
        return None
    return float(np.corrcoef(both.iloc[:, 0], both.iloc[:, 1])[0, 1])


def _contingency(real: pd.DataFrame, synth: pd.DataFrame, a: Feature, b: Feature) -> float:
    if real.empty or synth.empty:
        return math.nan if real.empty and synth.empty else 0.0
    ra, sa_ = _discrete(real[a.column], synth[a.column], a.family)
    rb, sb = _discrete(real[b.column], synth[b.column], b.family)
    # Joint codes over both sides at once, so both frequency tables share one index.
    ca, _ = pd.factorize(pd.concat([ra, sa_], ignore_index=True))
    cb, levels = pd.factorize(pd.concat([rb, sb], ignore_index=True))
    _, cell = np.unique(ca.astype(np.int64) * (len(levels) + 1) + cb, return_inverse=True)
    n, width = len(ra), int(cell.max()) + 1
    p = np.bincount(cell[:n], minlength=width) / n
    q = np.bincount(cell[n:], minlength=width) / (len(cell) - n)
    return max(0.0, float(1.0 - 0.5 * np.abs(p - q).sum()))


def _discrete(real: pd.Series, synth: pd.Series, family: str) -> tuple[pd.Series, pd.Series]:
    """Category labels for both sides; numbers binned by the source's quantiles."""
    if family in ("numeric", "datetime"):
        present = real.dropna().astype(float)
        edges = np.unique(np.quantile(present, np.linspace(0, 1, BINS + 1))) \
            if len(present) else np.array([0.0])
        return _bin(real, edges), _bin(synth, edges)
    return real.fillna(_NULL).astype(str), synth.fillna(_NULL).astype(str)


def _bin(values: pd.Series, edges: np.ndarray) -> pd.Series:
    # Inner edges only: values beyond the source's range land in the first or last bin.
    codes = np.searchsorted(edges[1:-1], values.astype(float).to_numpy(), side="right")
    labels = pd.Series(codes.astype(str), index=values.index)
    return labels.where(values.notna(), _NULL)


def matrix(features: list[Feature], pairs: list[PairTrend]) -> tuple[tuple[str, ...],
                                                                    tuple[tuple[float | None, ...],
                                                                          ...]]:
    """Pair-trend loss (1 - score) as a symmetric matrix over the table's paired columns."""
    names = [f.column for f in paired(features)]
    loss = {(p.left, p.right): 1.0 - p.score for p in pairs if math.isfinite(p.score)}
    rows = []
    for a in names:
        row = [0.0 if a == b else loss.get((a, b), loss.get((b, a))) for b in names]
        rows.append(tuple(row))
    return tuple(names), tuple(rows)
