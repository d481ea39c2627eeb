"""FKs that close a cycle: a NOT NULL one waits for its parent and is filled before the rows
are loaded; a nullable one is NULL, then an UPDATE once the parent exists. Rows left without
a parent for a NOT NULL FK are dropped.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from dbclone.schema import Table
from dbclone.synth.codecs import (
    py_value,
)
from dbclone.synth.family.parents import set_fk
from dbclone.synth.model import FKModel
from dbclone.synth.state import SampleState
from dbclone.synth.tables import Columns, DeferredUpdate, TableData


def fill_waiting(st: SampleState, item: TableData) -> None:
    """A NOT NULL FK that closes a cycle (DEFERRABLE, or added after the data): its values
    are drawn once the parent exists, before the rows are loaded."""
    n = item.n_rows
    for fk in st.waiting[item.table.name]:
        parent = st.done.get(fk.ref_table)
        if parent is None or parent.n == 0:
            continue
        idx = st.rng.integers(0, parent.n, n)
        if unique_cols(item.table, fk.columns) and parent.n >= n:
            idx = st.rng.permutation(parent.n)[:n]
        set_fk(item.data, fk, idx, parent.take)


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
