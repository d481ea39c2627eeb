"""FKs that close a cycle: a NOT NULL one waits for its parent and is filled before the rows
are loaded; a nullable one is NULL, then an UPDATE once the parent exists. Rows left without
a parent for a NOT NULL FK are dropped.

A waiting FK keeps what its model learned: each parent's number of children (drawn from the
FK's children-per-parent distribution, as a non-waiting FK's parents are dealt), and, in a
cycle of two tables, the pairing the source holds between the two directions (fit:
`with_returns`, the share of rows their parent names back through its own FK into the row's
table; a store's manager works at that store in every row of Sakila). Sampling pairs that
share of rows first (`fill_waiting`), then deals the parents' remaining children.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dbclone.schema import ForeignKey, Table
from dbclone.synth.codecs import (
    py_value,
)
from dbclone.synth.family.counts import calibrate, draw_counts
from dbclone.synth.family.parents import set_fk
from dbclone.synth.model import FKModel
from dbclone.synth.state import Generated, SampleState
from dbclone.synth.tables import Columns, DeferredUpdate, TableData

if TYPE_CHECKING:
    from dbclone.synth.context import FitContext


# -- fit -------------------------------------------------------------------------------------
def with_returns(ctx: FitContext, table: Table, df: pd.DataFrame,
                 fks: list[FKModel]) -> list[FKModel]:
    """Each FK whose parent table has an FK back into this one, with the back FK that names
    the most rows back and the share it names (`FKModel.returns`)."""
    out = []
    for fm in fks:
        fk = next((f for f in table.foreign_keys if f.columns == fm.columns), None)
        found = _returns(ctx, table, df, fk) if fk is not None else None
        out.append(dataclasses.replace(fm, returns=found[0], returns_share=found[1])
                   if found else fm)
    return out


def _returns(ctx: FitContext, table: Table, df: pd.DataFrame,
             fk: ForeignKey) -> tuple[tuple[str, ...], float] | None:
    if fk.ref_table == table.name or fk.ref_table not in ctx.frames or not len(df):
        return None
    parent = ctx.frames[fk.ref_table]
    best: tuple[tuple[str, ...], float] | None = None
    for back in ctx.schema.table(fk.ref_table).foreign_keys:
        if back.ref_table != table.name or \
                not set(back.ref_columns) <= set(df.columns) or \
                not set(back.columns) <= set(parent.columns):
            continue
        on = [f"k{i}" for i in range(len(fk.columns))]
        rows = pd.DataFrame({**{k: df[c].to_numpy() for k, c in zip(on, fk.columns, strict=True)},
                             **{f"o{i}": df[c].to_numpy() for i, c in enumerate(back.ref_columns)}})
        named = pd.DataFrame(
            {**{k: parent[c].to_numpy() for k, c in zip(on, fk.ref_columns, strict=True)},
             **{f"b{i}": parent[c].to_numpy() for i, c in enumerate(back.columns)}})
        try:  # keys of one type on both sides; a mismatch pairs nothing
            merged = rows.dropna(subset=on).merge(named.dropna(subset=on), on=on, how="inner")
        except (ValueError, TypeError):
            continue
        if not len(merged):
            continue
        same = np.ones(len(merged), dtype=bool)
        for i in range(len(back.columns)):
            same &= (merged[f"o{i}"] == merged[f"b{i}"]).to_numpy(dtype=bool)
        share = float(same.mean())
        if share > 0 and (best is None or share > best[1]):
            best = (back.columns, share)
    return best


# -- sample ----------------------------------------------------------------------------------
def fill_waiting(st: SampleState, item: TableData) -> None:
    """A NOT NULL FK that closes a cycle (DEFERRABLE, or added after the data): its values
    are drawn once the parent exists, before the rows are loaded: the pairs the source
    holds first, then each parent's learned number of children (see the module docstring)."""
    n = item.n_rows
    for fk in st.waiting[item.table.name]:
        parent = st.done.get(fk.ref_table)
        if parent is None or parent.n == 0:
            continue
        if unique_cols(item.table, fk.columns):
            stock = np.ones(parent.n, dtype=np.int64)
        else:
            stock = calibrate(draw_counts(st, fk, parent.n), n, st.rng).astype(np.int64)
        idx = np.full(n, -1, dtype=np.int64)
        _pair(st, item, fk, parent, idx, stock)
        left = np.flatnonzero(idx < 0)
        pool = st.rng.permutation(np.repeat(np.arange(parent.n), np.maximum(stock, 0)))
        idx[left[:len(pool)]] = pool[:len(left)]
        rest = left[len(pool):]  # beyond the stock: any parent
        idx[rest] = st.rng.integers(0, parent.n, len(rest))
        set_fk(item.data, fk, idx, parent.take)


