"""Cross-dialect cloning: a PostgreSQL or MySQL/MariaDB schema made loadable in SQLite.

The mapping keeps every column's `kind` (so the synthesizer generates the same values) and
chooses the SQLite declared type that gives the same affinity:

| kind | SQLite type | notes |
|---|---|---|
| integer | INTEGER | unsigned MySQL integers get `CHECK (col >= 0)` |
| float | REAL | |
| decimal | NUMERIC(p,s) | lossy beyond 15 significant digits (stored as REAL) |
| boolean | BOOLEAN | 0/1 |
| string | VARCHAR(n) | SQLite does not enforce n |
| text | TEXT | |
| date / datetime / time | DATE / DATETIME / TIME | ISO text |
| interval | TEXT | lossy: no interval arithmetic |
| binary | BLOB | |
| uuid | CHAR(36) | |
| json | JSON | text checked by nothing |
| enum | TEXT | with `CHECK (col IN (...))`; MySQL SET is lossy (no check) |
| array | JSON | lossy: a JSON array in text |
| other | TEXT | lossy (tsvector, inet, geometry ...) |

Domains are replaced by their base type with their CHECKs on the column; sequences and
identity become SQLite's INTEGER PRIMARY KEY (rowid) where the key is one integer column;
partitioned tables become one table; CHECKs, defaults, generated columns and views are
translated with sqlglot, and dropped when they cannot be. Functions, triggers, MySQL ON
UPDATE clauses and storage options have no SQLite equivalent and are dropped. Every lossy
step adds a warning naming table.column (or the object) to `Schema.warnings`.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import logging
import re
import sqlite3
import uuid
from typing import Any

import sqlalchemy as sa

from dbclone.schema import CheckConstraint, Column, Index, Schema, Table, View

_SQLITE_TYPES = {
    "integer": "INTEGER", "float": "REAL", "decimal": "NUMERIC", "boolean": "BOOLEAN",
    "string": "VARCHAR", "text": "TEXT", "date": "DATE", "datetime": "DATETIME",
    "time": "TIME", "interval": "TEXT", "binary": "BLOB", "uuid": "CHAR(36)", "json": "JSON",
    "enum": "TEXT", "array": "JSON", "other": "TEXT",
}
#: Kinds whose values lose meaning in SQLite, with what becomes of them.
_LOSSY = {"interval": "text", "array": "JSON text", "other": "text"}
log = logging.getLogger("dbclone")
_SQLGLOT_READ = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}


def to_sqlite(schema: Schema) -> Schema:
    """`schema` as SQLite can hold it; a no-op for a SQLite schema."""
    if schema.dialect == "sqlite":
        return schema
    ctx = _Ctx(schema)
    tables = tuple(ctx.table(t) for t in schema.tables)
    for r in schema.routines:
        ctx.warn(f"routine {r.name}: not created (SQLite has no stored functions)")
    draft = Schema(dialect="sqlite", tables=tables)
    views = tuple(v for v in (ctx.view(v) for v in schema.views) if v is not None)
    views = _loadable_views(draft, views, ctx)
    return Schema(dialect="sqlite", tables=tables, views=views,
                  warnings=schema.warnings + tuple(ctx.warnings))


class _Ctx:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.read = _SQLGLOT_READ.get(schema.dialect, schema.dialect)
        self.warnings: list[str] = []
        self.domains = {d.name: d for d in schema.domains}
        self.index_names: set[str] = set()

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    # -- tables -----------------------------------------------------------------------------
    def table(self, t: Table) -> Table:
        if t.partitions:
            self.warn(f"{t.name}: partitioned table becomes one table "
                      f"({len(t.partitions)} partitions merged)")
        if t.triggers:
            self.warn(f"{t.name}: {len(t.triggers)} trigger(s) not created")
        if t.rules:
            self.warn(f"{t.name}: {len(t.rules)} rule(s) not created")
        if t.inherits:
            self.warn(f"{t.name}: INHERITS {', '.join(t.inherits)} not kept (a plain table "
                      "with its own rows)")
        names = t.column_names
        checks = [c for c in (self.check(t.name, c, names) for c in t.checks) if c is not None]
        columns = []
        for col in t.columns:
            new, extra = self.column(t, col)
            columns.append(new)
            checks += extra
        fks = tuple(dataclasses.replace(fk, on_partitions=False, ref_schema=None)
                    for fk in t.foreign_keys)
        for x in t.exclusions:
            self.warn(f"{t.name}: EXCLUDE constraint {x.name} not created")
        for u in t.uniques:
            if u.nulls_not_distinct:
                self.warn(f"{t.name}: UNIQUE {u.name} lets NULLs repeat (NULLS DISTINCT)")
            if u.deferrable:
                self.warn(f"{t.name}: UNIQUE {u.name} is checked at once (not DEFERRABLE)")
        uniques = tuple(dataclasses.replace(u, nulls_not_distinct=False, deferrable=False,
                                            initially_deferred=False) for u in t.uniques)
        return dataclasses.replace(
            t, schema=None, columns=tuple(columns), checks=tuple(checks), foreign_keys=fks,
            uniques=uniques, exclusions=(),
            indexes=tuple(i for i in (self.index(t, i) for i in t.indexes) if i is not None),
            partition_by=None, partitions=(), partition_bound=None, triggers=(), options=(),
            inherits=(), rules=())

    def column(self, t: Table, col: Column) -> tuple[Column, list[CheckConstraint]]:
        where = f"{t.name}.{col.name}"
        checks: list[CheckConstraint] = []
        domain = self.domains.get(col.sql_type.strip('"'))
        nullable, default = col.nullable, col.default
        if domain is not None:
            checks += [c for c in (self.check(t.name, dataclasses.replace(
                ck, name=None, sqltext=re.sub(r"\bVALUE\b", _q(col.name), ck.sqltext)),
                t.column_names) for ck in domain.checks) if c is not None]
            nullable = nullable and domain.nullable
            default = default if default is not None else domain.default
        sql_type = _sqlite_type(col)
        if col.kind in _LOSSY:
            self.warn(f"{where}: {col.sql_type} becomes {_LOSSY[col.kind]} ({sql_type})")
        if col.kind == "decimal" and (col.precision or 0) > 15:
            self.warn(f"{where}: {col.sql_type} keeps about 15 significant digits in SQLite")
        if col.kind == "enum" and col.enum_values and not col.sql_type.upper().startswith("SET"):
            values = ", ".join(_literal(v) for v in col.enum_values)
            checks.append(CheckConstraint(name=None, sqltext=f"{_q(col.name)} IN ({values})"))
        elif col.kind == "enum" and (not col.enum_values or col.sql_type.upper().startswith("SET")):
            self.warn(f"{where}: {col.sql_type} becomes text without a check")
        if col.unsigned:
            checks.append(CheckConstraint(name=None, sqltext=f"{_q(col.name)} >= 0"))
        if col.on_update:
            self.warn(f"{where}: ON UPDATE {col.on_update} dropped")
        computed = self.expression(where, "generated column", col.computed, t.column_names)
        new = dataclasses.replace(
            col, sql_type=sql_type, nullable=nullable,
            default=self.default(where, default, col, t.column_names), computed=computed,
            persisted=col.persisted if computed else None,
            autoincrement=False, identity=None, identity_options=None, sequence=None,
            collation=None, on_update=None,
            unsigned=False, enum_name=None)
        return new, checks

    def default(self, where: str, default: str | None, col: Column,
                names: tuple[str, ...]) -> str | None:
        if default is None or col.sequence or col.identity:
            return None
        text = default.strip()
        if re.fullmatch(r"(?i)(now\(\)|current_timestamp(\(\d*\))?|localtimestamp)", text):
            return "CURRENT_TIMESTAMP"
        if re.fullmatch(r"(?i)current_date", text):
            return "CURRENT_DATE"
        literal = re.fullmatch(r"('(?:[^']|'')*')(::[\w .\"\[\]()]+)*", text)
        if literal:
            return literal[1]
        if re.fullmatch(r"-?\d+(\.\d+)?", text.strip("()")):
            return text.strip("()")
        if text.lower() in ("true", "false"):
            return "1" if text.lower() == "true" else "0"
        if text.upper() == "NULL":
            return None
        translated = self.expression(where, "default", text, names)
        return f"({translated})" if translated else None

    def check(self, table: str, ck: CheckConstraint,
              names: tuple[str, ...]) -> CheckConstraint | None:
        text = self.expression(table, f"CHECK {ck.name or ''}".strip(), ck.sqltext, names)
        return dataclasses.replace(ck, sqltext=text) if text else None

    def expression(self, where: str, what: str, sql: str | None,
                   names: tuple[str, ...] = ()) -> str | None:
        """An expression in SQLite's dialect, or None (with a warning) if it has none."""
        if sql is None:
            return None
        try:
            import sqlglot

            out = sqlglot.transpile(sql, read=self.read, write="sqlite")[0]
        except Exception:  # noqa: BLE001 - sqlglot raises many kinds; all mean "cannot"
            out = None
        if not out or not _valid_sqlite_expression(out, names):
            shown = " ".join(sql.split())
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            self.warn(f"{where}: {what} ({shown}) has no SQLite equivalent and is dropped")
            return None
        return out

    def index(self, t: Table, index: Index) -> Index | None:
        if not index.columns:
            self.warn(f"{t.name}: expression index {index.name} not created")
            return None
        if index.definition and re.search(r"\bWHERE\b", index.definition, re.IGNORECASE):
            self.warn(f"{t.name}: partial index {index.name} created on all rows")
        name = index.name or f"ix_{t.name}_{'_'.join(index.columns)}"
        if name in self.index_names:  # MySQL index names are per table, SQLite's global
            name = f"{t.name}_{name}"
        self.index_names.add(name)
        return dataclasses.replace(index, name=name, definition=None, where=None)

    def view(self, v: View) -> View | None:
        if v.materialized:
            self.warn(f"view {v.name}: materialized view becomes a plain view")
        try:
            import sqlglot

            text = sqlglot.transpile(v.definition, read=self.read, write="sqlite")[0]
        except Exception:  # noqa: BLE001 - any parse failure means "cannot translate"
            self.warn(f"view {v.name}: cannot be translated to SQLite and is not created")
            return None
        return View(name=v.name, definition=text, comment=v.comment)


