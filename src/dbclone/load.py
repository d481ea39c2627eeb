"""Stage 5: create the target schema and bulk-load the generated rows, all or nothing.

How each dialect keeps "all or nothing" (its ``load_via`` flag):

- ``transaction`` (PostgreSQL, an existing SQLite file): DDL, data, verification and the
  replacement of old tables run in one transaction of the target; an error, a signal or
  ``kill -9`` at any moment rolls it back.
- ``new_file`` (SQLite, when the target file does not exist yet): the database is built in a
  hidden file next to the target and hard-linked into place only when complete, so an
  interrupted load leaves no file behind.
- ``staging_database`` (MySQL/MariaDB, whose DDL commits implicitly): the tables are built in
  a side database ``<target>__dbclone_<random>`` and moved into the target with one atomic
  ``RENAME TABLE`` (old tables out, new tables in); side databases left by a killed run are
  dropped by the next one. Views and triggers cannot change database: they are created in
  the side database (proving they work), dropped there, and created in the target right
  after the swap; old tables with triggers are parked inside the target for the swap. The
  statements that follow the swap travel with it, as a journal table renamed into the
  target by the same RENAME: a run killed after the swap leaves that list, and the next
  load into the target runs it first.

What comes after the rows, as a dump's restore does it: secondary indexes, FKs (then checked:
by the database on PostgreSQL, by dbclone's orphan count elsewhere), sequences, views and
triggers; on PostgreSQL also primary keys and UNIQUE constraints (one index build each
instead of row-by-row maintenance), except on partitioned tables and on tables that a
deferred UPDATE must find rows in by key.

A second load into the same target while one runs is refused (PostgreSQL advisory lock,
MariaDB ``GET_LOCK``, SQLite write lock), never interleaved.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from dbclone import faults, interrupts
from dbclone.connect import display_url
from dbclone.dialects import Dialect, dialect_for
from dbclone.errors import LoadError, TargetNotEmptyError, UsageError, VerifyError, mask
from dbclone.schema import Schema, Table
from dbclone.synth.tables import DeferredUpdate, TableData

LoadProgress = Callable[[str, int, int], None]
_Item = TableData | DeferredUpdate

#: Test hooks (never set in production): see `dbclone.faults` for the named points.
PAUSE_ENV = faults.PAUSE_ENV


@dataclass
class LoadResult:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    #: Time spent in the database (DDL, bulk inserts, indexes, FKs, verification), excluding
    #: the time the generator took to produce the rows.
    load_seconds: float = 0.0
    #: What the clone left for the user to finish (Dialect.load_warnings), one line each.
    warnings: list[str] = field(default_factory=list)


def check_target(engine: Engine, schema: Schema, replace: bool) -> None:
    """Refuse a target of another dialect, or one that holds tables unless told to replace."""
    dialect = _dialect(engine, schema)
    path = _sqlite_file(engine)
    if path is not None and not os.path.exists(path):
        return  # a new SQLite file: nothing to check, and connecting would create it
    try:
        if dialect.load_via == "staging_database":
            _finish_killed_swaps_locked(engine, dialect)
        with engine.connect() as conn:
            _check_empty(conn, dialect, schema, replace)
    except SQLAlchemyError as exc:  # e.g. a SQLite file locked by a load that is committing
        raise LoadError(f"cannot read target {display_url(engine)}: {_first_line(exc)}"
                        ) from None


def load(engine: Engine, schema: Schema, items: Iterable[TableData | DeferredUpdate], *,
         replace: bool = False, progress: LoadProgress | None = None,
         into: Schema | None = None) -> LoadResult:
    """Create `schema` in the target and fill it from `items`, all or nothing (see module doc).
    With `into` (the target's own definitions of the tables, see dbclone.existing) nothing is
    created: the existing tables are filled in one transaction."""
    dialect = _dialect(engine, schema)
    path = _sqlite_file(engine)
    result = LoadResult()
    job = _Job(dialect, schema, items, result, progress, replace, into)
    try:
        if into is not None:
            _load_in_transaction(dialect.load_engine(engine), job)
        elif path is not None and not os.path.exists(path):
            _load_new_file(engine, path, job)
        elif dialect.load_via == "staging_database":
            _load_staged(engine, job)
        else:
            _load_in_transaction(engine, job)
    except SQLAlchemyError as exc:
        raise LoadError(f"load failed, target left as it was: {_first_line(exc)}") from None
    return result


@dataclass
class _Job:
    dialect: Dialect
    schema: Schema
    items: Iterable[TableData | DeferredUpdate]
    result: LoadResult
    progress: LoadProgress | None
    replace: bool
    #: The existing tables to fill (--into-existing), or None to create the schema.
    into: Schema | None = None


# -- strategies -----------------------------------------------------------------------------

def _load_in_transaction(engine: Engine, job: _Job) -> None:
    dialect = job.dialect
    with engine.connect() as conn:
        dialect.prepare_session(conn)
        conn.commit()
        try:
            with conn.begin() as transaction:
                _lock(conn, dialect, engine)
                if job.into is None:
                    _check_empty(conn, dialect, job.schema, job.replace)
                _pause("locked")
                dialect.prepare_load(conn)
                if job.replace and job.into is None:
                    _drop_existing(conn, dialect, job.schema)
                if job.into is None:
                    _build(conn, job)
                else:
                    _build_into(conn, job, job.into)
                _pause("commit")
                with interrupts.uninterrupted():  # a signal now waits: the outcome is known
                    transaction.commit()
                    interrupts.mark_committed()
        finally:
            if job.into is not None:
                dialect.unlock_load(conn)  # a session lock (MariaDB) outlives the transaction
    _pause("committed")


def _load_new_file(engine: Engine, path: str, job: _Job) -> None:
    """SQLite target that does not exist: build a hidden file beside it, link it into place."""
    target = Path(path)
    if not target.parent.is_dir():
        raise UsageError(f"cannot create SQLite file {path!r}: folder {str(target.parent)!r} "
                         "does not exist; create it first")
    _remove_stale_files(target)
    tmp = target.with_name(f".{target.name}.dbclone-{secrets.token_hex(4)}.tmp")
    with open(tmp, "wb") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)  # marks the file as in use for stale-file cleanup
        try:
            tmp_engine = sa.create_engine(f"sqlite:///{tmp}", poolclass=sa.pool.NullPool)
            with tmp_engine.connect() as conn:
                job.dialect.prepare_session(conn)
                job.dialect.prepare_new_file(conn)
                conn.commit()
                with conn.begin():
                    conn.exec_driver_sql("BEGIN")
                    _pause("locked")
                    job.dialect.prepare_load(conn)
                    _build(conn, job)
                _pause("commit")
            os.fsync(holder.fileno())
            with interrupts.uninterrupted():
                try:
                    os.link(tmp, target)  # fails if the target appeared meanwhile: never clobber
                except FileExistsError:
                    raise LoadError(f"target {path!r} was created by someone else while "
                                    "dbclone loaded it; run again (with --replace to overwrite "
                                    "it)") from None
                interrupts.mark_committed()
            _pause("committed")
        finally:
            tmp.unlink(missing_ok=True)


def _remove_stale_files(target: Path) -> None:
    """Hidden build files of earlier runs that were killed (and so hold no lock any more)."""
    for stale in target.parent.glob(f".{target.name}.dbclone-*.tmp"):
        try:
            with open(stale, "rb") as f:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                stale.unlink(missing_ok=True)
        except OSError:
            continue  # another dbclone is building it right now


def _load_staged(engine: Engine, job: _Job) -> None:
    """MySQL/MariaDB: build in a side database, swap it in with one atomic RENAME TABLE.
    Views and triggers cannot cross databases: they are tried in the side database, dropped
    there, and created in the target right after the swap."""
    dialect = job.dialect
    db = engine.url.database
    if not db:
        raise UsageError(f"the target URL {display_url(engine)} names no database; add /DBNAME")
    admin_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as admin:
        _lock(admin, dialect, engine)
        try:
            dialect.prepare_load(admin)  # drop side databases whatever their FKs
            _finish_killed_swaps(admin, dialect)
            for table in dialect.parked_tables(admin):  # a run killed just after its swap
                admin.exec_driver_sql(f"DROP TABLE IF EXISTS {dialect.quote(table)}")
            _check_empty(admin, dialect, job.schema, job.replace)
            _pause("locked")
            for stale in dialect.staging_databases(admin, db):
                admin.exec_driver_sql(f"DROP DATABASE IF EXISTS {dialect.quote(stale)}")
            token = secrets.token_hex(4)
            staging, trash = dialect.staging_name(db, token)
            try:
                admin.exec_driver_sql(dialect.create_database_sql(admin, db, staging))
                admin.exec_driver_sql(dialect.create_database_sql(admin, db, trash))
                # Autocommit: the staging database is thrown away unless complete, so one
                # transaction around the fill only costs (15% of the load at 1.3M rows).
                loader = dialect.load_engine(engine).execution_options(isolation_level="AUTOCOMMIT")
                with loader.connect() as conn:
                    conn.exec_driver_sql(f"USE {dialect.quote(staging)}")
                    dialect.prepare_load(conn)
                    _build(conn, job)
                    for stmt in dialect.unstage_ddl(job.schema):
                        conn.exec_driver_sql(stmt)
                _pause("commit")
                _check_empty(admin, dialect, job.schema, job.replace)  # still, under the lock
                old_views = _views_in_the_way(admin, dialect, job)
                old = dialect.user_tables(admin, None)
                parked = {t: dialect.parking_name(token, i)
                          for i, t in enumerate(dialect.triggered_tables(admin))}
                todo = dialect.after_swap_ddl(job.schema, old_views, list(parked.values()))
                journal = dialect.journal_name(token)
                _write_journal(admin, dialect, staging, journal, todo)
                new = [t.name for t in job.schema.tables] + [journal]
                # From the swap on, a signal waits until the clone is whole in the target
                # (the journal covers kill -9 in between).
                with interrupts.uninterrupted():
                    old += _park_fks(admin, dialect, db, token, list(parked))
                    admin.exec_driver_sql(dialect.swap_sql(db, staging, trash, old, new, parked))
                    interrupts.mark_committed()
                    _pause("swapped")
                    _after_swap(admin, dialect, journal, todo)
                _pause("committed")
            finally:
                _drop_side_databases(engine, admin, dialect, (staging, trash))
        finally:
            with contextlib.suppress(SQLAlchemyError):  # a broken connection lost its lock
                dialect.unlock_load(admin)


def _drop_side_databases(engine: Engine, admin: Connection, dialect: Dialect,
                         names: tuple[str, ...]) -> None:
    """Drop this load's side databases, through a new connection when a signal or a dropped
    connection broke `admin` mid-statement (what is left is dropped by the next load)."""
    try:
        for side in names:
            admin.exec_driver_sql(f"DROP DATABASE IF EXISTS {dialect.quote(side)}")
        return
    except SQLAlchemyError:
        pass
    with contextlib.suppress(SQLAlchemyError), \
            engine.execution_options(isolation_level="AUTOCOMMIT").connect() as fresh:
        dialect.prepare_load(fresh)  # drops side databases whatever their FKs
        for side in names:
            fresh.exec_driver_sql(f"DROP DATABASE IF EXISTS {dialect.quote(side)}")


def _views_in_the_way(admin: Connection, dialect: Dialect, job: _Job) -> list[str]:
    """Views of the target that the swap replaces (all of them with --replace); without
    --replace a view named like one of the clone's is refused before anything changes."""
    names = [v.name for v in dialect.views(admin, None)]
    if job.replace:
        return names
    clash = sorted(set(names) & {v.name for v in job.schema.views})
    if clash:
        raise TargetNotEmptyError(f"target {mask(str(admin.engine.url))} has views named "
                                  f"{', '.join(clash)}; drop them or use --replace")
    return []


def _write_journal(admin: Connection, dialect: Dialect, staging: str, journal: str,
                   todo: list[str]) -> None:
    """The statements that must follow the swap, as a table of the staging database that the
    swap renames into the target together with the clone's tables: whatever moment a
    ``kill -9`` hits after the swap, the target holds either the old tables or the new ones
    with the list of what they still lack."""
    name = f"{dialect.quote(staging)}.{dialect.quote(journal)}"
    admin.exec_driver_sql(f"CREATE TABLE {name} (step INT PRIMARY KEY, stmt LONGTEXT NOT NULL)"
                          " DEFAULT CHARSET=utf8mb4")
    if todo:
        admin.exec_driver_sql(f"INSERT INTO {name} (step, stmt) VALUES (%s, %s)",
                              list(enumerate(todo)))


def _park_fks(admin: Connection, dialect: Dialect, db: str, token: str,
              parked: list[str]) -> list[str]:
    """Drop the FKs of the old tables to be parked (see `before_park_sql`), a journal of
    how to add them again written first into the target: a kill -9 between the drop and
    the swap leaves the old tables live without their FKs, and the next load's recovery
    (`_finish_killed_swaps`) puts them back. The swap moves the journal out with the old
    tables (the names returned). Nothing to park: nothing dropped, no journal."""
    drops = dialect.before_park_sql(admin, parked)
    if not drops:
        return []
    journal = dialect.journal_name(f"{token}_fks")
    _write_journal(admin, dialect, db, journal, dialect.fk_restore_sql(admin, parked))
    for stmt in drops:
        admin.exec_driver_sql(stmt)
    _pause("fks-dropped")
    return [journal]


def _after_swap(admin: Connection, dialect: Dialect, journal: str, todo: list[str]) -> None:
    """The old tables parked in the target go (with their triggers, whose names the clone's
    may reuse), so do the target's old views; the clone's views and triggers come (they
    worked in the staging database a moment ago). The journal goes last."""
    try:
        for stmt in todo:
            admin.exec_driver_sql(stmt)
    except SQLAlchemyError as exc:
        raise LoadError(f"the tables are loaded, but a view or trigger could not be created "
                        f"in the target: {_first_line(exc)}; run again with --replace") from None
    finally:
        _quietly(admin, f"DROP TABLE IF EXISTS {dialect.quote(journal)}")


def _finish_killed_swaps_locked(engine: Engine, dialect: Dialect) -> None:
    """`_finish_killed_swaps` under the target's load lock (a running load's journal is its
    own business: then the lock is refused, as the load itself would be)."""
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as admin:
        if not dialect.journals(admin):
            return
        _lock(admin, dialect, engine)
        try:
            _finish_killed_swaps(admin, dialect)
        finally:
            dialect.unlock_load(admin)


def _finish_killed_swaps(admin: Connection, dialect: Dialect) -> None:
    """A run killed between its swap and the end of `_after_swap` left its journal in the
    target: run its statements (each may run twice) before anything else."""
    for journal in dialect.journals(admin):
        todo = [stmt for (stmt,) in admin.exec_driver_sql(
            f"SELECT stmt FROM {dialect.quote(journal)} ORDER BY step")]
        try:
            for stmt in todo:
                admin.exec_driver_sql(stmt)
        except SQLAlchemyError as exc:
            raise LoadError(
                f"an earlier load was killed after its swap, and its views or triggers could "
                f"not be created in the target now: {_first_line(exc)}; run again with "
                f"--replace") from None
        finally:
            _quietly(admin, f"DROP TABLE IF EXISTS {dialect.quote(journal)}")


# -- steps shared by the strategies -----------------------------------------------------------

def _build(conn: Connection, job: _Job) -> None:
    """Create the tables, fill them, add indexes/FKs/sequences and verify, in `conn`."""
    start = time.perf_counter()
    waited = [0.0]
    _create(conn, job.dialect, job.schema)
    _pause("created")
    keyless = {t.name for t in job.schema.tables if job.dialect.defers_keys(t)}
    _fill(conn, job.dialect, _timed(_prefetch(job.items), waited), job.result, job.progress,
          keyless)
    _pause("finish")
    _finish(conn, job.dialect, job.schema, keyless)
    verify(conn, job.dialect, job.schema, job.result.rows)
    job.result.warnings += job.dialect.load_warnings(conn, job.schema)
    _pause("verified")
    job.result.load_seconds = time.perf_counter() - start - waited[0]


def _build_into(conn: Connection, job: _Job, target: Schema) -> None:
    """Fill the existing tables (`target`'s definitions): their FKs set aside for the rows and
    put back (checked then), rows deleted first with --replace, sequences moved on, verified."""
    from dbclone import existing

    start = time.perf_counter()
    waited = [0.0]
    dialect = job.dialect
    put_back = dialect.set_fks_aside(conn, target)
    for stmt in existing.require_empty(conn, conn.engine, dialect.rows_of, target, job.replace):
        conn.exec_driver_sql(stmt)
    _fill(conn, dialect, _timed(_prefetch(job.items), waited), job.result, job.progress, set())
    _pause("finish")
    for stmt in put_back:
        try:
            conn.exec_driver_sql(stmt)
        except SQLAlchemyError as exc:
            raise LoadError(f"a foreign key of the target failed, target left as it was: "
                            f"{_first_line(exc)}") from None
    for table in target.tables:
        for stmt in dialect.reset_sequence_sql(table):
            conn.exec_driver_sql(stmt)
    verify(conn, dialect, target, job.result.rows)
    job.result.load_seconds = time.perf_counter() - start - waited[0]


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_DONE = object()


def _prefetch(items: Iterable[_Item]) -> Iterator[_Item]:
    """Generate the next table in a thread while this one loads, so the generator's work
    overlaps the database's (the drivers release the GIL while they wait on the server).
    At most one table waits in the queue: memory stays bounded."""
    slot: queue.Queue[object] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(obj: object) -> bool:
        while not stop.is_set():
            try:
                slot.put(obj, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as exc:  # noqa: BLE001 - handed over to the loading thread
            put(_Failed(exc))

    threading.Thread(target=produce, name="dbclone-generate", daemon=True).start()
    try:
        while True:
            obj = slot.get()
            if obj is _DONE:
                return
            if isinstance(obj, _Failed):
                raise obj.exc
            yield cast(_Item, obj)
    finally:
        stop.set()


def _timed(items: Iterable[TableData | DeferredUpdate],
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


def _lock(conn: Connection, dialect: Dialect, engine: Engine) -> None:
    if not dialect.lock_load(conn):
        raise LoadError(f"another dbclone load or refresh of {display_url(engine)} is running; "
                        "wait for it to finish (loads are never interleaved)")


def _schemas(schema: Schema) -> list[str | None]:
    """The target schemas the clone fills (None: the connection's default one)."""
    return sorted({t.schema for t in schema.tables} | {schema.schema_name},
                  key=lambda s: s or "")


def _check_empty(conn: Connection, dialect: Dialect, schema: Schema, replace: bool) -> None:
    existing = [t if s in (None, schema.schema_name) else f"{s}.{t}"
                for s in _schemas(schema) for t in dialect.user_tables(conn, s)]
    if existing and not replace:
        shown = ", ".join(existing[:5]) + (" ..." if len(existing) > 5 else "")
        url = display_url(conn.engine)
        raise TargetNotEmptyError(
            f"target {url} is not empty ({len(existing)} tables: {shown}); "
            "use an empty database, or --replace to overwrite it")


def _dialect(engine: Engine, schema: Schema) -> Dialect:
    dialect = dialect_for(engine)
    if dialect.name != schema.dialect:
        way = ("a SQLite file: SQLite schemas are not translated to other dialects"
               if schema.dialect == "sqlite" else
               f"{schema.dialect}, or into SQLite (sqlite:///file.db), which takes any source")
        raise UsageError(f"cannot load a {schema.dialect} schema into a {dialect.name} target; "
                         f"clone into {way}")
    return dialect


def _sqlite_file(engine: Engine) -> str | None:
    """The target's file, for dialects whose database is one file (SQLite)."""
    if not dialect_for(engine).single_file:
        return None
    db = engine.url.database
    return db if db and db != ":memory:" else None


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return mask(text[0] if text else type(exc).__name__)


def _quietly(conn: Connection, sql: str) -> None:
    with contextlib.suppress(SQLAlchemyError):
        conn.exec_driver_sql(sql)


def _pause(point: str) -> None:
    faults.point(point)


def _drop_existing(conn: Connection, dialect: Dialect, schema: Schema) -> None:
    for where in _schemas(schema):
        for view in dialect.views(conn, where):
            conn.exec_driver_sql(dialect.drop_view_ddl(view, where))
        for name in dialect.user_tables(conn, where):
            dialect.drop_existing(conn, name, where)


def _create(conn: Connection, dialect: Dialect, schema: Schema) -> None:
    for stmt in dialect.pre_table_ddl(schema):
        conn.exec_driver_sql(stmt)
    for table in _parents_first(schema.tables):
        conn.exec_driver_sql(dialect.create_table_ddl(
            table, with_fks=not dialect.constraints_after_load,
            with_keys=not dialect.defers_keys(table)))
    for stmt in dialect.post_table_ddl(schema):  # comments, partitions, functions
        conn.exec_driver_sql(stmt)


def _parents_first(tables: tuple[Table, ...]) -> list[Table]:
    """The tables in creation order: a table that INHERITS another comes after it."""
    done: dict[str, Table] = {}
    by_name = {t.name: t for t in tables}

    def add(table: Table) -> None:
        if table.name not in done:
            for parent in table.inherits:
                if parent in by_name:
                    add(by_name[parent])
            done[table.name] = table

    for table in tables:
        add(table)
    return list(done.values())


def _fill(conn: Connection, dialect: Dialect, items: Iterable[TableData | DeferredUpdate],
          result: LoadResult, progress: LoadProgress | None, keyless: set[str]) -> None:
    """Insert the rows; `keyless` holds the tables still without their keys (see
    Dialect.defers_keys), and loses those an UPDATE needs keyed first."""
    batches = 0
    for item in items:
        if isinstance(item, DeferredUpdate):
            if item.table.name in keyless:  # the UPDATE finds its rows by key
                _add_keys(conn, dialect, item.table)
                keyless.discard(item.table.name)
            _update(conn, dialect, item)
            continue
        start = time.perf_counter()
        total = item.n_rows
        before = result.rows.get(item.table.name, 0)  # earlier chunks of the same table
        planned = before + total if item.last else max(item.planned_rows, before + total)
        step = dialect.batch_rows
        # Sorted rows grow a key index at its right edge; an index built later sorts itself.
        data = item.data if item.table.name in keyless else _in_key_order(item)
        for lo in range(0, total, step):
            values = [data[c][lo:lo + step].tolist() for c in item.columns]
            try:
                dialect.bulk_insert_columns(conn, item.table, item.columns, values)
            except Exception as exc:
                raise LoadError(f"loading table {item.table.name} failed, target left as it "
                                f"was: {_first_line(exc)}") from None
            batches += 1
            _pause(f"batch:{batches}")
            if progress:
                progress(item.table.name, before + min(lo + step, total), planned)
        if progress and total == 0:
            progress(item.table.name, before, planned)
        # A large table may arrive as several consecutive chunks: counts and times add up.
        name = item.table.name
        result.rows[name] = result.rows.get(name, 0) + total
        result.seconds[name] = result.seconds.get(name, 0.0) + time.perf_counter() - start


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


def _update(conn: Connection, dialect: Dialect, item: DeferredUpdate) -> None:
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


def _add_keys(conn: Connection, dialect: Dialect, table: Table) -> None:
    try:
        conn.exec_driver_sql(dialect.add_keys_ddl(table))
    except SQLAlchemyError as exc:
        raise LoadError(f"the primary key, a UNIQUE or a CHECK constraint of table {table.name} "
                        f"failed, target left as it was: {_first_line(exc)}") from None


def _finish(conn: Connection, dialect: Dialect, schema: Schema, keyless: set[str]) -> None:
    """Keys, indexes, FKs (where added after the data) and sequences."""
    for table in schema.tables:
        if table.name in keyless:
            _add_keys(conn, dialect, table)
    for table in schema.tables:
        for index in table.indexes:
            conn.exec_driver_sql(dialect.create_index_ddl(table, index))
    if dialect.constraints_after_load:
        for table in schema.tables:
            for fk in table.foreign_keys:
                try:
                    conn.exec_driver_sql(dialect.add_fk_ddl(table, fk))
                except SQLAlchemyError as exc:
                    raise LoadError(f"foreign key {table.name}({', '.join(fk.columns)}) -> "
                                    f"{fk.ref_table} failed, target left as it was: "
                                    f"{_first_line(exc)}") from None
    for table in schema.tables:
        for stmt in dialect.reset_sequence_sql(table):
            conn.exec_driver_sql(stmt)
    for stmt in dialect.post_load_ddl(schema):  # views, triggers: after the rows
        conn.exec_driver_sql(stmt)


# -- verification ------------------------------------------------------------------------------

def verify(conn: Connection, dialect: Dialect, schema: Schema, rows: dict[str, int]) -> None:
    """Row counts, FK integrity and sequences of the loaded tables; VerifyError lists every
    problem (the load is then rolled back / not swapped in)."""
    problems: list[str] = []
    for table in schema.tables:
        want = rows.get(table.name, 0)
        got = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {dialect.rows_of(table)}").scalar()
        if got != want:
            problems.append(f"table {table.name}: {got} rows in the target, {want} generated")
        if not dialect.checks_fks_on_load:
            problems += _orphans(conn, dialect, schema, table)
        problems += dialect.sequence_problems(conn, table)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise VerifyError("verification failed, target left as it was: "
                          + "; ".join(problems[:3]) + more)


def _orphans(conn: Connection, dialect: Dialect, schema: Schema, table: Table) -> list[str]:
    out = []
    for fk in table.foreign_keys:
        parent = next((t for t in schema.tables if t.name == fk.ref_table), None)
        if parent is None:
            continue
        on = " AND ".join(f"p.{dialect.quote(r)} = c.{dialect.quote(c)}"
                          for c, r in zip(fk.columns, fk.ref_columns, strict=True))
        notnull = " AND ".join(f"c.{dialect.quote(c)} IS NOT NULL" for c in fk.columns)
        sql = (f"SELECT COUNT(*) FROM {dialect.rows_of(table)} c LEFT JOIN "
               f"{dialect.rows_of(parent)} p ON {on} WHERE {notnull} "
               f"AND p.{dialect.quote(fk.ref_columns[0])} IS NULL")
        n = conn.exec_driver_sql(sql).scalar()
        if n:
            out.append(f"{table.name}({', '.join(fk.columns)}) -> {fk.ref_table}: "
                       f"{n} rows without a parent")
    return out