def _pair(st: SampleState, item: TableData, fk: FKModel, parent: Generated, idx: np.ndarray,
          stock: np.ndarray) -> None:
    """Rows whose parent names them back, as in the source (`with_returns`): the share the
    parent's own FK into this table learned (`_named_by_parent`), then the share this FK
    learned (`_naming_parent`)."""
    own = item.table.name
    for back in st.model.table(fk.ref_table).fks:
        if back.ref_table == own and back.returns == fk.columns and back.returns_share > 0:
            _named_by_parent(st, item, back, parent, idx, stock)
    if fk.returns and fk.returns_share > 0:
        _naming_parent(st, item, fk, parent, idx, stock)


def _named_by_parent(st: SampleState, item: TableData, back: FKModel, parent: Generated,
                     idx: np.ndarray, stock: np.ndarray) -> None:
    """The row a parent names through its FK `back` takes that parent, for the share of the
    parents `back` learned (a store's manager works at the store)."""
    named = _named(item, parent, back.columns, back.ref_columns)
    if named is None:
        return
    for p in np.flatnonzero(st.rng.random(parent.n) < back.returns_share):
        c = named[p]
        if c >= 0 and idx[c] < 0:
            idx[c] = p
            stock[p] -= 1


def _naming_parent(st: SampleState, item: TableData, fk: FKModel, parent: Generated,
                   idx: np.ndarray, stock: np.ndarray) -> None:
    """A row takes one of the parents that name it (with children left to take), for the
    share of the rows `fk` learned (a store's manager is one of its staff)."""
    back = next((f for f in st.schema.table(fk.ref_table).foreign_keys
                 if f.columns == fk.returns and f.ref_table == item.table.name), None)
    named = _named(item, parent, fk.returns, back.ref_columns) if back else None
    if named is None:
        return
    naming: dict[int, list[int]] = {}
    for p in np.flatnonzero(named >= 0):
        naming.setdefault(int(named[p]), []).append(int(p))
    for c in np.flatnonzero(st.rng.random(len(idx)) < fk.returns_share):
        free = [p for p in naming.get(int(c), ()) if stock[p] > 0]
        if idx[c] < 0 and free:
            pick = free[int(st.rng.integers(0, len(free)))]
            idx[c] = pick
            stock[pick] -= 1


def _named(item: TableData, parent: Generated, columns: tuple[str, ...],
           keys: tuple[str, ...]) -> np.ndarray | None:
    """For each parent row, the position in `item` of the row its `columns` name (through
    `item`'s `keys`), -1 where none; None when either side's columns were not kept."""
    if not all(parent.has(c) for c in columns) or not all(k in item.data for k in keys):
        return None
    at = {tuple(row): i for i, row in enumerate(zip(*(item.data[k] for k in keys),
                                                    strict=True))}
    values = zip(*(parent.column(c) for c in columns), strict=True)
    return np.asarray([at.get(tuple(v), -1) for v in values], dtype=np.int64)


def deferred_updates(st: SampleState) -> Iterator[DeferredUpdate]:
    yield from st.derived
    for table, fk in st.pending:
        parent = st.done[fk.ref_table]
        key_cols = table.primary_key or table.column_names
        own = st.done[table.name]
        rows = np.arange(own.n)  # the rows kept, in order
        if not all(own.has(k) for k in key_cols):
            continue
        idx = st.rng.integers(0, max(parent.n, 1), len(rows)) if parent.n else \
            np.full(len(rows), -1)
        if unique_cols(table, fk.columns) and parent.n >= len(rows):
            idx = st.rng.permutation(parent.n)[: len(rows)]
        keep = st.rng.random(len(rows)) >= fk.null_rate
        sel = np.flatnonzero(keep & (idx >= 0))
        values = [parent.take(r, idx[sel]) for r in fk.ref_columns]
        values += [own.take(k, rows[sel]) for k in key_cols]
        out = [tuple(py_value(v) for v in row) for row in zip(*values, strict=True)]
        yield DeferredUpdate(table, tuple(key_cols), fk.columns, out)


def unique_cols(table: Table, cols: tuple[str, ...]) -> bool:
    return any(set(u) == set(cols) for u in table.unique_sets())


def drop_orphans(table: Table, data: Columns, waiting: list[FKModel]) -> Columns:
    """Rows left without a parent for a NOT NULL FK (no parent could take them) go; FKs still
    waiting for their parent are filled later."""
    keep = np.ones(len(next(iter(data.values()))) if data else 0, dtype=bool)
    later = {c for fk in waiting for c in fk.columns}
    for fk in table.foreign_keys:
        for c in fk.columns:
            if c in later:
                continue
            if not table.column(c).nullable and c in data:
                keep &= np.asarray([v is not None for v in data[c]], dtype=bool)
    return data if keep.all() else {c: v[keep] for c, v in data.items()}
