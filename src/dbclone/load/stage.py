"""Chunks loaded where they are made (`--workers`, `--dask`): each from the connection of the
process that made it into a staging area of the load, committed there; the load's one
switch makes them the target's, so a failure or a kill at any moment still leaves the
target as it was.

- PostgreSQL: a side schema ``dbclone_stage_<token>`` of the target database, created
  (committed) once the load holds the target's lock. The first chunk of a table to arrive
  creates the table there as the load creates it in the target (its columns, types and
  defaults; keys, indexes and FKs come after the rows, as for every table), and each chunk
  is COPYed into it from the connection of the process that made it, in one transaction
  that records the chunk in the side schema's `WRITTEN` table (a task run again finds its
  chunk there and writes nothing). With the table's last chunk the load's transaction
  drops the empty table it created and moves the side table in with ALTER TABLE ... SET
  SCHEMA (`switch_in`): the rows are written once, by the workers, and the switch moves
  none. Where the side table is not the same as the load's (a column type or default
  the side schema cannot see outside the load's transaction, inheritance), the rows are
  copied by one INSERT ... SELECT instead; where it cannot even be created (a type made
  by the load itself), each chunk goes into a table of text columns, moved by INSERT ...
  SELECT as its chunk comes (`move_in`). The side schema is dropped when the load ends,
  whatever happened; one left by a killed load is dropped by the next (a side schema
  exists only while its load holds the target's lock).
- MariaDB: the load's side database (`dbclone.load.staged`): a chunk is written into its
  table there (LOAD DATA, as the load itself writes), from the connection of the process
  that made it, in one transaction that also records the chunk in the side database's
  `WRITTEN` table; the swap moves the tables in as before: rows are written once.

A task run again after its worker died (Dask) finds its chunk recorded and writes nothing,
or, when the first run died before its commit, writes the chunk anew (the database rolled
the first run back); a run still writing the same chunk holds the record's lock until it
ends.

Which chunks go this way is the sampler's business (`Sampler.stage`): only chunks no later
step changes (their table's UNIQUE sets cannot meet another chunk's, no FK waits for a later
table, no parent inside the table), made by a worker. The target's URL travels with the
stage to the workers (to a Dask cluster too: its password included).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dbclone import faults
from dbclone.dialects import Dialect, dialect_for, pg_copy
from dbclone.errors import LoadError, mask
from dbclone.schema import Table
from dbclone.synth.tables import Columns, Staged

#: The prefix of PostgreSQL side schemas.
SIDE_PREFIX = "dbclone_stage_"
#: The table of the side schema or database that records the chunks written there (never
#: moved into the target: it goes with the staging area).
WRITTEN = "_dbclone_written_chunks"
#: PostgreSQL: the table of the side schema that says, per table, whether its chunks go
#: into a side table of its own (made once, by the first chunk to arrive).
TABLES = "_dbclone_tables"

_ENGINES: dict[tuple[int, str], Engine] = {}  # a worker's own engine, per process


@dataclass(frozen=True)
class Stage:
    """Where a load takes chunks written by other processes: the target (`url`, password
    included), its dialect's name and the side schema or database (`where`)."""

    url: str
    dialect: str
    where: str

    def write(self, table: Table, columns: tuple[str, ...], data: Columns, chunk: int
              ) -> Staged:
        """Write one chunk's rows (committed); `stage:TABLE:CHUNK` is a fault point."""
        n = len(data[columns[0]]) if columns else 0
        values = [data[c].tolist() for c in columns]
        engine = self._engine()
        try:
            with engine.connect() as conn:
                whole = _WRITERS[self.dialect](self, conn, table, columns, values, chunk)
                faults.point(f"stage:{table.name}:{chunk}")
        except Exception as exc:  # the driver's own errors too (COPY, LOAD DATA)
            orig = getattr(exc, "orig", None)
            lines = str(orig if orig is not None else exc).strip().splitlines()
            raise LoadError(f"loading table {table.name} failed, target left as it was: "
                            f"{mask(lines[0] if lines else type(exc).__name__)}") from None
        return Staged(chunk, n, whole)

    def _engine(self) -> Engine:
        key = (os.getpid(), self.url)  # never a connection of the process it was forked from
        if key not in _ENGINES:
            base = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
            _ENGINES[key] = dialect_for(base).load_engine(base).execution_options(
                isolation_level="AUTOCOMMIT")
        return _ENGINES[key]


def _digest(table: Table) -> str:
    return hashlib.blake2b(f"{table.schema}\0{table.name}".encode(), digest_size=8).hexdigest()


def chunk_table(table: Table, chunk: int) -> str:
    """The name of a chunk's table of text columns in a PostgreSQL side schema (within 63
    bytes)."""
    return f"c{_digest(table)}_{chunk}"