def _sqlite_type(col: Column) -> str:
    base = _SQLITE_TYPES.get(col.kind, "TEXT")
    if col.kind == "string" and col.length:
        return f"VARCHAR({col.length})"
    if col.kind == "decimal" and col.precision:
        return f"NUMERIC({col.precision}, {col.scale or 0})"
    return base


def _valid_sqlite_expression(expr: str, names: tuple[str, ...]) -> bool:
    """SQLite can prepare `expr` over a row with the table's column names."""
    cols = ", ".join(f"NULL AS {_q(n)}" for n in names) or "NULL AS _"
    try:
        sqlite3.connect(":memory:").execute(f"SELECT {expr} FROM (SELECT {cols}) WHERE 0")
    except sqlite3.Error:
        return False
    return True


def _loadable_views(draft: Schema, views: tuple[View, ...], ctx: _Ctx) -> tuple[View, ...]:
    """Keep the views SQLite can create over the translated tables (tried in memory)."""
    from dbclone.dialects.sqlite import SQLiteDialect

    conn = sqlite3.connect(":memory:")
    ddl = SQLiteDialect(sa.create_engine("sqlite://"))
    for table in draft.tables:
        conn.execute(ddl.create_table_ddl(table, with_fks=False))
    kept = []
    for v in views:
        try:
            conn.execute(f"CREATE VIEW {_q(v.name)} AS {v.definition}")
            conn.execute(f"SELECT * FROM {_q(v.name)} WHERE 0")
            kept.append(v)
        except sqlite3.Error as exc:
            ctx.warn(f"view {v.name}: not created in SQLite ({str(exc).splitlines()[0]})")
            conn.execute(f"DROP VIEW IF EXISTS {_q(v.name)}")
    return tuple(kept)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


