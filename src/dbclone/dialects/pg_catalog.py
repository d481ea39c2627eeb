"""PostgreSQL structure SQLAlchemy's inspector does not reflect, read from the catalog.

Each function returns plain values; `PostgresDialect` folds them into the `Schema`. The text of
index, trigger, view and function definitions comes from the server's own `pg_get_*def`
functions, so whatever PostgreSQL can print, dbclone can recreate.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dbclone.schema import (
    CheckConstraint,
    DomainType,
    Index,
    Routine,
    SequenceDef,
    Table,
    Trigger,
    View,
)

_REL = """
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = :schema AND c.relname = :table"""

#: Objects that belong to an extension are the extension's to create, not ours.
_NOT_EXTENSION = """NOT EXISTS (SELECT 1 FROM pg_depend d
    WHERE d.objid = {oid} AND d.deptype = 'e')"""


def _rows(conn: Connection, sql: str, **params: Any) -> list[Any]:
    return list(conn.execute(sa.text(sql), params))


def user_schemas(conn: Connection) -> list[str]:
    """Schemas other than the system ones and those an extension created (PostGIS' tiger)."""
    return [r[0] for r in _rows(conn, """
        SELECT n.nspname FROM pg_namespace n
        WHERE n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
          AND """ + _NOT_EXTENSION.format(oid="n.oid") + " ORDER BY n.nspname")]


def composites(conn: Connection, schema: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """(name, attributes) of the schema's composite types (not a table's row type), in
    creation order."""
    found: dict[str, list[tuple[str, str]]] = {}
    for name, attr, typ in _rows(conn, """
            SELECT t.typname, a.attname, format_type(a.atttypid, a.atttypmod)
            FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
            JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c'
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = :schema AND """ + _NOT_EXTENSION.format(oid="t.oid") + """
            ORDER BY t.oid, a.attnum""", schema=schema):
        found.setdefault(name, []).append((attr, typ))
    return [(name, tuple(attrs)) for name, attrs in found.items()]


def composite_columns(conn: Connection, schema: str, table: str) -> set[str]:
    """Columns of a composite type, or of a domain over one."""
    return {r[0] for r in _rows(conn, f"""
        SELECT a.attname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_type b ON b.oid = t.typbasetype
        WHERE a.attrelid = ({_REL}) AND a.attnum > 0 AND NOT a.attisdropped
          AND (t.typtype = 'c' OR b.typtype = 'c')""", schema=schema, table=table)}


def top_level_tables(conn: Connection, schema: str) -> list[str]:
    """Ordinary and partitioned tables, without the partitions (loaded through the parent)."""
    return sorted(r[0] for r in _rows(conn, """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND """ + _NOT_EXTENSION.format(oid="c.oid"), schema=schema))


def partition_key(conn: Connection, schema: str, table: str) -> str | None:
    rows = _rows(conn, f"SELECT pg_get_partkeydef(oid) FROM ({_REL}) r",
                 schema=schema, table=table)
    return rows[0][0] if rows else None


def partitions(conn: Connection, schema: str, table: str) -> list[tuple[str, str]]:
    """(name, bound) of each direct partition, e.g. `FOR VALUES FROM (...) TO (...)`."""
    return [(r[0], r[1]) for r in _rows(conn, f"""
        SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = ({_REL}) AND c.relispartition ORDER BY c.relname""",
        schema=schema, table=table)]


def inherited_constraints(conn: Connection, schema: str, table: str) -> set[str]:
    """Constraints a partition received from its parent: PostgreSQL creates them itself."""
    return {r[0] for r in _rows(conn, f"""
        SELECT conname FROM pg_constraint
        WHERE conrelid = ({_REL}) AND (conparentid <> 0 OR NOT conislocal)""",
        schema=schema, table=table)}


_IDENT = r'(?:"(?:[^"]|"")*"|[^\s."]+)'
_INDEX_HEAD = re.compile(rf"^CREATE (UNIQUE )?INDEX {_IDENT} ON (ONLY )?{_IDENT}(?:\.{_IDENT})? ")


def index_definitions(conn: Connection, schema: str,
                      table: str) -> dict[str, tuple[str, bool, bool]]:
    """name -> (definition after the table name, attached to a parent's index, unique)."""
    out = {}
    for name, text, attached, unique in _rows(conn, f"""
            SELECT i.relname, pg_get_indexdef(i.oid),
                   EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.oid), x.indisunique
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = ({_REL})""", schema=schema, table=table):
        out[name] = (_INDEX_HEAD.sub("", text, count=1), bool(attached), bool(unique))
    return out


def triggers(conn: Connection, schema: str, table: str) -> tuple[Trigger, ...]:
    rows = _rows(conn, f"""
        SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger
        WHERE tgrelid = ({_REL}) AND NOT tgisinternal AND tgparentid = 0
        ORDER BY tgname""", schema=schema, table=table)
    return tuple(Trigger(name=r[0], definition=r[1]) for r in rows)


def rules(conn: Connection, schema: str, table: str) -> tuple[Trigger, ...]:
    """Rules of a table (not a view's own SELECT rule), as CREATE RULE statements."""
    rows = _rows(conn, f"""
        SELECT rulename, pg_get_ruledef(oid) FROM pg_rewrite
        WHERE ev_class = ({_REL}) AND rulename <> '_RETURN' ORDER BY rulename""",
        schema=schema, table=table)
    return tuple(Trigger(name=r[0], definition=r[1].strip().rstrip(";")) for r in rows)


def domains(inspector: Any, schema: str) -> tuple[DomainType, ...]:
    """Domains of `schema`, qualified by it unless it is the default (search path) one."""
    where = None if schema == inspector.default_schema_name else schema
    return tuple(
        DomainType(name=d["name"], base_type=d["type"], nullable=bool(d["nullable"]),
                   default=d.get("default"),
                   checks=tuple(CheckConstraint(name=c.get("name"), sqltext=c["check"])
                                for c in d.get("constraints") or ()),
                   schema=where)
        for d in inspector.get_domains(schema=schema))


def views(conn: Connection, schema: str) -> tuple[View, ...]:
    """Views and materialized views in creation order (dependencies first)."""
    out = []
    for name, kind, text, comment in _rows(conn, """
            SELECT c.relname, c.relkind, pg_get_viewdef(c.oid),
                   obj_description(c.oid, 'pg_class')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = :schema AND c.relkind IN ('v', 'm')
              AND """ + _NOT_EXTENSION.format(oid="c.oid") + " ORDER BY c.oid", schema=schema):
        indexes: tuple[Index, ...] = ()
        if kind == "m":
            defs = index_definitions(conn, schema, name)
            indexes = tuple(Index(name=n, columns=(), unique=u, definition=d)
                            for n, (d, _, u) in sorted(defs.items()))
        out.append(View(name=name, definition=text.strip().rstrip(";"),
                        materialized=kind == "m", indexes=indexes, comment=comment))
    return tuple(out)


def view_reads(conn: Connection, schema: str) -> dict[str, set[str]]:
    """view -> the schemas of the tables and views it reads."""
    out: dict[str, set[str]] = {}
    for view, other in _rows(conn, """
            SELECT DISTINCT v.relname, tn.nspname FROM pg_class v
            JOIN pg_namespace n ON n.oid = v.relnamespace
            JOIN pg_rewrite r ON r.ev_class = v.oid
            JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
             AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> v.oid
            JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
            WHERE n.nspname = :schema AND v.relkind IN ('v', 'm')""", schema=schema):
        out.setdefault(view, set()).add(other)
    return out


def routines(conn: Connection, schema: str) -> tuple[Routine, ...]:
    """Functions, procedures and aggregates of the schema (not an extension's)."""
    out = []
    for name, kind, text in _rows(conn, """
            SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
                   p.prokind,
                   CASE WHEN p.prokind = 'a' THEN NULL ELSE pg_get_functiondef(p.oid) END
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = :schema AND p.prokind IN ('f', 'p', 'a')
              AND """ + _NOT_EXTENSION.format(oid="p.oid") + " ORDER BY p.prokind = 'a', p.oid",
            schema=schema):
        if kind == "a":
            text = _aggregate(conn, schema, name)
        out.append(Routine(name=name, definition=text.strip()))
    return tuple(out)


def _aggregate(conn: Connection, schema: str, signature: str) -> str:
    row = _rows(conn, """
        SELECT a.aggtransfn::regproc::text, format_type(a.aggtranstype, NULL),
               NULLIF(a.aggfinalfn::oid, 0)::regproc::text, a.agginitval
        FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = :schema
          AND p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' = :sig""",
        schema=schema, sig=signature)[0]
    sfunc, stype, final, init = row
    parts = [f"SFUNC = {sfunc}", f"STYPE = {stype}"]
    if final:
        parts.append(f"FINALFUNC = {final}")
    if init is not None:
        parts.append("INITCOND = '" + init.replace("'", "''") + "'")
    return f"CREATE OR REPLACE AGGREGATE {signature} ({', '.join(parts)})"


def extensions(conn: Connection) -> tuple[str, ...]:
    """Installed extensions other than the built-in plpgsql."""
    return tuple(r[0] for r in _rows(
        conn, "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY extname"))


def column_types(conn: Connection, schema: str, table: str) -> dict[str, str]:
    """column -> its type as PostgreSQL prints it (for types the inspector does not know)."""
    return {r[0]: r[1] for r in _rows(conn, f"""
        SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
        WHERE attrelid = ({_REL}) AND attnum > 0 AND NOT attisdropped""",
        schema=schema, table=table)}


def constraint_details(conn: Connection, schema: str, table: str) -> list[tuple[str, str, bool,
                                                                             bool, str]]:
    """(name, type, deferrable, initially deferred, definition) of UNIQUE and EXCLUDE
    constraints: what the inspector leaves out of them."""
    return [(r[0], r[1], bool(r[2]), bool(r[3]), r[4]) for r in _rows(conn, f"""
        SELECT conname, contype, condeferrable, condeferred, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE conrelid = ({_REL}) AND contype IN ('u', 'x')
        ORDER BY conname""", schema=schema, table=table)]


def refine_constraints(conn: Connection, schema: str, table: Table) -> Table:
    uniques = {u.name: u for u in table.uniques}
    exclusions = []
    for name, kind, deferrable, deferred, text in constraint_details(conn, schema, table.name):
        if kind == "x":
            exclusions.append(CheckConstraint(name=name, sqltext=text))
        elif name in uniques:
            uniques[name] = dataclasses.replace(
                uniques[name], deferrable=deferrable, initially_deferred=deferred,
                nulls_not_distinct="NULLS NOT DISTINCT" in text)
    return dataclasses.replace(table, uniques=tuple(uniques.values()),
                               exclusions=tuple(exclusions))


def inheritance_parents(conn: Connection, schema: str, table: str) -> list[str]:
    """`schema.parent` of each parent of a table that uses (non-partition) INHERITS."""
    return [f"{r[0]}.{r[1]}" for r in _rows(conn, f"""
        SELECT pn.nspname, p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace pn ON pn.oid = p.relnamespace
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhrelid = ({_REL}) AND NOT c.relispartition ORDER BY i.inhseqno""",
        schema=schema, table=table)]


def default_sequence_owner(conn: Connection, schema: str, table: str,
                           column: str) -> tuple[str, str, str] | None:
    """(schema, table, column) owning the sequence the column's default draws from (serial,
    OWNED BY); None when nobody owns it."""
    rows = _rows(conn, f"""
        SELECT n.nspname, t.relname, a.attname
        FROM pg_attrdef ad
        JOIN pg_attribute c ON c.attrelid = ad.adrelid AND c.attnum = ad.adnum
        JOIN pg_depend dd ON dd.classid = 'pg_attrdef'::regclass AND dd.objid = ad.oid
         AND dd.refclassid = 'pg_class'::regclass
        JOIN pg_class q ON q.oid = dd.refobjid AND q.relkind = 'S'
        JOIN pg_depend od ON od.classid = 'pg_class'::regclass AND od.objid = q.oid
         AND od.refclassid = 'pg_class'::regclass AND od.deptype IN ('a', 'i')
        JOIN pg_class t ON t.oid = od.refobjid JOIN pg_namespace n ON n.oid = t.relnamespace
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = od.refobjsubid
        WHERE ad.adrelid = ({_REL}) AND c.attname = :column""",
        schema=schema, table=table, column=column)
    return (rows[0][0], rows[0][1], rows[0][2]) if rows else None


def sequences(conn: Connection, schema: str) -> tuple[SequenceDef, ...]:
    """Sequences of the schema with their options, except identity columns' own."""
    out = []
    for name, dtype, start, low, high, step, cycle, cache in _rows(conn, """
            SELECT s.sequencename, s.data_type::text, s.start_value, s.min_value, s.max_value,
                   s.increment_by, s.cycle, s.cache_size
            FROM pg_sequences s JOIN pg_namespace n ON n.nspname = s.schemaname
            JOIN pg_class c ON c.relname = s.sequencename AND c.relnamespace = n.oid
            WHERE s.schemaname = :schema AND NOT EXISTS (SELECT 1 FROM pg_depend d
                WHERE d.objid = c.oid AND d.deptype IN ('i', 'e'))
            ORDER BY s.sequencename""", schema=schema):
        options = (f"AS {dtype} INCREMENT BY {step} MINVALUE {low} MAXVALUE {high} "
                   f"START WITH {start} CACHE {cache}" + (" CYCLE" if cycle else ""))
        out.append(SequenceDef(name=name, options=options))
    return tuple(out)