def side_table(stage: Stage, table: Table) -> Table:
    """PostgreSQL: `table` as built in the side schema (a name within 63 bytes), without its
    columns' defaults: a serial's sequence is the load's to create, inside its transaction,
    and the rows give every column anyway; `switch_in` sets the load's defaults."""
    columns = tuple(dataclasses.replace(c, default=None, sequence=None) for c in table.columns)
    return dataclasses.replace(table, name=f"w{_digest(table)}", schema=stage.where,
                               columns=columns)


def _pg_write(stage: Stage, conn: Connection, table: Table, columns: tuple[str, ...],
              values: list[list[Any]], chunk: int) -> bool:
    dialect = dialect_for(conn.engine)
    if _pg_side_table(stage, conn, dialect, table):
        _in_transaction(conn, dialect, stage, table, chunk, lambda: dialect.bulk_insert_columns(
            conn, side_table(stage, table), columns, values))
        return True
    name = f"{dialect.quote(stage.where)}.{dialect.quote(chunk_table(table, chunk))}"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")  # a task run again (Dask)
    conn.exec_driver_sql(f"CREATE UNLOGGED TABLE {name} ("
                         + ", ".join(f"{dialect.quote(c)} text" for c in columns) + ")")
    cursor = cast(Any, conn.connection.cursor())
    try:
        with cursor.copy(dialect.raw(f"COPY {name} FROM STDIN")) as copy:
            for start in range(0, len(values[0]) if values else 0, pg_copy.CHUNK_ROWS):
                copy.write(pg_copy.encode_columns(
                    [v[start:start + pg_copy.CHUNK_ROWS] for v in values]))
    finally:
        cursor.close()
    return False


def _pg_side_table(stage: Stage, conn: Connection, dialect: Dialect, table: Table) -> bool:
    """Whether the table's chunks go into a side table of its own: decided (and the table
    created) by the first chunk to arrive, under a lock of the table's name; False where
    the load's own DDL cannot be run outside its transaction (a type, sequence or function
    it creates, a parent of inheritance, partitions)."""
    if table.partition_by or table.inherits:
        return False
    q = dialect.quote
    side = side_table(stage, table)
    decided = f"{q(stage.where)}.{q(TABLES)}"
    conn.exec_driver_sql("BEGIN")
    try:
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (side.name,))
        found = conn.exec_driver_sql(f"SELECT whole FROM {decided} WHERE name = %s",
                                     (side.name,)).scalar()
        if found is None:
            conn.exec_driver_sql("SAVEPOINT dbclone_side")
            try:
                conn.exec_driver_sql(dialect.create_table_ddl(side, with_fks=False,
                                                              with_keys=False))
                found = True
            except sa.exc.SQLAlchemyError:
                conn.exec_driver_sql("ROLLBACK TO SAVEPOINT dbclone_side")
                found = False
            conn.exec_driver_sql(f"INSERT INTO {decided} (name, whole) VALUES (%s, %s)",
                                 (side.name, found))
        conn.exec_driver_sql("COMMIT")
    except BaseException:
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            conn.exec_driver_sql("ROLLBACK")
        raise
    return bool(found)


def _in_transaction(conn: Connection, dialect: Dialect, stage: Stage, table: Table,
                    chunk: int, write: Callable[[], None]) -> None:
    """`write` and the chunk's record in `WRITTEN`, in one transaction; nothing when the
    record is there already (a task run again: the same rows are in)."""
    recorded = f"{dialect.quote(stage.where)}.{dialect.quote(WRITTEN)}"
    conn.exec_driver_sql("BEGIN")
    try:
        # A run still writing the same chunk holds this row's lock until it ends.
        fresh = conn.exec_driver_sql(
            f"INSERT {_IGNORE[dialect.name][0]}INTO {recorded} (name, chunk) VALUES (%s, %s)"
            f"{_IGNORE[dialect.name][1]}", (_chunk_name(table), chunk)).rowcount
        if fresh:
            write()
        conn.exec_driver_sql("COMMIT")
    except BaseException:
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            conn.exec_driver_sql("ROLLBACK")
        raise


#: How an INSERT leaves out a row whose key is there: words before INTO, and after VALUES.
_IGNORE = {"postgresql": ("", " ON CONFLICT DO NOTHING"), "mysql": ("IGNORE ", "")}


