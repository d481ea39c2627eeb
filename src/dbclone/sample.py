"""Stage 4: generate a clone from a `Model`, table by table in plan order.

Keys are generated (unique by construction), FK values come from the synthetic parents following
the learned children-per-parent distributions, and each child row is drawn conditioned on its
parent's latent scores. Output: `TableData` per table, then `DeferredUpdate`s for FKs that close
a cycle (written after both tables are in).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from dbclone import copula, jsongen, softkey
from dbclone.constraints import column_patterns, repair
from dbclone.fit import EPOCH
from dbclone.fit import shape_of as _shape_of
from dbclone.memory import return_large_blocks
from dbclone.model import ColumnModel, FKModel, Model, TableModel
from dbclone.pii import SHAPED, Generator, pool_size
from dbclone.plan import Plan
from dbclone.schema import Column, Table
from dbclone.spill import Spill
from dbclone.strgen import Pattern

#: Values are built as object columns: None is NULL.
Columns = dict[str, np.ndarray]

#: Rows generated at a time: a larger table comes out as consecutive chunks of about this
#: many rows, so memory does not grow with the scale.
CHUNK_ROWS = 50_000


@dataclass
class TableData:
    table: Table
    columns: tuple[str, ...]
    data: Columns
    #: A table may come in consecutive chunks: the rows planned for the whole table (0 when
    #: unknown), and whether this chunk is its last.
    planned_rows: int = 0
    last: bool = True

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.data.values()))) if self.data else 0

    def rows(self, start: int = 0, stop: int | None = None) -> list[tuple[Any, ...]]:
        cols = [self.data[c][start:stop].tolist() for c in self.columns]
        return list(zip(*cols, strict=True))


@dataclass
class DeferredUpdate:
    """SET fk columns WHERE key columns — for an FK whose parent was generated later."""

    table: Table
    key_columns: tuple[str, ...]
    fk_columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]  # fk values..., key values...


@dataclass
class _Run:
    """What the chunks of one table share while it is generated."""

    table: Table
    tm: TableModel
    driver: FKModel | None
    driven: _Driven | None  # the driving parent of each planned row
    n: int  # rows planned
    started: bool = False  # the first chunk is done (cycle FKs registered once)
    rows: int = 0  # rows kept so far
    patterns: dict[str, Pattern] | None = None
    seen: dict[tuple[str, ...], list[np.ndarray]] = field(default_factory=dict)  # UNIQUE
    picks: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)  # own parent rows
    deals: dict[tuple[str, ...], _Deal] = field(default_factory=dict)  # other FKs' parents
    own_keys: dict[str, list[np.ndarray]] = field(default_factory=dict)  # FK to own table
    needed: set[str] | None = None
    parent: bool = False  # has children: keeps its latent scores
    kept: Spill = field(default_factory=Spill)  # what children need, chunk by chunk
    sums: dict[tuple[str, str], tuple[Any, np.ndarray]] = field(default_factory=dict)


#: The column of a `Spill` holding a table's latent scores (one row of floats per row).
_LATENT = "\0latent"


@dataclass
class _Generated:
    """A generated table as its children see it: its rows' kept columns, latent scores and
    sampled children counts (`#child.fk` dims), in a `Spill` (on disk when it is large)."""

    n: int
    kept: Spill
    dims: tuple[str, ...]

    def take(self, column: str, idx: np.ndarray) -> np.ndarray:
        """A kept column at row positions `idx`; None where a position is -1 (no parent)."""
        ok = idx >= 0
        if ok.all():
            return self.kept.take(column, idx)
        out = np.full(len(idx), None, dtype=object)
        out[ok] = self.kept.take(column, idx[ok])
        return out

    def has(self, column: str) -> bool:
        return self.kept.has(column)

    def column(self, column: str) -> np.ndarray:
        return self.kept.column(column)

    def latent(self, idx: np.ndarray) -> np.ndarray:
        return self.kept.take(_LATENT, idx)

    def counts(self, dim: str) -> np.ndarray | None:
        return self.kept.column(dim) if self.kept.has(dim) else None

    def numbers(self, column: str, col: Column, idx: np.ndarray) -> np.ndarray:
        """A kept column as numbers (days, seconds) at positions `idx` (all valid): a driving
        parent's children hit a narrow band of rows, converted once each."""
        if not len(idx):
            return np.zeros(0)
        lo, hi = int(idx.min()), int(idx.max()) + 1
        if hi - lo <= len(idx):
            return to_numbers(col, self.kept.rows(column, lo, hi))[idx - lo]
        return to_numbers(col, self.kept.take(column, idx))


@dataclass
class _Deal:
    """Parents for a non-driving FK's rows, dealt a chunk at a time. Each parent's sampled
    number of children is its stock; a chunk takes its rows from what is left without
    replacement (a multivariate hypergeometric draw: the law of slicing one shuffled pool of
    the whole table, which cost 8 bytes per child row), then, once every stock is out, with
    replacement by weight."""

    left: np.ndarray  # children each parent can still take
    probs: np.ndarray  # the parents' weights, for rows beyond the stock
    stock: int

    @classmethod
    def of(cls, weights: np.ndarray) -> _Deal:
        left = np.asarray(weights).astype(np.int64)
        w = np.asarray(weights, dtype=float)
        n = len(w)
        probs = w / w.sum() if w.sum() > 0 else np.full(n, 1.0 / max(n, 1))
        return cls(left, probs, int(left.sum()))

    def deal(self, n: int, rng: np.random.Generator) -> np.ndarray:
        parents = len(self.left)
        if parents == 0:
            return np.full(n, -1, dtype=np.int64)
        out = np.empty(n, dtype=np.int64)
        m = min(n, self.stock)
        if m:
            got = rng.multivariate_hypergeometric(self.left, m, method="marginals")
            self.left -= got
            self.stock -= m
            pool = np.repeat(np.arange(parents), got)
            rng.shuffle(pool)
            out[:m] = pool
        if n > m:
            out[m:] = rng.choice(parents, size=n - m, p=self.probs)
        return out


@dataclass
class _Driven:
    """The driving parent of each planned child row, without one index per row: parent p's
    children are rows cum[p-1]..cum[p] (parents in order, as np.repeat would lay them out),
    then `nulls` rows without a parent. A child table of 5M rows cost 40 MB as an index."""

    cum: np.ndarray  # running total of children per parent
    nulls: int

    @property
    def n(self) -> int:
        return self.total + self.nulls

    @property
    def total(self) -> int:
        return int(self.cum[-1]) if len(self.cum) else 0

    def idx(self, lo: int, hi: int) -> np.ndarray:
        """The parent position of rows lo..hi (-1: no parent)."""
        out = np.full(hi - lo, -1, dtype=np.int64)
        with_parent = max(min(hi, self.total) - lo, 0)
        if with_parent:
            out[:with_parent] = np.searchsorted(self.cum, np.arange(lo, lo + with_parent),
                                                side="right")
        return out

    def bounds(self, size: int) -> list[tuple[int, int]]:
        """Chunks of about `size` rows, never between two children of the same parent
        (rows without a parent may be cut anywhere)."""
        n = self.n
        if n <= size:
            return [(0, n)]
        out: list[tuple[int, int]] = []
        lo = 0
        while lo < n:
            if lo + size >= n:
                out.append((lo, n))
                break
            cut = self._start_at_or_before(lo + size)
            if cut is None or cut <= lo:  # one parent with more children than a chunk
                cut = self._start_after(lo)
            out.append((lo, cut))
            lo = cut
        return out

    def _start_at_or_before(self, row: int) -> int | None:
        """The last row <= `row` that starts a parent's children (or has no parent)."""
        if row >= self.total:
            return row
        i = int(np.searchsorted(self.cum, row, side="right")) - 1
        return int(self.cum[i]) if i >= 0 and self.cum[i] > 0 else None

    def _start_after(self, row: int) -> int:
        i = int(np.searchsorted(self.cum, row, side="right"))
        if i < len(self.cum) and self.cum[i] < self.total:
            return int(self.cum[i])
        return max(self.total, row + 1) if self.total < self.n else self.n


