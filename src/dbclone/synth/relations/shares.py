"""A number following the driving parent's number: a share of it ("ratio": a fee of its
order's value) or the parent's number split among its children ("share": a monthly payment
of a decision's total). Fit the log-ratio; sample it against the clone's parents, falling
back to the column's own marginal where the clone's families make it depart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dbclone.schema import Column, Table
from dbclone.semantic import relations as rel
from dbclone.source import key_codes
from dbclone.synth import copula, dims
from dbclone.synth.codecs import (
    NUMERIC_KINDS,
    as_floats,
    to_python,
)
from dbclone.synth.context import Claim, FitContext
from dbclone.synth.model import ColumnModel, FKModel
from dbclone.synth.relations.copies import joined_parent
from dbclone.synth.state import Chunk, Finish, SampleState
from dbclone.synth.tables import Columns

#: Share of a child number's log-variance the driving parent's number must explain for the
#: child to be modelled relative to it.
PARENT_SHARE = 0.5


#: Share of the child's rows whose parent must have a positive value of the column.
PARENT_KNOWN = 0.95


@dataclass
class _ParentRatio:
    column: str  # the parent's column
    op: str  # "ratio": parent value x exp(r); "share": (parent value / its children) x exp(r)
    log_ratio: pd.Series  # r per source row where both are known
    explained: float


def find_parent_ratios(ctx: FitContext, table: Table, df: pd.DataFrame, driver: FKModel | None,
                       taken: set[str]) -> dict[str, _ParentRatio]:
    """Positive numbers that follow a positive number of the driving parent: a fee as a share
    of its order's value ("ratio"), or the parent's value split among its children, a monthly
    payment of a decision's total ("share"). Chosen when the log-ratio varies at most
    1 - PARENT_SHARE as much as the number's own logarithm; a copula holds the ratio (and its
    tie to the parent's number of children) where it cannot hold the two raw numbers."""
    if driver is None or driver.ref_table == table.name or not len(df):
        return {}
    joined = joined_parent(ctx, df, driver)
    if joined is None:
        return {}
    parent = ctx.schema.table(driver.ref_table)
    keys = key_codes(df, list(driver.columns), null_is_value=True)
    siblings = np.bincount(keys)[keys].astype(float)
    ups = {pcol.name: pd.to_numeric(joined[pcol.name], errors="coerce").to_numpy(dtype=float)
           for pcol in parent.columns if pcol.kind in NUMERIC_KINDS and pcol.name in joined
           and (parent.name, pcol.name) not in ctx.derived}
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
    out: dict[str, _ParentRatio] = {}
    for col in table.columns:
        if col.kind not in NUMERIC_KINDS or col.name in taken or col.name in fk_cols \
                or col.name in table.primary_key or col.computed:
            continue
        own = pd.to_numeric(df[col.name], errors="coerce").to_numpy(dtype=float)
        known = ~np.isnan(own)
        values = own[known]
        if len(values) < 20 or (values <= 0).any() or len(np.unique(values)) <= 20:
            continue
        best = _best_parent_number(ups, siblings[known], np.log(values), known, df.index)
        if best is not None:
            out[col.name] = best
    return out


def _best_parent_number(ups: dict[str, np.ndarray], siblings: np.ndarray, log_own: np.ndarray,
                        known: np.ndarray, index: pd.Index) -> _ParentRatio | None:
    """The parent's number (as it is, or split among its children) whose log-ratio to the
    child's (its `known` rows) explains most of the child's log-variance, if at least
    PARENT_SHARE."""
    spread = float(np.var(log_own, ddof=1))
    if not spread > 0:
        return None
    rows = index[known]
    best: _ParentRatio | None = None
    for name, all_up in ups.items():
        up = all_up[known]
        good = up > 0
        if good.mean() < PARENT_KNOWN:
            continue
        for op, base in (("ratio", up[good]), ("share", up[good] / siblings[good])):
            r = log_own[good] - np.log(base)
            explained = 1.0 - float(np.var(r, ddof=1)) / spread
            if explained >= PARENT_SHARE and (best is None or explained > best.explained):
                best = _ParentRatio(name, op, pd.Series(r, index=rows[good]), explained)
    return best


