"""The rows into the created tables: bulk inserts batch by batch in key order, the
generator running ahead in a thread, and the deferred UPDATEs (FKs that close a cycle,
derived aggregates)."""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from typing import cast

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from dbclone.dialects import Dialect
from dbclone.errors import LoadError
from dbclone.load.common import Item, LoadProgress, LoadResult, first_line, pause
from dbclone.load.stage import Stage, move_in
from dbclone.schema import Table
from dbclone.synth.tables import DeferredUpdate, TableData


def fill(conn: Connection, dialect: Dialect, items: Iterable[TableData | DeferredUpdate],
          result: LoadResult, progress: LoadProgress | None, keyless: set[str],
          stage: Stage | None = None) -> None:
    """Insert the rows; `keyless` holds the tables still without their keys (see
    Dialect.defers_keys), and loses those an UPDATE needs keyed first. Chunks written into
    `stage` by the processes that made them are moved in (`stage.move_in`)."""
    batches = [0]  # batches so far, for the fault points
    for item in items:
        if isinstance(item, DeferredUpdate):
            if item.table.name in keyless:  # the UPDATE finds its rows by key
                add_keys(conn, dialect, item.table)
                keyless.discard(item.table.name)
            update(conn, dialect, item)
            continue
        start = time.perf_counter()
        total = item.n_rows
        before = result.rows.get(item.table.name, 0)  # earlier chunks of the same table
        planned = before + total if item.last else max(item.planned_rows, before + total)
        if item.staged is not None:
            _move(conn, dialect, stage, item)
        else:
            for done in _insert(conn, dialect, item, keyless, batches):
                if progress:
                    progress(item.table.name, before + done, planned)
        if progress and (total == 0 or item.staged is not None):
            progress(item.table.name, before + total, planned)
        # A large table may arrive as several consecutive chunks: counts and times add up.
        name = item.table.name
        result.rows[name] = result.rows.get(name, 0) + total
        result.seconds[name] = result.seconds.get(name, 0.0) + time.perf_counter() - start


def _insert(conn: Connection, dialect: Dialect, item: TableData, keyless: set[str],
            batches: list[int]) -> Iterator[int]:
    """A chunk's rows in batches, yielding the rows in so far after each."""
    total = item.n_rows
    step = dialect.batch_rows
    # Sorted rows grow a key index at its right edge; an index built later sorts itself.
    data = item.data if item.table.name in keyless else _in_key_order(item)
    for lo in range(0, total, step):
        values = [data[c][lo:lo + step].tolist() for c in item.columns]
        try:
            dialect.bulk_insert_columns(conn, item.table, item.columns, values)
        except Exception as exc:
            raise LoadError(f"loading table {item.table.name} failed, target left as it "
                            f"was: {first_line(exc)}") from None
        batches[0] += 1
        pause(f"batch:{batches[0]}")
        yield min(lo + step, total)


def _move(conn: Connection, dialect: Dialect, stage: Stage | None, item: TableData) -> None:
    """A chunk the process that made it wrote into the staging area (`load.stage`)."""
    assert item.staged is not None
    if stage is None:
        raise LoadError(f"a chunk of table {item.table.name} was written into a staging "
                        "area this load does not have")
    try:
        move_in(conn, dialect, stage, item.table, item.columns, item.staged, item.last)
    except SQLAlchemyError as exc:
        raise LoadError(f"loading table {item.table.name} failed, target left as it was: "
                        f"{first_line(exc)}") from None


def _in_key_order(item: TableData) -> dict[str, np.ndarray]:
    """The rows sorted by primary key: B-trees (InnoDB's clustered index above all) grow at
    their right edge instead of splitting pages all over, as a dump's ordered rows do.
    Rows already in order (the usual case) are passed through without a copy."""
    pk = [c for c in item.table.primary_key if c in item.data]
    if not pk or item.n_rows < 2:
        return item.data
    try:
        keys = [_sort_key(item.data[c]) for c in pk]
    except (TypeError, ValueError, OverflowError):  # keys of mixed types: load as generated
        return item.data
    if _ascending(keys):
        return item.data
    order = np.lexsort(keys[::-1])  # lexsort's last key is the primary one
    return {c: v[order] for c, v in item.data.items()}


def _sort_key(values: np.ndarray) -> np.ndarray:
    """Numbers that sort as the values do: the values themselves for integers, day numbers
    for dates, codes of the sorted distinct values otherwise."""
    kinds = set(map(type, values))
    if kinds == {int}:
        return np.asarray(values, dtype=np.int64)
    if kinds == {dt.date}:
        return np.fromiter(map(dt.date.toordinal, values), dtype=np.int64, count=len(values))
    codes, _ = pd.factorize(values, sort=True)
    return codes


def _ascending(keys: list[np.ndarray]) -> bool:
    """Whether the rows are already in ascending order of the keys (first key first)."""
    ordered = np.ones(len(keys[0]) - 1, dtype=bool)  # row i <= row i+1 on the keys seen so far
    for key in reversed(keys):
        ordered = (key[:-1] < key[1:]) | ((key[:-1] == key[1:]) & ordered)
    return bool(ordered.all())


def update(conn: Connection, dialect: Dialect, item: DeferredUpdate) -> None:
    if not item.rows:
        return
    sets = ", ".join(f"{dialect.quote(c)} = {dialect.param()}" for c in item.fk_columns)
    where = " AND ".join(f"{dialect.quote(c)} = {dialect.param()}" for c in item.key_columns)
    sql = f"UPDATE {dialect.rows_of(item.table)} SET {sets} WHERE {where}"
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, item.rows)
    finally:
        cursor.close()


def add_keys(conn: Connection, dialect: Dialect, table: Table) -> None:
    try:
        conn.exec_driver_sql(dialect.add_keys_ddl(table))
    except SQLAlchemyError as exc:
        raise LoadError(f"the primary key, a UNIQUE or a CHECK constraint of table {table.name} "
                        f"failed, target left as it was: {first_line(exc)}") from None


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_DONE = object()


class _Ahead:
    """The generating thread's end of `prefetch`: one slot, and a stop flag the loading end
    sets when it stops taking (the generator then stops at its next item)."""

    def __init__(self) -> None:
        self.slot: queue.Queue[object] = queue.Queue(maxsize=1)
        self.stop = threading.Event()

    def put(self, obj: object) -> bool:
        while not self.stop.is_set():
            try:
                self.slot.put(obj, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce(self, items: Iterable[Item]) -> None:
        try:
            for item in items:
                if not self.put(item):
                    return
            self.put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed over to the loading thread
            self.put(_Failed(exc))


def prefetch(items: Iterable[Item]) -> Iterator[Item]:
    """Generate the next table in a thread while this one loads, so the generator's work
    overlaps the database's (the drivers release the GIL while they wait on the server).
    At most one table waits in the queue: memory stays bounded."""
    ahead = _Ahead()
    threading.Thread(target=ahead.produce, args=(items,), name="dbclone-generate",
                     daemon=True).start()
    try:
        while True:
            obj = ahead.slot.get()
            if obj is _DONE:
                return
            if isinstance(obj, _Failed):
                raise obj.exc
            yield cast(Item, obj)
    finally:
        ahead.stop.set()


def timed(items: Iterable[TableData | DeferredUpdate],
           waited: list[float]) -> Iterator[TableData | DeferredUpdate]:
    """Pass the items through, adding the time spent generating them to waited[0]."""
    it = iter(items)
    while True:
        t0 = time.perf_counter()
        try:
            item = next(it)
        except StopIteration:
            return
        finally:
            waited[0] += time.perf_counter() - t0
        yield item

