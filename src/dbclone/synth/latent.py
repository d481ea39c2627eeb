"""Latent scores: how a table's rows share one Gaussian copula with their parent and their
siblings. Fit: the driving parent's scores per row (`parent_scores`), the siblings'
intraclass correlation (`icc`) and the share of rows taking the parent's category outright
(`category_sharing`). Sample: the rows' scores conditioned on their parent's
(`latent_scores`), siblings made alike or spread (`siblings_alike`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import ndtri

from dbclone.schema import Table
from dbclone.source import key_codes
from dbclone.synth import copula
from dbclone.synth import dims as names
from dbclone.synth.context import FitContext
from dbclone.synth.model import ColumnModel, FKModel, TableModel
from dbclone.synth.state import SampleState

if TYPE_CHECKING:
    from dbclone.synth.state import Run


MAX_PARENT_DIMS = 16


def parent_scores(ctx: FitContext, table: Table, df: pd.DataFrame,
                  fks: list[FKModel]) -> tuple[tuple[str, ...], np.ndarray]:
    """The driving parent's latent scores for each row (0 where the FK is NULL)."""
    driver = next((f for f in fks if f.driving), None)
    if driver is None or driver.ref_table not in ctx.latents or not len(df):
        return (), np.zeros((len(df), 0))
    lat = ctx.latents[driver.ref_table]
    take = [i for i, d in enumerate(lat.dims) if not names.is_parent(d)][:MAX_PARENT_DIMS]
    if not take:
        return (), np.zeros((len(df), 0))
    keys = lat.keys[list(driver.ref_columns)].reset_index(drop=True)
    scores = pd.DataFrame(lat.z[:, take], columns=[names.parent(lat.dims[i]) for i in take])
    parent = pd.concat([keys, scores], axis=1).drop_duplicates(list(driver.ref_columns))
    child = df[list(driver.columns)].copy()
    child.columns = list(driver.ref_columns)
    for col in driver.ref_columns:  # an FK all NULL reads as objects: compare as objects
        if (child[col].dtype == object) != (parent[col].dtype == object):
            child[col] = child[col].astype(object)
            parent[col] = parent[col].astype(object)
    merged = child.merge(parent, how="left", on=list(driver.ref_columns))
    z = merged[list(scores.columns)].fillna(0.0).to_numpy(dtype=float)
    return tuple(scores.columns), z


def icc(df: pd.DataFrame, z: np.ndarray, driver: FKModel | None) -> tuple[float, ...]:
    """One-way ANOVA estimate of the intraclass correlation of each latent dimension within
    the driving parent's groups (0 when rows of a parent are no more alike than any rows;
    negative when they are less alike: their means vary less than chance would have them)."""
    if driver is None or z.shape[1] == 0 or len(df) < 20:
        return ()
    codes = np.unique(key_codes(df, list(driver.columns), null_is_value=True),
                      return_inverse=True)[1]
    sizes = np.bincount(codes)
    k, n = len(sizes), len(codes)
    if k < 2 or n <= k:
        return ()
    n0 = (n - float((sizes ** 2).sum()) / n) / (k - 1)
    out = []
    for j in range(z.shape[1]):
        col = z[:, j]
        means = np.bincount(codes, weights=col) / sizes
        msb = float((sizes * (means - col.mean()) ** 2).sum()) / (k - 1)
        msw = float(((col - means[codes]) ** 2).sum()) / (n - k)
        denom = msb + (n0 - 1) * msw
        out.append(round(float(np.clip((msb - msw) / denom, -1.0, 0.95)), 4) if denom > 0 else 0.0)
    return tuple(out)


def category_sharing(df: pd.DataFrame, driver: FKModel | None, icc: tuple[float, ...],
                     dims: tuple[str, ...], columns: list[ColumnModel]) -> tuple[float, ...]:
    """For each categorical dimension, the share q of rows that take their parent's category
    outright (0 for other dimensions): a caseworker's cases are nearly all in their unit's
    category. The intraclass correlation of normal scores drawn inside a category's slice
    understates that (pure groups score 0.85), so q comes from the categories themselves: two
    siblings agree with probability q² + (1 - q²)·S0, S0 the chance agreement Σ p²."""
    if not icc or driver is None:
        return ()
    by = {c.name: c for c in columns}
    groups = pd.Series(key_codes(df, list(driver.columns), null_is_value=True), index=df.index)
    out = [0.0] * len(icc)
    for i, dim in enumerate(dims[:len(icc)]):
        cm = by.get(dim)
        if cm is None or cm.strategy != "categorical" or icc[i] < 0:
            continue  # siblings that spread (six payments of 10..60 each) keep their spread
        # A joint category shares as its head does (a caseworker's cases keep the unit's
        # category; their referral sources, its partner, come along)
        out[i] = round(_sibling_share(groups, df[dim].astype(str)), 4)
    return tuple(out) if any(out) else ()


def _sibling_share(groups: pd.Series, values: pd.Series) -> float:
    sizes = groups.value_counts()
    pairs = float((sizes * (sizes - 1)).sum())
    if pairs <= 0:
        return 0.0
    cells = pd.DataFrame({"g": groups, "v": values}).value_counts()
    same = float((cells * (cells - 1)).sum()) / pairs
    p = values.value_counts(normalize=True)
    chance = float((p ** 2).sum())
    if chance >= 1.0:
        return 0.0
    return float(np.sqrt(np.clip((same - chance) / (1.0 - chance), 0.0, 1.0)))


