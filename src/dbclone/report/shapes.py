"""Column shapes: 1-KS for numbers and dates, 1-TVD for categories, 1-KS of the lengths
of text and of personal data (which the synthesizer replaces with Faker values), and for soft
keys (ids without a declared FK) 1-KS of how many rows share each row's id.

Scores are computed on non-NULL values; NULL rates are reported beside them, so a column that
is right except for its NULLs shows a good shape and a bad null score, not one blurred number.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dbclone.report.data import LENGTH_FAMILIES, Feature, numeric_view
from dbclone.report.model import Chart, ColumnShape

#: Bins per histogram and bars per category chart (the rest are pooled as "(other)").
HIST_BINS = 20
TOP_CATEGORIES = 10
#: Characters of a category kept for its label (charts shorten it and show it whole on hover).
LABEL_CHARS = 120
#: Positive values whose largest is this many times their smallest span decades: their
#: histogram gets log-spaced bins (population, revenue), else one bar holds nearly all.
LOG_SPAN = 1000.0


def column_shape(table: str, feature: Feature, real: pd.Series,
                 synth: pd.Series) -> ColumnShape:
    """Compare one normalised source column with its target twin."""
    null_r = float(real.isna().mean()) if len(real) else 0.0
    null_s = float(synth.isna().mean()) if len(synth) else 0.0
    if feature.family == "categorical":
        score, chart = tvd_score(real.dropna(), synth.dropna())
        metric = "TVD"
    else:
        r = numeric_view(real, feature.family).dropna().to_numpy()
        s = numeric_view(synth, feature.family).dropna().to_numpy()
        score = ks_score(r, s)
        chart = histogram(r, s, x_is_time=feature.family == "datetime")
        metric = "KS(length)" if feature.family in LENGTH_FAMILIES else \
            "KS(reuse)" if feature.family == "reuse" else "KS"
    return ColumnShape(table, feature.column, feature.family, metric, score, null_r, null_s,
                       chart)


def ks_score(real: np.ndarray, synth: np.ndarray) -> float:
    """1 - the two-sample Kolmogorov-Smirnov statistic; 0 when one side is empty.

    Computed directly from the two empirical CDFs: scipy's ks_2samp also computes an exact
    p-value, which we do not need and which costs seconds on samples of ten thousand."""
    if len(real) == 0 and len(synth) == 0:
        return math.nan
    if len(real) == 0 or len(synth) == 0:
        return 0.0
    return ks_weighted(real, np.ones(len(real)), synth, np.ones(len(synth)))


def ks_weighted(values_r: np.ndarray, weights_r: np.ndarray, values_s: np.ndarray,
                weights_s: np.ndarray) -> float:
    """1 - KS between two distributions given as (value, count) histograms."""
    if weights_r.sum() == 0 or weights_s.sum() == 0:
        return math.nan if weights_r.sum() == weights_s.sum() else 0.0
    grid = np.union1d(values_r, values_s)
    cdf_r = _cdf(grid, values_r, weights_r)
    cdf_s = _cdf(grid, values_s, weights_s)
    return float(1.0 - np.max(np.abs(cdf_r - cdf_s)))


def _cdf(grid: np.ndarray, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    order = np.argsort(values)
    cum = np.cumsum(weights[order]) / weights.sum()
    idx = np.searchsorted(values[order], grid, side="right") - 1
    return np.where(idx >= 0, cum[np.clip(idx, 0, None)], 0.0)


def tvd_score(real: pd.Series, synth: pd.Series) -> tuple[float, Chart | None]:
    """1 - total variation distance between category frequencies, and the bar chart data."""
    if len(real) == 0 and len(synth) == 0:
        return math.nan, None
    if len(real) == 0 or len(synth) == 0:
        return 0.0, None
    p = real.value_counts(normalize=True)
    q = synth.value_counts(normalize=True)
    both = p.index.union(q.index)
    p, q = p.reindex(both, fill_value=0.0), q.reindex(both, fill_value=0.0)
    score = max(0.0, float(1.0 - 0.5 * np.abs(p - q).sum()))  # no -0.0 from rounding
    return score, _bars(p, q)


def _bars(p: pd.Series, q: pd.Series) -> Chart:
    top = (p + q).sort_values(ascending=False).index[:TOP_CATEGORIES]
    labels = [str(v)[:LABEL_CHARS] for v in top]
    real = [float(p[v]) for v in top]
    synth = [float(q[v]) for v in top]
    if len(p) > len(top):
        labels.append("(other)")
        real.append(float(1.0 - sum(real)))
        synth.append(float(1.0 - sum(synth)))
    return Chart("bar", tuple(real), tuple(synth), labels=tuple(labels))


def histogram(real: np.ndarray, synth: np.ndarray, *, x_is_time: bool = False) -> Chart | None:
    """Shares of real and synthetic values in shared bins spanning both samples; bins are
    log-spaced when positive values span decades (heavy-tailed numbers)."""
    both = np.concatenate([real, synth])
    if len(both) == 0:
        return None
    low, high = float(np.min(both)), float(np.max(both))
    if low == high:
        high = low + 1.0
    if not x_is_time and _spans_decades(both):
        edges = np.geomspace(low, high, HIST_BINS + 1)
        edges[0], edges[-1] = low, high  # exact ends: every value lands in a bin
        return Chart("hist", _shares(real, edges), _shares(synth, edges),
                     edges=tuple(float(e) for e in edges), log_x=True)
    edges = np.linspace(low, high, HIST_BINS + 1)
    return Chart("hist", _shares(real, edges), _shares(synth, edges),
                 edges=tuple(float(e) for e in edges), x_is_time=x_is_time)


def _spans_decades(values: np.ndarray) -> bool:
    """All values positive and the largest at least LOG_SPAN times the smallest, with the
    median in the lowest tenth of the range (the mass sits low, the tail runs far)."""
    low, high = float(np.min(values)), float(np.max(values))
    if low <= 0 or high / low < LOG_SPAN:
        return False
    return float(np.median(values)) < low + 0.1 * (high - low)


def _shares(values: np.ndarray, edges: np.ndarray) -> tuple[float, ...]:
    counts, _ = np.histogram(values, bins=edges)
    total = counts.sum()
    return tuple(float(c / total) if total else 0.0 for c in counts)
