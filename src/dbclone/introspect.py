"""Stage 1: read a database's structure into a `Schema`, through SQLAlchemy's inspector."""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from collections.abc import Callable, Sequence
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
from dbclone.synth import types

#: What `--schema` takes: a schema name or glob pattern, several of them, or None (PostgreSQL:
#: every schema but the system ones, as pg_dump reads them; other dialects: the connected one).
Schemas = str | Sequence[str] | None


def introspect(engine: Engine, schema: Schemas = None, *, count_rows: bool = True) -> Schema:
    """Read every base table of the schemas `schema` selects."""
    dialect = dialect_for(engine)
    wanted = (schema,) if isinstance(schema, str) else tuple(schema or ())
    try:
        with engine.connect() as conn:
            return _introspect(conn, dialect, wanted, count_rows)
    except SQLAlchemyError as exc:
        raise DbcloneError(f"cannot read the schema of {display_url(engine)}: "
                           f"{mask(str(exc).splitlines()[0])}") from None


def _introspect(conn: Connection, dialect: Dialect, schema: tuple[str, ...],
                count_rows: bool) -> Schema:
    with warnings.catch_warnings():
        # expression indexes the inspector skips are read by the dialect (refine_table)
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection")
        # types the inspector does not know are named by the dialect and warned about below
        warnings.filterwarnings("ignore", message="Did not recognize type")
        # MySQL constraints SQLAlchemy cannot parse are read by the dialect (missing_fks)
        warnings.filterwarnings("ignore", message="Unknown schema content")
        return _read(conn, dialect, schema, count_rows)


def _read(conn: Connection, dialect: Dialect, wanted: tuple[str, ...],
          count_rows: bool) -> Schema:
    inspector = sa.inspect(conn)
    default = dialect.default_schema(inspector)
    names = dialect.read_schemas(conn, wanted)
    # The home schema's objects keep their bare names; the others' are keyed `schema.name`.
    home = names[0] if len(names) == 1 else default
    names_read = {n or default for n in names}
    how = _How(default, home, names_read, count_rows)
    parts = [_read_one(conn, inspector, dialect, name or default, how) for name in names]
    parts += _types_elsewhere(conn, inspector, dialect, names, default)
    warnings = [w for p in parts for w in p.warnings]
    tables = _inside_fks(_shared_sequences([t for p in parts for t in p.tables]), home, default,
                         warnings)
    read = Schema(dialect=dialect.name, tables=tuple(tables),
                  enums=tuple(e for p in parts for e in p.enums),
                  schema_name=home if home != default else None, warnings=tuple(warnings),
                  domains=tuple(d for p in parts for d in p.domains),
                  views=tuple(v for p in parts for v in p.views),
                  routines=tuple(r for p in parts for r in p.routines),
                  extensions=dialect.extensions(conn),
                  sequences=tuple(q for p in parts for q in p.sequences),
                  composites=tuple(c for p in parts for c in p.composites))
    return dataclasses.replace(read, warnings=read.warnings + _not_generated(read))


def _not_generated(s: Schema) -> tuple[str, ...]:
    """A warning per column no type family generates (known once the whole schema is read:
    a composite type or a domain may live in another schema)."""
    out = []
    for t in s.tables:
        for c in t.columns:
            why = types.why_not(s, c) if c.kind in ("other", "mixed") and not c.computed else ""
            if why == "dbclone has no generator for this type":
                why = f"dbclone has no generator for type {c.sql_type}"
            if why:
                out.append(f"{t.name}.{c.name}: {why}; a clone refuses the column unless the "
                           "config keeps it or sets it")
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class _How:
    """What every schema of one read shares: the default and home schemas, the schemas read,
    whether rows are counted."""

    default: str | None
    home: str | None
    wanted: set[str | None]
    count_rows: bool


