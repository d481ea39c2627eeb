"""What the sampler hands the loader: `TableData` (a table's rows, maybe one chunk of
several) and `DeferredUpdate` (an UPDATE once both tables are in). Both sides import this
module; neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from dbclone.schema import Table

#: Values are built as object columns: None is NULL.
Columns = dict[str, np.ndarray]


@dataclass
class TableData:
    table: Table
    columns: tuple[str, ...]
    data: Columns
    #: A table may come in consecutive chunks: the rows planned for the whole table (0 when
    #: unknown), and whether this chunk is its last.
    planned_rows: int = 0
    last: bool = True
    #: Written by the process that made it into the load's staging area (`data` is then
    #: empty): see dbclone.load.stage.
    staged: Staged | None = None

    @property
    def n_rows(self) -> int:
        if self.staged is not None:
            return self.staged.rows
        return len(next(iter(self.data.values()))) if self.data else 0

    def rows(self, start: int = 0, stop: int | None = None) -> list[tuple[Any, ...]]:
        cols = [self.data[c][start:stop].tolist() for c in self.columns]
        return list(zip(*cols, strict=True))


@dataclass(frozen=True)
class Staged:
    """A chunk written into the load's staging area where it was made: its place among
    the table's chunks, its rows, and whether it went into a table that takes the whole
    table's place at the switch (else its rows are moved in, `dbclone.load.stage`)."""

    chunk: int
    rows: int
    whole: bool = False


class Stage(Protocol):
    """The loader's staging area as the sampler sees it (dbclone.load.stage.Stage): a
    chunk's rows written there, committed, by the process that made them."""

    def write(self, table: Table, columns: tuple[str, ...], data: Columns, chunk: int
              ) -> Staged: ...


@dataclass
class DeferredUpdate:
    """SET fk columns WHERE key columns — for an FK whose parent was generated later."""

    table: Table
    key_columns: tuple[str, ...]
    fk_columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]  # fk values..., key values...


def concat(parts: list[np.ndarray]) -> np.ndarray:
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def join_chunks(parts: list[TableData]) -> TableData:
    """Chunks of one table as one."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    data = {c: concat([p.data[c] for p in parts]) for c in first.data}
    return TableData(first.table, first.columns, data, first.planned_rows)
