"""Derived aggregates: a parent column equal to its children's count, sum or sum of products
(an invoice's total), or to the sum of a child number with rates added or taken off (an
order's total: each line's price x (1 + tax) x (1 - discount), every line rounded to the
cent), is found at fit time and recomputed from the generated children, chunk by chunk, as
an UPDATE once the children are complete; so is a parent's category decided by the set of
its children's categories (`flagsets`), in the same UPDATE.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dbclone.schema import Column, ForeignKey, Table
from dbclone.semantic import relations as rel
from dbclone.source import parent_positions
from dbclone.synth.codecs import (
    NUMERIC_KINDS,
    py_value,
    to_python,
)
from dbclone.synth.context import FitContext, Step, TableFit
from dbclone.synth.family.counts import child_fks
from dbclone.synth.model import ColumnModel, TableModel
from dbclone.synth.relations import flagsets
from dbclone.synth.state import SampleState
from dbclone.synth.tables import Columns, DeferredUpdate

if TYPE_CHECKING:
    from dbclone.synth.state import Run


def mark_derived(ctx: FitContext, table: Table, df: pd.DataFrame,
                 columns: list[ColumnModel]) -> list[ColumnModel]:
    """Parent columns that equal an aggregate of their children (an invoice's total is the sum
    of its lines' price x quantity) are recomputed after the children are generated."""
    out = []
    sums: dict[tuple[str, tuple[str, ...]], ChildSums] = {}  # shared by the columns
    for cm in columns:
        col = table.column(cm.name)
        found = None
        if cm.strategy == "numeric" and col.kind in NUMERIC_KINDS and len(df) >= 10:
            found = _derived_from(ctx, table, df, col, sums)
        out.append(dataclasses.replace(cm, derived=found) if found else cm)
    return out


def _derived_from(ctx: FitContext, table: Table, df: pd.DataFrame, col: Column,
                  sums: dict[tuple[str, tuple[str, ...]], ChildSums]
                  ) -> tuple[str, ...] | None:
    target = pd.to_numeric(df[col.name], errors="coerce").astype(float).to_numpy()
    tol = 0.5 * 10.0 ** -(col.scale or 0) if col.kind == "decimal" else 1e-6
    known = ~np.isnan(target)
    if known.sum() < 10:
        return None
    for child, fk in child_fks(ctx, table):
        if child.name == table.name:
            continue
        nums = [c.name for c in child.columns if c.kind in NUMERIC_KINDS
                and c.name not in fk.columns and c.name not in child.primary_key]
        key = (child.name, fk.columns)
        if key not in sums:
            sums[key] = ChildSums(df, ctx.frames[child.name], fk, nums,
                                  ctx.exact_counts(child.name, fk.columns))
        whole = known & sums[key].complete
        if whole.sum() < 10:
            continue
        candidates: list[tuple[str, ...]] = [("count",)]
        candidates += [("sum", a) for a in nums]
        candidates += [("sum_product", a, b) for i, a in enumerate(nums) for b in nums[i + 1:]]
        for cand in candidates:
            agg = sums[key].of(cand)
            if (np.abs(agg[whole] - target[whole]) <= tol + 1e-9).mean() >= 0.99:
                return (child.name, "/".join(fk.columns), *cand)
        found = _rated(sums[key], child, nums, target, whole, tol)
        if found is not None:
            return (child.name, "/".join(fk.columns), *found)
    return None


#: Most rates (numbers in [0, 1): a discount, a tax) a rated sum's term combines.
MAX_RATES = 2
#: The rounding slack of a rated sum (a cent per line and rate) must stay below this share
#: of the parent's typical value: a slack as wide as the values themselves proves nothing.
SLACK_SHARE = 1e-3


def _rated(sums: ChildSums, child: Table, nums: list[str], target: np.ndarray,
           whole: np.ndarray, tol: float) -> tuple[str, ...] | None:
    """``sum_rated:<signs>`` (a, rates...): the sum over the children of a x (1 +/- rate)
    ..., each child's term rounded to the child's own step (so the parent may be off by a
    step per child and rate, no more), in EXACT of the parents."""
    rates = [c for c in nums if sums.is_rate(c)]
    if not rates:
        return None
    slack = tol + 1e-9 + sums.counts * (MAX_RATES * sums.step)
    typical = float(np.median(np.abs(target[whole]))) if whole.any() else 0.0
    if not typical or float(np.median(slack[whole])) > SLACK_SHARE * typical:
        return None
    for a in nums:
        if a in rates:
            continue
        for k in range(1, MAX_RATES + 1):
            for chosen in itertools.combinations(rates, k):
                for signs in itertools.product("+-", repeat=k):
                    how = ("sum_rated:" + "".join(signs), a, *chosen)
                    agg = sums.of(how)
                    if (np.abs(agg[whole] - target[whole]) <= slack[whole]).mean() >= 0.99:
                        return how
    return None


class ChildSums:
    """The source children's aggregates per parent row (0 without children): one bincount
    per candidate over the children's parent positions, computed once for all the parent's
    columns (they were a group-by and a merge on text keys per candidate and column, 44 s
    of a 270k-row fit). `complete`: parents whose children are all in the child's sample
    (every parent when neither table is sampled), the only ones a candidate is judged on."""

    def __init__(self, parent: pd.DataFrame, child: pd.DataFrame, fk: ForeignKey,
                 nums: list[str], exact: np.ndarray | None) -> None:
        pos = parent_positions(parent, list(fk.ref_columns), child, list(fk.columns))
        has = pos >= 0
        self.pos, self.n = pos[has], len(parent)
        self.values = {c: np.nan_to_num(pd.to_numeric(child[c], errors="coerce")
                                        .astype(float).to_numpy()[has]) for c in nums}
        self.counts = np.bincount(self.pos, minlength=self.n)
        self.complete = np.ones(self.n, dtype=bool) if exact is None else self.counts == exact
        self.done: dict[tuple[str, ...], np.ndarray] = {}
        #: The children's finest rounding step (a cent): what a rounded term may be off by.
        steps = [s for s in (rel.step_of(v) for v in self.values.values()) if s > 0]
        self.step = min(steps, default=1e-6)

    def is_rate(self, column: str) -> bool:
        """A number in [0, 1), not always 0 (a discount, a tax rate)."""
        v = self.values[column]
        return bool(len(v) and v.min() >= 0 and v.max() < 1 and v.max() > 0)

    def of(self, how: tuple[str, ...]) -> np.ndarray:
        if how not in self.done:
            weights = _child_values(how, lambda c: self.values[c])
            if isinstance(weights, float):
                self.done[how] = np.bincount(self.pos, minlength=self.n).astype(float)
            else:
                self.done[how] = np.bincount(self.pos, weights=weights, minlength=self.n)
        return self.done[how]


def _child_values(how: tuple[str, ...],
                  number: Callable[[str], Any]) -> Any:
    """Each child row's part of the aggregate `how`: 1 (count), a column (sum), the product
    of two (sum_product) or a column with rates added or taken off (sum_rated:+-, a x (1 +
    b) x (1 - c)); `number` reads a child column as numbers."""
    if how[0] == "count":
        return 1.0
    if how[0] == "sum":
        return number(how[1])
    if how[0].startswith("sum_rated:"):
        term = number(how[1])
        for sign, rate in zip(how[0].split(":", 1)[1], how[2:], strict=True):
            term = term * (1 + number(rate) if sign == "+" else 1 - number(rate))
        return term
    return number(how[1]) * number(how[2])


def derive_parents(st: SampleState, child: Table, data: Columns, run: Run) -> None:
    """Recompute parent columns that aggregate this table's rows (invoice totals, a status
    set by the children's): each chunk adds to the sums (or to the sets of values), the
    update is made when the table is complete (`updates`)."""
    for tm in st.model.tables:
        if tm.name not in st.done:
            continue
        for cm in tm.columns:
            if not cm.derived or cm.derived[0] != child.name:
                continue
            fk = next(f for f in child.foreign_keys
                      if "/".join(f.columns) == cm.derived[1])
            sums = chunk_aggregate(st, tm, cm, fk, data)
            key = (tm.name, cm.name)
            if key in run.sums:
                sums = sums + run.sums[key][1]
            run.sums[key] = (fk, sums)
        for rule in tm.rules:
            if rule.kind != flagsets.KIND or rule.params[0] != child.name:
                continue
            fk = flagsets.child_fk(st, rule)
            masks = flagsets.chunk_masks(st, tm.name, rule, fk, data)
            key = (tm.name, rule.columns[0])
            if key in run.sums:
                masks = masks | run.sums[key][1]
            run.sums[key] = (fk, masks)


def updates(st: SampleState, run: Run) -> list[DeferredUpdate]:
    """The child table is complete: the UPDATEs of its parents' aggregates."""
    out = []
    for (parent, column), (fk, got) in run.sums.items():
        rule = next((r for r in st.model.table(parent).rules
                     if r.kind == flagsets.KIND and r.columns[0] == column), None)
        out.append(aggregate_update(st, parent, column, fk, got) if rule is None else
                   flagsets.update(st, parent, rule, fk, got))
    return out


def aggregate_inputs(st: SampleState, child: Table) -> set[str]:
    """The columns of `child` that `derive_parents` reads: the FKs to the parents and the
    numbers or categories aggregated."""
    out: set[str] = set()
    for tm in st.model.tables:
        for cm in tm.columns:
            if cm.derived and cm.derived[0] == child.name:
                fk = next(f for f in child.foreign_keys if "/".join(f.columns) == cm.derived[1])
                out |= set(fk.columns) | {c for c in cm.derived[2:] if c in child.column_names}
        for rule in tm.rules:
            if rule.kind == flagsets.KIND and rule.params[0] == child.name:
                out |= set(rule.params[1]) | {rule.params[2]}
    return out


def chunk_aggregate(st: SampleState, tm: TableModel, cm: ColumnModel, fk: Any,
                    data: Columns) -> np.ndarray:
    """This chunk's aggregate for each parent row (0 where it has no children here)."""
    how = cm.derived[2:]
    frame = pd.DataFrame({r: data[c] for c, r in zip(fk.columns, fk.ref_columns,
                                                      strict=True)})
    frame["_v"] = _child_values(
        how, lambda c: pd.to_numeric(pd.Series(data[c]), errors="coerce"))
    sums = frame.groupby(list(fk.ref_columns), dropna=True)["_v"].sum()
    keys = key_frame(st, tm.name, fk.ref_columns)
    index = pd.MultiIndex.from_frame(keys) if len(fk.ref_columns) > 1 else \
        pd.Index(keys[fk.ref_columns[0]])
    return np.asarray(sums.reindex(index).fillna(0.0).to_numpy(dtype=float))


def aggregate_update(st: SampleState, table: str, column: str, fk: Any,
                     values: np.ndarray) -> DeferredUpdate:
    parent = st.schema.table(table)
    col = parent.column(column)
    keys = key_frame(st, table, fk.ref_columns)
    typed = to_python(col, values)
    rows = [(v, *map(py_value, k))
            for v, k in zip(typed, keys.itertuples(index=False, name=None), strict=True)]
    return DeferredUpdate(parent, tuple(fk.ref_columns), (column,), rows)


def key_frame(st: SampleState, table: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """All rows of a generated table's key columns (for what reindexes by key)."""
    return pd.DataFrame({c: st.done[table].column(c) for c in columns})


def _mark(ctx: FitContext, tf: TableFit) -> None:
    tf.columns = mark_derived(ctx, tf.table, tf.df, tf.columns)
    ctx.derived |= {(tf.table.name, c.name) for c in tf.columns if c.derived}


#: Parent columns aggregating their children (no child builds on them afterwards).
STEP = Step("derived aggregates", _mark)