class Sampler:
    def __init__(self, model: Model, plan: Plan, *, scale: float = 1.0, seed: int = 0) -> None:
        return_large_blocks()  # memory of earlier chunks goes back to the system
        self.model = model
        self.schema = model.schema
        self.plan = plan
        self.scale = scale
        self.rng = np.random.default_rng(seed)
        self.fake = Generator(model.locale, seed)
        self.done: dict[str, _Generated] = {}
        self.pending: list[tuple[Table, FKModel]] = []  # nullable: NULL, then UPDATE
        self.waiting: dict[str, list[FKModel]] = {}  # NOT NULL: filled before the load
        self.derived: list[DeferredUpdate] = []
        self._joint: dict[str, np.ndarray] = {}  # partner columns of a joint category
        # Parent columns that children copy: kept in memory with the parent's keys.
        self.copied: dict[str, set[str]] = {}
        for tm in model.tables:
            driver = next((f for f in tm.fks if f.driving), None)
            for cm in tm.columns:
                if cm.strategy == "parent" and driver is not None and cm.base:
                    self.copied.setdefault(driver.ref_table, set()).add(cm.base[1:])
        self.notes: list[str] = []
        self._rows_before = 0  # planned rows of the current table before this chunk
        self._made: dict[str, tuple[np.ndarray, np.ndarray, str]] = {}  # this chunk's
        self._rows_planned = 0
        #: Fresh soft-key ids handed out so far per (table, column): ids continue across chunks.
        self._fresh: dict[tuple[str, str], int] = {}

    def run(self) -> Iterator[TableData | DeferredUpdate]:
        held: list[TableData] = []  # waiting for the parent of a NOT NULL FK in a cycle
        for name in self.plan.order:
            parts = []
            for data in self.chunks(name):
                if self.waiting.get(name):
                    parts.append(data)
                else:
                    yield data
            if parts:
                held.append(_join(parts))
            for item in [h for h in held if self._parents_ready(h.table.name)]:
                self._fill_waiting(item)
                held.remove(item)
                yield item
        for item in held:
            self._fill_waiting(item)
            yield item
        yield from self._deferred_updates()

    def _parents_ready(self, table: str) -> bool:
        return all(fk.ref_table in self.done for fk in self.waiting[table])

    def _fill_waiting(self, item: TableData) -> None:
        """A NOT NULL FK that closes a cycle (DEFERRABLE, or added after the data): its values
        are drawn once the parent exists, before the rows are loaded."""
        n = item.n_rows
        for fk in self.waiting[item.table.name]:
            parent = self.done.get(fk.ref_table)
            if parent is None or parent.n == 0:
                continue
            idx = self.rng.integers(0, parent.n, n)
            if _unique_cols(item.table, fk.columns) and parent.n >= n:
                idx = self.rng.permutation(parent.n)[:n]
            self._set_fk(item.data, fk, idx, parent.take)

    # -- one table ---------------------------------------------------------------------------
    def table(self, name: str) -> TableData:
        """The whole table at once (its chunks joined)."""
        return _join(list(self.chunks(name)))

    def chunks(self, name: str) -> Iterator[TableData]:
        """The table's rows in consecutive chunks of about CHUNK_ROWS, cut between the children
        of different driving parents; what must hold across chunks (keys, UNIQUE, parent
        aggregates, the rows children need) is carried in a `_Run`."""
        table = self.schema.table(name)
        tm = self.model.table(name)
        if tm.verbatim:
            yield self._verbatim(table, tm)
            return
        driver = next((f for f in tm.fks if f.driving and f.ref_table in self.done), None)
        driven = self._driven_rows(driver) if driver else None
        n = driven.n if driven is not None else self._row_count(tm)
        run = _Run(table, tm, driver, driven, n)
        bounds = driven.bounds(CHUNK_ROWS) if driven is not None else \
            [(lo, min(lo + CHUNK_ROWS, n)) for lo in range(0, n, CHUNK_ROWS)] or [(0, 0)]
        insert_cols = tuple(c.name for c in table.columns if not c.computed)
        for i, (lo, hi) in enumerate(bounds):
            idx = driven.idx(lo, hi) if driven is not None else None
            spread = copula.SPREAD.set(len(bounds) > 1)
            try:
                data = self._chunk(run, lo, hi, idx)
            finally:
                copula.SPREAD.reset(spread)
            yield TableData(table, insert_cols, {c: data[c] for c in insert_cols},
                            planned_rows=n, last=i == len(bounds) - 1)
        self._finish(run)

    def _chunk(self, run: _Run, lo: int, hi: int, parent_idx: np.ndarray | None) -> Columns:
        """Rows lo..hi of the table (positions in the planned rows, before any is dropped)."""
        table, tm, driver = run.table, run.tm, run.driver
        n = hi - lo
        latent = self._latent(tm, driver, parent_idx, n, run)
        data: Columns = {_ROW: np.arange(n)}
        own = {d: i for i, d in enumerate(tm.copula)}
        self._rows_before, self._rows_planned = lo, run.n
        self._made = {}
        for cm in _generation_order(tm.columns):
            z = latent[:, own[cm.name]] if cm.name in own else None
            data[cm.name] = self._column(table, cm, z, n, data)
            if cm.strategy == "parent":
                self._copy_parent(cm, data, driver, parent_idx)
            elif cm.base and cm.op in ("ratio", "share") and cm.base.startswith("^"):
                self._from_parent(table, cm, data, driver, parent_idx)
            elif cm.base and cm.op == "ratio":
                self._multiply(table, cm, data)
            elif cm.base and cm.strategy == "numeric":
                self._add_base(table, cm, data, driver, parent_idx)
        if driver is not None and parent_idx is not None:
            self._assign_driver(data, driver, parent_idx)
        for fk in tm.fks:
            if fk is not driver and not fk.as_category:
                self._assign_fk(table, data, fk, driver, n, run, lo)
        run.started = True
        data = _drop_orphans(table, data, self.waiting.get(table.name, []))
        data, notes = repair(table, self.schema.dialect, data, self.rng)
        if run.patterns is None:
            run.patterns = column_patterns(table, self.schema.dialect)
        # Sets holding the driving FK need no memory across chunks: each parent's children
        # are all in one chunk, and different parents have different keys.
        data = enforce_unique(table, data, self.rng, run.patterns, seen=run.seen,
                              local=set(driver.columns) if driver is not None else set())
        data, _ = repair(table, self.schema.dialect, data, self.rng, fix=False)
        self.notes += [note for note in notes if note not in self.notes]
        kept = data.pop(_ROW)
        self._keep(run, data, latent[kept])
        self._derive_parents(table, data, run)
        return data

    def _finish(self, run: _Run) -> None:
        """The table is complete: remember what its children need, settle its aggregates."""
        if run.needed is None:  # no chunk at all (0 rows)
            self._keep(run, {}, np.zeros((0, len(run.tm.copula))))
        self.done[run.table.name] = _Generated(run.rows, run.kept, run.tm.copula)
        for (parent, column), (fk, sums) in run.sums.items():
            self.derived.append(self._aggregate_update(parent, column, fk, sums))

    def _keep(self, run: _Run, data: Columns, latent: np.ndarray) -> None:
        if run.needed is None:
            run.needed = self._needed(run.table)
            run.parent = self._has_children(run.table)
        n = len(latent)
        kept = {c: data[c] for c in run.needed if c in data}
        # Children draw from a parent's latent scores; a table without children keeps none.
        kept[_LATENT] = latent if run.parent else np.zeros((n, 0))
        kept.update(self._child_counts(run.table, run.tm, latent, data))
        run.kept.append(kept)
        run.rows += n

    def _has_children(self, table: Table) -> bool:
        return any(fk.ref_table == table.name for t in self.schema.tables
                   for fk in t.foreign_keys)

    def _needed(self, table: Table) -> set[str]:
        """Columns remembered after the table is generated: the keys children reference, the
        columns they copy or build on (dates), and the keys a later UPDATE needs."""
        refs = {c for t in self.schema.tables for fk in t.foreign_keys
                if fk.ref_table == table.name for c in fk.ref_columns}
        if refs:
            refs |= {c.name for c in table.columns if c.kind in ("date", "datetime")}
            refs |= self.copied.get(table.name, set())
            for tm in self.model.tables:
                driver = next((f for f in tm.fks if f.driving), None)
                if driver is not None and driver.ref_table == table.name:
                    refs |= {cm.base[1:] for cm in tm.columns
                             if cm.base and cm.base.startswith("^")}
        refs |= {cm.ref.rsplit(".", 1)[1] for tm in self.model.tables for cm in tm.columns
                 if cm.ref and cm.ref.rsplit(".", 1)[0] == table.name}
        if any(t.name == table.name for t, _ in self.pending):
            refs |= set(table.primary_key or table.column_names)
        return refs

    def _verbatim(self, table: Table, tm: TableModel) -> TableData:
        """A reference table copied as it is, whatever the scale."""
        n = len(tm.rows)
        data = {c.name: from_json(c, [r[i] for r in tm.rows]) for i, c in enumerate(table.columns)}
        latent = np.asarray(tm.latent, dtype=float).reshape(n, -1) if n else np.zeros((0, 0))
        kept = {c: data[c] for c in self._needed(table) if c in data}
        kept[_LATENT] = latent
        kept.update(self._child_counts(table, tm, latent, data))
        self.done[table.name] = _Generated(n, Spill(), tm.copula)
        self.done[table.name].kept.append(kept)
        insert_cols = tuple(c.name for c in table.columns if not c.computed)
        return TableData(table, insert_cols, {c: data[c] for c in insert_cols})

    def _multiply(self, table: Table, cm: ColumnModel, data: Columns) -> None:
        """base x exp(modelled log-ratio), rounded to the column's type."""
        assert cm.base is not None
        base = _floats(data[cm.base])
        ratio = _floats(data[cm.name])
        value = base * np.exp(ratio)
        known = ~np.isnan(value)
        out = np.full(len(value), None, dtype=object)
        if known.any():
            out[known] = to_python(table.column(cm.name), value[known])
        data[cm.name] = out

    def _from_parent(self, table: Table, cm: ColumnModel, data: Columns,
                     driver: FKModel | None, parent_idx: np.ndarray | None) -> None:
        """The driving parent's number (split among its children in this clone, for op
        "share") x exp(modelled log-ratio); rows without a parent value draw the column's own
        marginal. A chunk holds all children of its parents, so counting them here is exact."""
        assert cm.base is not None
        col = table.column(cm.name)
        ratio = _floats(data[cm.name])
        base = np.full(len(ratio), np.nan)
        if driver is not None and parent_idx is not None and driver.ref_table in self.done:
            ok = parent_idx >= 0
            pcol = self.schema.table(driver.ref_table).column(cm.base[1:])
            base[ok] = self.done[driver.ref_table].numbers(pcol.name, pcol, parent_idx[ok])
            if cm.op == "share" and ok.any():
                _, where, counts = np.unique(parent_idx[ok], return_inverse=True,
                                             return_counts=True)
                base[ok] = base[ok] / counts[where]
        with np.errstate(invalid="ignore"):
            value = np.where(base > 0, base, np.nan) * np.exp(ratio)
        lost = np.isnan(value) & ~np.isnan(ratio)
        if lost.any() and cm.delta:
            value[lost] = copula.normal_to_numeric(self.rng.standard_normal(int(lost.sum())),
                                                   cm.delta, col.kind == "integer")
        known = ~np.isnan(value)
        if cm.delta and known.sum() > 1 and _off_marginal(value[known], cm.delta):
            # Parents drawn with too many or too few children for their number stretch the
            # column past its range: the ratio then only orders the rows, and the column's
            # own marginal gives the values (siblings add up to their parent's number
            # roughly, no longer exactly).
            value[known] = copula.normal_to_numeric(value[known], cm.delta,
                                                    col.kind == "integer")
        out = np.full(len(value), None, dtype=object)
        if known.any():
            out[known] = to_python(col, value[known])
        data[cm.name] = out

    def _copy_parent(self, cm: ColumnModel, data: Columns, driver: FKModel | None,
                     parent_idx: np.ndarray | None) -> None:
        """A column that repeats the parent's (billing address = customer's address)."""
        assert cm.base is not None
        n = len(data[cm.name])
        out = np.full(n, None, dtype=object)
        if driver is not None and parent_idx is not None:
            out[:] = self.done[driver.ref_table].take(cm.base[1:], parent_idx)
        if cm.null_rate > 0:
            out[self.rng.random(n) < cm.null_rate] = None
        data[cm.name] = out

    def _add_base(self, table: Table, cm: ColumnModel, data: Columns, driver: FKModel | None,
                  parent_idx: np.ndarray | None) -> None:
        """Turn a sampled delta into a value: base (own column or the parent's) + delta."""
        col = table.column(cm.name)
        assert cm.base is not None
        if cm.base.startswith("^"):
            if driver is None or parent_idx is None:
                data[cm.name] = np.full(len(data[cm.name]), None, dtype=object)
                return
            ok = parent_idx >= 0
            base_n = np.full(len(parent_idx), np.nan)
            base_n[ok] = self.done[driver.ref_table].numbers(cm.base[1:], col, parent_idx[ok])
        else:
            base = data[cm.base]
            made = self._made.get(cm.base)  # numbers this chunk's value was made from
            base_n = made[1] if made is not None and made[0] is base and made[2] == col.kind \
                else to_numbers(col, base)
        delta = _floats(data[cm.name])
        if cm.op == "order":  # own value; only rows before their base move after it
            total = delta.copy()
            early = total < base_n
            if early.any():
                gap = copula.normal_to_numeric(self.rng.standard_normal(int(early.sum())),
                                               cm.delta, False)
                # after the base, but never past the column's own latest value
                top = np.maximum(cm.quantiles[-1], base_n[early])
                total[early] = np.minimum(base_n[early] + gap, top)
        else:
            total = base_n + delta
            over = total > cm.bounds[1] if cm.bounds else np.zeros(len(total), dtype=bool)
            if over.any():
                total[over] = base_n[over] + self._delta_below(cm.quantiles,
                                                               cm.bounds[1] - base_n[over])
        known = ~np.isnan(total)
        out = np.full(len(delta), None, dtype=object)
        if known.any():
            out[known] = to_python(col, total[known])
        if cm.values:  # the sentinel ("valid until 9999-01-01") keeps its share
            hit = (self.rng.random(len(out)) < cm.probs[0]) & known
            out[hit] = from_json(col, [cm.values[0]])[0]
            total[hit] = to_numbers(col, out[hit][:1])[0] if hit.any() else np.nan
        data[cm.name] = out
        if col.kind == "date":  # the numbers the values stand for, as to_numbers gives them
            self._made[cm.name] = (out, np.clip(np.round(total), _MIN_DAY, _MAX_DAY), "date")
        elif col.kind == "datetime":
            seconds = np.floor(np.round(total * 1e6) / 1e6)
            self._made[cm.name] = (out, np.clip(seconds, _MIN_DAY * 86400, _MAX_DAY * 86400),
                                   "datetime")

    def _delta_below(self, grid: tuple[float, ...], limit: np.ndarray) -> np.ndarray:
        """Deltas drawn from the quantile grid truncated at `limit` per row (the smallest
        delta where even that is too long)."""
        q = np.asarray(grid, dtype=float)
        p = np.linspace(0.0, 1.0, len(q))
        top = np.interp(limit, q, p)
        return np.interp(self.rng.random(len(limit)) * top, p, q)

    def _row_count(self, tm: TableModel) -> int:
        return int(round(tm.row_count * self.scale)) if tm.row_count else 0

    def _driven_rows(self, fk: FKModel) -> _Driven:
        """The parent row of each child row, from the parents' sampled counts."""
        parent = self.done[fk.ref_table]
        counts = parent.counts(self._count_dim(fk))
        if counts is None:
            counts = self._draw_counts(fk, parent.n)
        want = self._row_count(self.model.table(self._child_of(fk))) * (1 - fk.null_rate)
        cap = max(fk.counts) if fk.counts else None
        counts = calibrate(counts.astype(int), int(round(want)), self.rng, cap)
        cum = np.cumsum(counts, dtype=np.int64)
        extra = 0
        if fk.null_rate > 0 and fk.null_rate < 1:
            total = int(cum[-1]) if len(cum) else 0
            extra = int(round(total * fk.null_rate / (1 - fk.null_rate)))
        return _Driven(cum, extra)

    def _child_of(self, fk: FKModel) -> str:
        return next(t.name for t in self.model.tables if fk in t.fks)

    def _count_dim(self, fk: FKModel) -> str:
        return f"#{self._child_of(fk)}.{'/'.join(fk.columns)}"

    def _draw_counts(self, fk: FKModel, n: int) -> np.ndarray:
        if not fk.counts:
            return np.zeros(n, dtype=int)
        return self.rng.choice(np.asarray(fk.counts), size=n, p=_norm(fk.probs))

    def _latent(self, tm: TableModel, driver: FKModel | None, parent_idx: np.ndarray | None,
                n: int, run: _Run) -> np.ndarray:
        corr = np.asarray(tm.correlation, dtype=float).reshape(len(tm.copula), len(tm.copula))
        given = [i for i, d in enumerate(tm.copula) if d.startswith("^")]
        if not given or driver is None or parent_idx is None:
            out = copula.sample(corr, n, self.rng)
            return self._siblings_alike(tm, corr, out, driver, parent_idx, run)
        parent = self.done[driver.ref_table]
        pos = {d: i for i, d in enumerate(parent.dims)}
        cols = [pos.get(tm.copula[i][1:]) for i in given]
        has_parent = parent_idx >= 0
        z_given = np.zeros((n, len(given)))
        scores = parent.latent(parent_idx[has_parent])
        for j, c in enumerate(cols):
            if c is not None and c < scores.shape[1]:
                z_given[has_parent, j] = scores[:, c]
        out = copula.sample_conditional(corr, given, z_given, self.rng)
        if (~has_parent).any():
            out[~has_parent] = copula.sample(corr, int((~has_parent).sum()), self.rng)
        return self._siblings_alike(tm, corr, out, driver, parent_idx, run)

    def _siblings_alike(self, tm: TableModel, corr: np.ndarray, out: np.ndarray,
                        driver: FKModel | None, parent_idx: np.ndarray | None,
                        run: _Run) -> np.ndarray:
        """Mix a shared effect per parent into each own dimension, as much as siblings in the
        source shared (their intraclass correlation); spread the siblings of a dimension with
        a negative one (`_spread_siblings`). A categorical dimension then takes the parent's
        shared score outright in the share of rows its `shares` gives."""
        if not tm.icc or driver is None or parent_idx is None or driver.ref_table not in self.done:
            return out
        k = len(tm.icc)
        rho = np.asarray(tm.icc, dtype=float)
        if (rho < 0).any():
            _spread_siblings(out, rho, parent_idx, self.rng)
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
        shared = copula.sample(corr[:k, :k], int(parent_idx[ok].max()) + 1 - first, self.rng)
        rows = shared[parent_idx[ok] - first]
        out[ok, :k] = np.sqrt(rho) * rows + np.sqrt(1 - rho) * out[ok, :k]
        if tm.shares:
            q = np.asarray(tm.shares, dtype=float)
            take = self.rng.random((int(ok.sum()), k)) < q
            out[ok, :k] = np.where(take, rows, out[ok, :k])
        return out

    def _child_counts(self, table: Table, tm: TableModel, latent: np.ndarray,
                      data: Columns) -> dict[str, np.ndarray]:
        """The rows' numbers of children per child FK (`#child.fk` dims), decoded from their
        latent scores row by row, so a chunk at a time; per category of the row where the
        model draws them so (`TableModel.counts`)."""
        grouped = {cm.name: cm for cm in tm.counts if cm.by in data}
        out = {}
        for i, dim in enumerate(tm.copula):
            if dim.startswith("#") and latent.shape[1] > i:
                child, cols = dim[1:].split(".", 1)
                fk = next(f for f in self.model.table(child).fks
                          if "/".join(f.columns) == cols and f.ref_table == table.name)
                counts = self._grouped_counts(grouped[dim], latent[:, i], data) \
                    if dim in grouped else _decode_counts(latent[:, i], fk)
                out[dim] = counts.astype(np.int32)
        return out

    def _grouped_counts(self, cm: ColumnModel, z: np.ndarray, data: Columns) -> np.ndarray:
        """Children per row from its category's own count distribution (ranks in the group
        follow the latent scores)."""
        assert cm.by is not None
        index = {str(g[0]): i for i, g in enumerate(cm.groups) if g[0] is not None}
        rest = len(cm.groups) - 1
        member = np.asarray([rest if v is None else index.get(str(v), rest)
                             for v in data[cm.by]])
        out = np.zeros(len(z), dtype=int)
        for i, (_, _, grid) in enumerate(cm.groups):
            rows = np.flatnonzero(member == i)
            if len(rows):
                counts = copula.normal_to_numeric(z[rows], grid or cm.quantiles, True)
                out[rows] = np.maximum(counts, 0).astype(int)
        return out

    # -- columns -----------------------------------------------------------------------------
    def _column(self, table: Table, cm: ColumnModel, z: np.ndarray | None, n: int,
                data: Columns) -> np.ndarray:
        col = table.column(cm.name)
        values = self._values(table, col, cm, z, n, data)
        if cm.empty_rate > 0:
            values = values.copy()
            values[self.rng.random(n) < cm.empty_rate] = ""
        if cm.null_rate > 0 and col.nullable and cm.strategy not in ("key", "fk") \
                and not (cm.groups and cm.by in data):  # NULLs drawn per group
            values = values.copy()
            if cm.strategy in ("pii", "text") and z is not None:  # NULL: lowest length score
                values[copula.uniform_ranks(z) < cm.null_rate] = None
            else:
                values[self.rng.random(n) < cm.null_rate] = None
        return values

    def _pii_lengths(self, col: Column, cm: ColumnModel, z: np.ndarray | None,
                     n: int) -> np.ndarray | None:
        """Target lengths of replaced values; with a copula score, the rows' own (above the
        share of NULLs, which take the lowest scores)."""
        if not cm.lengths:
            return None
        if z is None:
            return copula.normal_to_numeric(self.rng.standard_normal(n), cm.lengths, True)
        nulls = cm.null_rate if col.nullable else 0.0
        u = np.clip((copula.uniform_ranks(z) - nulls) / max(1.0 - nulls, 1e-9), 0.0, 1.0)
        grid = np.linspace(0.0, 1.0, len(cm.lengths))
        return np.round(np.interp(u, grid, np.asarray(cm.lengths, dtype=float)))

    def _values(self, table: Table, col: Column, cm: ColumnModel, z: np.ndarray | None, n: int,
                data: Columns) -> np.ndarray:
        s = cm.strategy
        if s == "key":
            return self._key(col, cm, n)
        if s in ("fk", "null", "computed", "parent"):  # "parent": filled by _add_base
            return np.full(n, None, dtype=object)
        if s == "numeric" and cm.groups and cm.by in data:
            zz = z if z is not None else self.rng.standard_normal(n)
            return self._grouped(col, cm, zz, data[cm.by])
        if s == "numeric":
            zz = z if z is not None else self.rng.standard_normal(n)
            raw = copula.normal_to_numeric(zz, cm.quantiles, cm.integer)
            if cm.step:
                raw = np.round(raw / cm.step) * cm.step
            if cm.base:
                return np.asarray(raw.tolist(), dtype=object)  # a delta; see _add_base
            return to_python(col, raw)
        if s == "categorical":
            zz = z if z is not None else self.rng.standard_normal(n)
            codes = np.minimum(copula.normal_to_codes(zz, cm.probs), len(cm.values) - 1)
            if cm.joint:  # each category holds this column's value and its partners'
                for j, other in enumerate(cm.joint, start=1):
                    self._joint[other] = np.asarray([v[j] for v in cm.values],
                                                    dtype=object)[codes]
                return np.asarray([v[0] for v in cm.values], dtype=object)[codes]
            values = np.empty(len(cm.values), dtype=object)
            values[:] = list(cm.values)
            return values[codes]
        if s == "softkey":
            return self._soft_key(table, col, cm, n, z)
        if s == "joint":
            return self._joint.pop(cm.name)
        if s == "pii":
            return self._pii(table, col, cm, n, data, z)
        if s == "pattern":
            return self._from_pattern(cm.pattern[0], n)
        if s == "text":
            return self._text(col, cm, n, z)
        if s == "uuid":
            return np.asarray([str(uuid.UUID(int=int(x))) for x in self._bits(n, 128)],
                              dtype=object)
        if s == "array":
            return self._arrays(cm, n)
        if s == "bytes":
            lengths = copula.normal_to_numeric(self.rng.standard_normal(n), cm.lengths, True)
            return np.asarray([self.rng.bytes(int(k)) for k in lengths], dtype=object)
        if s == "json":
            shape = json.loads(cm.pattern[0]) if cm.pattern else {"type": "object"}
            return np.asarray([json.dumps(jsongen.generate(shape, self.rng))
                               for _ in range(n)], dtype=object)
        return np.full(n, None, dtype=object)

    def _grouped(self, col: Column, cm: ColumnModel, z: np.ndarray,
                 by: np.ndarray) -> np.ndarray:
        """A number drawn from its category's own marginal and NULL rate (ranks within the
        group follow the latent scores; NULL takes the group's lowest)."""
        index = {str(g[0]): i for i, g in enumerate(cm.groups) if g[0] is not None}
        rest = len(cm.groups) - 1
        member = np.asarray([rest if v is None else index.get(str(v), rest) for v in by])
        out = np.full(len(z), None, dtype=object)
        for i, (_, null_rate, grid) in enumerate(cm.groups):
            rows = np.flatnonzero(member == i)
            if not len(rows):
                continue
            if col.nullable and null_rate > 0:
                rows = rows[copula.uniform_ranks(z[rows]) >= null_rate]
            if not len(rows):
                continue
            raw = copula.normal_to_numeric(z[rows], grid or cm.quantiles, cm.integer)
            if cm.step:
                raw = np.round(raw / cm.step) * cm.step
            out[rows] = raw.tolist() if cm.base else to_python(col, raw)  # see _add_base
        return out

    def _soft_key(self, table: Table, col: Column, cm: ColumnModel, n: int,
                  z: np.ndarray | None) -> np.ndarray:
        """Ids of rows elsewhere, each shared by as many rows as in the source: the clone's
        keys of the referenced table, or fresh ids above the source's (`dbclone.softkey`).
        With a latent score, ids rise with it (rows of one id are neighbours in rank)."""
        which, m = softkey.assign(n, cm.values, cm.probs, self.rng, z)
        pool = self._soft_pool(cm) if cm.ref else None
        if pool is not None and len(pool):
            # Every key once before any twice: more ids than keys still reach them all.
            extra = self.rng.choice(pool, size=max(m - len(pool), 0))
            ids = np.sort(np.concatenate([self.rng.choice(pool, size=min(m, len(pool)),
                                                          replace=False), extra]))
        else:
            lo, hi = cm.quantiles[0], cm.quantiles[-1]
            first = self._fresh.get((table.name, cm.name), 0)
            self._fresh[(table.name, cm.name)] = first + m
            ids = np.floor(hi + 1 + (first + np.arange(m)) * max(cm.step, 1.0))
            top = softkey.type_max(col, self.schema.dialect)
            if len(ids) and ids[-1] > top:  # no room above: spread over the source's range
                ids = np.floor(np.linspace(lo, min(hi, top), m))
        return to_python(col, np.asarray(ids, dtype=float)[which])

    def _soft_pool(self, cm: ColumnModel) -> np.ndarray | None:
        """The referenced table's clone keys: generated already, or 1..n as they will be."""
        assert cm.ref is not None
        name, column = cm.ref.rsplit(".", 1)
        done = self.done.get(name)
        if done is not None and done.has(column):  # read whole for each chunk, then freed
            keys = pd.to_numeric(pd.Series(done.column(column)), errors="coerce").dropna()
            return keys.to_numpy(dtype=float)
        try:
            tm = self.model.table(name)
        except KeyError:
            return None
        if tm.verbatim:
            i = self.schema.table(name).column_names.index(column)
            return np.asarray([r[i] for r in tm.rows if r[i] is not None], dtype=float)
        return np.arange(1, self._row_count(tm) + 1, dtype=float)

    def _bits(self, n: int, bits: int) -> list[int]:
        words = self.rng.integers(0, 2**32, size=(n, bits // 32), dtype=np.uint64)
        out = []
        for row in words:
            v = 0
            for w in row:
                v = (v << 32) | int(w)
            out.append(v)
        return out

    def _key(self, col: Column, cm: ColumnModel, n: int) -> np.ndarray:
        first = self._rows_before + 1  # keys continue across a table's chunks
        if col.kind in ("integer", "decimal", "float"):
            return np.arange(first, first + n, dtype=object)
        if col.kind == "uuid":
            return np.asarray([str(uuid.UUID(int=int(x))) for x in self._bits(n, 128)],
                              dtype=object)
        if cm.pattern:
            return self._from_pattern(cm.pattern[0], n)
        width = max(len(str(self._rows_planned or n)), 1)
        return np.asarray([f"K{i:0{width}d}" for i in range(first, first + n)], dtype=object)

    def _words(self, col: Column, cm: ColumnModel, n: int, lengths: np.ndarray) -> np.ndarray:
        """Text from the source's own vocabulary (words seen in at least k rows)."""
        vocab = np.asarray(cm.values, dtype=object)
        p = _norm(cm.probs)
        sentences = bool(cm.pattern)
        avg = float(np.dot([len(w) for w in cm.values], p)) + 1
        out = []
        if cm.case == "title":  # song and product names: Every Word Capitalised
            vocab = np.asarray([w[:1].upper() + w[1:] for w in cm.values], dtype=object)
        sizes = np.maximum(lengths.astype(int), 1)
        counts = (sizes / avg).astype(int) + 2
        # Every row's words in one draw (a weighted choice per row recomputed the weights'
        # cumulative sum each time).
        picks = np.searchsorted(np.cumsum(p), self.rng.random(int(counts.sum())) * p.sum())
        words = vocab[np.minimum(picks, len(vocab) - 1)]
        ends = np.cumsum(counts)
        for k, end, count in zip(sizes.tolist(), ends.tolist(), counts.tolist(), strict=True):
            out.append(_fit_length(_compose(list(words[end - count:end]), k, sentences,
                                            self.rng), col))
        return np.asarray(out, dtype=object)

    def _arrays(self, cm: ColumnModel, n: int) -> np.ndarray:
        """Lists of distinct elements with the source's length distribution."""
        out = np.empty(n, dtype=object)
        if not cm.values:
            out[:] = [[] for _ in range(n)]
            return out
        lengths = copula.normal_to_numeric(self.rng.standard_normal(n), cm.lengths or (0, 0),
                                           True)
        p = _norm(cm.probs)
        for i, k in enumerate(lengths):
            k = int(min(max(k, 0), len(cm.values)))
            picks = self.rng.choice(len(cm.values), size=k, replace=False, p=p)
            out[i] = [cm.values[j] for j in picks]
        return out

    def _shaped(self, cm: ColumnModel, n: int, lengths: np.ndarray | None = None) -> np.ndarray:
        """Values in the source's formats, in their shares (Faker's formats when no source
        format is used by k values). With target lengths, each row takes a format of its
        length (by share among them); a length no kept format has (the formats rarer than
        k, a small table's foreign numbers) takes the nearest format with its longest digit
        run stretched or shortened to fit, so the column keeps the source's length mix, not
        only its common formats'."""
        formats, probs = tuple(cm.pattern), np.asarray(cm.probs, dtype=float)
        if not formats:
            counts = Counter(_shape_of(v) for v in self.fake.pool(cm.pii or "phone"))
            formats = tuple(counts)
            probs = np.asarray([counts[f] for f in formats], dtype=float)
        probs = _norm(probs) if len(probs) == len(formats) else \
            np.full(len(formats), 1.0 / len(formats))
        if lengths is None:
            which = self.rng.choice(len(formats), size=n, p=probs)
            shapes = [formats[w] for w in which]
        else:
            sizes = np.asarray([len(s) for s in formats])
            shapes = []
            for k in lengths:
                gap = np.abs(sizes - int(k))
                near = np.flatnonzero(gap == gap.min())
                w = int(self.rng.choice(near, p=_norm(probs[near])))
                shapes.append(_resize_shape(formats[w], int(k)))
        patterns: dict[str, Pattern] = {}
        out = []
        for s in shapes:
            if s not in patterns:
                patterns[s] = Pattern(_shape_regex(s))
            out.append(patterns[s].generate(self.rng))
        return np.asarray(out, dtype=object)

    def _from_pattern(self, regex: str, n: int) -> np.ndarray:
        pattern = Pattern(regex)
        return np.asarray([pattern.generate(self.rng) for _ in range(n)], dtype=object)

    def _text(self, col: Column, cm: ColumnModel, n: int, z: np.ndarray | None) -> np.ndarray:
        """Free text of the lengths the row's latent score gives (a case's summary is as long
        as its category's), from the source's vocabulary or else Faker's sentences."""
        lengths = self._pii_lengths(col, cm, z, n)
        if lengths is None:
            lengths = np.ones(n)
        if cm.values:
            return self._words(col, cm, n, lengths)
        pool = self.fake.pool("sentence", min(2000, pool_size(n)))
        picks = self.rng.integers(0, len(pool), n)
        out = []
        for k, p in zip(lengths, picks, strict=True):
            text = pool[p]
            while len(text) < k:
                text += " " + pool[(p + len(text)) % len(pool)]
            out.append(_fit_length(text[: max(int(k), 1)].rstrip() or "x", col))
        return np.asarray(out, dtype=object)

    def _pii(self, table: Table, col: Column, cm: ColumnModel, n: int,
             data: Columns, z: np.ndarray | None = None) -> np.ndarray:
        provider = cm.pii or "word"
        if provider == "email":
            first = self._by_provider(table, data, "first_name")
            last = self._by_provider(table, data, "last_name")
            lengths = self._pii_lengths(col, cm, z, n)
            values = self.fake.emails(first, last, n, cm.values, cm.probs, lengths, cm.styles,
                                      cm.case if cm.styles else "")
            if cm.styles:  # the case was the local part's
                return np.asarray([_fit_length(str(v), col) for v in values], dtype=object)
        elif provider == "personnummer":
            values = self._personnummer(table, cm, n, data)
        elif provider in SHAPED and (cm.pattern or cm.lengths):
            values = self._shaped(cm, n, self._pii_lengths(col, cm, z, n))
        else:
            values = self.fake.draw(provider, n, self._pii_lengths(col, cm, z, n))
        recase = {"upper": str.upper, "lower": str.lower}.get(cm.case, str)
        return np.asarray([_fit_length(recase(str(v)), col) for v in values], dtype=object)

    def _by_provider(self, table: Table, data: Columns, provider: str) -> np.ndarray | None:
        """The row's column of this personal-data kind (first_name, fornamn...), if generated."""
        tm = self.model.table(table.name)
        found = next((c.name for c in tm.columns if c.pii == provider and c.name in data), None)
        return data[found] if found is not None else _find(table, data, provider)

    def _personnummer(self, table: Table, cm: ColumnModel, n: int, data: Columns) -> np.ndarray:
        template = cm.pattern[0] if cm.pattern else "99999999-9999"
        digits_before = len(template.split("-")[0].split("+")[0])
        births = None
        for c in table.columns:
            if c.kind in ("date", "datetime") and "birth" in c.name.lower() and c.name in data:
                births = [_as_date(v) for v in data[c.name]]
        sep = "-" if "-" in template else ""
        return self.fake.personnummer(births, n, long_form=digits_before >= 8, sep=sep)

    # -- foreign keys --------------------------------------------------------------------------
    def _assign_driver(self, data: Columns, fk: FKModel, parent_idx: np.ndarray) -> None:
        parent = self.done[fk.ref_table]
        for col, ref in zip(fk.columns, fk.ref_columns, strict=True):
            out = np.full(len(parent_idx), None, dtype=object)
            out[:] = parent.take(ref, parent_idx)
            data[col] = out

    def _assign_fk(self, table: Table, data: Columns, fk: FKModel, driver: FKModel | None,
                   n: int, run: _Run, lo: int) -> None:
        if fk.ref_table == table.name:
            # Parents come before their children (roots first) over the whole table, so a
            # row's parent is in its chunk or an earlier one.
            if fk.columns not in run.picks:
                run.picks[fk.columns] = self._forest(fk, run.n)
            idx = run.picks[fk.columns][lo:lo + n]
            keys = {}
            for c in fk.ref_columns:
                run.own_keys.setdefault(c, []).append(data[c])
                keys[c] = _concat(run.own_keys[c])
            self._set_fk(data, fk, idx, lambda c, i: keys[c][i])
            return
        if fk.ref_table not in self.done:
            for c in fk.columns:
                data[c] = np.full(n, None, dtype=object)
            if run.started:
                return
            if all(not table.column(c).nullable for c in fk.columns):
                self.waiting.setdefault(table.name, []).append(fk)
            else:
                self.pending.append((table, fk))
            return
        parent = self.done[fk.ref_table]
        if fk.columns not in run.deals:  # the parents' counts hold over the whole table:
            weights = parent.counts(self._count_dim(fk))  # drawn once, dealt in turn
            if weights is None:
                weights = self._draw_counts(fk, parent.n)
            run.deals[fk.columns] = _Deal.of(weights)
        deal = run.deals[fk.columns]
        idx = deal.deal(n, self.rng)
        if driver is not None and parent.n and _unique_with(table, fk.columns, driver.columns):
            idx = self._distinct_per_group(data, driver, deal.probs, idx)
        if fk.null_rate > 0:
            idx[self.rng.random(n) < fk.null_rate] = -1
        self._set_fk(data, fk, idx, parent.take)

    def _distinct_per_group(self, data: Columns, driver: FKModel, p: np.ndarray,
                            out: np.ndarray) -> np.ndarray:
        """Different parents within each driving group, so a composite key stays unique;
        repeats are swapped with other rows first, so every parent keeps its sampled number
        of children (an order keeps its lines and a product its sales)."""
        codes = _group_codes([data[c] for c in driver.columns])
        p = 0.95 * p + 0.05 / len(p)  # every parent possible, so large groups still fit
        sizes = np.bincount(codes, minlength=1)
        big = sizes[codes] > 0.2 * len(p)
        out = _swap_repeats(codes, out, big, self.rng)
        # Repeats no swap resolved: redrawn (their parents' counts move a little).
        for _ in range(20):
            dup = pd.Series(codes.astype(np.int64) * len(p) + out).duplicated().to_numpy() & ~big
            if not dup.any():
                break
            out[dup] = self.rng.choice(len(p), size=int(dup.sum()), p=p)
        # Groups close to the number of parents: an exact draw without replacement each, all
        # at once (weighted random keys, the k largest per group: Efraimidis-Spirakis). A big
        # group has more than len(p) / 5 rows, so the key matrix stays within 5 x its rows.
        rows = np.flatnonzero(big)
        if len(rows):
            groups, which = np.unique(codes[rows], return_inverse=True)
            keys = np.log(self.rng.random((len(groups), len(p)))) / p
            order = np.argsort(-keys, axis=1)
            by_group = np.argsort(which, kind="stable")
            first = np.searchsorted(which[by_group], which[by_group])
            rank = np.empty(len(rows), dtype=np.int64)
            rank[by_group] = np.arange(len(rows)) - first
            fits = rank < len(p)
            picked = np.full(len(rows), -1)
            picked[fits] = order[which[fits], rank[fits]]
            out[rows] = picked
        return out

    def _set_fk(self, data: Columns, fk: FKModel, idx: np.ndarray,
                take: Callable[[str, np.ndarray], np.ndarray]) -> None:
        """FK columns from the referenced columns at parent positions `idx` (-1: NULL)."""
        ok = idx >= 0
        for col, ref in zip(fk.columns, fk.ref_columns, strict=True):
            out = np.full(len(idx), None, dtype=object)
            out[ok] = take(ref, idx[ok])
            data[col] = out

    def _forest(self, fk: FKModel, n: int) -> np.ndarray:
        """Parents inside the same table: as many rows at each depth as the source's shares
        make (largest remainders, so 8 employees keep 1 root, 2 managers and 5 staff), roots
        first; a level left empty by the rounding is closed up, so every row below the
        roots has a parent one level up."""
        probs = _norm(tuple(fk.depth_probs or (1.0,)))
        sizes = _apportion(probs, n)
        if n and sizes[0] == 0:  # a forest has a root
            sizes[int(np.argmax(sizes))] -= 1
            sizes[0] = 1
        sizes = sizes[sizes > 0]
        depth = np.repeat(np.arange(len(sizes)), sizes)
        idx = np.full(n, -1)
        for level in range(1, len(sizes)):
            above = np.flatnonzero(depth == level - 1)
            here = np.flatnonzero(depth == level)
            fan = self.rng.dirichlet(np.ones(len(above)) * 0.7)
            idx[here] = above[self.rng.choice(len(above), size=len(here), p=fan)]
        return idx

    def _derive_parents(self, child: Table, data: Columns, run: _Run) -> None:
        """Recompute parent columns that aggregate this table's rows (invoice totals): each
        chunk adds to the sums, the update is made when the table is complete."""
        for tm in self.model.tables:
            for cm in tm.columns:
                if not cm.derived or cm.derived[0] != child.name or tm.name not in self.done:
                    continue
                fk = next(f for f in child.foreign_keys
                          if "/".join(f.columns) == cm.derived[1])
                sums = self._aggregate(tm, cm, fk, data)
                key = (tm.name, cm.name)
                if key in run.sums:
                    sums = sums + run.sums[key][1]
                run.sums[key] = (fk, sums)

    def _aggregate(self, tm: TableModel, cm: ColumnModel, fk: Any, data: Columns) -> np.ndarray:
        """This chunk's aggregate for each parent row (0 where it has no children here)."""
        how = cm.derived[2:]
        frame = pd.DataFrame({r: data[c] for c, r in zip(fk.columns, fk.ref_columns,
                                                          strict=True)})
        if how[0] == "count":
            frame["_v"] = 1.0
        elif how[0] == "sum":
            frame["_v"] = pd.to_numeric(pd.Series(data[how[1]]), errors="coerce")
        else:
            frame["_v"] = (pd.to_numeric(pd.Series(data[how[1]]), errors="coerce")
                           * pd.to_numeric(pd.Series(data[how[2]]), errors="coerce"))
        sums = frame.groupby(list(fk.ref_columns), dropna=True)["_v"].sum()
        keys = self._keys(tm.name, fk.ref_columns)
        index = pd.MultiIndex.from_frame(keys) if len(fk.ref_columns) > 1 else \
            pd.Index(keys[fk.ref_columns[0]])
        return np.asarray(sums.reindex(index).fillna(0.0).to_numpy(dtype=float))

    def _aggregate_update(self, table: str, column: str, fk: Any,
                          values: np.ndarray) -> DeferredUpdate:
        parent = self.schema.table(table)
        col = parent.column(column)
        keys = self._keys(table, fk.ref_columns)
        typed = to_python(col, values)
        rows = [(v, *map(_py, k)) for v, k in zip(typed, keys.itertuples(index=False,
                                                                         name=None),
                                                  strict=True)]
        return DeferredUpdate(parent, tuple(fk.ref_columns), (column,), rows)

    def _keys(self, table: str, columns: tuple[str, ...]) -> pd.DataFrame:
        """All rows of a generated table's key columns (for what reindexes by key)."""
        return pd.DataFrame({c: self.done[table].column(c) for c in columns})

    def _deferred_updates(self) -> Iterator[DeferredUpdate]:
        yield from self.derived
        for table, fk in self.pending:
            parent = self.done[fk.ref_table]
            key_cols = table.primary_key or table.column_names
            own = self.done[table.name]
            rows = np.arange(own.n)  # the rows kept, in order
            if not all(own.has(k) for k in key_cols):
                continue
            idx = self.rng.integers(0, max(parent.n, 1), len(rows)) if parent.n else \
                np.full(len(rows), -1)
            if _unique_cols(table, fk.columns) and parent.n >= len(rows):
                idx = self.rng.permutation(parent.n)[: len(rows)]
            keep = self.rng.random(len(rows)) >= fk.null_rate
            sel = np.flatnonzero(keep & (idx >= 0))
            values = [parent.take(r, idx[sel]) for r in fk.ref_columns]
            values += [own.take(k, rows[sel]) for k in key_cols]
            out = [tuple(_py(v) for v in row) for row in zip(*values, strict=True)]
            yield DeferredUpdate(table, tuple(key_cols), fk.columns, out)


# -- helpers -----------------------------------------------------------------------------------

def _resize_shape(shape: str, length: int) -> str:
    """`shape` (``(999) 999-9999``) made `length` long by growing or shrinking its longest
    run of one class; shrinking stops at groups of two, then drops separators."""
    length = max(length, 1)
    out = list(shape)
    while len(out) != length:
        runs = [(m.end() - m.start(), m.start(), m.end())
                for m in re.finditer(r"9+|A+|a+", "".join(out))]
        if not runs:
            return ("9" * length) if len(out) < length else "".join(out)[:length]
        size, start, end = max(runs)
        separators = [i for i, c in enumerate(out) if c not in "9Aa"]
        if len(out) < length:
            out.insert(end, out[start])
        elif size > 2 or (size > 1 and not separators):
            del out[start]
        elif separators:  # groups of two left: drop a separator (``99.99.99`` -> ``99.9999``)
            del out[separators[0]]
        else:
            return "".join(out)[:length]
    return "".join(out)


def _shape_regex(shape: str) -> str:
    classes = {"9": "[0-9]", "A": "[A-Z]", "a": "[a-z]"}
    return "^" + "".join(classes.get(c, re.escape(c)) for c in shape) + "$"


def _compose(words: list[str], length: int, sentences: bool, rng: np.random.Generator) -> str:
    """Words into text of about `length` characters, in sentences when the source has them."""
    parts: list[str] = []
    size = 0
    start = True
    until_stop = int(rng.integers(6, 15))
    for w in words:
        # stop before the word that would overshoot more than stopping falls short
        if parts and size + len(w) > length and size + len(w) - length > length - size + 1:
            break
        parts.append(w.capitalize() if start and sentences else w)
        size += len(w) + 1
        start = False
        until_stop -= 1
        if sentences and until_stop == 0:
            parts[-1] += "."
            start, until_stop = True, int(rng.integers(6, 15))
    text = " ".join(parts) or words[0][:length]
    if sentences and not text.endswith("."):
        text += "."
    return text


def _swap_repeats(codes: np.ndarray, out: np.ndarray, fixed: np.ndarray,
                  rng: np.random.Generator, rounds: int = 12) -> np.ndarray:
    """Resolve rows whose (group, parent) pair repeats an earlier row's by swapping parents
    with random rows of other groups where neither pair then repeats: the multiset of
    parents, so each parent's number of children, is unchanged."""
    out = out.copy()
    n = len(out)
    if n < 2:
        return out
    width = int(out.max(initial=0)) + 1
    for _ in range(rounds):
        pair = codes.astype(np.int64) * width + out
        dup = pd.Series(pair).duplicated().to_numpy() & ~fixed
        if not dup.any():
            break
        rows = np.flatnonzero(dup)
        partner = rng.integers(0, n, len(rows))
        taken = np.sort(pair)
        new_i = codes[rows].astype(np.int64) * width + out[partner]
        new_j = codes[partner].astype(np.int64) * width + out[rows]
        ok = (~_member(new_i, taken) & ~_member(new_j, taken) & ~fixed[partner]
              & (codes[rows] != codes[partner]))
        # one swap per row per round: a partner used twice (or itself a repeat) waits
        ok &= ~np.isin(partner, rows)
        _, first = np.unique(partner, return_index=True)
        once = np.zeros(len(rows), dtype=bool)
        once[first] = True
        ok &= once
        i, j = rows[ok], partner[ok]
        out[i], out[j] = out[j], out[i].copy()
    return out


def _member(values: np.ndarray, sorted_pool: np.ndarray) -> np.ndarray:
    """Which of `values` are in `sorted_pool` (sorted), without copying the pool."""
    if not len(sorted_pool):
        return np.zeros(len(values), dtype=bool)
    pos = np.clip(np.searchsorted(sorted_pool, values), 0, len(sorted_pool) - 1)
    return sorted_pool[pos] == values


def _norm(probs: tuple[float, ...] | np.ndarray) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return p / p.sum()


def _apportion(probs: np.ndarray, n: int) -> np.ndarray:
    """n split in the proportions `probs` (summing to 1), the rounding remainders going to
    the largest fractions."""
    exact = probs * n
    sizes = np.floor(exact).astype(np.int64)
    short = n - int(sizes.sum())
    if short > 0:
        sizes[np.argsort(-(exact - sizes), kind="stable")[:short]] += 1
    return sizes


def calibrate(counts: np.ndarray, total: int, rng: np.random.Generator,
              cap: int | None = None) -> np.ndarray:
    """Nudge sampled children-per-parent counts so they add up to `total` (scale x source),
    adding where parents already have children and taking from random non-empty parents."""
    counts = counts.copy()
    diff = total - int(counts.sum())
    if len(counts) == 0 or diff == 0:
        return counts
    for _ in range(64):
        if diff <= 0:
            break
        room = np.maximum(cap - counts, 0) if cap is not None else np.full(len(counts), diff)
        weights = (counts + 0.5) * (room > 0)
        if weights.sum() == 0:
            break
        picks = rng.choice(len(counts), size=diff, p=weights / weights.sum())
        np.add.at(counts, picks, 1)
        if cap is not None:
            counts = np.minimum(counts, cap)
        diff = total - int(counts.sum())
    if diff >= 0:
        return counts
    for _ in range(-diff):
        nonzero = np.flatnonzero(counts)
        if not len(nonzero):
            break
        counts[nonzero[rng.integers(0, len(nonzero))]] -= 1
    return counts


def _decode_counts(z: np.ndarray, fk: FKModel) -> np.ndarray:
    if not fk.counts:
        return np.zeros(len(z), dtype=int)
    cats = copula.normal_to_codes(z, fk.probs)
    return np.asarray(fk.counts)[np.minimum(cats, len(fk.counts) - 1)]


def _find(table: Table, data: Columns, provider_hint: str) -> np.ndarray | None:
    for c in table.columns:
        if c.name.lower().replace("_", "") == provider_hint.replace("_", "") and c.name in data:
            return data[c.name]
    return None


def _unique_with(table: Table, cols: tuple[str, ...], driver_cols: tuple[str, ...]) -> bool:
    both = set(cols) | set(driver_cols)
    return any(set(u) == both for u in table.unique_sets())


def _unique_cols(table: Table, cols: tuple[str, ...]) -> bool:
    return any(set(u) == set(cols) for u in table.unique_sets())


def _fit_length(text: str, col: Column) -> str:
    return text[: col.length] if col.length else text


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _py(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


_MIN_DAY = (dt.date.min - EPOCH.date()).days
_MAX_DAY = (dt.date.max - EPOCH.date()).days


_EPOCH_DAY = EPOCH.date().toordinal()
_SECOND = dt.timedelta(seconds=1)


def to_numbers(col: Column, values: np.ndarray) -> np.ndarray:
    """Dates as days and timestamps as seconds since 1970 (NaN for NULL)."""
    n = len(values)
    try:  # one cheap call per value (numpy parses date objects 20x slower)
        if col.kind == "date":
            return np.fromiter((np.nan if v is None else v.toordinal() - _EPOCH_DAY
                                for v in values), float, n)
        if col.kind == "datetime":
            return np.fromiter((np.nan if v is None else (v.replace(tzinfo=None) - EPOCH)
                                // _SECOND for v in values), float, n)
        return np.fromiter((np.nan if v is None else float(v) for v in values), float, n)
    except (AttributeError, TypeError, ValueError):  # strings, dates in a timestamp column
        pass
    if col.kind == "date":
        vals = [v.date() if isinstance(v, dt.datetime) else v for v in values]
        arr = np.array(vals, dtype="datetime64[D]")
    else:
        vals = [v.replace(tzinfo=None) if isinstance(v, dt.datetime) and v.tzinfo else v
                for v in values]
        arr = np.array(vals, dtype="datetime64[s]")
    out = arr.astype("int64").astype(float)
    out[np.isnat(arr)] = np.nan
    return out


def to_python(col: Column, raw: np.ndarray) -> np.ndarray:
    """Numbers back into the column's Python type (dates, timestamps, decimals...)."""
    kind = col.kind
    if kind == "date":
        days = np.clip(np.round(raw), _MIN_DAY, _MAX_DAY).astype("int64")
        return np.asarray(days.astype("datetime64[D]").astype(object), dtype=object)
    if kind == "datetime":
        micros = np.round(np.clip(raw, _MIN_DAY * 86400, _MAX_DAY * 86400) * 1e6)
        out = np.asarray(micros.astype("int64").astype("datetime64[us]").astype(object),
                         dtype=object)
        if col.timezone:
            out = np.asarray([v.replace(tzinfo=dt.UTC) for v in out], dtype=object)
        return out
    if kind == "time":
        return np.asarray([(dt.datetime.min + dt.timedelta(seconds=int(s) % 86400)).time()
                           for s in raw], dtype=object)
    if kind == "interval":
        return np.asarray([dt.timedelta(seconds=float(s)) for s in raw], dtype=object)
    raw = np.asarray(raw, dtype=float)
    if kind == "integer":
        if len(raw) and np.isfinite(raw).all() and np.abs(raw).max() < 2.0**62:
            return raw.astype(np.int64).astype(object)  # truncated, as int() does
        return np.asarray([int(v) for v in raw], dtype=object)
    if kind == "decimal" and col.scale is not None:
        places = col.scale
        return _objects([round(v, places) for v in raw.tolist()])
    return raw.astype(object)


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _floats(values: np.ndarray) -> np.ndarray:
    """Numbers (None for NULL) as floats (NaN)."""
    try:
        out = np.array(values, dtype=object)
        out[out == None] = np.nan  # noqa: E711 - elementwise on an object array
        return out.astype(float)
    except (TypeError, ValueError):
        return np.fromiter((np.nan if v is None else float(v) for v in values), float,
                           len(values))


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


_ROW = "\0row"  # tracks which generated rows survive, to keep their latent scores aligned


def _generation_order(columns: tuple[ColumnModel, ...]) -> list[ColumnModel]:
    """Columns after the columns they are based on."""
    done: set[str] = set()
    out: list[ColumnModel] = []
    # Emails follow the row's names, personnummer its birth date: generate those last.
    todo = sorted(columns, key=lambda c: c.pii in ("email", "personnummer"))
    while todo:
        ready = [c for c in todo if (not c.base or c.base.startswith("^") or c.base in done)
                 and (not c.by or c.by in done)]
        if not ready:  # a cycle cannot come out of fit; be safe anyway
            ready = todo
        for c in ready:
            out.append(c)
            done.add(c.name)
        todo = [c for c in todo if c.name not in done]
    return out


def from_json(col: Column, values: list[Any]) -> np.ndarray:
    """Values stored in the model file back into the column's Python type."""
    parse = {"date": dt.date.fromisoformat, "datetime": dt.datetime.fromisoformat,
             "time": dt.time.fromisoformat}.get(col.kind)
    if parse is None:
        return np.asarray(values, dtype=object)
    return np.asarray([parse(v) if isinstance(v, str) else v for v in values], dtype=object)


def _drop_orphans(table: Table, data: Columns, waiting: list[FKModel]) -> Columns:
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


def enforce_unique(table: Table, data: Columns, rng: np.random.Generator,
                   patterns: dict[str, Pattern] | None = None,
                   seen: dict[tuple[str, ...], list[np.ndarray]] | None = None,
                   local: set[str] = frozenset()) -> Columns:  # type: ignore[assignment]
    """Make every PK / UNIQUE column set unique: perturb a non-FK member, or drop the row.

    With `seen` (64-bit hashes of the values in earlier chunks of the table, one sorted
    array per chunk, updated here), also unique against those; sets that include all of
    `local` need only be unique in the chunk. The chunks' arrays are searched one by one
    rather than merged: merging (np.union1d) and np.isin copied and sorted everything seen
    so far at every chunk, a transient of several times 8 bytes per earlier row."""
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
    for cols in table.unique_sets():
        if not all(c in data for c in cols):
            continue
        before: list[np.ndarray] | None = None
        if seen is not None and not (local and local <= set(cols)):
            before = seen.setdefault(tuple(cols), [])
        for _ in range(8):
            frame = pd.DataFrame({c: data[c] for c in cols})
            dup = frame.duplicated(keep="first").to_numpy()
            if before:
                hashes = _hashes(frame)
                for run in before:
                    dup |= _member(hashes, run)
            dup &= frame.notna().all(axis=1).to_numpy()
            if not dup.any():
                break
            free = [c for c in cols if c not in fk_cols]
            if not free:
                data = {c: v[~dup] for c, v in data.items()}
                break
            target = free[-1]
            data[target] = _perturb(table.column(target), data[target], dup, rng,
                                    (patterns or {}).get(target))
        if before is not None:
            frame = pd.DataFrame({c: data[c] for c in cols})
            before.append(np.sort(_hashes(frame[frame.notna().all(axis=1).to_numpy()])))
    return data


def _hashes(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash per row: what a UNIQUE set remembers of earlier chunks."""
    if frame.empty:
        return np.zeros(0, dtype=np.uint64)
    return np.asarray(pd.util.hash_pandas_object(frame, index=False).to_numpy(), dtype=np.uint64)


def _group_codes(columns: list[np.ndarray]) -> np.ndarray:
    """One integer per distinct combination of values (NULL a value of its own)."""
    codes = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for values in columns:
        try:
            here, uniq = pd.factorize(values, use_na_sentinel=False)
        except TypeError:  # unhashable values: by their text
            here, uniq = pd.factorize(pd.Series(values).astype(str).to_numpy())
        codes = codes * max(len(uniq), 1) + here
    return np.asarray(pd.factorize(codes)[0], dtype=np.int64)


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _join(parts: list[TableData]) -> TableData:
    """Chunks of one table as one."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    data = {c: _concat([p.data[c] for p in parts]) for c in first.data}
    return TableData(first.table, first.columns, data, first.planned_rows)


def _off_marginal(values: np.ndarray, grid: tuple[float, ...]) -> bool:
    """Whether `values` depart from the quantile grid's distribution by more than a sample
    of their size would by chance (Kolmogorov-Smirnov distance above its 95% bound, and
    above 0.05)."""
    q = np.asarray(grid, dtype=float)
    want = np.linspace(0.0, 1.0, len(q))
    got = np.searchsorted(np.sort(values), q, side="right") / len(values)
    return float(np.max(np.abs(got - want))) > max(0.05, 1.36 / np.sqrt(len(values)))


def _new_tail(value: str, pattern: Pattern, rng: np.random.Generator) -> str | None:
    """`value` with its trailing digits redrawn, if that still matches `pattern`."""
    head = value.rstrip("0123456789")
    width = len(value) - len(head)
    if not width:
        return None
    for _ in range(5):
        new = head + "".join(str(d) for d in rng.integers(0, 10, width))
        if new != value and pattern.matches(new):
            return new
    return None


def _perturb(col: Column, values: np.ndarray, dup: np.ndarray, rng: np.random.Generator,
             pattern: Pattern | None = None) -> np.ndarray:
    out = values.copy()
    idx = np.flatnonzero(dup)
    for i in idx:
        v = out[i]
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, dt.datetime):
            out[i] = v + dt.timedelta(seconds=int(rng.integers(1, 86400)))
        elif isinstance(v, dt.date):
            out[i] = v + dt.timedelta(days=int(rng.integers(1, 30)))
        elif isinstance(v, int):
            out[i] = v + int(rng.integers(1, 1000))
        elif isinstance(v, float):
            out[i] = v + float(rng.random())
        elif isinstance(v, str) and pattern is not None:
            # A CHECK demands this format: new trailing digits where they keep it (the rest
            # of a personnummer follows the row's birth date, which another CHECK may
            # compare), else a new value in the format.
            out[i] = _new_tail(v, pattern, rng) or pattern.generate(rng)
        elif isinstance(v, str) and "@" in v:  # keep an email an email: digits before the @
            local, _, domain = v.rpartition("@")
            out[i] = f"{local}{int(rng.integers(0, 10**4))}@{domain}"
        elif isinstance(v, str):
            suffix = str(int(rng.integers(0, 10**6)))
            if col.length and len(v) + len(suffix) > col.length:
                v = v[: max(col.length - len(suffix), 0)]
            out[i] = (v + suffix)[: col.length] if col.length else v + suffix
    return out