def fit_parent_ratio(ctx: FitContext, col: Column, series: pd.Series,
                     found: _ParentRatio) -> tuple[ColumnModel, np.ndarray]:
    """The log-ratio's marginal joins the copula; `delta` keeps the column's own marginal for
    clone rows whose parent has no value."""
    own = pd.to_numeric(series, errors="coerce").astype(float).dropna()
    how = "split among its children" if found.op == "share" else "times a ratio"
    # the column's own mix of steps (payments in whole kronor, a few in öre)
    arr = own.to_numpy()
    steps, shares = rel.coarser_grain(col.kind, arr, rel.step_of(arr))
    cm = ColumnModel(col.name, "numeric", null_rate=float(series.isna().mean()),
                     grain_steps=steps, grain_shares=shares,
                     quantiles=copula.quantile_grid(found.log_ratio.to_numpy()),
                     base=dims.parent(found.column), op=found.op,
                     delta=copula.quantile_grid(own.to_numpy()),
                     reason=f"the parent's {found.column} {how} (explains "
                            f"{found.explained:.0%} of its log-variance)")
    z = np.zeros(len(series))
    z[series.index.get_indexer(found.log_ratio.index)] = copula.numeric_to_normal(
        found.log_ratio.to_numpy(), ctx.rng)
    return cm, z


def from_parent(st: SampleState, ch: Chunk, table: Table, cm: ColumnModel, data: Columns,
                driver: FKModel | None, parent_idx: np.ndarray | None) -> None:
    """The driving parent's number (split among its children in this clone, for op
    "share") x exp(modelled log-ratio); rows without a parent value draw the column's own
    marginal. A chunk holds all children of its parents, so counting them here is exact."""
    assert cm.base is not None
    col = table.column(cm.name)
    ratio = as_floats(data[cm.name])
    base = np.full(len(ratio), np.nan)
    if driver is not None and parent_idx is not None and driver.ref_table in st.done:
        ok = parent_idx >= 0
        pcol = st.schema.table(driver.ref_table).column(dims.of_parent(cm.base))
        base[ok] = st.done[driver.ref_table].numbers(pcol.name, pcol, parent_idx[ok])
        if cm.op == "share" and ok.any():
            _, where, counts = np.unique(parent_idx[ok], return_inverse=True,
                                         return_counts=True)
            base[ok] = base[ok] / counts[where]
    with np.errstate(invalid="ignore"):
        value = np.where(base > 0, base, np.nan) * np.exp(ratio)
    lost = np.isnan(value) & ~np.isnan(ratio)
    if lost.any() and cm.delta:
        value[lost] = copula.normal_to_numeric(st.rng.standard_normal(int(lost.sum())),
                                               cm.delta, col.kind == "integer", ch.spread)
    known = ~np.isnan(value)
    if cm.delta and known.sum() > 1 and _off_marginal(value[known], cm.delta):
        # Parents drawn with too many or too few children for their number stretch the
        # column past its range: the ratio then only orders the rows, and the column's
        # own marginal gives the values (siblings add up to their parent's number
        # roughly, no longer exactly).
        value[known] = copula.normal_to_numeric(value[known], cm.delta,
                                                col.kind == "integer", ch.spread)
    if cm.grain_steps and known.any():
        grain = tuple(zip(cm.grain_steps, cm.grain_shares, strict=True))
        value[known] = rel.apply_granularity(value[known], grain, st.rng)
    out = np.full(len(value), None, dtype=object)
    if known.any():
        out[known] = to_python(col, value[known])
    data[cm.name] = out


def _off_marginal(values: np.ndarray, grid: tuple[float, ...]) -> bool:
    """Whether `values` depart from the quantile grid's distribution by more than a sample
    of their size would by chance (Kolmogorov-Smirnov distance above its 95% bound, and
    above 0.05)."""
    q = np.asarray(grid, dtype=float)
    want = np.linspace(0.0, 1.0, len(q))
    got = np.searchsorted(np.sort(values), q, side="right") / len(values)
    return float(np.max(np.abs(got - want))) > max(0.05, 1.36 / np.sqrt(len(values)))


#: Numbers following the driving parent's.
CLAIM = Claim("shares", find_parent_ratios,
              lambda ctx, col, df, found: fit_parent_ratio(ctx, col, df[col.name], found))


#: A drawn share or log-ratio becomes a number of the parent's.
FINISH = Finish("shares", lambda cm: dims.is_parent(cm.base) and cm.op in ("ratio", "share"),
                lambda st, ch, cm, data, driver, idx:
                from_parent(st, ch, ch.table, cm, data, driver, idx))