def _mysql_write(stage: Stage, conn: Connection, table: Table, columns: tuple[str, ...],
                 values: list[list[Any]], chunk: int) -> bool:
    dialect = dialect_for(conn.engine)
    conn.exec_driver_sql(f"USE {dialect.quote(stage.where)}")
    dialect.prepare_load(conn)
    step = dialect.batch_rows

    def write() -> None:
        for lo in range(0, len(values[0]) if values else 0, step):
            dialect.bulk_insert_columns(conn, table, columns, [v[lo:lo + step] for v in values])

    _in_transaction(conn, dialect, stage, table, chunk, write)
    return True


def _chunk_name(table: Table) -> str:
    return f"{table.schema or ''}.{table.name}"


def record_table_sql(dialect: Dialect, where: str) -> str:
    """MariaDB: the statement creating the side database's `WRITTEN` table."""
    return (f"CREATE TABLE {dialect.quote(where)}.{dialect.quote(WRITTEN)} (name VARCHAR(200) "
            "NOT NULL, chunk INT NOT NULL, PRIMARY KEY (name, chunk)) ENGINE=InnoDB "
            "DEFAULT CHARSET=utf8mb4")


_WRITERS: dict[str, Callable[[Stage, Connection, Table, tuple[str, ...], list[list[Any]], int],
                             bool]] = {"postgresql": _pg_write, "mysql": _mysql_write}


def takes(dialect: Dialect) -> bool:
    """Whether chunks can be staged for this dialect's loads."""
    return dialect.name in _WRITERS


