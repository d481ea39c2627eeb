"""PostgreSQL DDL beyond CREATE TABLE: domains, partitions, comments, routines, views, triggers.

`PostgresDialect` calls these; `q` is its identifier quoting and `qualified` its table naming.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from dbclone.schema import CompositeType, DomainType, ForeignKey, Schema, Table, View

Quote = Callable[[str], str]
Qualify = Callable[[Table], str]


def literal(text: str) -> str:
    """A string literal of catalog text, '%' doubled (see `esc`)."""
    return "'" + esc(text).replace("'", "''") + "'"


def esc(text: str) -> str:
    """Catalog text (a CHECK, DEFAULT, type, view, trigger) put into a statement: psycopg,
    the driver dbclone reaches PostgreSQL with, reads '%' as a placeholder (Dialect.sql_text)."""
    return text.replace("%", "%%")


#: Literals that load into PostgreSQL types dbclone has no model of, by type name prefix.
_FALLBACKS = (
    ("inet", "0.0.0.0"), ("cidr", "0.0.0.0/0"), ("macaddr8", "00:00:00:00:00:00:00:00"),
    ("macaddr", "00:00:00:00:00:00"), ("point", "(0,0)"), ("lseg", "[(0,0),(0,1)]"),
    ("line", "{1,-1,0}"), ("box", "(0,0),(1,1)"), ("path", "((0,0),(1,1))"),
    ("polygon", "((0,0),(1,1),(1,0))"), ("circle", "<(0,0),1>"), ("tsvector", ""),
    ("tsquery", "x"), ("xml", "<x/>"), ("money", "0"), ("pg_lsn", "0/0"),
    ("int4range", "empty"), ("int8range", "empty"), ("numrange", "empty"),
    ("tsrange", "empty"), ("tstzrange", "empty"), ("daterange", "empty"),
    ("int4multirange", "{}"), ("int8multirange", "{}"), ("nummultirange", "{}"),
    ("tsmultirange", "{}"), ("tstzmultirange", "{}"), ("datemultirange", "{}"),
    ("hstore", ""), ("ltree", ""), ("oid", "0"),
)


def fallback_literal(sql_type: str) -> str | None:
    """A value of `sql_type` that always loads; None when dbclone knows none."""
    name = sql_type.lower().strip('"')
    bits = re.fullmatch(r"bit\((\d+)\)", name)
    if bits:
        return "0" * int(bits[1])
    if name in ("bit", "bit varying", "varbit") or name.startswith("bit varying"):
        return "0"
    return next((v for prefix, v in _FALLBACKS if name.startswith(prefix)), None)


def try_ddl(statement: str) -> str:
    """Run `statement` (catalog text) if it can run now; a routine whose return type is a
    table that does not exist yet fails here and is created again once the tables exist
    (post_table_ddl)."""
    return (f"DO $dbclone$ BEGIN EXECUTE {literal(statement)}; "
            "EXCEPTION WHEN others THEN NULL; END $dbclone$")


def composite_ddl(q: Quote, composite: CompositeType) -> str:
    """CREATE TYPE ... AS (...), skipped if a type of that name exists (a target's refresh)."""
    name = q(composite.name) if not composite.schema else \
        f"{q(composite.schema)}.{q(composite.name)}"
    attrs = ", ".join(f"{q(a)} {esc(t)}" for a, t in composite.attributes)
    return (f"DO $dbclone$ BEGIN CREATE TYPE {name} AS ({attrs}); "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $dbclone$")


def domain_ddl(q: Quote, domain: DomainType) -> str:
    """CREATE DOMAIN, skipped if a domain of that name exists (the refresh of a target)."""
    name = q(domain.name) if not domain.schema else f"{q(domain.schema)}.{q(domain.name)}"
    sql = f"CREATE DOMAIN {name} AS {esc(domain.base_type)}"
    if domain.default is not None:
        sql += f" DEFAULT {esc(domain.default)}"
    if not domain.nullable:
        sql += " NOT NULL"
    for ck in domain.checks:
        named = f" CONSTRAINT {q(ck.name)}" if ck.name else ""
        sql += f"{named} CHECK ({esc(ck.sqltext)})"
    return f"DO $dbclone$ BEGIN {sql}; EXCEPTION WHEN duplicate_object THEN NULL; END $dbclone$"


def comment_ddl(q: Quote, qualified: Qualify, table: Table) -> list[str]:
    out = []
    if table.comment is not None:
        out.append(f"COMMENT ON TABLE {qualified(table)} IS {literal(table.comment)}")
    out += [f"COMMENT ON COLUMN {qualified(table)}.{q(c.name)} IS {literal(c.comment)}"
            for c in table.columns if c.comment is not None]
    return out


def partition_ddl(q: Quote, qualified: Qualify, parent: Table) -> list[str]:
    """CREATE TABLE ... PARTITION OF for each partition (recursively), with the constraints the
    partition declares itself; what it inherits PostgreSQL creates."""
    out = []
    for part in parent.partitions:
        sub = f" PARTITION BY {esc(part.partition_by)}" if part.partition_by else ""
        out.append(f"CREATE TABLE {qualified(part)} PARTITION OF {qualified(parent)} "
                   f"{esc(part.partition_bound or '')}{sub}")
        for u in part.uniques:
            named = f"CONSTRAINT {q(u.name)} " if u.name else ""
            cols = ", ".join(q(c) for c in u.columns)
            out.append(f"ALTER TABLE {qualified(part)} ADD {named}UNIQUE ({cols})")
        for ck in part.checks:
            named = f"CONSTRAINT {q(ck.name)} " if ck.name else ""
            out.append(f"ALTER TABLE {qualified(part)} ADD {named}CHECK ({esc(ck.sqltext)})")
        out += partition_ddl(q, qualified, part)
        out += comment_ddl(q, qualified, part)
    return out


def walk_partitions(table: Table) -> list[Table]:
    out = []
    for part in table.partitions:
        out.append(part)
        out += walk_partitions(part)
    return out


def same_fk(a: ForeignKey, b: ForeignKey) -> bool:
    """Equal apart from the name and where it is declared."""
    return (dataclasses.replace(a, name=None, on_partitions=False)
            == dataclasses.replace(b, name=None, on_partitions=False))


def lift_partition_fks(table: Table) -> Table:
    """FKs any partition declares become the parent's too (marked `on_partitions`), so the
    plan orders the load and the synthesizer draws valid values for every row of the parent
    (rows are loaded through it and routed to their partition)."""
    lifted: list[ForeignKey] = []
    for part in walk_partitions(table):
        for fk in part.foreign_keys:
            if not any(same_fk(fk, o) for o in [*table.foreign_keys, *lifted]):
                lifted.append(dataclasses.replace(fk, name=None, on_partitions=True))
    return dataclasses.replace(table, foreign_keys=table.foreign_keys + tuple(lifted))


def partition_fks_ddl(add_fk: Callable[[Table, ForeignKey], str], table: Table,
                      fk: ForeignKey) -> str:
    """One statement adding a lifted FK to every partition that declares it."""
    stmts = [add_fk(part, own) for part in walk_partitions(table)
             for own in part.foreign_keys if same_fk(own, fk)]
    return "DO $dbclone$ BEGIN " + "; ".join(stmts) + "; END $dbclone$"


def post_load_ddl(q: Quote, qualified: Qualify, add_fk: Callable[[Table, ForeignKey], str],
                  index_ddl: Callable[[Table, object], str], schema: Schema) -> list[str]:
    """After the rows: partition-only FKs and indexes, views, triggers."""
    out: list[str] = []
    for table in schema.tables:
        lifted = [fk for fk in table.foreign_keys if fk.on_partitions]
        for part in walk_partitions(table):
            out += [add_fk(part, fk) for fk in part.foreign_keys
                    if not any(same_fk(fk, up) for up in lifted)]
            out += [index_ddl(part, i) for i in part.indexes]
    for table in schema.tables:  # after the rows: the synthesizer does not know them yet
        out += [f"ALTER TABLE {qualified(table)} ADD CONSTRAINT {q(x.name or '')} "
                f"{esc(x.sqltext)}" for x in table.exclusions]
    for view in schema.views:
        where = Table(name=view.name, columns=(), schema=view.schema or schema.schema_name)
        name = qualified(where)
        kind = "MATERIALIZED VIEW" if view.materialized else "VIEW"
        if view.materialized and any(i.unique for i in view.indexes):
            out += _unique_matview(name, view, [index_ddl(where, i) for i in view.indexes])
        else:
            out.append(f"CREATE {kind} {name} AS {esc(view.definition)}")
            out += [index_ddl(where, i) for i in view.indexes]
        if view.comment is not None:
            out.append(f"COMMENT ON {kind} {name} IS {literal(view.comment)}")
    for table in schema.tables:
        out += [esc(t.definition) for p in [table, *walk_partitions(table)] for t in p.triggers]
        out += [esc(r.definition) for r in table.rules]
    return out


def _unique_matview(name: str, view: View, indexes: list[str]) -> list[str]:
    """A materialized view with a UNIQUE index, created empty, indexed, then refreshed: the
    synthetic rows of its tables need not keep a uniqueness the source's joins happened to
    have (AdventureWorks' vproductanddescription: 'could not create unique index' failed the
    whole load). Where the refresh breaks the index, the view stays unpopulated (REFRESH
    after fixing the rows fills it), and the run says so (Dialect.load_warnings); the schema
    is whole."""
    body = esc(view.definition.strip().rstrip(";"))
    text = name.replace("'", "''")
    return [f"CREATE MATERIALIZED VIEW {name} AS {body} WITH NO DATA", *indexes,
            f"DO $dbclone$ BEGIN REFRESH MATERIALIZED VIEW {name}; EXCEPTION WHEN "
            f"unique_violation THEN RAISE WARNING USING MESSAGE = 'dbclone: materialized "
            f"view {text} is left unpopulated: the synthetic rows break its unique index ('"
            f" || SQLERRM || ')'; END $dbclone$"]
