"""Stage 5: create the target schema and bulk-load the generated rows, all or nothing.

PostgreSQL and SQLite run DDL and data in one transaction, so any failure rolls the target back
to what it was. MySQL/MariaDB commit DDL implicitly, so there a failure drops every table the
load created (the target was empty before, so that restores it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from dbclone.dialects import Dialect, dialect_for
from dbclone.errors import LoadError, TargetNotEmptyError, UsageError, VerifyError, mask
from dbclone.sample import DeferredUpdate, TableData
from dbclone.schema import Schema, Table

LoadProgress = Callable[[str, int, int], None]


@dataclass
class LoadResult:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def check_target(engine: Engine, schema: Schema, replace: bool) -> None:
    """Refuse a target that already holds tables, unless told to replace them."""
    dialect = dialect_for(engine)
    if dialect.name != schema.dialect:
        raise UsageError(f"the source is {schema.dialect} but the target is {dialect.name}; "
                         "clone into a target of the same dialect")
    with engine.connect() as conn:
        existing = dialect.user_tables(conn, schema.schema_name)
    if existing and not replace:
        shown = ", ".join(existing[:5]) + (" ..." if len(existing) > 5 else "")
        raise TargetNotEmptyError(
            f"target {mask(str(engine.url))} is not empty ({len(existing)} tables: {shown}); "
            "use an empty database, or --replace to overwrite it")


def load(engine: Engine, schema: Schema, items: Iterable[TableData | DeferredUpdate], *,
         replace: bool = False, progress: LoadProgress | None = None) -> LoadResult:
    dialect = dialect_for(engine)
    check_target(engine, schema, replace)
    created: list[Table] = []
    result = LoadResult()
    conn = engine.connect()
    try:
        with conn.begin():
            dialect.prepare_load(conn)
            if replace:
                _drop_existing(conn, dialect, schema)
            _create(conn, dialect, schema, created)
            _fill(conn, dialect, items, result, progress)
            _finish(conn, dialect, schema)
            _verify(conn, dialect, schema, result)
    except BaseException as exc:
        if not dialect.transactional_ddl:
            _drop_created(engine, dialect, created)
        if isinstance(exc, SQLAlchemyError):
            raise LoadError(f"load failed, target left as it was: {_first_line(exc)}") from None
        raise
    finally:
        conn.close()
    return result


def _first_line(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return mask(text[0] if text else type(exc).__name__)


def _drop_existing(conn: Connection, dialect: Dialect, schema: Schema) -> None:
    for name in dialect.user_tables(conn, schema.schema_name):
        dialect.drop_existing(conn, name, schema.schema_name)


def _create(conn: Connection, dialect: Dialect, schema: Schema, created: list[Table]) -> None:
    for stmt in dialect.pre_table_ddl(schema):
        conn.exec_driver_sql(stmt)
    for table in schema.tables:
        conn.exec_driver_sql(dialect.create_table_ddl(
            table, with_fks=not dialect.constraints_after_load))
        created.append(table)
    for stmt in dialect.post_table_ddl(schema):  # comments, partitions, functions
        conn.exec_driver_sql(stmt)


def _fill(conn: Connection, dialect: Dialect, items: Iterable[TableData | DeferredUpdate],
          result: LoadResult, progress: LoadProgress | None) -> None:
    for item in items:
        if isinstance(item, DeferredUpdate):
            _update(conn, dialect, item)
            continue
        start = time.perf_counter()
        total = item.n_rows
        step = dialect.batch_rows
        for lo in range(0, total, step):
            rows = item.rows(lo, lo + step)
            try:
                dialect.bulk_insert(conn, item.table, item.columns, rows)
            except Exception as exc:
                raise LoadError(f"loading table {item.table.name} failed, target left as it "
                                f"was: {mask(str(exc).strip().splitlines()[0])}") from None
            if progress:
                progress(item.table.name, min(lo + step, total), total)
        if progress and total == 0:
            progress(item.table.name, 0, 0)
        result.rows[item.table.name] = total
        result.seconds[item.table.name] = time.perf_counter() - start


def _update(conn: Connection, dialect: Dialect, item: DeferredUpdate) -> None:
    if not item.rows:
        return
    sets = ", ".join(f"{dialect.quote(c)} = {dialect.param()}" for c in item.fk_columns)
    where = " AND ".join(f"{dialect.quote(c)} = {dialect.param()}" for c in item.key_columns)
    sql = f"UPDATE {dialect.qualified(item.table)} SET {sets} WHERE {where}"
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, item.rows)
    finally:
        cursor.close()


def _finish(conn: Connection, dialect: Dialect, schema: Schema) -> None:
    """Indexes, FKs (where added after the data) and sequences."""
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


def _verify(conn: Connection, dialect: Dialect, schema: Schema, result: LoadResult) -> None:
    for table in schema.tables:
        want = result.rows.get(table.name, 0)
        got = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {dialect.qualified(table)}").scalar()
        if got != want:
            raise VerifyError(f"table {table.name}: {got} rows in the target, {want} generated")


def _drop_created(engine: Engine, dialect: Dialect, created: list[Table]) -> None:
    try:
        with engine.begin() as conn:
            dialect.prepare_load(conn)
            for table in reversed(created):
                conn.exec_driver_sql(dialect.drop_table_ddl(table))
    except SQLAlchemyError:
        pass