@contextlib.contextmanager
def side_schema(engine: Engine, dialect: Dialect) -> Iterator[Stage | None]:
    """PostgreSQL: a new side schema for this load's chunks (side schemas of killed loads
    dropped first: call it holding the target's lock), dropped when the load ends; None
    where the user may not create schemas (the load then writes every chunk itself)."""
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    where = f"{SIDE_PREFIX}{secrets.token_hex(4)}"
    try:
        with admin.connect() as conn:
            for (stale,) in conn.exec_driver_sql(
                    "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                    (SIDE_PREFIX.replace("_", r"\_") + "%",)).fetchall():
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {dialect.quote(stale)} CASCADE")
            conn.exec_driver_sql(f"CREATE SCHEMA {dialect.quote(where)}")
            conn.exec_driver_sql(f"CREATE TABLE {dialect.quote(where)}.{dialect.quote(WRITTEN)} "
                                 "(name text, chunk int, PRIMARY KEY (name, chunk))")
            conn.exec_driver_sql(f"CREATE TABLE {dialect.quote(where)}.{dialect.quote(TABLES)} "
                                 "(name text PRIMARY KEY, whole boolean NOT NULL)")
    except sa.exc.SQLAlchemyError:
        where = ""
    if not where:
        yield None
        return
    try:
        yield Stage(engine.url.render_as_string(hide_password=False), dialect.name, where)
    finally:
        with contextlib.suppress(sa.exc.SQLAlchemyError), admin.connect() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {dialect.quote(where)} CASCADE")


def move_in(conn: Connection, dialect: Dialect, stage: Stage, table: Table,
            columns: tuple[str, ...], staged: Staged, last: bool) -> None:
    """PostgreSQL, in the load's transaction: a chunk in the table's side table waits for
    the table's last (`switch_in`); a chunk of text columns goes into the table by INSERT
    ... SELECT, typed by the table's own columns (`_types`), and its chunk table is dropped.
    MariaDB: nothing to do (the chunk is in its table of the side database already)."""
    if dialect.name != "postgresql":
        return
    if staged.whole:
        if last:
            switch_in(conn, dialect, stage, table, columns)
        return
    name = f"{dialect.quote(stage.where)}.{dialect.quote(chunk_table(table, staged.chunk))}"
    types = _types(conn, dialect, table)
    cols = ", ".join(dialect.quote(c) for c in columns)
    typed = ", ".join(f"{dialect.quote(c)}::{types[c]}" for c in columns)
    conn.exec_driver_sql(
        f"INSERT INTO {dialect.qualified(table)} ({cols}) SELECT {typed} FROM {name}")
    conn.exec_driver_sql(f"DROP TABLE {name}")


def switch_in(conn: Connection, dialect: Dialect, stage: Stage, table: Table,
              columns: tuple[str, ...]) -> None:
    """PostgreSQL, in the load's transaction, once every chunk of `table` is in its side
    table: the empty table the load created is dropped and the side table takes its place
    (renamed, moved with SET SCHEMA, given the load's table's defaults, its identity
    sequences the names the load's had, its comments made again): no row is copied. Where
    the side table is not the same as the load's (`_shape`), or the load's cannot be
    dropped (another table inherits it), its rows are copied in by one INSERT ... SELECT."""
    side = side_table(stage, table)
    conn.exec_driver_sql("SAVEPOINT dbclone_switch")
    try:
        if _shape(conn, dialect, side) == _shape(conn, dialect, table):
            _take_place(conn, dialect, side, table)
            conn.exec_driver_sql("RELEASE SAVEPOINT dbclone_switch")
            return
    except sa.exc.SQLAlchemyError:
        pass
    conn.exec_driver_sql("ROLLBACK TO SAVEPOINT dbclone_switch")
    types = _types(conn, dialect, table)
    cols = ", ".join(dialect.quote(c) for c in columns)
    typed = ", ".join(f"{dialect.quote(c)}::text::{types[c]}" for c in columns)
    conn.exec_driver_sql(f"INSERT INTO {dialect.qualified(table)} ({cols}) "
                         f"SELECT {typed} FROM {dialect.qualified(side)}")
    conn.exec_driver_sql(f"DROP TABLE {dialect.qualified(side)}")


def _take_place(conn: Connection, dialect: Dialect, side: Table, table: Table) -> None:
    q = dialect.quote
    target = dialect.qualified(table)
    where = table.schema or conn.exec_driver_sql("SELECT current_schema()").scalar()
    seq = ("SELECT c.relname FROM pg_class c WHERE c.oid = "
           "pg_get_serial_sequence(%s, %s)::regclass")
    names = {c.name: conn.exec_driver_sql(seq, (dialect.raw(target), c.name)).scalar()
             for c in table.columns if c.identity}
    defaults = conn.exec_driver_sql(
        "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN "
        "pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = "
        "%s::regclass AND a.attgenerated = ''", (dialect.raw(target),)).fetchall()
    conn.exec_driver_sql(f"DROP TABLE {target}")
    conn.exec_driver_sql(f"ALTER TABLE {dialect.qualified(side)} RENAME TO "
                         f"{q(table.local_name)}")
    conn.exec_driver_sql(f"ALTER TABLE {q(side.schema or '')}.{q(table.local_name)} "
                         f"SET SCHEMA {q(str(where))}")
    for col, expr in defaults:
        conn.exec_driver_sql(f"ALTER TABLE {target} ALTER COLUMN {q(col)} SET DEFAULT "
                             f"{dialect.sql_text(expr)}")
    for col, name in names.items():  # the side table's sequence came along, named after it
        moved = conn.exec_driver_sql("SELECT pg_get_serial_sequence(%s, %s)",
                                     (dialect.raw(target), col)).scalar()
        if name and moved:
            conn.exec_driver_sql(f"ALTER SEQUENCE {moved} RENAME TO {q(str(name))}")
    for stmt in dialect.comment_ddl(table):
        conn.exec_driver_sql(stmt)


def _shape(conn: Connection, dialect: Dialect, table: Table) -> tuple[object, ...]:
    """What must be the same for a side table to take the load's table's place: the kind
    and storage of the table, its constraints, and per column its name, type, modifier,
    NOT NULL, collation, identity and generation (defaults are set after: `_take_place`)."""
    name = dialect.raw(dialect.qualified(table))
    rel = conn.exec_driver_sql(
        "SELECT relkind, relpersistence, reloptions, relam, relhassubclass, (SELECT count(*) "
        "FROM pg_constraint WHERE conrelid = c.oid), (SELECT count(*) FROM pg_inherits WHERE "
        "inhrelid = c.oid OR inhparent = c.oid) FROM pg_class c WHERE c.oid = %s::regclass",
        (name,)).one()
    cols = conn.exec_driver_sql(
        "SELECT a.attname, a.atttypid, a.atttypmod, a.attnotnull, a.attcollation, "
        "a.attidentity, a.attgenerated, CASE WHEN a.attgenerated <> '' THEN "
        "pg_get_expr(d.adbin, d.adrelid) END FROM pg_attribute a "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attnum", (name,)).fetchall()
    return tuple(rel), tuple(tuple(c) for c in cols)


def _types(conn: Connection, dialect: Dialect, table: Table) -> dict[str, str]:
    """The table's column types without their modifiers (`varchar`, not `varchar(40)`): an
    explicit cast would cut a long value where the column's assignment refuses it, as COPY
    does. `character` and `bit` without one mean a length of 1, so those go through
    `bpchar` and `varbit`, which have no length."""
    return dict(conn.exec_driver_sql(
        "SELECT a.attname, CASE t.typname WHEN 'bpchar' THEN 'bpchar' WHEN '_bpchar' THEN "
        "'bpchar[]' WHEN 'bit' THEN 'varbit' WHEN '_bit' THEN 'varbit[]' "
        "ELSE format_type(a.atttypid, NULL) END FROM pg_attribute a JOIN pg_type t ON "
        "t.oid = a.atttypid WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT "
        "a.attisdropped", (dialect.raw(dialect.qualified(table)),)).fetchall())
