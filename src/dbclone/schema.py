"""Immutable description of a database schema, shared by every stage.

Every type here is a frozen dataclass of plain values and tuples, so a `Schema` compares by
value, hashes, and round-trips through JSON (`to_dict` / `from_dict`) unchanged. The model file
carries a `Schema`, which lets `dbclone sample` build a target without access to the source.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any

#: Coarse type families the synthesizer reasons about; the exact SQL type is kept in `sql_type`.
KINDS = (
    "integer", "float", "decimal", "boolean", "string", "text", "date", "datetime", "time",
    "interval", "binary", "uuid", "json", "enum", "array", "other", "mixed",
)
#: "mixed": a SQLite column holding values of several storage classes ('12', 12, 12.5, x'00').


def local_name(name: str, schema: str | None) -> str:
    """An object's name inside its schema. Tables, views and sequences outside the home schema
    (the one read alone, else the search path's, usually public) are keyed `schema.name`
    throughout dbclone, so names stay unique across schemas and every stage keeps looking
    objects up by name; SQL names them by `schema` and this local name."""
    if schema and name.startswith(schema + "."):
        return name[len(schema) + 1:]
    return name


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    sql_type: str
    nullable: bool = True
    default: str | None = None
    autoincrement: bool = False
    identity: str | None = None
    sequence: str | None = None
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    enum_values: tuple[str, ...] | None = None
    enum_name: str | None = None
    unsigned: bool = False
    timezone: bool = False
    computed: str | None = None
    comment: str | None = None
    #: Column collation where it differs from the table's (MySQL) or is explicit (PostgreSQL).
    collation: str | None = None
    #: The value is stored (STORED) rather than computed on read (VIRTUAL); generated only.
    persisted: bool | None = None
    #: MySQL/MariaDB `ON UPDATE` expression (`current_timestamp()`).
    on_update: str | None = None
    #: PostgreSQL identity sequence options (`START WITH 100 INCREMENT BY 10 ...`).
    identity_options: str | None = None
    #: A literal of the column's type that always loads (`0.0.0.0` for inet, `empty` for a
    #: range), for NOT NULL columns of a kind the synthesizer does not model ("other").
    fallback: str | None = None


@dataclass(frozen=True)
class ForeignKey:
    name: str | None
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    ref_schema: str | None = None
    on_delete: str | None = None
    on_update: str | None = None
    deferrable: bool = False
    initially_deferred: bool = False
    #: Declared on each partition of a partitioned table rather than on the parent; the parent
    #: lists it so the synthesizer draws valid values, the DDL puts it on the partitions.
    on_partitions: bool = False


@dataclass(frozen=True)
class UniqueConstraint:
    name: str | None
    columns: tuple[str, ...]
    deferrable: bool = False
    initially_deferred: bool = False
    #: PostgreSQL 15+: NULLs count as equal (at most one row with NULL in these columns).
    nulls_not_distinct: bool = False


@dataclass(frozen=True)
class CheckConstraint:
    name: str | None
    sqltext: str


@dataclass(frozen=True)
class Index:
    name: str | None
    columns: tuple[str, ...]
    unique: bool = False
    #: Dialect text recreating what `columns` cannot say (PostgreSQL: `USING gist (fulltext)`,
    #: expressions, operator classes, INCLUDE, WHERE). When set, the DDL uses it verbatim.
    definition: str | None = None
    #: Predicate of a partial index (SQLite, where `definition` is not used).
    where: str | None = None


@dataclass(frozen=True)
class Trigger:
    name: str
    #: Complete CREATE TRIGGER statement as the database prints it.
    definition: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    uniques: tuple[UniqueConstraint, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    indexes: tuple[Index, ...] = ()
    schema: str | None = None
    row_count: int = 0
    comment: str | None = None
    #: PostgreSQL declarative partitioning: `RANGE (payment_date)` on the parent; each partition
    #: is a nested `Table` with its bound (`FOR VALUES FROM (...) TO (...)`). Rows are loaded
    #: through the parent, so only the parent appears in `Schema.tables`.
    partition_by: str | None = None
    partitions: tuple[Table, ...] = ()
    partition_bound: str | None = None
    triggers: tuple[Trigger, ...] = ()
    #: PostgreSQL EXCLUDE constraints, as `pg_get_constraintdef` prints them.
    exclusions: tuple[CheckConstraint, ...] = ()
    #: Storage options that change behaviour: MySQL `engine`, `charset`, `collation`,
    #: SQLite `without_rowid`; sorted (key, value) pairs.
    options: tuple[tuple[str, str], ...] = ()
    #: PostgreSQL table inheritance (`INHERITS (parent)`, the pre-10 way to partition): the
    #: parents' names. Each table holds its own rows only; the columns include the inherited
    #: ones.
    inherits: tuple[str, ...] = ()
    #: PostgreSQL rules (`CREATE RULE ... DO INSTEAD`, the routing of pre-10 partitions), as
    #: `pg_get_ruledef` prints them; created after the rows, like triggers.
    rules: tuple[Trigger, ...] = ()

    @property
    def local_name(self) -> str:
        return local_name(self.name, self.schema)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name}.{name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def unique_sets(self) -> tuple[tuple[str, ...], ...]:
        """Every column set that must be unique: the primary key first, then UNIQUE constraints
        and unique indexes."""
        sets: list[tuple[str, ...]] = []
        if self.primary_key:
            sets.append(self.primary_key)
        sets += [u.columns for u in self.uniques]
        sets += [i.columns for i in self.indexes if i.unique]
        seen: list[tuple[str, ...]] = []
        for s in sets:
            if s and s not in seen:
                seen.append(s)
        return tuple(seen)


@dataclass(frozen=True)
class EnumType:
    name: str
    values: tuple[str, ...]
    schema: str | None = None


@dataclass(frozen=True)
class DomainType:
    """PostgreSQL `CREATE DOMAIN name AS base [DEFAULT ..] [NOT NULL] [CHECK ...]`."""

    name: str
    base_type: str
    nullable: bool = True
    default: str | None = None
    checks: tuple[CheckConstraint, ...] = ()
    schema: str | None = None


@dataclass(frozen=True)
class CompositeType:
    """PostgreSQL `CREATE TYPE name AS (attribute type, ...)`."""

    name: str
    #: (attribute, type as format_type prints it) in order.
    attributes: tuple[tuple[str, str], ...]
    schema: str | None = None


@dataclass(frozen=True)
class View:
    name: str
    #: The SELECT, as the database prints it.
    definition: str
    materialized: bool = False
    indexes: tuple[Index, ...] = ()
    comment: str | None = None
    #: The view's schema when it is not the home schema (then `name` is `schema.view`).
    schema: str | None = None


@dataclass(frozen=True)
class Routine:
    """A function, procedure or aggregate that views, defaults or triggers may need."""

    name: str
    #: Complete CREATE statement.
    definition: str


@dataclass(frozen=True)
class SequenceDef:
    """A PostgreSQL sequence (serial ones included; identity ones belong to their column)."""

    name: str
    #: `AS integer INCREMENT BY 1 MINVALUE 1 ... CACHE 1`, as CREATE SEQUENCE takes it.
    options: str
    #: The sequence's schema when it is not the home schema (then `name` is `schema.seq`).
    schema: str | None = None


@dataclass(frozen=True)
class Schema:
    dialect: str
    tables: tuple[Table, ...]
    enums: tuple[EnumType, ...] = ()
    schema_name: str | None = None
    domains: tuple[DomainType, ...] = ()
    views: tuple[View, ...] = ()
    routines: tuple[Routine, ...] = ()
    #: PostgreSQL extensions the schema's types, indexes or defaults may need (`citext`).
    extensions: tuple[str, ...] = ()
    sequences: tuple[SequenceDef, ...] = ()
    composites: tuple[CompositeType, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        return _build(cls, data)


def _build(tp: Any, value: Any, where: str = "") -> Any:
    """Rebuild a dataclass tree from `dataclasses.asdict` output (lists become tuples). A
    hand-edited file that lacks a required field, or holds the wrong kind of value, is a
    UsageError naming the field and where it is (``tables[2] 'customer' .row_count``)."""
    if value is None:
        return None
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise _bad_file(f"{where or 'the top'} should be an object, not {value!r:.40}")
        here = f"{where} {value['name']!r}" if isinstance(value.get("name"), str) else where
        hints = typing.get_type_hints(tp)
        for f in dataclasses.fields(tp):
            required = f.default is dataclasses.MISSING and \
                f.default_factory is dataclasses.MISSING
            if required and f.name not in value:
                raise _bad_file(f"{(here + ' ').lstrip()}lacks the field {f.name!r} "
                                f"(a {tp.__name__} needs it)")
        kwargs = {f.name: _build(hints[f.name], value[f.name], f"{here}.{f.name}".lstrip("."))
                  for f in dataclasses.fields(tp) if f.name in value}
        return tp(**kwargs)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(inner[0], value, where)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise _bad_file(f"{where} should be a list, not {value!r:.40}")
        args = typing.get_args(tp)
        return tuple(_build(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
    kinds = _SCALARS.get(tp)
    if kinds is not None and (not isinstance(value, kinds) or
                              (tp is not bool and isinstance(value, bool))):
        raise _bad_file(f"{where} should be a {tp.__name__}, not {value!r:.40}")
    return value


#: What JSON may hold for a field of each scalar type (an integer is a fine float).
_SCALARS: dict[Any, tuple[type, ...]] = {int: (int,), float: (int, float), str: (str,),
                                         bool: (bool,)}


def _bad_file(what: str) -> Exception:
    from dbclone.errors import UsageError

    return UsageError(f"the model or schema file is damaged: {what}; fit the model again "
                      "(or restore the field)")
