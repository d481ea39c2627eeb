"""Chunks loaded where they are made (`--workers`, `--dask`): each from the connection of the
process that made it into a staging area of the load, committed there; the load's one
switch makes them the target's, so a failure or a kill at any moment still leaves the
target as it was.

- PostgreSQL: a side schema ``dbclone_stage_<token>`` of the target database, created
  (committed) once the load holds the target's lock. A chunk becomes an UNLOGGED table of
  text columns there, filled by COPY from the connection of the process that made it. The
  load's transaction moves each chunk's rows into the table it created (``INSERT ... SELECT
  column::type``: the types' input functions, as COPY's text format uses them), in chunk
  order, and drops the chunk's table. The side schema is dropped when the load ends,
  whatever happened; one left by a killed load is dropped by the next (a side schema
  exists only while its load holds the target's lock).
- MariaDB: the load's side database (`dbclone.load.staged`): a chunk is written into its
  table there (LOAD DATA, as the load itself writes), from the connection of the process
  that made it; the swap moves the tables in as before.

Which chunks go this way is the sampler's business (`Sampler.stage`): only chunks no later
step changes (their table's UNIQUE sets cannot meet another chunk's, no FK waits for a later
table, no parent inside the table), made by a worker. The target's URL travels with the
stage to the workers (to a Dask cluster too: its password included).
"""

from __future__ import annotations

import contextlib
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
from dbclone.schema import Table
from dbclone.synth.tables import Columns, Staged

#: The prefix of PostgreSQL side schemas.
SIDE_PREFIX = "dbclone_stage_"

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
        with engine.connect() as conn:
            _WRITERS[self.dialect](self, conn, table, columns, values, chunk)
            faults.point(f"stage:{table.name}:{chunk}")
        return Staged(chunk, n)

    def _engine(self) -> Engine:
        key = (os.getpid(), self.url)  # never a connection of the process it was forked from
        if key not in _ENGINES:
            base = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
            _ENGINES[key] = dialect_for(base).load_engine(base).execution_options(
                isolation_level="AUTOCOMMIT")
        return _ENGINES[key]


def chunk_table(table: Table, chunk: int) -> str:
    """The name of a chunk's table in a PostgreSQL side schema (within 63 bytes)."""
    digest = hashlib.blake2b(f"{table.schema}\0{table.name}".encode(), digest_size=8)
    return f"c{digest.hexdigest()}_{chunk}"


def _pg_write(stage: Stage, conn: Connection, table: Table, columns: tuple[str, ...],
              values: list[list[Any]], chunk: int) -> None:
    dialect = dialect_for(conn.engine)
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


def _mysql_write(stage: Stage, conn: Connection, table: Table, columns: tuple[str, ...],
                 values: list[list[Any]], chunk: int) -> None:
    dialect = dialect_for(conn.engine)
    conn.exec_driver_sql(f"USE {dialect.quote(stage.where)}")
    dialect.prepare_load(conn)
    step = dialect.batch_rows
    for lo in range(0, len(values[0]) if values else 0, step):
        dialect.bulk_insert_columns(conn, table, columns, [v[lo:lo + step] for v in values])


_WRITERS: dict[str, Callable[[Stage, Connection, Table, tuple[str, ...], list[list[Any]], int],
                             None]] = {"postgresql": _pg_write, "mysql": _mysql_write}


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
            columns: tuple[str, ...], staged: Staged) -> None:
    """PostgreSQL, in the load's transaction: a staged chunk's rows into the table, typed
    by the table's own columns; its chunk table dropped. The cast is to the type without its
    modifier (`varchar`, not `varchar(40)`): an explicit cast would cut a long value where
    the column's assignment refuses it, as COPY does. `character` and `bit` without one
    mean a length of 1, so those go through `bpchar` and `varbit`, which have no length.
    MariaDB: nothing to do (the chunk is in its table of the side database already)."""
    if dialect.name != "postgresql":
        return
    name = f"{dialect.quote(stage.where)}.{dialect.quote(chunk_table(table, staged.chunk))}"
    types: dict[str, str] = dict(conn.exec_driver_sql(
        "SELECT a.attname, CASE t.typname WHEN 'bpchar' THEN 'bpchar' WHEN '_bpchar' THEN "
        "'bpchar[]' WHEN 'bit' THEN 'varbit' WHEN '_bit' THEN 'varbit[]' "
        "ELSE format_type(a.atttypid, NULL) END FROM pg_attribute a JOIN pg_type t ON "
        "t.oid = a.atttypid WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT "
        "a.attisdropped", (dialect.raw(dialect.qualified(table)),)).fetchall())
    cols = ", ".join(dialect.quote(c) for c in columns)
    typed = ", ".join(f"{dialect.quote(c)}::{types[c]}" for c in columns)
    conn.exec_driver_sql(
        f"INSERT INTO {dialect.qualified(table)} ({cols}) SELECT {typed} FROM {name}")
    conn.exec_driver_sql(f"DROP TABLE {name}")
