"""One load's work inside its transaction or side database: create the tables, fill
them, then what a dump's restore adds after the rows (keys, indexes, FKs, sequences, views,
triggers), and verify."""

from __future__ import annotations

import time

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from dbclone.dialects import Dialect
from dbclone.errors import LoadError
from dbclone.load.common import Job, first_line, pause
from dbclone.load.fill import add_keys, fill, prefetch, timed
from dbclone.load.verify import verify
from dbclone.schema import Schema, Table


def build(conn: Connection, job: Job) -> None:
    """Create the tables, fill them, add indexes/FKs/sequences and verify, in `conn`."""
    start = time.perf_counter()
    waited = [0.0]
    _create(conn, job.dialect, job.schema)
    pause("created")
    keyless = {t.name for t in job.schema.tables if job.dialect.defers_keys(t)}
    fill(conn, job.dialect, timed(prefetch(job.items), waited), job.result, job.progress,
          keyless, job.stage)
    pause("finish")
    _finish(conn, job.dialect, job.schema, keyless)
    verify(conn, job.dialect, job.schema, job.result.rows)
    job.result.warnings += job.dialect.load_warnings(conn, job.schema)
    pause("verified")
    job.result.load_seconds = time.perf_counter() - start - waited[0]


def build_into(conn: Connection, job: Job, target: Schema) -> None:
    """Fill the existing tables (`target`'s definitions): their FKs set aside for the rows and
    put back (checked then), rows deleted first with --replace, sequences moved on, verified."""
    from dbclone import existing

    start = time.perf_counter()
    waited = [0.0]
    dialect = job.dialect
    put_back = dialect.set_fks_aside(conn, target)
    for stmt in existing.require_empty(conn, conn.engine, dialect.rows_of, target, job.replace):
        conn.exec_driver_sql(stmt)
    fill(conn, dialect, timed(prefetch(job.items), waited), job.result, job.progress, set())
    pause("finish")
    for stmt in put_back:
        try:
            conn.exec_driver_sql(stmt)
        except SQLAlchemyError as exc:
            raise LoadError(f"a foreign key of the target failed, target left as it was: "
                            f"{first_line(exc)}") from None
    for table in target.tables:
        for stmt in dialect.reset_sequence_sql(table):
            conn.exec_driver_sql(stmt)
    verify(conn, dialect, target, job.result.rows)
    job.result.load_seconds = time.perf_counter() - start - waited[0]


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


def _finish(conn: Connection, dialect: Dialect, schema: Schema, keyless: set[str]) -> None:
    """Keys, indexes, FKs (where added after the data) and sequences."""
    for table in schema.tables:
        if table.name in keyless:
            add_keys(conn, dialect, table)
    for table in schema.tables:
        for index in table.indexes:
            conn.exec_driver_sql(dialect.create_index_ddl(table, index))
    if dialect.constraints_after_load:
        _add_fks(conn, dialect, schema)
    for table in schema.tables:
        for stmt in dialect.reset_sequence_sql(table):
            conn.exec_driver_sql(stmt)
    for stmt in dialect.post_load_ddl(schema):  # views, triggers: after the rows
        conn.exec_driver_sql(stmt)


def _add_fks(conn: Connection, dialect: Dialect, schema: Schema) -> None:
    """Every FK, added after the rows (the database checks each once, whole)."""
    for table in schema.tables:
        for fk in table.foreign_keys:
            try:
                conn.exec_driver_sql(dialect.add_fk_ddl(table, fk))
            except SQLAlchemyError as exc:
                raise LoadError(f"foreign key {table.name}({', '.join(fk.columns)}) -> "
                                f"{fk.ref_table} failed, target left as it was: "
                                f"{first_line(exc)}") from None

