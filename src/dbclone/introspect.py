"""Stage 1: read a database's structure into a `Schema`, through SQLAlchemy's inspector."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from dbclone.connect import display_url
from dbclone.dialects import Dialect, dialect_for
from dbclone.errors import DbcloneError, SchemaError, mask
from dbclone.schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Schema,
    Table,
    UniqueConstraint,
)


def introspect(engine: Engine, schema: str | None = None, *, count_rows: bool = True) -> Schema:
    """Read every base table of `schema` (the default schema when None)."""
    dialect = dialect_for(engine)
    try:
        with engine.connect() as conn:
            return _introspect(conn, dialect, schema, count_rows)
    except SQLAlchemyError as exc:
        raise DbcloneError(f"cannot read the schema of {display_url(engine)}: "
                           f"{mask(str(exc).splitlines()[0])}") from None


def _introspect(conn: Connection, dialect: Dialect, schema: str | None,
                count_rows: bool) -> Schema:
    with warnings.catch_warnings():
        # expression indexes the inspector skips are read by the dialect (refine_table)
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        # types the inspector does not know are named by the dialect and warned about below
        warnings.filterwarnings("ignore", message="Did not recognize type")
        # MySQL constraints SQLAlchemy cannot parse are read by the dialect (missing_fks)
        warnings.filterwarnings("ignore", message="Unknown schema content")
        return _read(conn, dialect, schema, count_rows)


def _read(conn: Connection, dialect: Dialect, schema: str | None, count_rows: bool) -> Schema:
    inspector = sa.inspect(conn)
    default = dialect.default_schema(inspector)
    name = schema or default
    names = dialect.user_tables(conn, name)
    tables = []
    warnings: list[str] = []
    where = name if name != default else None

    reflect = _Reflect(inspector, where, dialect.reflected)

    def read(tname: str) -> Table:
        return _table(reflect, dialect, tname, where, warnings)

    for tname in names:
        table = _indexes_checked(dialect.refine_table(conn, read(tname), read), warnings)
        warnings += dialect.table_warnings(conn, table)
        warnings += [f"{table.name}.{c.name}: type {c.sql_type} is not understood; its values "
                     "will be generated as NULL or copied as text"
                     for c in table.columns if c.kind == "other"]
        if count_rows:
            table = _replace(table, row_count=_count(conn, dialect, table))
        tables.append(table)
    tables = _inside_fks(tables, (None, name, where), warnings)
    return Schema(dialect=dialect.name, tables=tuple(tables), enums=dialect.enums(inspector, name),
                  schema_name=where, warnings=tuple(warnings),
                  domains=dialect.domains(conn, inspector, name),
                  views=dialect.views(conn, name), routines=dialect.routines(conn, name),
                  extensions=dialect.extensions(conn), sequences=dialect.sequences(conn, name))


def _inside_fks(tables: list[Table], schemas: tuple[str | None, ...],
                warnings: list[str]) -> list[Table]:
    """Drop, with a warning, FKs to tables outside the schema being read: the clone holds only
    this schema, so such an FK could not be created in the target."""
    names = {t.name for t in tables} | {p.name for t in tables for p in _parts(t)}
    out = []
    for t in tables:
        keep = tuple(fk for fk in t.foreign_keys
                     if fk.ref_table in names and fk.ref_schema in schemas)
        for fk in t.foreign_keys:
            if fk not in keep:
                where = f"{fk.ref_schema}." if fk.ref_schema else ""
                warnings.append(f"{t.name}({', '.join(fk.columns)}) references {where}"
                                f"{fk.ref_table}, outside the schema read; the FK is not cloned")
        out.append(t if len(keep) == len(t.foreign_keys) else _replace(t, foreign_keys=keep))
    return out


def _parts(table: Table) -> list[Table]:
    return [q for p in table.partitions for q in (p, *_parts(p))]


def _count(conn: Connection, dialect: Dialect, table: Table) -> int:
    """Rows of `table`; a table the user may not read is named, with the fix."""
    sql = f"SELECT COUNT(*) FROM {dialect.qualified(table)}"
    try:
        # exec_driver_sql: sa.text would read ':x' in a quoted name as a parameter and
        # double a '%' the driver then does not undo.
        return int(conn.exec_driver_sql(sql).scalar_one())
    except SQLAlchemyError as exc:
        reason = mask(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0])
        raise SchemaError(f"cannot read table {table.name}: {reason}; grant SELECT on it to the "
                          "user dbclone connects as") from None


def _indexes_checked(table: Table, warnings: list[str]) -> Table:
    """Drop (with a warning) expression indexes the dialect could not describe."""
    keep = tuple(i for i in table.indexes if i.columns or i.definition)
    for i in table.indexes:
        if i not in keep:
            warnings.append(f"{table.name}: index {i.name} on expressions is not recreated")
    return _replace(table, indexes=keep) if len(keep) != len(table.indexes) else table


def _replace(table: Table, **changes: Any) -> Table:
    import dataclasses

    return dataclasses.replace(table, **changes)


class _Reflect:
    """The inspector's per-table answers, fetched for the whole schema at once: SQLAlchemy's
    `get_multi_*` read PostgreSQL's catalog in a few queries instead of several per table
    (300 tables: seconds, not tens of seconds); other dialects fall back to per-table calls."""

    _BULK = ("columns", "pk_constraint", "foreign_keys", "unique_constraints",
             "check_constraints", "indexes", "table_comment")

    def __init__(self, inspector: Any, schema: str | None,
                 fix: Callable[[str, Any], Any]) -> None:
        self.inspector, self.schema, self.fix = inspector, schema, fix
        self.cache: dict[str, dict[tuple[str | None, str], Any]] = {}
        for what in self._BULK:
            with contextlib.suppress(NotImplementedError):
                self.cache[what] = getattr(inspector, f"get_multi_{what}")(schema=schema)

    def __call__(self, what: str, name: str) -> Any:
        cached = self.cache.get(what)
        if cached is not None and (self.schema, name) in cached:
            return self.fix(what, cached[(self.schema, name)])
        return self.fix(what, getattr(self.inspector, f"get_{what}")(name, schema=self.schema))


def _table(reflect: _Reflect, dialect: Dialect, name: str, schema: str | None,
           warnings: list[str]) -> Table:
    columns = tuple(_column(dialect, name, info, warnings)
                    for info in reflect("columns", name))
    pk = tuple(reflect("pk_constraint", name).get("constrained_columns") or ())
    fks = tuple(_foreign_key(fk) for fk in reflect("foreign_keys", name))
    uniques = tuple(UniqueConstraint(name=u.get("name"), columns=tuple(u["column_names"]))
                    for u in reflect("unique_constraints", name))
    try:
        checks = tuple(CheckConstraint(name=c.get("name"), sqltext=c["sqltext"])
                       for c in reflect("check_constraints", name))
    except NotImplementedError:
        checks = ()
    unique_cols = {u.columns for u in uniques}
    indexes = tuple(
        Index(name=i.get("name"), unique=bool(i.get("unique")),
              # an expression index has no plain column list; the dialect adds its definition
              columns=tuple(i["column_names"]) if all(i["column_names"]) else (),
              where=_text((i.get("dialect_options") or {}).get("sqlite_where")))
        for i in reflect("indexes", name)
        if not i.get("duplicates_constraint")
        and not (i.get("unique") and tuple(i["column_names"]) in unique_cols))
    comment = None
    with contextlib.suppress(NotImplementedError):
        comment = reflect("table_comment", name).get("text")
    return Table(name=name, schema=schema, columns=columns, primary_key=pk, foreign_keys=fks,
                 uniques=uniques, checks=checks, indexes=indexes, comment=comment)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _column(dialect: Dialect, table: str, info: dict[str, Any], warnings: list[str]) -> Column:
    sa_type = info["type"]
    kind = dialect.kind_of(sa_type)
    try:
        sql_type = sa_type.compile(dialect=dialect.sa_dialect)
    except Exception:  # noqa: BLE001 - any type the dialect cannot render is reported below
        sql_type = str(sa_type)
    computed = info.get("computed")
    fields: dict[str, Any] = dict(
        name=info["name"], kind=kind, sql_type=sql_type, nullable=bool(info.get("nullable", True)),
        default=None if computed else info.get("default"),
        autoincrement=info.get("autoincrement") is True,
        length=getattr(sa_type, "length", None),
        precision=getattr(sa_type, "precision", None),
        scale=getattr(sa_type, "scale", None),
        enum_values=tuple(sa_type.enums) if getattr(sa_type, "enums", None) else None,
        enum_name=getattr(sa_type, "name", None) if kind == "enum" else None,
        timezone=bool(getattr(sa_type, "timezone", False)),
        computed=computed["sqltext"] if computed else None,
        persisted=computed.get("persisted") if computed else None,
        comment=info.get("comment"),
    )
    if not isinstance(fields["length"], int):
        fields["length"] = None
    fields.update(dialect.column_extras(info, table))
    if fields.get("sequence"):
        fields["default"] = None  # recreated from `sequence`, see the dialect
    return Column(**fields)


def _foreign_key(info: dict[str, Any]) -> ForeignKey:
    options = info.get("options") or {}
    return ForeignKey(
        name=info.get("name"), columns=tuple(info["constrained_columns"]),
        ref_table=info["referred_table"], ref_columns=tuple(info["referred_columns"]),
        ref_schema=info.get("referred_schema"),
        on_delete=options.get("ondelete"), on_update=options.get("onupdate"),
        deferrable=bool(options.get("deferrable")),
        initially_deferred=str(options.get("initially", "")).upper() == "DEFERRED")


def require_tables(schema: Schema, url: str) -> None:
    if not schema.tables:
        where = f" in schema {schema.schema_name!r}" if schema.schema_name else ""
        raise SchemaError(f"source {mask(url)} has no tables{where}; point dbclone at a database "
                          "that holds the tables to clone (PostgreSQL: --schema NAME)")
