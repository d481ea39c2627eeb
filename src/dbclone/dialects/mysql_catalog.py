"""MySQL/MariaDB structure SQLAlchemy's inspector leaves out, read from information_schema:
column-level CHECKs (MariaDB prints them inside the column, where the inspector does not look),
MariaDB's JSON (an alias of LONGTEXT plus a `json_valid` CHECK), ON UPDATE clauses, and index
details (prefix lengths, descending parts, FULLTEXT/SPATIAL), and the declared type of columns
whose type SQLAlchemy does not know (MariaDB's spatial types, INET4, INET6)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from dbclone.schema import CheckConstraint, Column, ForeignKey, Table, Trigger, View

_JSON_VALID = re.compile(r"^json_valid\(`(?P<col>(?:[^`]|``)+)`\)$", re.IGNORECASE)

#: What follows a generated column's expression in MariaDB's SHOW CREATE TABLE, which the
#: inspector leaves in the expression when a column CHECK comes after it (a JSON column's
#: json_valid, or the column's own CHECK, both read from the catalog on their own).
_GENERATED_TAIL = re.compile(r"\s+(?P<how>VIRTUAL|STORED|PERSISTENT)(?:\s+CHECK\s*\(.*\))?\s*$",
                             re.IGNORECASE | re.DOTALL)


def _rows(conn: Connection, sql: str, **params: Any) -> list[Any]:
    return list(conn.execute(sa.text(sql), params))


def _db(conn: Connection, schema: str | None) -> str:
    return schema or str(conn.exec_driver_sql("SELECT DATABASE()").scalar())


def column_checks(conn: Connection, schema: str | None, table: str) -> list[tuple[str, str]]:
    """(name, clause) of column-level CHECKs (MariaDB); empty on MySQL, which has none."""
    try:
        rows = _rows(conn, """
            SELECT CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
            WHERE CONSTRAINT_SCHEMA = :db AND TABLE_NAME = :t AND LEVEL = 'Column'
            ORDER BY CONSTRAINT_NAME""", db=_db(conn, schema), t=table)
    except SQLAlchemyError:
        return []
    return [(r[0], r[1]) for r in rows]


def on_update(conn: Connection, schema: str | None, table: str) -> dict[str, str]:
    """column -> its ON UPDATE expression (`current_timestamp()`)."""
    out = {}
    for name, extra in _rows(conn, """
            SELECT COLUMN_NAME, EXTRA FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = :db AND TABLE_NAME = :t""", db=_db(conn, schema), t=table):
        match = re.search(r"on update (\S+)", extra or "", re.IGNORECASE)
        if match:
            out[name] = match[1]
    return out


def column_types(conn: Connection, schema: str | None, table: str) -> dict[str, str]:
    """column -> its declared type as the server prints it (`point`, `inet6`)."""
    return {name: str(ctype) for name, ctype in _rows(conn, """
            SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = :db AND TABLE_NAME = :t""", db=_db(conn, schema), t=table)}


def index_definitions(conn: Connection, schema: str | None, table: str) -> dict[str, str]:
    """name -> `(col(10), col2 DESC)` for indexes a plain column list cannot express;
    FULLTEXT and SPATIAL indexes start with that word."""
    parts: dict[str, list[str]] = {}
    special: dict[str, bool] = {}
    kinds: dict[str, str] = {}
    for name, col, sub, order, kind in _rows(conn, """
            SELECT INDEX_NAME, COLUMN_NAME, SUB_PART, COLLATION, INDEX_TYPE
            FROM information_schema.STATISTICS
            WHERE TABLE_SCHEMA = :db AND TABLE_NAME = :t AND INDEX_NAME <> 'PRIMARY'
            ORDER BY INDEX_NAME, SEQ_IN_INDEX""", db=_db(conn, schema), t=table):
        quoted = "`" + str(col).replace("`", "``") + "`"
        # MariaDB reports a SPATIAL index's part as a 32-byte prefix it refuses when declared
        # ("Incorrect prefix key": sakila's address.location index failed the load)
        sub = sub if kind != "SPATIAL" else None
        text = quoted + (f"({sub})" if sub else "") + (" DESC" if order == "D" else "")
        parts.setdefault(name, []).append(text)
        kinds[name] = kind
        special[name] = special.get(name, False) or bool(sub) or order == "D" \
            or kind in ("FULLTEXT", "SPATIAL")
    out = {}
    for name, cols in parts.items():
        if special[name]:
            prefix = f"{kinds[name]} " if kinds[name] in ("FULLTEXT", "SPATIAL") else ""
            out[name] = f"{prefix}({', '.join(cols)})"
    return out


def refine(conn: Connection, table: Table) -> Table:
    checks = list(table.checks)
    json_cols = set()
    for name, clause in column_checks(conn, table.schema, table.name):
        match = _JSON_VALID.match(clause.strip())
        if match and match["col"].replace("``", "`") == name:
            json_cols.add(name)  # MariaDB's JSON: recreated by declaring the column JSON
        elif not any(c.name == name for c in checks):
            checks.append(CheckConstraint(name=name, sqltext=clause))
    updates = on_update(conn, table.schema, table.name)
    columns = tuple(_column(c, c.name in json_cols, updates.get(c.name)) for c in table.columns)
    if any(c.sql_type == "NULL" for c in columns):  # a type the inspector does not know
        declared = column_types(conn, table.schema, table.name)
        # catalog text, '%' doubled as in the types SQLAlchemy compiles
        columns = tuple(dataclasses.replace(
            c, sql_type=declared.get(c.name, c.sql_type).upper().replace("%", "%%"))
            if c.sql_type == "NULL" else c for c in columns)
    defs = index_definitions(conn, table.schema, table.name)
    indexes = tuple(dataclasses.replace(i, definition=defs.get(i.name or ""))
                    for i in table.indexes)
    return dataclasses.replace(table, columns=columns, checks=tuple(checks), indexes=indexes,
                               triggers=triggers(conn, table.schema, table.name))


def _column(col: Column, is_json: bool, update: str | None) -> Column:
    tail = _GENERATED_TAIL.search(col.computed or "")
    if col.computed and tail:
        col = dataclasses.replace(col, computed=col.computed[:tail.start()],
                                  persisted=tail["how"].upper() != "VIRTUAL")
    if is_json:
        col = dataclasses.replace(col, kind="json", sql_type="JSON", length=None)
    if update:
        col = dataclasses.replace(col, on_update=update)
    return col


_DEFINER = re.compile(
    r"\s+DEFINER\s*=\s*(?:`(?:[^`]|``)*`|'[^']*'|\S+?)@(?:`(?:[^`]|``)*`|'[^']*'|\S+)",
    re.IGNORECASE)
_VIEW_AS = re.compile(r"\bVIEW\s+`(?:[^`]|``)*`\s+AS\s+", re.IGNORECASE)


def views(conn: Connection, schema: str | None) -> tuple[View, ...]:
    """Views with their SELECT as SHOW CREATE VIEW prints it (tables of the same database
    unqualified, so the definition reads the same in the clone)."""
    names = [r[0] for r in _rows(conn, """
        SELECT TABLE_NAME FROM information_schema.VIEWS WHERE TABLE_SCHEMA = :db
        ORDER BY TABLE_NAME""", db=_db(conn, schema))]
    out = []
    for name in names:
        sql = str(conn.exec_driver_sql(
            f"SHOW CREATE VIEW {_quote(_db(conn, schema))}.{_quote(name)}").one()[1])
        match = _VIEW_AS.search(sql)
        out.append(View(name=name, definition=sql[match.end():] if match else sql))
    return tuple(out)


def triggers(conn: Connection, schema: str | None, table: str) -> tuple[Trigger, ...]:
    """Triggers of `table` as written (SHOW CREATE TRIGGER), without their DEFINER: the
    clone's triggers belong to the user who loads it."""
    names = [r[0] for r in _rows(conn, """
        SELECT TRIGGER_NAME FROM information_schema.TRIGGERS
        WHERE TRIGGER_SCHEMA = :db AND EVENT_OBJECT_TABLE = :t
        ORDER BY ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER""",
        db=_db(conn, schema), t=table)]
    out = []
    for name in names:
        sql = str(conn.exec_driver_sql(
            f"SHOW CREATE TRIGGER {_quote(_db(conn, schema))}.{_quote(name)}").one()[2])
        out.append(Trigger(name=name, definition=_DEFINER.sub("", sql, count=1)))
    return tuple(out)


