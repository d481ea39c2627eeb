"""A date after (or near) a base: another date of the row or the driving parent's. Fit: find
the base (never earlier, or closest), keep a far-future sentinel apart, model the delta (or
only the order, when the base hardly explains the date). Sample: base + delta, kept under the
column's own latest value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dbclone.schema import Column, Table
from dbclone.synth import copula, dims
from dbclone.synth.codecs import (
    MAX_DAY,
    MIN_DAY,
    as_floats,
    from_json,
    jsonable,
    known_numbers,
    to_numbers,
    to_python,
)
from dbclone.synth.context import Claim, FitContext
from dbclone.synth.model import ColumnModel, FKModel
from dbclone.synth.state import Chunk, Finish, SampleState
from dbclone.synth.tables import Columns

_ORDERED_KINDS = ("date", "datetime")


@dataclass
class Base:
    name: str  # own column, or "^col" for the driving parent's column
    delta: pd.Series  # value - base, indexed by the source rows where both are known


def find_bases(ctx: FitContext, table: Table, df: pd.DataFrame,
               driver: FKModel | None) -> dict[str, Base]:
    """Columns never earlier than another NOT NULL column of the row (to_date after
    from_date) or of the parent (a payment after its invoice) are modelled as base + delta."""
    if not len(df):
        return {}
    own = {c.name: (c.kind, known_numbers(c, df[c.name])) for c in table.columns
           if c.kind in _ORDERED_KINDS and not c.nullable}
    candidates = {**own, **_parent_dates(ctx, table, df, driver)}
    out: dict[str, Base] = {}
    for col in table.columns:
        if col.kind not in _ORDERED_KINDS or df[col.name].nunique() < 2:
            continue  # a constant (every row's last_update the same) stays a constant
        values = known_numbers(col, df[col.name])
        sentinel = find_sentinel(values, ctx.opts.rare_threshold)
        if sentinel is not None:
            values = values[values != sentinel]
        best = _after_base(col, values, candidates)
        if best is None or best.delta.std() > 0.7 * values.std():
            best = _near_base(col, values, candidates) or best
        if best is not None and not makes_cycle(out, col.name, best.name):
            out[col.name] = best
    return out


def _after_base(col: Column, values: pd.Series,
                candidates: dict[str, tuple[str, pd.Series]]) -> Base | None:
    """The closest date of the same kind the column is never before (and not always equal
    to)."""
    best: Base | None = None
    for name, (kind, numbers) in candidates.items():
        base = _in_units_of(col, name, kind, numbers)
        if name == col.name or base is None:
            continue
        delta = (values - base).dropna()
        if len(delta) < 5 or (delta < 0).any() or (delta == 0).all():
            continue
        if best is None or delta.median() < best.delta.median():
            best = Base(name, delta)
    return best


#: A date whose distance to another date of the row (or the parent) varies less than this
#: share of its own spread is that date plus a signed delta (a period starts around its
#: decision, before or after it).
NEAR_SHARE = 0.2


def _near_base(col: Column, values: pd.Series,
               candidates: dict[str, tuple[str, pd.Series]]) -> Base | None:
    spread = float(values.std())
    best: Base | None = None
    for name, (kind, numbers) in candidates.items():
        base = _in_units_of(col, name, kind, numbers)
        if name == col.name or base is None:
            continue
        delta = (values - base).dropna()
        if len(delta) < 20 or not spread > 0 or delta.std() >= NEAR_SHARE * spread:
            continue
        if best is None or delta.std() < best.delta.std():
            best = Base(name, delta)
    return best


def _in_units_of(col: Column, name: str, kind: str, numbers: pd.Series) -> pd.Series | None:
    """A candidate base's numbers in the column's unit (days for a date, seconds for a
    timestamp; the sampler converts the base's values the same way), None for a kind that
    does not compare: a stamp after its own row's day is found whether the day is a DATE
    or, as SQLite's text '2016-07-04', a DATETIME read as a date. A parent's day of the
    other kind is left to the parent's period (`spans`), which holds a stamp inside it."""
    if kind == col.kind:
        return numbers
    if dims.is_parent(name):
        return None
    if kind == "date" and col.kind == "datetime":
        return numbers * 86400.0
    if kind == "datetime" and col.kind == "date":
        return np.floor(numbers / 86400.0)
    return None


def find_sentinel(values: pd.Series, k: int = 5) -> float | None:
    """A far-future marker such as 9999-01-01 ("still valid"): the maximum, held by at least
    5% of the rows and by at least k rows (so no single row's date is ever kept). It is kept
    as a value of its own, not as a date after the base."""
    if not len(values):
        return None
    top = values.max()
    hits = int((values == top).sum())
    return float(top) if hits >= max(k, 0.05 * len(values)) and values.nunique() > 2 else None


def makes_cycle(bases: dict[str, Base], col: str, base: str) -> bool:
    seen = base
    while seen in bases:
        seen = bases[seen].name
        if seen == col:
            return True
    return False


def _parent_dates(ctx: FitContext, table: Table, df: pd.DataFrame,
                  driver: FKModel | None) -> dict[str, tuple[str, pd.Series]]:
    """The driving parent's NOT NULL date columns, aligned with this table's rows."""
    if driver is None or driver.null_rate > 0 or driver.ref_table == table.name:
        return {}
    ptable = ctx.schema.table(driver.ref_table)
    pdf = ctx.frames[driver.ref_table]
    cols = [c for c in ptable.columns if c.kind in _ORDERED_KINDS and not c.nullable]
    if not cols or not len(df):
        return {}
    child = df[list(driver.columns)].copy()
    child.columns = list(driver.ref_columns)
    merged = child.merge(pdf[list(driver.ref_columns) + [c.name for c in cols]]
                         .drop_duplicates(list(driver.ref_columns)),
                         how="left", on=list(driver.ref_columns))
    merged.index = df.index
    return {dims.parent(c.name): (c.kind, known_numbers(c, merged[c.name])) for c in cols}


def fit_delta(ctx: FitContext, col: Column, series: pd.Series,
              base: Base) -> tuple[ColumnModel, np.ndarray | None]:
    """Marginal of (value - base); its normal scores join the copula like any column's.
    A sentinel (9999-01-01) keeps its own share in `values` / `probs`."""
    n = len(series)
    delta = base.delta
    numbers = known_numbers(col, series)
    sentinel = find_sentinel(numbers, ctx.opts.rare_threshold)
    marker: tuple[object, ...] = ()
    share: tuple[float, ...] = ()
    if sentinel is not None:
        hits = series[numbers.reindex(series.index) == sentinel]
        marker, share = (jsonable(hits.iloc[0]),), (float(len(hits)) / max(n, 1),)
    parent = dims.is_parent(base.name)
    where, name = ("the parent's ", dims.of_parent(base.name)) if parent else ("", base.name)
    reason = f"never before {where}{name}" if (delta >= 0).all() else f"near {where}{name}"
    own = numbers[numbers != sentinel] if sentinel is not None else numbers
    if delta.std() > 0.7 * own.std():
        # The base hardly explains the date (a decision and its caseworker's hiring): base +
        # delta would widen the range, so the column keeps its own marginal and only rows
        # drawn before their base are moved after it.
        cm = ColumnModel(col.name, "numeric", null_rate=float(series.isna().mean()),
                         quantiles=copula.quantile_grid(own.to_numpy()),
                         integer=col.kind == "date", base=base.name, op="order",
                         delta=copula.quantile_grid(delta.to_numpy()), values=marker,
                         probs=share, reason=reason)
        z = np.zeros(n)
        z[own.index.to_numpy()] = copula.numeric_to_normal(own.to_numpy(), ctx.rng)
        return cm, z
    cm = ColumnModel(col.name, "numeric", null_rate=float(series.isna().mean()),
                     quantiles=copula.quantile_grid(delta.to_numpy()),
                     integer=col.kind == "date", base=base.name, values=marker, probs=share,
                     reason=reason, bounds=(float(own.min()), float(own.max())),
                     step=_whole_step(col, delta.to_numpy()))
    z = np.zeros(n)
    z[delta.index.to_numpy()] = copula.numeric_to_normal(delta.to_numpy(), ctx.rng)
    return cm, z


#: Whole days, hours, minutes and seconds, the steps a timestamp's delta is tested against.
_STAMP_STEPS = (86400.0, 3600.0, 60.0, 1.0)


def _whole_step(col: Column, delta: np.ndarray) -> float:
    """The coarsest whole unit every delta sits on: returns in whole seconds after rentals
    in whole seconds stay so (they came out as 04:29:51.232610, the quantiles' interpolation
    written as it stood)."""
    if col.kind != "datetime" or not len(delta):
        return 0.0
    for step in _STAMP_STEPS:
        if np.all(np.abs(delta / step - np.round(delta / step)) < 1e-6):
            return step
    return 0.0


def add_base(st: SampleState, ch: Chunk, table: Table, cm: ColumnModel, data: Columns,
             driver: FKModel | None, parent_idx: np.ndarray | None) -> None:
    """Turn a sampled delta into a value: base (own column or the parent's) + delta."""
    col = table.column(cm.name)
    assert cm.base is not None
    if dims.is_parent(cm.base):
        if driver is None or parent_idx is None:
            data[cm.name] = np.full(len(data[cm.name]), None, dtype=object)
            return
        ok = parent_idx >= 0
        base_n = np.full(len(parent_idx), np.nan)
        base_n[ok] = st.done[driver.ref_table].numbers(dims.of_parent(cm.base), col,
                                                        parent_idx[ok])
    else:
        base = data[cm.base]
        made = ch.made.get(cm.base)  # numbers this chunk's value was made from
        base_n = made[1] if made is not None and made[0] is base and made[2] == col.kind \
            else to_numbers(col, base)
    delta = as_floats(data[cm.name])
    if cm.op == "order":  # own value; only rows before their base move after it
        total = delta.copy()
        early = total < base_n
        if early.any():
            gap = copula.normal_to_numeric(st.rng.standard_normal(int(early.sum())),
                                           cm.delta, False, ch.spread)
            # after the base, but never past the column's own latest value
            top = np.maximum(cm.quantiles[-1], base_n[early])
            total[early] = np.minimum(base_n[early] + gap, top)
    else:
        total = base_n + delta
        over = total > cm.bounds[1] if cm.bounds else np.zeros(len(total), dtype=bool)
        if over.any():
            total[over] = base_n[over] + delta_below(st, cm.quantiles,
                                                           cm.bounds[1] - base_n[over])
            # Even the shortest delta runs past the source's last date: the source shows such
            # rows censored (still open, NULL) where the column may be NULL; else the last date.
            past = total > cm.bounds[1]
            total[past] = np.nan if col.nullable else np.maximum(cm.bounds[1], base_n[past])
    known = ~np.isnan(total)
    out = np.full(len(delta), None, dtype=object)
    if known.any():
        out[known] = to_python(col, total[known])
    if cm.values:  # the sentinel ("valid until 9999-01-01") keeps its share
        hit = (st.rng.random(len(out)) < cm.probs[0]) & known
        out[hit] = from_json(col, [cm.values[0]])[0]
        total[hit] = to_numbers(col, out[hit][:1])[0] if hit.any() else np.nan
    data[cm.name] = out
    if col.kind == "date":  # the numbers the values stand for, as to_numbers gives them
        ch.made[cm.name] = (out, np.clip(np.round(total), MIN_DAY, MAX_DAY), "date")
    elif col.kind == "datetime":
        seconds = np.floor(np.round(total * 1e6) / 1e6)
        ch.made[cm.name] = (out, np.clip(seconds, MIN_DAY * 86400, MAX_DAY * 86400),
                               "datetime")


def delta_below(st: SampleState, grid: tuple[float, ...], limit: np.ndarray) -> np.ndarray:
    """Deltas drawn from the quantile grid truncated at `limit` per row (the smallest
    delta where even that is too long)."""
    q = np.asarray(grid, dtype=float)
    p = np.linspace(0.0, 1.0, len(q))
    top = np.interp(limit, q, p)
    return np.interp(st.rng.random(len(limit)) * top, p, q)


def _claim(ctx: FitContext, table: Table, df: pd.DataFrame, driver: FKModel | None,
           taken: set[str]) -> dict[str, Base]:
    return {name: base for name, base in find_bases(ctx, table, df, driver).items()
            if name not in taken}


#: Dates after a base claim their columns first.
CLAIM = Claim("dates", _claim, lambda ctx, col, df, base: fit_delta(ctx, col, df[col.name], base))


#: A drawn delta becomes a date (or number) after its base.
FINISH = Finish("dates", lambda cm: bool(cm.base) and cm.strategy == "numeric",
                lambda st, ch, cm, data, driver, idx:
                add_base(st, ch, ch.table, cm, data, driver, idx))
