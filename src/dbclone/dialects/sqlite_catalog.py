"""SQLite structure the inspector leaves out, read from PRAGMAs and the stored CREATE text:
declared types as written, AUTOINCREMENT, WITHOUT ROWID / STRICT, column collations,
column-level UNIQUE, and expression indexes (kept as their SQL tail)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from sqlalchemy.engine import Connection

from dbclone.schema import Column, ForeignKey, Index, Table, Trigger, UniqueConstraint, View

_INDEX_TAIL = re.compile(r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+.*?\s+ON\s+"
                         r"(\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|\S+?)\s*(?=\()",
                         re.IGNORECASE | re.DOTALL)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows(conn: Connection, sql: str, *params: Any) -> list[Any]:
    return list(conn.exec_driver_sql(sql, params).fetchall() if params else
                conn.exec_driver_sql(sql).fetchall())


def split_top_level(body: str) -> list[str]:
    """Split a CREATE TABLE body at commas outside parentheses and quotes."""
    items, depth, quote, start = [], 0, "", 0
    for i, ch in enumerate(body):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'`[":
            quote = "]" if ch == "[" else ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(body[start:i].strip())
            start = i + 1
    items.append(body[start:].strip())
    return items


def _body_and_tail(sql: str) -> tuple[str, str]:
    start = sql.index("(")
    end = sql.rindex(")")
    return sql[start + 1:end], sql[end + 1:]


def _column_name(item: str) -> str | None:
    m = re.match(r'\s*("(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|[^\s(]+)', item)
    if not m:
        return None
    token = m[1]
    if token[0] == '"':
        return token[1:-1].replace('""', '"')
    if token[0] in "`[":
        return token[1:-1]
    return token


def refine(conn: Connection, table: Table) -> Table:
    rows = _rows(conn, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                 table.name)
    if not rows or not rows[0][0]:
        return table
    sql = rows[0][0]
    body, tail = _body_and_tail(sql)
    declared = {r[1]: r[2] for r in _rows(conn, f"PRAGMA table_xinfo({_q(table.name)})")}
    collations: dict[str, str] = {}
    autoinc: set[str] = set()
    for item in split_top_level(body):
        name = _column_name(item)
        if name is None or name not in declared:
            continue  # a table constraint
        m = re.search(r"\bCOLLATE\s+(\w+)", item, re.IGNORECASE)
        if m:
            collations[name] = m[1]
        if re.search(r"\bAUTOINCREMENT\b", item, re.IGNORECASE):
            autoinc.add(name)
    columns = tuple(_column(c, declared.get(c.name), collations.get(c.name), c.name in autoinc)
                    for c in table.columns)
    columns = _kinds_from_storage(conn, table.name, columns)
    columns = _dates_held_as_days(conn, table.name, columns)
    options = tuple(sorted((opt, "true") for opt, word in
                           (("strict", "STRICT"), ("without_rowid", r"WITHOUT\s+ROWID"))
                           if re.search(rf"\b{word}\b", tail, re.IGNORECASE)))
    return dataclasses.replace(table, columns=columns, options=options,
                               uniques=table.uniques + _column_uniques(conn, table),
                               indexes=_indexes(conn, table),
                               foreign_keys=_fk_actions(conn, table),
                               triggers=triggers(conn, table.name))


def _fk_actions(conn: Connection, table: Table) -> tuple[ForeignKey, ...]:
    """ON DELETE / ON UPDATE from the PRAGMA: the inspector misses them on column REFERENCES."""
    actions: dict[tuple[str, tuple[str, ...]], tuple[str | None, str | None]] = {}
    parts: dict[int, list[Any]] = {}
    for row in _rows(conn, f"PRAGMA foreign_key_list({_q(table.name)})"):
        parts.setdefault(row[0], []).append(row)
    for rows in parts.values():
        rows.sort(key=lambda r: r[1])
        cols = tuple(r[3] for r in rows)
        upd, dele = (None if a == "NO ACTION" else a for a in (rows[0][5], rows[0][6]))
        actions[(rows[0][2], cols)] = (dele, upd)
    out = []
    for fk in table.foreign_keys:
        dele, upd = actions.get((fk.ref_table, fk.columns), (fk.on_delete, fk.on_update))
        out.append(dataclasses.replace(fk, on_delete=dele, on_update=upd))
    return tuple(out)


def _column(col: Column, declared: str | None, collation: str | None, autoinc: bool) -> Column:
    changes: dict[str, Any] = {}
    if declared is not None:
        changes["sql_type"] = declared
    if collation:
        changes["collation"] = collation
    if autoinc:
        changes["autoincrement"] = True
    return dataclasses.replace(col, **changes) if changes else col


#: SQLite storage classes each kind's values are held in; a column whose values sit in
#: other classes (SQLite lets any column hold any class) takes its kind from what it holds.
_CLASSES_OF_KIND = {
    "integer": {"integer"}, "boolean": {"integer"}, "float": {"integer", "real"},
    "decimal": {"integer", "real"}, "binary": {"blob"}, "uuid": {"text", "blob"},
}
_KIND_OF_CLASSES = {
    frozenset({"integer"}): "integer", frozenset({"real"}): "float",
    frozenset({"integer", "real"}): "float", frozenset({"text"}): "text",
    frozenset({"blob"}): "binary", frozenset(): "text",
}
#: Rows looked at per table to learn the storage classes of its columns.
STORAGE_SAMPLE = 20000


def _kinds_from_storage(conn: Connection, table: str,
                        columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """Columns without a declared type (BLOB affinity, any value) or holding values their
    affinity did not convert get the kind of the storage classes they hold; several classes in
    one column ('12', 12, 12.5, x'00') make the kind "mixed". Read on a sample of rows."""
    if not columns:
        return columns
    parts = ", ".join(f"GROUP_CONCAT(DISTINCT typeof({_q(c.name)}))" for c in columns)
    row = _rows(conn, f"SELECT {parts} FROM (SELECT * FROM {_q(table)} "
                      f"LIMIT {STORAGE_SAMPLE})")[0]
    out = []
    for col, held in zip(columns, row, strict=True):
        classes = frozenset((held or "").split(",")) - {"null", ""}
        out.append(_kind_from_storage(col, classes))
    return tuple(out)


def _kind_from_storage(col: Column, classes: frozenset[str]) -> Column:
    if col.kind in ("date", "datetime", "time", "json", "enum") and len(classes) <= 1:
        return col  # ISO text or epoch numbers: what these kinds are stored as
    expected = _CLASSES_OF_KIND.get(col.kind, {"text"})
    if col.sql_type.strip() and classes <= expected:
        return col
    kind = _KIND_OF_CLASSES.get(classes, "mixed")
    if kind == col.kind or (kind == "text" and col.kind in ("string", "text")):
        return col
    return dataclasses.replace(col, kind=kind)


#: SQLite's text form of a date without a time of day.
_DAY_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"


def _dates_held_as_days(conn: Connection, table: str,
                        columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """A DATETIME or TIMESTAMP column whose text values are all days ('2016-07-04') is a date:
    the clone writes it as the source does, not as '2016-07-04 00:00:00', which an
    application comparing the text (`WHERE OrderDate = '2016-07-04'`) no longer finds."""
    stamps = [c for c in columns if c.kind == "datetime"]
    if not stamps:
        return columns
    parts = ", ".join(f"COUNT({_q(c.name)}), SUM(typeof({_q(c.name)}) = 'text' AND "
                      f"{_q(c.name)} GLOB '{_DAY_GLOB}')" for c in stamps)
    row = _rows(conn, f"SELECT {parts} FROM (SELECT * FROM {_q(table)} "
                      f"LIMIT {STORAGE_SAMPLE})")[0]
    days = {c.name for i, c in enumerate(stamps) if row[2 * i] and row[2 * i] == row[2 * i + 1]}
    return tuple(dataclasses.replace(c, kind="date") if c.name in days else c for c in columns)


def _column_uniques(conn: Connection, table: Table) -> tuple[UniqueConstraint, ...]:
    """UNIQUE written on a column (or unnamed in the table) lives only as an automatic index."""
    have = {u.columns for u in table.uniques}
    out = []
    for row in _rows(conn, f"PRAGMA index_list({_q(table.name)})"):
        name, origin = row[1], row[3]
        if origin != "u":
            continue
        cols = tuple(r[2] for r in _rows(conn, f"PRAGMA index_info({_q(name)})"))
        if cols not in have:
            out.append(UniqueConstraint(name=None, columns=cols))
            have.add(cols)
    return tuple(out)


def _indexes(conn: Connection, table: Table) -> tuple[Index, ...]:
    """Explicit indexes with their SQL tail, including expression indexes the inspector skips."""
    known = {i.name: i for i in table.indexes}
    out = []
    for name, sql in _rows(conn, "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                 "AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
                           table.name):
        m = _INDEX_TAIL.match(sql)
        definition = sql[m.end():].strip() if m else None
        base = known.get(name) or Index(name=name, columns=(),
                                        unique=bool(re.match(r"\s*CREATE\s+UNIQUE", sql, re.I)))
        out.append(dataclasses.replace(base, definition=definition))
    return tuple(out)


_VIEW_HEAD = re.compile(r"^\s*CREATE\s+(?:TEMP\s+|TEMPORARY\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                        r"(?:\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|[^\s(]+)\s*(?:\([^)]*\)\s*)?"
                        r"AS\s+", re.IGNORECASE)


def views(conn: Connection) -> tuple[View, ...]:
    """Views in creation order; the definition is the SELECT after AS."""
    out = []
    for name, sql in _rows(conn, "SELECT name, sql FROM sqlite_master WHERE type = 'view' "
                                 "ORDER BY rowid"):
        m = _VIEW_HEAD.match(sql)
        out.append(View(name=name, definition=sql[m.end():].strip() if m else sql))
    return tuple(out)


def triggers(conn: Connection, table: str) -> tuple[Trigger, ...]:
    return tuple(Trigger(name=r[0], definition=r[1]) for r in _rows(
        conn, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
              "ORDER BY name", table))