def spread_scores(z: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Scores for the non-null rows, 0 (the mean) for NULLs."""
    out = np.zeros(len(mask))
    out[mask] = z
    return out


def latent_scores(st: SampleState, tm: TableModel, driver: FKModel | None,
                  parent_idx: np.ndarray | None, n: int, run: Run) -> np.ndarray:
    corr = np.asarray(tm.correlation, dtype=float).reshape(len(tm.copula), len(tm.copula))
    given = [i for i, d in enumerate(tm.copula) if names.is_parent(d)]
    if not given or driver is None or parent_idx is None:
        out = copula.sample(corr, n, st.rng)
        return siblings_alike(st, tm, corr, out, driver, parent_idx, run)
    parent = st.done[driver.ref_table]
    pos = {d: i for i, d in enumerate(parent.dims)}
    cols = [pos.get(names.of_parent(tm.copula[i])) for i in given]
    has_parent = parent_idx >= 0
    z_given = np.zeros((n, len(given)))
    scores = parent.latent(parent_idx[has_parent])
    for j, c in enumerate(cols):
        if c is not None and c < scores.shape[1]:
            z_given[has_parent, j] = scores[:, c]
    out = copula.sample_conditional(corr, given, z_given, st.rng)
    if (~has_parent).any():
        out[~has_parent] = copula.sample(corr, int((~has_parent).sum()), st.rng)
    return siblings_alike(st, tm, corr, out, driver, parent_idx, run)


def siblings_alike(st: SampleState, tm: TableModel, corr: np.ndarray, out: np.ndarray,
                   driver: FKModel | None, parent_idx: np.ndarray | None, run: Run) -> np.ndarray:
    """Mix a shared effect per parent into each own dimension, as much as siblings in the
    source shared (their intraclass correlation); spread the siblings of a dimension with
    a negative one (`_spread_siblings`). A categorical dimension then takes the parent's
    shared score outright in the share of rows its `shares` gives."""
    if not tm.icc or driver is None or parent_idx is None or driver.ref_table not in st.done:
        return out
    k = len(tm.icc)
    rho = np.asarray(tm.icc, dtype=float)
    if (rho < 0).any():
        _spread_siblings(out, rho, parent_idx, st.rng)
    rho = np.maximum(rho, 0.0)
    if not rho.any():
        return out
    ok = parent_idx >= 0
    if not ok.any():
        return out
    # One effect per parent, drawn for the band of parents in this chunk: a parent's
    # children are all in one chunk, so none is drawn twice (the whole table's parents
    # at once cost 8 bytes x dims per parent).
    first = int(parent_idx[ok].min())
    shared = copula.sample(corr[:k, :k], int(parent_idx[ok].max()) + 1 - first, st.rng)
    rows = shared[parent_idx[ok] - first]
    out[ok, :k] = np.sqrt(rho) * rows + np.sqrt(1 - rho) * out[ok, :k]
    if tm.shares:
        q = np.asarray(tm.shares, dtype=float)
        take = st.rng.random((int(ok.sum()), k)) < q
        out[ok, :k] = np.where(take, rows, out[ok, :k])
    return out


def _spread_siblings(out: np.ndarray, rho: np.ndarray, parent_idx: np.ndarray,
                     rng: np.random.Generator) -> None:
    """Siblings whose values spread over the range more evenly than independent draws would
    (a negative intraclass correlation) get stratified scores: within a parent's m children
    the i-th smallest draw moves into the i-th of m equal slices of the normal distribution,
    so their mean barely moves from parent to parent. Only a share of the parents is
    stratified, chosen so that the variance of the parents' means falls to the source's:
    with intraclass correlation r and m children, it is (1 + (m - 1) r) / (1 - r) times that
    of independent draws, and a stratified parent's mean varies almost not at all."""
    ok = np.flatnonzero(parent_idx >= 0)
    if len(ok) < 2:
        return
    groups, inverse, sizes = np.unique(parent_idx[ok], return_inverse=True, return_counts=True)
    m = float(sizes.mean())
    if m < 2:
        return
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    # One draw per parent and one per row for every dimension, so that correlated dimensions
    # (an invoice's total and its number of lines) are stratified together and stay so.
    g, jitter = rng.random(len(groups)), rng.random(len(ok))
    for j in np.flatnonzero(rho < 0):
        ratio = (1 + (m - 1) * rho[j]) / (1 - rho[j])  # variance of parent means vs chance
        chosen = g < float(np.clip(1 - ratio, 0.0, 1.0))
        if not chosen.any():
            continue
        col = out[ok, j]
        sorted_rows = np.lexsort((col, inverse))  # by parent, then score
        rank = np.empty(len(ok), dtype=np.int64)
        rank[sorted_rows] = np.arange(len(ok)) - np.repeat(starts, sizes)
        u = (rank + jitter) / sizes[inverse]
        pick = chosen[inverse]
        out[ok[pick], j] = ndtri(np.clip(u[pick], 1e-9, 1 - 1e-9))
