"""Loading into a schema that already exists (`--into-existing`): the tables an application's
migrations created, matched by name.

`problems` lists, like `dbclone diff`, what would break the load — a table or column the
target lacks, a narrower type, NOT NULL where the source has NULLs, a NOT NULL column of the
target's own without a default — and `check` refuses the load before anything is written.
`fill` is the load itself, inside the loader's all-or-nothing transaction: no DDL but the
target's own FKs set aside for the rows and put back (PostgreSQL checks them then; MariaDB and
SQLite load with FK checks off and count orphans), sequences moved past the loaded keys, rows
and FKs verified. MariaDB loads in one InnoDB transaction rather than a side database, since
the tables stay where they are.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from sqlalchemy.engine import Connection, Engine

from dbclone.errors import SchemaError, TargetNotEmptyError, mask
from dbclone.schema import Column, Schema, Table

#: Integer types by width, so a narrower target integer is caught.
_INT_WIDTH = {"tinyint": 1, "smallint": 2, "int2": 2, "mediumint": 3, "integer": 4, "int": 4,
              "int4": 4, "serial": 4, "bigint": 8, "int8": 8, "bigserial": 8}
#: Kinds a value of the source's kind (key) loads into unchanged.
_WIDER = {"integer": {"integer", "decimal", "float", "string", "text"},
          "decimal": {"decimal", "float", "string", "text"}, "float": {"float", "string", "text"},
          "string": {"string", "text"}, "text": {"text", "string"},
          "date": {"date", "datetime", "string", "text"}}


def problems(source: Schema, target: Schema) -> list[str]:
    """What keeps `source`'s rows from loading into `target`'s tables, one line each."""
    out: list[str] = []
    have = {t.name: t for t in target.tables}
    for table in source.tables:
        mine = have.get(table.name)
        if mine is None:
            out.append(f"table {table.name}: missing in the target")
            continue
        out += _table_problems(table, mine)
    return out


def _table_problems(source: Table, target: Table) -> list[str]:
    out = []
    theirs = {c.name: c for c in target.columns}
    for col in source.columns:
        if col.computed:
            continue
        other = theirs.get(col.name)
        if other is None:
            out.append(f"table {source.name}: column {col.name} missing in the target")
            continue
        why = _narrower(col, other)
        if why:
            out.append(f"table {source.name}: column {col.name} is {other.sql_type} in the "
                       f"target, {col.sql_type} in the source ({why})")
        if col.nullable and not other.nullable:
            out.append(f"table {source.name}: column {col.name} is NOT NULL in the target, "
                       "nullable in the source")
    for col in target.columns:
        if col.name not in source.column_names and not _fills_itself(col):
            out.append(f"table {source.name}: column {col.name} only in the target, NOT NULL "
                       "without a default")
    return out


def _fills_itself(col: Column) -> bool:
    return bool(col.nullable or col.default is not None or col.computed or col.identity
                or col.sequence or col.autoincrement)


def _narrower(src: Column, dst: Column) -> str:
    """Why values of `src` may not fit `dst` ("" when they fit)."""
    if src.kind != dst.kind and dst.kind not in _WIDER.get(src.kind, {src.kind}):
        return f"{src.kind} values into a {dst.kind} column"
    for check in _CHECKS:
        why = check(src, dst)
        if why:
            return why
    return ""


def _length(src: Column, dst: Column) -> str:
    if src.length and dst.length and dst.length < src.length:
        return f"{src.length} characters into {dst.length}"
    return ""


def _digits(src: Column, dst: Column) -> str:
    if src.kind != "decimal" or dst.kind != "decimal" or not dst.precision:
        return ""
    whole = lambda c: (c.precision or 0) - (c.scale or 0)  # noqa: E731
    if not src.precision or whole(dst) < whole(src) or (dst.scale or 0) < (src.scale or 0):
        return "fewer digits"
    return ""


def _width(src: Column, dst: Column) -> str:
    a, b = _int_width(src), _int_width(dst)
    return "a narrower integer" if a and b and b < a else ""


def _int_width(col: Column) -> int:
    if col.kind != "integer":
        return 0
    name = re.sub(r"\(.*|\s+unsigned.*", "", col.sql_type.lower()).strip()
    return _INT_WIDTH.get(name, 0)


_CHECKS: tuple[Callable[[Column, Column], str], ...] = (_length, _digits, _width)


def check(source: Schema, target: Schema, url: str, pauses_triggers: bool = True) -> None:
    """Refuse, listing every difference that would break the load, before anything is
    written."""
    found = problems(source, target) + ([] if pauses_triggers else _triggers(source, target))
    if found:
        shown = "; ".join(found[:8]) + (f"; and {len(found) - 8} more" if len(found) > 8 else "")
        raise SchemaError(f"cannot load into the existing tables of {mask(url)}, nothing was "
                          f"written: {shown}. Migrate the target to match, or clone into an "
                          "empty database")


def _triggers(source: Schema, target: Schema) -> list[str]:
    """Triggers of the tables to fill, where the engine cannot switch them off for the load
    (MariaDB, SQLite): they would fire on every generated row. Sakila's ins_film filled
    film_text before its own rows came (duplicate key), and rental_date set every generated
    rental_date to NOW(), silently."""
    have = {t.name: t for t in target.tables}
    out = []
    for t in source.tables:
        mine = have.get(t.name)
        if mine is not None and mine.triggers:
            names = ", ".join(tr.name for tr in mine.triggers)
            out.append(f"table {t.name} has triggers ({names}) that would fire on the "
                       "generated rows: drop them for the load and create them again after")
    return out


def loaded(source: Schema, target: Schema) -> Schema:
    """The target's own definitions of the tables the clone fills (for sequences, FKs and
    verification), in the source's order."""
    have = {t.name: t for t in target.tables}
    return dataclasses.replace(target, tables=tuple(have[t.name] for t in source.tables),
                               views=(), routines=())


def require_empty(conn: Connection, engine: Engine, rows_of: Callable[[Table], str],
                  schema: Schema, replace: bool) -> list[str]:
    """The tables to empty first (with --replace); refuses tables holding rows otherwise."""
    full = [t for t in schema.tables
            if conn.exec_driver_sql(f"SELECT 1 FROM {rows_of(t)} LIMIT 1").first() is not None]
    if full and not replace:
        names = ", ".join(t.name for t in full[:5]) + (" ..." if len(full) > 5 else "")
        raise TargetNotEmptyError(
            f"target {mask(str(engine.url))} has rows in {len(full)} of the tables to fill "
            f"({names}); use --replace to delete them first")
    return [f"DELETE FROM {rows_of(t)}" for t in reversed(full)]