#: Keys of the inspector's answers that hold identifiers (one, or a list of them).
_NAMES = ("name", "constrained_columns", "column_names", "referred_table", "referred_columns",
          "duplicates_index", "duplicates_constraint")


def unescaped(what: str, value: Any) -> Any:
    """SQLAlchemy parses SHOW CREATE TABLE and leaves a backtick inside an identifier doubled
    (column `p``id` comes back as 'p``id'): every identifier of the answer, unescaped."""
    if isinstance(value, list):
        return [unescaped(what, v) for v in value]
    if not isinstance(value, dict):
        return value
    out = dict(value)
    for key in _NAMES:
        if isinstance(out.get(key), str):
            out[key] = out[key].replace("``", "`")
        elif isinstance(out.get(key), list):
            out[key] = [v.replace("``", "`") if isinstance(v, str) else v for v in out[key]]
    return out


_RULES = {"CASCADE": "CASCADE", "SET NULL": "SET NULL", "NO ACTION": "NO ACTION",
          "SET DEFAULT": "SET DEFAULT"}  # RESTRICT is the default: SHOW CREATE omits it


def missing_fks(conn: Connection, table: Table) -> Table:
    """FKs SQLAlchemy's parser skipped (a constraint or table name holding a backtick), read
    from information_schema; the ones it read are kept as they are."""
    rows = _rows(conn, """
        SELECT k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA,
               k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE
        FROM information_schema.KEY_COLUMN_USAGE k
        JOIN information_schema.REFERENTIAL_CONSTRAINTS r
          ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
         AND r.TABLE_NAME = k.TABLE_NAME
        WHERE k.TABLE_SCHEMA = :db AND k.TABLE_NAME = :t
        ORDER BY k.CONSTRAINT_NAME, k.ORDINAL_POSITION""", db=_db(conn, table.schema),
        t=table.name)
    known = {fk.name for fk in table.foreign_keys}
    found: dict[str, list[Any]] = {}
    for row in rows:
        if row[0] not in known:
            found.setdefault(row[0], []).append(row)
    if not found:
        return table
    db = _db(conn, table.schema)
    added = tuple(ForeignKey(
        name=name, columns=tuple(r[1] for r in cols), ref_table=cols[0][3],
        ref_columns=tuple(r[4] for r in cols),
        ref_schema=None if cols[0][2] == db else cols[0][2],
        on_delete=_RULES.get(cols[0][5]), on_update=_RULES.get(cols[0][6]))
        for name, cols in found.items())
    return dataclasses.replace(table, foreign_keys=table.foreign_keys + added)


def _quote(name: str) -> str:
    """A name for a statement PyMySQL formats: '%' doubled (a view named "v%")."""
    return "`" + name.replace("`", "``").replace("%", "%%") + "`"