def _read_one(conn: Connection, inspector: Any, dialect: Dialect, name: str | None,
              how: _How) -> Schema:
    """One schema's objects, named as the whole read names them (see `_key`)."""
    default, home, wanted, count_rows = how.default, how.home, how.wanted, how.count_rows
    tables = []
    warnings: list[str] = []
    where = name if name != default else None

    reflect = _Reflect(inspector, where, dialect.reflected)

    def read(tname: str) -> Table:
        return _table(reflect, dialect, tname, where, warnings)

    def key(local: str) -> str:
        return _key(local, name, home)

    for tname in dialect.user_tables(conn, name):
        table = _indexes_checked(dialect.refine_table(conn, read(tname), read), warnings)
        warnings += dialect.table_warnings(conn, table)
        table = dialect.inherits_key(name or "", lambda s, t: _key(t, s, home),
                                     _replace(table, name=key(table.name)))
        if count_rows:
            table = _replace(table, row_count=_count(conn, dialect, table))
        tables.append(_replace(table, foreign_keys=tuple(
            _fk_named(fk, name, default, home) for fk in table.foreign_keys)))
    reads = dialect.view_reads(conn, name)
    outside = {v: sorted(s for s in reads.get(v, ()) if s not in wanted) for v in reads}
    warnings += [f"view {key(v)} reads schema {', '.join(o)}, which is not read; the view is "
                 "not cloned" for v, o in outside.items() if o]
    views = tuple(dataclasses.replace(v, name=key(v.name), schema=where)
                  for v in dialect.views(conn, name) if not outside.get(v.name))
    sequences = tuple(dataclasses.replace(q, name=key(q.name), schema=where)
                      for q in dialect.sequences(conn, name))
    routines = tuple(dataclasses.replace(r, name=key(r.name))
                     for r in dialect.routines(conn, name))
    return Schema(dialect=dialect.name, tables=tuple(tables),
                  enums=dialect.enums(inspector, name), warnings=tuple(warnings),
                  domains=dialect.domains(conn, inspector, name), views=views,
                  routines=routines, sequences=sequences,
                  composites=dialect.composites(conn, where))


def _types_elsewhere(conn: Connection, inspector: Any, dialect: Dialect,
                     names: list[str | None], default: str | None) -> list[Schema]:
    """The enum and composite types and domains of the schemas not read: a table of `sales`
    may use a domain of `public`, and the target needs it before the table."""
    if not dialect.supports_schemas:
        return []
    out = []
    for other in dialect.read_schemas(conn, ()):
        if other in names:
            continue
        where = other if other != default else None
        out.append(Schema(dialect=dialect.name, tables=(),
                          enums=dialect.enums(inspector, other),
                          domains=dialect.domains(conn, inspector, other),
                          composites=dialect.composites(conn, where)))
    return out


def _shared_sequences(tables: list[Table]) -> list[Table]:
    """A sequence several tables draw from (sakila's payment and the partitions that inherit
    it) is created, moved past the loaded keys and verified by one of them: the table the
    others inherit, else the first by name. The others keep `nextval(...)` as a plain
    default (the catalog's owner, when there is one, was kept by the dialect already)."""
    users: dict[str, list[Table]] = {}
    for t in tables:
        for c in t.columns:
            if c.sequence:
                users.setdefault(c.sequence, []).append(t)
    keeper = {seq: min(ts, key=lambda t: (not _ancestor_of(t, ts, tables), t.name))
              for seq, ts in users.items() if len(ts) > 1}
    if not keeper:
        return tables
    out = []
    for t in tables:
        cols = tuple(c if not c.sequence or keeper.get(c.sequence, t) is t else
                     dataclasses.replace(c, sequence=None, default="nextval('" + c.sequence
                                         .replace("'", "''") + "'::regclass)")
                     for c in t.columns)
        out.append(_replace(t, columns=cols))
    return out


