"""Compare two schemas: the one comparison behind `dbclone diff` and the round-trip tests.

Two schemas are *equal* when a person or an application could not tell them apart by their
structure. Row counts are data, not structure, and are ignored. Constraint, index and trigger
names are compared only where the source has one: a SQLite FK or an unnamed CHECK gets a
generated name on some engines, and that is not a difference. Everything else — column order,
types, nullability, defaults, keys, checks, indexes, partitions, views, enums, domains — counts.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from dbclone.schema import (
    CheckConstraint,
    Column,
    DomainType,
    EnumType,
    Routine,
    Schema,
    Table,
    View,
)

if TYPE_CHECKING:
    from dbclone.introspect import Schemas

T = TypeVar("T")

_CONSTRAINTS = {"foreign_keys": "foreign key", "uniques": "unique", "checks": "check",
                "indexes": "index", "triggers": "trigger", "rules": "rule"}
#: Fields that are data, bookkeeping or produced by the engine, not declared structure.
_IGNORED = frozenset({"row_count", "warnings"})


def diff_schemas(source: Schema, target: Schema) -> list[str]:
    """Every structural difference between `source` and `target`, one line each, naming the
    table (and column or constraint). Empty when the schemas are equal."""
    out: list[str] = []
    if source.dialect != target.dialect == "sqlite":
        # a cross-dialect clone: compare with what the type map makes of the source
        from dbclone.dialects.typemap import to_sqlite

        source, target = _as_declared(to_sqlite(source)), _as_declared(target)
    elif source.dialect != target.dialect:
        out.append(f"dialect: {source.dialect} in the source, {target.dialect} in the target")
    _named(out, "table", source.tables, target.tables, _diff_table)
    _named(out, "view", source.views, target.views, _diff_fields)
    _named(out, "enum type", source.enums, target.enums, _diff_fields)
    _named(out, "domain", source.domains, target.domains, _diff_fields)
    _named(out, "routine", source.routines, target.routines, _diff_fields)
    _named(out, "sequence", source.sequences, target.sequences, _diff_fields)
    _named(out, "composite type", source.composites, target.composites, _diff_fields)
    out += [f"extension {e}: missing in the target" for e in source.extensions
            if e not in target.extensions]
    out += [f"extension {e}: only in the target" for e in target.extensions
            if e not in source.extensions]
    return out


def _as_declared(schema: Schema) -> Schema:
    """Only what SQLite declares: the facts about values that the type map keeps for the
    synthesizer (kind, enum values, lengths ...) cannot be read back from a SQLite file."""
    blank: dict[str, Any] = {
        "kind": "other", "length": None, "precision": None, "scale": None,
        "enum_values": None, "enum_name": None, "timezone": False, "unsigned": False,
        "fallback": None}
    tables = tuple(dataclasses.replace(
        t, columns=tuple(dataclasses.replace(c, **blank) for c in t.columns),
        indexes=tuple(dataclasses.replace(i, definition=None, where=None) for i in t.indexes))
        for t in schema.tables)
    return dataclasses.replace(schema, tables=tables, warnings=())


def schemas_equal(source: Schema, target: Schema) -> bool:
    return not diff_schemas(source, target)


def diff_urls(source_url: str, target_url: str, schema: Schemas = None,
              target_schema: Schemas = None) -> list[str]:
    """Introspect both databases (without counting rows) and compare them."""
    from dbclone.connect import engine_for
    from dbclone.introspect import introspect

    src = introspect(engine_for(source_url), schema, count_rows=False)
    dst = introspect(engine_for(target_url), target_schema or schema, count_rows=False)
    return diff_schemas(src, dst)


Item = Table | View | EnumType | DomainType | Routine


def _named(out: list[str], what: str, src: Sequence[Any], dst: Sequence[Any],
           inner: Callable[[list[str], str, Any, Any], None]) -> None:
    """Match objects by name: missing, extra, then the differences of each pair."""
    theirs = {o.name: o for o in dst}
    ours = {o.name for o in src}
    for obj in src:
        where = f"{what} {obj.name}"
        if obj.name not in theirs:
            out.append(f"{where}: missing in the target")
        else:
            inner(out, where, obj, theirs[obj.name])
    out += [f"{what} {o.name}: only in the target" for o in dst if o.name not in ours]


def _diff_table(out: list[str], where: str, a: Table, b: Table) -> None:
    if a.column_names != b.column_names:
        missing = [c for c in a.column_names if c not in b.column_names]
        extra = [c for c in b.column_names if c not in a.column_names]
        if missing or extra:
            out += [f"{where}: column {c} missing in the target" for c in missing]
            out += [f"{where}: column {c} only in the target" for c in extra]
        else:
            out.append(f"{where}: column order {list(a.column_names)} in the source, "
                       f"{list(b.column_names)} in the target")
    theirs = {c.name: c for c in b.columns}
    for col in a.columns:
        if col.name in theirs:
            _diff_fields(out, f"{where}: column {col.name}", col, theirs[col.name])
    for field, label in _CONSTRAINTS.items():
        _unordered(out, f"{where}: {label}", getattr(a, field), getattr(b, field))
    skip = {"name", "columns", "foreign_keys", "uniques", "checks", "indexes", "triggers", "rules",
            "partitions"}
    _diff_fields(out, where, a, b, skip=skip)
    _named(out, f"{where}: partition", a.partitions, b.partitions, _diff_table)


def _unordered(out: list[str], where: str, src: Iterable[Any], dst: Iterable[Any]) -> None:
    """Constraints compare as multisets of their content; names only where the source has one."""
    left = list(dst)
    for item in src:
        key = _anonymous(item)
        match = next((o for o in left if _anonymous(o) == key), None)
        if match is None:
            out.append(f"{where} {_show(item)} missing in the target")
            continue
        left.remove(match)
        if item.name and item.name != match.name:
            out.append(f"{where} {_show(item)}: named {item.name!r} in the source, "
                       f"{match.name!r} in the target")
    out += [f"{where} {_show(o)} only in the target" for o in left]


def _anonymous(obj: Any) -> Any:
    if isinstance(obj, CheckConstraint):
        return dataclasses.replace(obj, name=None, sqltext=_check_text(obj.sqltext))
    return dataclasses.replace(obj, name=None) if hasattr(obj, "name") else obj


#: Casts and grouping PostgreSQL adds when it prints a CHECK back: its text is not a fixed
#: point (`ARRAY['a'::character varying]::text[]` comes back as
#: `ARRAY['a'::character varying::text]`), so two equal CHECKs may read differently.
_CAST = re.compile(r"::\s*[a-z_][a-z0-9_ ]*(?:\([0-9, ]*\))?(?:\[\])*", re.IGNORECASE)
_LITERAL = re.compile(r"('(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")")  # strings and quoted names


def _check_text(sql: str) -> str:
    """A CHECK's text without casts, parentheses and spaces outside its string literals and
    quoted names (a column named "it's" holds a quote that opens no literal)."""
    parts = _LITERAL.split(sql)
    return "".join(p if i % 2 else re.sub(r"[()\s]", "", _CAST.sub("", p))
                   for i, p in enumerate(parts))


def _show(obj: Any) -> str:
    fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    shown = ", ".join(f"{k}={v!r}" for k, v in fields.items()
                      if v not in (None, False, (), "") and k != "name")
    label = f"{obj.name} " if getattr(obj, "name", None) else ""
    return f"{label}({shown})"


def _diff_fields(out: list[str], where: str, a: Any, b: Any,
                 skip: Iterable[str] = ()) -> None:
    skipped = set(skip) | _IGNORED
    for f in dataclasses.fields(a):
        if f.name in skipped or not f.compare:
            continue
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if va != vb:
            out.append(f"{where}: {f.name} {_value(va)} in the source, {_value(vb)} in the target")


def _value(v: Any) -> str:
    if isinstance(v, Column | Table):
        return v.name
    return repr(v)


__all__ = ["diff_schemas", "diff_urls", "schemas_equal"]
