"""Gaussian copula pieces: marginals to and from normal scores, correlation, conditioning.

Each modelled column is mapped to a standard-normal score through its own marginal; one
correlation matrix per table ties the scores together. Children are sampled conditioned on their
parent's scores exactly (the Gaussian conditional), not by rejection.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import ndtr, ndtri

#: Quantiles kept per marginal: one per five source rows (so no quantile stands for fewer
#: than about five people), at least 11, at most 501 (enough for monthly seasonality over
#: decades of dates).
MIN_QUANTILES, MAX_QUANTILES, ROWS_PER_QUANTILE = 11, 501, 5
_EPS = 1e-6

def quantile_grid(values: np.ndarray) -> tuple[float, ...]:
    size = int(np.clip(len(values) // ROWS_PER_QUANTILE, MIN_QUANTILES, MAX_QUANTILES))
    qs = np.quantile(values.astype(float), np.linspace(0.0, 1.0, size))
    return tuple(float(q) for q in qs)


def numeric_to_normal(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Normal scores from ranks (ties broken at random so discrete columns spread evenly)."""
    n = len(values)
    order = np.lexsort((rng.random(n), values))
    ranks = np.empty(n)
    ranks[order] = np.arange(n)
    return np.asarray(ndtri((ranks + 0.5) / n))


def uniform_ranks(z: np.ndarray, spread: bool = False) -> np.ndarray:
    """Evenly spaced probabilities in the order of `z`: a batch of n values then follows the
    marginal exactly (no sampling noise in its shape), while the copula decides which row gets
    which value. A single value falls back to the normal CDF.

    With `spread`, each probability lies at a random point of its own 1/n slice instead of
    its middle, so two batches of the same size (a table's chunks) do not repeat one grid of
    values; the point comes from z's low-order digits, uniform and independent of its rank."""
    n = len(z)
    if n < 2:
        return np.asarray(ndtr(z))
    ranks = np.empty(n)
    ranks[np.argsort(z, kind="stable")] = np.arange(n)
    return (ranks + (np.modf(np.abs(z) * 1e6)[0] if spread else 0.5)) / n


def normal_to_numeric(z: np.ndarray, quantiles: Sequence[float], integer: bool,
                      spread: bool = False) -> np.ndarray:
    """Values of the marginal at the ranks of `z` (`spread`: see `uniform_ranks`; set for a
    table generated in several chunks, so the chunks do not repeat one grid of values)."""
    grid = np.linspace(0.0, 1.0, len(quantiles))
    out = np.interp(uniform_ranks(z, spread), grid, np.asarray(quantiles, dtype=float))
    return np.round(out) if integer else out


def categorical_to_normal(codes: np.ndarray, probs: Sequence[float],
                          rng: np.random.Generator) -> np.ndarray:
    """A uniform point inside each category's slice of [0, 1], as a normal score."""
    cum = np.concatenate([[0.0], np.cumsum(probs)])
    lo, hi = cum[codes], cum[codes + 1]
    u = lo + (hi - lo) * rng.random(len(codes))
    return np.asarray(ndtri(np.clip(u, _EPS, 1 - _EPS)))


def normal_to_codes(z: np.ndarray, probs: Sequence[float]) -> np.ndarray:
    cum = np.cumsum(probs)
    cum[-1] = 1.0 + _EPS
    return np.searchsorted(cum, uniform_ranks(z), side="right")


def correlation(z: np.ndarray) -> np.ndarray:
    """Correlation of normal scores, made positive definite so it can be factorised."""
    if z.shape[1] == 0:
        return np.zeros((0, 0))
    if z.shape[0] < 3:
        return np.eye(z.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(z, rowvar=False)
    corr = np.nan_to_num(np.atleast_2d(corr), nan=0.0)
    np.fill_diagonal(corr, 1.0)
    return nearest_pd(corr)


def nearest_pd(corr: np.ndarray, floor: float = 1e-4) -> np.ndarray:
    vals, vecs = np.linalg.eigh((corr + corr.T) / 2)
    fixed = vecs @ np.diag(np.maximum(vals, floor)) @ vecs.T
    d = np.sqrt(np.diag(fixed))
    out = fixed / np.outer(d, d)
    np.fill_diagonal(out, 1.0)
    return np.asarray(out)


def sample(corr: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    if corr.shape[0] == 0:
        return np.zeros((n, 0))
    chol = np.linalg.cholesky(nearest_pd(corr))
    return np.asarray(rng.standard_normal((n, corr.shape[0])) @ chol.T)


def sample_conditional(corr: np.ndarray, given_idx: Sequence[int], given: np.ndarray,
                       rng: np.random.Generator) -> np.ndarray:
    """Draw the free dimensions given the values of `given_idx` (one row per draw).

    Returns the full latent matrix, the given columns filled with `given`.
    """
    k = corr.shape[0]
    n = given.shape[0]
    gi = np.asarray(given_idx, dtype=int)
    free = np.setdiff1d(np.arange(k), gi)
    out = np.empty((n, k))
    out[:, gi] = given
    if len(free) == 0:
        return out
    s_gg = corr[np.ix_(gi, gi)]
    s_fg = corr[np.ix_(free, gi)]
    s_ff = corr[np.ix_(free, free)]
    weights = np.linalg.solve(s_gg, s_fg.T).T  # s_fg @ inv(s_gg)
    cond = s_ff - weights @ s_fg.T
    vals, vecs = np.linalg.eigh((cond + cond.T) / 2)
    root = vecs * np.sqrt(np.maximum(vals, 1e-6))  # cond ≈ root @ root.T
    noise = rng.standard_normal((n, len(free))) @ root.T
    out[:, free] = given @ weights.T + noise
    return out
