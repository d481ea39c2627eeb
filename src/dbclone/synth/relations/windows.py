"""A date of the row inside a parent's period, through any FK (issue 13's "a date at a
bounded offset from another", across tables): a case's notes are written between the day the
case opened and the day it closed, though the notes are generated under their author.

Fit (`find`): for each single-column FK and each own date the fit left free (no base, no
per-category draw), the parent's NOT NULL dates it is never before (in at least `HOLDS` of
the rows) and, where one exists, the parent's nullable date it is never after; kept only
when the distance to the parent's date spreads less than `NEAR` of the date's own spread.
Kept: the position within the period (0..1, quantiles) for parents with an end, the offset
after the start (quantiles) for the others, and the source's latest date.
Sample (`apply`): after the FKs are assigned, each row's date is drawn again inside its own
parent's period. One merge per FK and date pair: no pairwise search over rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dbclone.schema import Column, Table
from dbclone.semantic.rows import RowRule
from dbclone.synth import copula
from dbclone.synth.codecs import known_numbers, to_numbers, to_python
from dbclone.synth.context import FitContext
from dbclone.synth.model import ColumnModel
from dbclone.synth.state import SampleState
from dbclone.synth.tables import Columns

#: Share of rows (with both dates) the order must hold in.
HOLDS = 0.999
#: The distance to the parent's date must spread less than this share of the date's own.
NEAR = 0.7
#: Fewest rows to trust a window.
MIN_ROWS = 20
_DATES = ("date", "datetime")


def find(ctx: FitContext, table: Table, df: pd.DataFrame,
         columns: list[ColumnModel]) -> list[RowRule]:
    # A date of a few values (every row's last_update the same) is left as the source has it.
    free = [c for c in table.columns if c.kind in _DATES and c.name in df
            and df[c.name].nunique() >= MIN_ROWS and any(
        cm.name == c.name and cm.strategy == "numeric" and not cm.base and not cm.by
        for cm in columns)]
    out: list[RowRule] = []
    cache: dict[tuple[str, str], np.ndarray] = {}  # a parent's dates parsed once
    for col in free:
        for fk in table.foreign_keys:
            if len(fk.columns) != 1 or fk.ref_table == table.name \
                    or fk.ref_table not in ctx.frames:
                continue
            rule = _window(ctx, table, df, col, (fk.columns[0], fk.ref_table,
                                                 fk.ref_columns[0]), cache)
            if rule is not None:
                out.append(rule)
                break
    return out


def _scale(child: Column, parent: Column) -> float:
    """Parent numbers to the child's unit (days for dates, seconds for timestamps)."""
    if child.kind == parent.kind:
        return 1.0
    return 86400.0 if child.kind == "datetime" else 1 / 86400.0


def _window(ctx: FitContext, table: Table, df: pd.DataFrame, col: Column,
            fk: tuple[str, str, str], cache: dict[tuple[str, str], np.ndarray]
            ) -> RowRule | None:
    fk_col, ref_table, ref_col = fk
    ptable = ctx.schema.table(ref_table)
    pdf = ctx.frames[ref_table]
    dates = [c for c in ptable.columns if c.kind in _DATES and c.name in pdf]
    if not dates or len(df) < MIN_ROWS:
        return None
    own = known_numbers(col, df[col.name]).reindex(df.index)
    at = pd.Index(pdf[ref_col]).get_indexer(df[fk_col])
    ok = at >= 0
    if ok.sum() < MIN_ROWS or not float(own.std()) > 0:
        return None

    def parent(c: Column) -> np.ndarray:
        return _aligned(cache, ref_table, pdf, c, at) * _scale(col, c)

    y = own.to_numpy()
    best = None
    for start in (c for c in dates if not c.nullable):
        s = parent(start)
        both = np.isfinite(s) & np.isfinite(y)
        if both.sum() < MIN_ROWS or np.mean(y[both] >= s[both]) < HOLDS:
            continue
        spread = float(np.std(y[both] - s[both]))
        if spread < NEAR * float(own.std()) and (best is None or spread < best[1]):
            best = (start, spread, s)
    if best is None:
        return None
    start, _, s = best
    end_name, e = "", np.full(len(df), np.nan)
    frac: tuple[float, ...] = ()
    for end in (c for c in dates if c.nullable and c.name != start.name):
        e = parent(end)
        both = np.isfinite(e) & np.isfinite(y) & np.isfinite(s) & (e > s)
        # a day's end: a timestamp written on the closing day is inside the period
        slack = 86400.0 if col.kind == "datetime" and end.kind == "date" else 0.0
        if both.sum() >= MIN_ROWS and np.mean(y[both] <= e[both] + slack) >= HOLDS:
            end_name = end.name
            pos = np.clip((y[both] - s[both]) / (e[both] + slack - s[both]), 0.0, 1.0)
            frac = tuple(float(v) for v in copula.quantile_grid(pos))
            break
        e = np.full(len(df), np.nan)
    open_rows = np.isfinite(s) & np.isfinite(y) & ~np.isfinite(e)
    offsets = y[open_rows] - s[open_rows]
    after = tuple(float(v) for v in copula.quantile_grid(offsets)) if len(offsets) >= \
        MIN_ROWS else ()
    return RowRule("window", (col.name, fk_col), (ref_table, ref_col, start.name, end_name,
                                                  frac, after, float(np.nanmax(y))))


