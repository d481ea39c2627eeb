"""What the load's strategies share: the job and its result, the target's lock and
emptiness check, the dialect check, error lines, fault points."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from dbclone import faults
from dbclone.connect import display_url
from dbclone.dialects import Dialect, dialect_for
from dbclone.errors import LoadError, TargetNotEmptyError, UsageError, mask
from dbclone.load.stage import Stage
from dbclone.schema import Schema
from dbclone.synth.tables import DeferredUpdate, TableData

LoadProgress = Callable[[str, int, int], None]
Item = TableData | DeferredUpdate


@dataclass
class LoadResult:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    #: Time spent in the database (DDL, bulk inserts, indexes, FKs, verification), excluding
    #: the time the generator took to produce the rows.
    load_seconds: float = 0.0
    #: What the clone left for the user to finish (Dialect.load_warnings), one line each.
    warnings: list[str] = field(default_factory=list)


@dataclass
class Job:
    dialect: Dialect
    schema: Schema
    items: Iterable[TableData | DeferredUpdate]
    result: LoadResult
    progress: LoadProgress | None
    replace: bool
    #: The existing tables to fill (--into-existing), or None to create the schema.
    into: Schema | None = None
    #: Told the load's staging area, when it has one, before the first item is taken (the
    #: sampler's workers then write chunks there themselves: dbclone.load.stage).
    stage_with: Callable[[Stage], None] | None = None
    stage: Stage | None = None

    def open_stage(self, stage: Stage) -> None:
        self.stage = stage
        if self.stage_with is not None:
            self.stage_with(stage)


def lock(conn: Connection, dialect: Dialect, engine: Engine) -> None:
    if not dialect.lock_load(conn):
        raise LoadError(f"another dbclone load or refresh of {display_url(engine)} is running; "
                        "wait for it to finish (loads are never interleaved)")


def schemas(schema: Schema) -> list[str | None]:
    """The target schemas the clone fills (None: the connection's default one)."""
    return sorted({t.schema for t in schema.tables} | {schema.schema_name},
                  key=lambda s: s or "")


def check_empty(conn: Connection, dialect: Dialect, schema: Schema, replace: bool) -> None:
    existing = [t if s in (None, schema.schema_name) else f"{s}.{t}"
                for s in schemas(schema) for t in dialect.user_tables(conn, s)]
    if existing and not replace:
        shown = ", ".join(existing[:5]) + (" ..." if len(existing) > 5 else "")
        url = display_url(conn.engine)
        raise TargetNotEmptyError(
            f"target {url} is not empty ({len(existing)} tables: {shown}); "
            "use an empty database, or --replace to overwrite it")


def dialect_of(engine: Engine, schema: Schema) -> Dialect:
    dialect = dialect_for(engine)
    if dialect.name != schema.dialect:
        way = ("a SQLite file: SQLite schemas are not translated to other dialects"
               if schema.dialect == "sqlite" else
               f"{schema.dialect}, or into SQLite (sqlite:///file.db), which takes any source")
        raise UsageError(f"cannot load a {schema.dialect} schema into a {dialect.name} target; "
                         f"clone into {way}")
    return dialect


def sqlite_file(engine: Engine) -> str | None:
    """The target's file, for dialects whose database is one file (SQLite)."""
    if not dialect_for(engine).single_file:
        return None
    db = engine.url.database
    return db if db and db != ":memory:" else None


def first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return mask(text[0] if text else type(exc).__name__)


def quietly(conn: Connection, sql: str) -> None:
    with contextlib.suppress(SQLAlchemyError):
        conn.exec_driver_sql(sql)


def pause(point: str) -> None:
    faults.point(point)


def drop_existing(conn: Connection, dialect: Dialect, schema: Schema) -> None:
    for where in schemas(schema):
        for view in dialect.views(conn, where):
            conn.exec_driver_sql(dialect.drop_view_ddl(view, where))
        for name in dialect.user_tables(conn, where):
            dialect.drop_existing(conn, name, where)

