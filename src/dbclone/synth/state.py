"""What the sampler's rules share while a clone is generated.

`SampleState`: the whole run (the model, the random generator, Faker, the tables generated so
far as their children see them, FKs waiting for a parent that comes later). `Chunk`: scratch
state of the chunk being generated (its place in the table, numbers a date was made from, the
partner columns of joint categories, whether quantiles spread), made afresh per chunk.
`Run`: what the chunks of one table share. `Generated`: a finished table as its children see
it. `Finish`: how a relation plugs into the sampler (`sample.FINISHERS`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dbclone.plan import Plan
from dbclone.schema import Column, Schema, Table
from dbclone.synth.codecs import to_numbers
from dbclone.synth.model import ColumnModel, FKModel, Model, TableModel
from dbclone.synth.pii import Generator
from dbclone.synth.spill import Spill
from dbclone.synth.strgen import Pattern
from dbclone.synth.tables import Columns, DeferredUpdate

if TYPE_CHECKING:
    from dbclone.synth.family.counts import Driven
    from dbclone.synth.family.parents import Deal


#: The column of a `Spill` holding a table's latent scores (one row of floats per row).
LATENT = "\0latent"


ROW = "\0row"  # tracks which generated rows survive, to keep their latent scores aligned


@dataclass
class Run:
    """What the chunks of one table share while it is generated."""

    table: Table
    tm: TableModel
    driver: FKModel | None
    driven: Driven | None  # the driving parent of each planned row
    n: int  # rows planned
    seed: int = 0  # the run's seed and the table's place in the plan: its streams' keys
    pos: int = 0
    rows: int = 0  # rows kept so far
    patterns: dict[str, Pattern] | None = None
    seen: dict[tuple[str, ...], list[np.ndarray]] = field(default_factory=dict)  # UNIQUE
    #: UNIQUE sets that need a check against earlier chunks (`unique.across_chunks`).
    across: tuple[tuple[str, ...], ...] = ()
    picks: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)  # own parent rows
    deals: dict[tuple[str, ...], Deal] = field(default_factory=dict)  # other FKs' parents
    own_keys: dict[str, list[np.ndarray]] = field(default_factory=dict)  # FK to own table
    needed: set[str] | None = None
    parent: bool = False  # has children: keeps its latent scores
    kept: Spill = field(default_factory=Spill)  # what children need, chunk by chunk
    sums: dict[tuple[str, str], tuple[Any, np.ndarray]] = field(default_factory=dict)

    def stream(self, *key: int) -> np.random.Generator:
        """A random stream of the table's setup shared by its chunks (`parallel.stream`)."""
        return np.random.default_rng(np.random.SeedSequence(self.seed,
                                                            spawn_key=(self.pos, 0, 3, *key)))


@dataclass
class Generated:
    """A generated table as its children see it: its rows' kept columns, latent scores and
    sampled children counts (`#child.fk` dims), in a `Spill` (on disk when it is large)."""

    n: int
    kept: Spill
    dims: tuple[str, ...]
    #: Row positions by key, per key columns, built on a descendant's first lookup.
    _index: dict[tuple[str, ...], pd.Index] = field(default_factory=dict, repr=False,
                                                    compare=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the key indexes (a worker builds its own if it looks keys up)."""
        return {**self.__dict__, "_index": {}}

    def positions(self, columns: tuple[str, ...], keys: list[np.ndarray]) -> np.ndarray:
        """The row position of each key (`keys`: one array per column of `columns`, the
        table's kept key columns), -1 where no row has it (a NULL, a key of no row)."""
        if columns not in self._index:
            held = [self.kept.column(c) for c in columns]
            self._index[columns] = pd.Index(held[0]) if len(held) == 1 else \
                pd.MultiIndex.from_arrays(held)
        index = self._index[columns]
        wanted = pd.Index(keys[0]) if len(keys) == 1 else pd.MultiIndex.from_arrays(keys)
        if index.is_unique:
            return np.asarray(index.get_indexer(wanted), dtype=np.int64)
        first = np.flatnonzero(~index.duplicated())  # a repeated key: its first row
        found = index[first].get_indexer(wanted)
        return np.where(found >= 0, first[found], -1).astype(np.int64)

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
        return self.kept.take(LATENT, idx)

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
class SampleState:
    """The whole run's state, shared by every rule's generating half."""

    model: Model
    plan: Plan
    scale: float
    rng: np.random.Generator
    fake: Generator
    done: dict[str, Generated] = field(default_factory=dict)
    #: FKs to a table generated later: nullable ones are NULL, then an UPDATE (`pending`);
    #: NOT NULL ones are filled before the rows are loaded (`waiting`).
    pending: list[tuple[Table, FKModel]] = field(default_factory=list)
    waiting: dict[str, list[FKModel]] = field(default_factory=dict)
    derived: list[DeferredUpdate] = field(default_factory=list)
    #: Parent columns that children copy: kept in memory with the parent's keys.
    copied: dict[str, set[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Integer keys drawn from one sequence by several tables (an inheritance parent and its
    #: children, or unrelated tables): the first key of each (table, column), and the next
    #: free key per sequence, so the tables' keys never meet.
    key_bases: dict[tuple[str, str], int] = field(default_factory=dict)
    key_next: dict[str, int] = field(default_factory=dict)
    #: The run's seed: what a value shared by every chunk of a table is derived from.
    seed: int = 0

    def key_seed(self, table: str, column: str) -> int:
        """The seed of a text key's numbering: one for all the table's chunks, whichever
        process makes them."""
        digest = hashlib.blake2b(f"{self.seed}\0{table}\0{column}".encode(), digest_size=8)
        return int.from_bytes(digest.digest()) >> 2

    @property
    def schema(self) -> Schema:
        return self.model.schema

    def row_count(self, tm: TableModel) -> int:
        return int(round(tm.row_count * self.scale)) if tm.row_count else 0


@dataclass
class Chunk:
    """Scratch state of one chunk of one table, made afresh for each chunk."""

    table: Table
    rows_before: int  # planned rows of the table before this chunk
    rows_planned: int
    #: The table comes in several chunks: quantiles take a random point of their slice, so
    #: the chunks do not repeat one grid (`copula.uniform_ranks`).
    spread: bool
    #: Numbers a date column of this chunk was made from (values, numbers, kind).
    made: dict[str, tuple[np.ndarray, np.ndarray, str]] = field(default_factory=dict)
    #: Partner columns of a joint category, filled when its head is generated.
    joint: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Finish:
    """A relation that finishes a column after its own rule drew it (a delta becomes a date
    after its base, a log-ratio a number, NULLs a copy of the parent's column).
    `sample.FINISHERS` holds them in priority order; the first whose `applies` holds for a
    spec finishes that column: (run state, chunk, spec, the chunk's columns, the driving FK,
    each row's parent position) -> None, rewriting the column in place."""

    name: str
    applies: Callable[[ColumnModel], bool]
    finish: Callable[[SampleState, Chunk, ColumnModel, Columns, FKModel | None,
                      np.ndarray | None], None]