def _ancestor_of(table: Table, others: list[Table], tables: list[Table]) -> bool:
    """Whether every table of `others` but `table` inherits it, directly or not."""
    by_name = {t.name: t for t in tables}

    def inherits(t: Table, seen: frozenset[str] = frozenset()) -> bool:
        return any(p == table.name or (p in by_name and p not in seen
                                       and inherits(by_name[p], seen | {p}))
                   for p in t.inherits)

    return all(inherits(o) for o in others if o is not table)


def _key(local: str, schema: str | None, home: str | None) -> str:
    return local if schema == home or schema is None else f"{schema}.{local}"


def _fk_named(fk: ForeignKey, schema: str | None, default: str | None,
              home: str | None) -> ForeignKey:
    """The FK naming its parent by key, and by schema wherever the parent's differs from the
    default one (the inspector leaves out a schema on the search path)."""
    ref = fk.ref_schema or default
    explicit = ref if (ref != default or schema != default) else None
    return dataclasses.replace(fk, ref_table=_key(fk.ref_table, ref, home),
                               ref_schema=explicit if default is not None else fk.ref_schema)


def _inside_fks(tables: list[Table], home: str | None, default: str | None,
                warnings: list[str]) -> list[Table]:
    """Drop, with a warning, FKs to tables outside the schemas being read: the clone holds
    only these, so such an FK could not be created in the target."""
    names = {t.name for t in tables} | {_key(p.name, t.schema or default, home)
                                        for t in tables for p in _parts(t)}
    out = []
    for t in tables:
        keep = tuple(fk for fk in t.foreign_keys if fk.ref_table in names)
        for fk in t.foreign_keys:
            if fk not in keep:
                shown = fk.ref_table if not fk.ref_schema or "." in fk.ref_table else \
                    f"{fk.ref_schema}.{fk.ref_table}"
                warnings.append(f"{t.name}({', '.join(fk.columns)}) references {shown}, "
                                "outside the schemas read; the FK is not cloned")
        out.append(t if len(keep) == len(t.foreign_keys) else _replace(t, foreign_keys=keep))
    return out


def _parts(table: Table) -> list[Table]:
    return [q for p in table.partitions for q in (p, *_parts(p))]


def _count(conn: Connection, dialect: Dialect, table: Table) -> int:
    """Rows of `table`; a table the user may not read is named, with the fix."""
    sql = f"SELECT COUNT(*) FROM {dialect.rows_of(table)}"
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


def _labels(sa_type: Any, kind: str) -> tuple[str, ...] | None:
    """An ENUM's values, or a MySQL SET's members (SQLAlchemy keeps those in `values`): a
    SET whose every combination in the source was rarer than k fell to the text fallback
    and failed the load with 'Data truncated' (fuzzer, --exotic mysql seed 20002)."""
    labels = getattr(sa_type, "enums", None) or \
        (getattr(sa_type, "values", None) if kind == "enum" else None)
    return tuple(labels) if labels else None


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
        enum_values=_labels(sa_type, kind),
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
    """Refuse a source without tables, naming the schemas that hold some (a `--schema` that
    missed them), never "0 tables" and exit 0."""
    if schema.tables:
        return
    where = f" in schema {schema.schema_name!r}" if schema.schema_name else ""
    holding = schemas_with_tables(url)
    hint = (f"its tables are in schema {', '.join(holding)}: give --schema accordingly, or "
            "leave it out to read every schema" if holding else
            "point dbclone at a database that holds the tables to clone")
    raise SchemaError(f"source {mask(url)} has no tables{where}; {hint}")


def schemas_with_tables(url: str) -> list[str]:
    """`schema (n tables)` for each schema of a database with schemas that holds tables."""
    from dbclone.connect import engine_for

    engine = engine_for(url)
    dialect = dialect_for(engine)
    if not dialect.supports_schemas:
        return []
    with engine.connect() as conn:
        counts = [(s, len(dialect.user_tables(conn, s))) for s in dialect.read_schemas(conn, ())]
    return [f"{s} ({n} tables)" for s, n in counts if n]