def _aligned(cache: dict[tuple[str, str], np.ndarray], ref_table: str, pdf: pd.DataFrame,
             c: Column, at: np.ndarray) -> np.ndarray:
    """A parent's date at each child row's parent (NaN where none), parsed once."""
    if (ref_table, c.name) not in cache:
        cache[ref_table, c.name] = known_numbers(c, pdf[c.name]).reindex(pdf.index).to_numpy()
    out = np.full(len(at), np.nan)
    ok = at >= 0
    out[ok] = cache[ref_table, c.name][at[ok]]
    return out


def apply(st: SampleState, table: Table, rule: RowRule, data: Columns) -> None:
    """Each row's date drawn again inside its parent's period (rows whose parent has no
    date, or whose parent is not generated yet, keep theirs)."""
    name, fk_col = rule.columns
    ref_table, ref_col, start, end, frac, after, top = rule.params
    if ref_table not in st.done or name not in data or fk_col not in data:
        return
    col = table.column(name)
    ptable = st.schema.table(str(ref_table))
    parent = st.done[str(ref_table)]
    if not parent.has(str(start)) or (end and not parent.has(str(end))):
        return
    at = pd.Index(parent.column(str(ref_col))).get_indexer(list(data[fk_col]))
    ok = at >= 0
    y = to_numbers(col, data[name])
    s, e = np.full(len(y), np.nan), np.full(len(y), np.nan)
    scol = ptable.column(str(start))
    s[ok] = parent.numbers(str(start), scol, at[ok]) * _scale(col, scol) if ok.any() else []
    slack = 0.0
    if end:
        ecol = ptable.column(str(end))
        e[ok] = parent.numbers(str(end), ecol, at[ok]) * _scale(col, ecol) if ok.any() else []
        slack = 86400.0 if col.kind == "datetime" and ecol.kind == "date" else 0.0
    closed = np.isfinite(s) & np.isfinite(e) & (e > s) & np.isfinite(y)
    still = np.isfinite(s) & ~np.isfinite(e) & np.isfinite(y)
    if frac and closed.any():
        pos = copula.normal_to_numeric(st.rng.standard_normal(int(closed.sum())), tuple(frac),
                                       False, False)
        y[closed] = s[closed] + pos * (e[closed] + slack - s[closed])
    if after and still.any():
        gap = copula.normal_to_numeric(st.rng.standard_normal(int(still.sum())), tuple(after),
                                       False, False)
        y[still] = np.maximum(s[still], np.minimum(s[still] + gap, float(top)))
    moved = closed | still
    if not moved.any():
        return
    out = np.asarray(data[name], dtype=object).copy()
    # whole days for dates; a timestamp on the column's own granularity (whole seconds...)
    step = 1.0 if col.kind == "date" else st.model.table(table.name).column(name).step
    got = np.floor(y[moved] / step) * step if step else y[moved]
    out[moved] = to_python(col, got)
    data[name] = out
