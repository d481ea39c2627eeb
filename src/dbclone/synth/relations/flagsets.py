"""A parent's category decided by the set of its children's categories: an order is 'F' when
all its lines are 'F', 'O' when all are 'O', 'P' when they are mixed. Found on the parents
whose children the fit read whole (each parent's set of child values as bits, one bincount
per candidate pair, no search over rows), kept as a `RowRule` of the parent (kind
``flagset``, its column; params: the child table, the FK's columns, the child's column,
the child values that get a bit of their own (held by k rows or more; any other value,
NULL included, shares one more bit) and the (bits, value) pairs held by k parents or more).
Made to hold by an UPDATE of the parents once their children are generated (`derived`
gathers the bits chunk by chunk); a parent whose set the source never showed k times keeps
its drawn value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from dbclone.schema import ForeignKey, Table
from dbclone.semantic import relations as rel
from dbclone.semantic.rows import RowRule
from dbclone.synth.codecs import py_value
from dbclone.synth.context import FitContext
from dbclone.synth.family.counts import child_fks
from dbclone.synth.model import ColumnModel
from dbclone.synth.relations.ancestors import key_positions
from dbclone.synth.state import SampleState
from dbclone.synth.tables import Columns, DeferredUpdate

KIND = "flagset"
#: Most values of a parent's or a child's category for a flag set.
FLAG_VALUES = 10
#: Share of the parents whose set of child values must be held by k parents or more.
COMMON_SETS = 0.99


def _plain(values: pd.Series) -> list[Any] | None:
    """The distinct values as JSON-plain Python values (text, integers, booleans), or None."""
    out = [v.item() if isinstance(v, np.generic) else v for v in values.dropna().unique()]
    return out if all(isinstance(v, str | int | bool) for v in out) else None


def find(ctx: FitContext, table: Table, df: pd.DataFrame,
         columns: Sequence[ColumnModel]) -> list[RowRule]:
    """The parent's categories each decided by the set of one child column's values."""
    if len(df) < rel.MIN_ROWS:
        return []
    targets = [cm.name for cm in columns if cm.strategy == "categorical" and not cm.joint
               and cm.name in df and 1 < df[cm.name].nunique() <= FLAG_VALUES
               and _plain(df[cm.name]) is not None]
    out: list[RowRule] = []
    for child, fk in child_fks(ctx, table) if targets else []:
        cdf = ctx.frames.get(child.name)
        if child.name == table.name or cdf is None or not len(cdf):
            continue
        keys = {c for f in child.foreign_keys for c in f.columns} | set(child.primary_key)
        flags = [c.name for c in child.columns if c.name not in keys and c.name in cdf
                 and 1 < cdf[c.name].nunique() <= FLAG_VALUES and _plain(cdf[c.name])]
        pos = key_positions(df, list(fk.ref_columns), cdf, list(fk.columns))
        has = pos >= 0
        exact = ctx.exact_counts(child.name, fk.columns)
        complete = np.ones(len(df), dtype=bool) if exact is None else \
            np.bincount(pos[has], minlength=len(df)) == exact
        for flag in flags:
            counts = cdf[flag].value_counts()
            values = _plain(pd.Series(counts[counts >= ctx.opts.rare_threshold].index))
            if not values:
                continue
            masks = masks_of(cdf[flag].to_numpy(dtype=object), values, pos, len(df))
            for target in [t for t in targets if t not in {r.columns[0] for r in out}]:
                pairs = _mapping(df[target], masks, complete, values, ctx.opts.rare_threshold)
                if pairs:
                    out.append(RowRule(KIND, (target,), (child.name, list(fk.columns), flag,
                                                         values, pairs)))
    return out


def masks_of(child_values: np.ndarray, values: Sequence[Any], pos: np.ndarray,
             parents: int) -> np.ndarray:
    """Each parent's set of its children's values as bits (bit i: `values[i]`; the bit after
    them: any other value or NULL); `pos`: each child's parent position (-1: none)."""
    index = {v: i for i, v in enumerate(values)}
    codes = pd.Series(child_values, dtype=object).map(index)
    bits = np.left_shift(1, codes.fillna(len(values)).to_numpy(dtype=np.int64))
    masks = np.zeros(parents, dtype=np.int64)
    ok = pos >= 0
    np.bitwise_or.at(masks, pos[ok], bits[ok])
    return masks


def _mapping(y: pd.Series, masks: np.ndarray, complete: np.ndarray, values: list[Any],
             k: int) -> list[list[Any]] | None:
    """(bits, value) pairs when the parent's value is a function of its set of children's
    values in EXACT of the parents (sets held by k parents or more, covering COMMON_SETS of
    them), neither constant nor a copy of the one value its children all share."""
    frame = pd.DataFrame({"m": masks[complete], "y": y.to_numpy(dtype=object)[complete]})
    frame = frame[frame["y"].notna()]
    if len(frame) < rel.MIN_ROWS or frame["m"].nunique() < 2 or frame["y"].nunique() < 2:
        return None
    sizes = frame.groupby(["m", "y"]).size()
    per_set = sizes.groupby(level="m").sum()
    held = per_set[per_set >= k]
    if held.sum() < COMMON_SETS * len(frame):
        return None
    top = sizes.loc[list(held.index)].groupby(level="m").idxmax()
    agree = sum(int(sizes[m_y]) for m_y in top)
    if agree < rel.EXACT * held.sum():
        return None
    pairs = [[int(m), _scalar(m_y[1])] for m, m_y in top.items()]
    single = {1 << i: v for i, v in enumerate(values)}
    if all(single.get(m) == v for m, v in pairs):
        return None  # the children copy the parent's value: nothing to decide
    return pairs


def _scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# -- sampling -----------------------------------------------------------------------------

def chunk_masks(st: SampleState, parent: str, rule: RowRule, fk: ForeignKey,
                data: Columns) -> np.ndarray:
    """This chunk's children's values as bits per row of the generated parent."""
    done = st.done[parent]
    pos = done.positions(tuple(fk.ref_columns), [np.asarray(data[c], dtype=object)
                                                 for c in fk.columns])
    return masks_of(np.asarray(data[rule.params[2]], dtype=object), rule.params[3], pos,
                    done.n)


def update(st: SampleState, parent: str, rule: RowRule, fk: ForeignKey,
           masks: np.ndarray) -> DeferredUpdate:
    """The parents whose set of children's values the source showed: their value."""
    decided = {int(m): v for m, v in rule.params[4]}
    table = st.schema.table(parent)
    keys = [st.done[parent].column(c) for c in fk.ref_columns]
    rows = [(decided[int(m)], *(py_value(k[i]) for k in keys)) for i, m in enumerate(masks)
            if int(m) in decided]
    return DeferredUpdate(table, tuple(fk.ref_columns), (rule.columns[0],), rows)


def child_fk(st: SampleState, rule: RowRule) -> ForeignKey:
    child = st.schema.table(rule.params[0])
    return next(f for f in child.foreign_keys if list(f.columns) == list(rule.params[1]))