__all__ = ["to_sqlite"]


def for_target(model: Any, engine: Any) -> Any:
    """The model with its schema translated when the target is SQLite and the source is not;
    unchanged otherwise (the loader refuses other dialect pairs). Each lossy mapping is logged
    as a warning naming table.column."""
    if engine.dialect.name == "sqlite":
        # a TIME column (declared so in SQLite too) is generated as datetime.time, which the
        # driver has no adapter for ("type 'datetime.time' is not supported"; fuzzer --exotic)
        sqlite3.register_adapter(datetime.time, datetime.time.isoformat)
    if engine.dialect.name != "sqlite" or model.schema.dialect == "sqlite":
        return model
    schema = to_sqlite(model.schema)
    for text in schema.warnings[len(model.schema.warnings):]:
        log.warning("dbclone: warning: %s", text)
    _register_sqlite_adapters()
    return dataclasses.replace(model, schema=schema)


def _register_sqlite_adapters() -> None:
    """Values generated for PostgreSQL/MySQL types, stored the way the SQLite types above read
    them (JSON text, decimal text, ISO text)."""
    for tp, fn in ((list, json.dumps), (dict, json.dumps), (decimal.Decimal, str),
                   (uuid.UUID, str), (datetime.timedelta, str)):
        sqlite3.register_adapter(tp, fn)
