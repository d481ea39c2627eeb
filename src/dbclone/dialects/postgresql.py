"""PostgreSQL: schemas, enum types, sequences, transactional DDL and COPY."""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, cast

from psycopg.copy import QueuedLibpqWriter
from sqlalchemy.engine import Connection

from dbclone.dialects import pg_binary, pg_catalog, pg_copy, pg_ddl
from dbclone.dialects.base import Dialect
from dbclone.errors import SchemaError
from dbclone.schema import (
    Column,
    CompositeType,
    DomainType,
    EnumType,
    ForeignKey,
    Index,
    Routine,
    Schema,
    SequenceDef,
    Table,
    View,
)

_NEXTVAL = re.compile(r"nextval\('(?P<seq>[^']+)'(::regclass)?\)")


class PostgresDialect(Dialect):
    name: ClassVar[str] = "postgresql"
    supports_schemas: ClassVar[bool] = True
    pauses_triggers: ClassVar[bool] = True  # ALTER TABLE ... DISABLE TRIGGER, transactional
    batch_rows: ClassVar[int] = 50000
    keys_after_load: ClassVar[bool] = True

    def defers_keys(self, table: Table) -> bool:
        # A partitioned table keeps its keys from the start: its partitions are created
        # against them (and may declare their own).
        return super().defers_keys(table) and not table.partition_by

    def default_schema(self, inspector: Any) -> str | None:
        return str(inspector.default_schema_name)

    def enums(self, inspector: Any, schema: str | None) -> tuple[EnumType, ...]:
        return tuple(EnumType(name=e["name"], values=tuple(e["labels"]), schema=e.get("schema"))
                     for e in inspector.get_enums(schema=schema or "public"))

    def epoch_seconds_sql(self, expr: str) -> str:
        return f"EXTRACT(EPOCH FROM {expr})"

    def begin_read_only(self, conn: Connection) -> None:
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")

    def key_hash(self, columns: Sequence[str]) -> str | None:
        return f"(hashtextextended(concat_ws('|', {', '.join(columns)}), 0) & 4294967295)"

    def stream_cursor(self, conn: Connection) -> Any:
        raw = conn.connection.dbapi_connection
        return raw.cursor(name="dbclone_read")  # type: ignore[union-attr]  # server-side

    # -- structure beyond the inspector (see pg_catalog / pg_ddl) ---------------------------
    def kind_of(self, sa_type: Any) -> str:
        from sqlalchemy.dialects.postgresql import DOMAIN, INTERVAL

        if isinstance(sa_type, DOMAIN):
            return self.kind_of(sa_type.data_type)
        if isinstance(sa_type, INTERVAL):
            return "interval"
        return super().kind_of(sa_type)

    def read_schemas(self, conn: Connection, wanted: tuple[str, ...]) -> list[str | None]:
        """Every schema but the system ones and those an extension owns, as pg_dump reads a
        database, or those matching `wanted` (names or glob patterns: `sales`, `hr_*`)."""
        names = pg_catalog.user_schemas(conn)
        if not wanted:
            return list(names)
        missing = [w for w in wanted if not any(fnmatch.fnmatchcase(n, w) for n in names)]
        if missing:
            raise SchemaError(f"no schema named like {missing[0]!r} in the database; its "
                              f"schemas are {', '.join(names) or 'none'}")
        return [n for n in names if any(fnmatch.fnmatchcase(n, w) for w in wanted)]

    def _schema_of(self, conn: Connection, schema: str | None) -> str:
        return schema or str(conn.exec_driver_sql("SELECT current_schema()").scalar())

    def user_tables(self, conn: Connection, schema: str | None) -> list[str]:
        return pg_catalog.top_level_tables(conn, self._schema_of(conn, schema))

    def refine_table(self, conn: Connection, table: Table,
                     read: Callable[[str], Table]) -> Table:
        # A top-level table's borrowed sequences only: a partition's columns are its
        # parent's, created by PARTITION OF.
        table = self._refine(conn, table, read)
        return _borrowed_sequences(conn, self._schema_of(conn, table.schema), table)

    def _refine(self, conn: Connection, table: Table, read: Callable[[str], Table]) -> Table:
        schema = self._schema_of(conn, table.schema)
        if any(c.sql_type == "NULL" for c in table.columns):  # a type the inspector lacks
            types = pg_catalog.column_types(conn, schema, table.name)
            table = dataclasses.replace(table, columns=tuple(
                # catalog text, '%' doubled as in the types SQLAlchemy compiles
                dataclasses.replace(c, sql_type=pg_ddl.esc(types.get(c.name, c.sql_type)))
                if c.sql_type == "NULL" else c for c in table.columns))
        composite = pg_catalog.composite_columns(conn, schema, table.name)
        if composite:  # a record, whatever SQLAlchemy took it for: no kind of the copula
            table = dataclasses.replace(table, columns=tuple(
                dataclasses.replace(c, kind="other") if c.name in composite else c
                for c in table.columns))
        table = dataclasses.replace(table, columns=tuple(  # for NOT NULL types without a model
            dataclasses.replace(c, fallback=pg_ddl.fallback_literal(c.sql_type))
            if c.kind == "other" and not c.nullable else c for c in table.columns))
        table = dataclasses.replace(
            table, inherits=tuple(pg_catalog.inheritance_parents(conn, schema, table.name)))
        defs = pg_catalog.index_definitions(conn, schema, table.name)
        indexes = tuple(dataclasses.replace(i, definition=defs[i.name][0])
                        for i in table.indexes if i.name in defs and not defs[i.name][1])
        table = pg_catalog.refine_constraints(conn, schema, table)
        key = pg_catalog.partition_key(conn, schema, table.name)
        table = dataclasses.replace(table, indexes=indexes, partition_by=key,
                                    triggers=pg_catalog.triggers(conn, schema, table.name),
                                    rules=pg_catalog.rules(conn, schema, table.name))
        if not key:
            return table
        parts = []
        for name, bound in pg_catalog.partitions(conn, schema, table.name):
            part = self._refine(conn, read(name), read)
            inherited = pg_catalog.inherited_constraints(conn, schema, name)
            parts.append(dataclasses.replace(
                part, partition_bound=bound,
                foreign_keys=tuple(f for f in part.foreign_keys if f.name not in inherited),
                checks=tuple(c for c in part.checks if c.name not in inherited),
                uniques=tuple(u for u in part.uniques if u.name not in inherited)))
        return pg_ddl.lift_partition_fks(dataclasses.replace(table, partitions=tuple(parts)))

    def domains(self, conn: Connection, inspector: Any,
                schema: str | None) -> tuple[DomainType, ...]:
        return pg_catalog.domains(inspector, self._schema_of(conn, schema))

    def view_reads(self, conn: Connection, schema: str | None) -> dict[str, set[str]]:
        return pg_catalog.view_reads(conn, self._schema_of(conn, schema))

    def composites(self, conn: Connection, schema: str | None) -> tuple[CompositeType, ...]:
        name = self._schema_of(conn, schema)
        where = None if schema is None else name
        return tuple(CompositeType(name=n, attributes=attrs, schema=where)
                     for n, attrs in pg_catalog.composites(conn, name))

    def views(self, conn: Connection, schema: str | None) -> tuple[View, ...]:
        return pg_catalog.views(conn, self._schema_of(conn, schema))

    def routines(self, conn: Connection, schema: str | None) -> tuple[Routine, ...]:
        return pg_catalog.routines(conn, self._schema_of(conn, schema))

    def extensions(self, conn: Connection) -> tuple[str, ...]:
        return pg_catalog.extensions(conn)

    def sequences(self, conn: Connection, schema: str | None) -> tuple[SequenceDef, ...]:
        return pg_catalog.sequences(conn, self._schema_of(conn, schema))

    def rows_of(self, table: Table) -> str:
        # A parent's own rows, not its inheritance children's; a partitioned table's rows
        # are its partitions'.
        return self.qualified(table) if table.partition_by else f"ONLY {self.qualified(table)}"

    def inherits_key(self, schema: str, key: Callable[[str, str], str],
                     table: Table) -> Table:
        """Parents named `schema.table` by the catalog, renamed to the keys of the read."""
        return dataclasses.replace(table, inherits=tuple(
            key(*p.split(".", 1)) for p in table.inherits))

    def table_options(self, table: Table) -> str:
        parents = ", ".join(self.qualified(Table(p, (), schema=_schema_of_key(p, table)))
                            for p in table.inherits)
        sql = f" INHERITS ({parents})" if parents else ""
        return sql + (f" PARTITION BY {pg_ddl.esc(table.partition_by)}"
                      if table.partition_by else "")

    def comment_ddl(self, table: Table) -> list[str]:
        return pg_ddl.comment_ddl(self.quote, self.qualified, table)

    def post_table_ddl(self, schema: Schema) -> list[str]:
        stmts = super().post_table_ddl(schema)
        for table in schema.tables:
            stmts += pg_ddl.partition_ddl(self.quote, self.qualified, table)
        if schema.routines:
            stmts.append("SET LOCAL check_function_bodies = off")
            stmts += [pg_ddl.esc(r.definition) for r in schema.routines]
        return stmts

    def post_load_ddl(self, schema: Schema) -> list[str]:
        return pg_ddl.post_load_ddl(self.quote, self.qualified, super().add_fk_ddl,
                                    self._index_ddl, schema)

    def load_warnings(self, conn: Connection, schema: Schema) -> list[str]:
        """A materialized view whose UNIQUE index the synthetic rows break is left unpopulated
        by post_load_ddl (its refresh fails): said here, so the run says it, not only the
        server's notice that nobody reads."""
        out = []
        for view in schema.views:
            if not (view.materialized and any(i.unique for i in view.indexes)):
                continue
            name = self.qualified(Table(view.name, (), schema=view.schema or schema.schema_name))
            if conn.exec_driver_sql("SELECT relispopulated FROM pg_class WHERE oid = "
                                    "%s::regclass", (name,)).scalar():
                continue
            keys = ", ".join(i.name or "?" for i in view.indexes if i.unique)
            out.append(f"materialized view {name} is left unpopulated: the synthetic rows break "
                       f"its unique index {keys}; the tables are complete. To fill it, make the "
                       f"rows keep that uniqueness (or drop the index) and run REFRESH "
                       f"MATERIALIZED VIEW {name}")
        return out

    def _index_ddl(self, table: Table, index: object) -> str:
        assert isinstance(index, Index)
        return self.create_index_ddl(table, index)

    def add_fk_ddl(self, table: Table, fk: ForeignKey) -> str:
        if fk.on_partitions:
            return pg_ddl.partition_fks_ddl(super().add_fk_ddl, table, fk)
        return super().add_fk_ddl(table, fk)

    def set_fks_aside(self, conn: Connection, schema: Schema) -> list[str]:
        """The FKs of the tables to fill are dropped inside the load's transaction and added
        again after the rows (PostgreSQL checks them then), their enabled triggers switched
        off and on again: what other sessions see is the commit, FKs and triggers included."""
        put_back = []
        for table in schema.tables:
            name = self.qualified(table)
            for fk, text in conn.exec_driver_sql(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE contype = 'f' AND conrelid = %s::regclass ORDER BY conname",
                    (name,)).fetchall():
                conn.exec_driver_sql(f"ALTER TABLE {name} DROP CONSTRAINT {self.quote(fk)}")
                put_back.append(f"ALTER TABLE {name} ADD CONSTRAINT {self.quote(fk)} {text}")
            # The application's triggers (audit, routing) are not for generated rows; the
            # clone path creates them after the rows, this one switches them off meanwhile.
            for (trigger,) in conn.exec_driver_sql(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
                    "AND NOT tgisinternal AND tgenabled <> 'D' ORDER BY tgname", (name,)):
                conn.exec_driver_sql(f"ALTER TABLE {name} DISABLE TRIGGER {self.quote(trigger)}")
                put_back.append(f"ALTER TABLE {name} ENABLE TRIGGER {self.quote(trigger)}")
        return put_back

    def lock_load(self, conn: Connection) -> bool:
        # Advisory locks are per database; the transaction-level one is released by the
        # commit or rollback, and by the server when the client dies.
        return bool(conn.exec_driver_sql(
            "SELECT pg_try_advisory_xact_lock(hashtext('dbclone.load'))").scalar())

    def sequence_problems(self, conn: Connection, table: Table) -> list[str]:
        out = []
        for col in table.columns:
            seq_sql = self._sequence_of(table, col)
            if seq_sql is None:
                continue
            seq = conn.exec_driver_sql(f"SELECT {seq_sql}::text").scalar()
            if seq is None:
                out.append(f"{table.name}.{col.name}: no sequence owned by the column")
                continue
            last, called = conn.exec_driver_sql(f"SELECT last_value, is_called FROM {seq}").one()
            top = conn.exec_driver_sql(
                f"SELECT MAX({self.quote(col.name)}) FROM {self.qualified(table)}").scalar()
            if top is not None and last + (1 if called else 0) <= top:
                out.append(f"{table.name}.{col.name}: sequence {seq} would hand out {last}, "
                           f"but the column already holds up to {top}")
        return out

    def _sequence_of(self, table: Table, col: Column) -> str | None:
        """SQL naming the sequence the column draws from: its own (serial, identity), or
        one it shares with other tables through its default (an inheritance child, or
        unrelated tables numbered by one sequence); None when it draws from none."""
        if col.sequence or col.identity:
            tname = self.qualified(table).replace("'", "''")
            return f"pg_get_serial_sequence('{tname}', '{col.name.replace(chr(39), chr(39) * 2)}')"
        found = _NEXTVAL.search(col.default or "")
        return f"'{found['seq'].replace(chr(39), chr(39) * 2)}'::regclass" if found else None

    def column_extras(self, info: dict[str, Any], table: str) -> dict[str, Any]:
        extras: dict[str, Any] = {}
        default = info.get("default")
        match = _NEXTVAL.search(default or "")
        if match:
            extras["sequence"] = match["seq"].strip('"')
            extras["autoincrement"] = True
        ident = info.get("identity")
        if ident:
            extras["identity"] = "always" if ident.get("always") else "by default"
            extras["identity_options"] = (
                f"START WITH {ident.get('start')} INCREMENT BY {ident.get('increment')} "
                f"MINVALUE {ident.get('minvalue')} MAXVALUE {ident.get('maxvalue')} "
                f"CACHE {ident.get('cache')}" + (" CYCLE" if ident.get("cycle") else ""))
            extras["autoincrement"] = True
        return extras

    def column_ddl(self, col: Column) -> str:
        sql = super().column_ddl(col)
        if col.sequence:
            seq = col.sequence.replace("'", "''")
            sql += f" DEFAULT nextval('{seq}'::regclass)"
        if col.identity:
            sql += f" GENERATED {col.identity.upper()} AS IDENTITY"
            if col.identity_options:
                sql += f" ({pg_ddl.esc(col.identity_options)})"
        return sql

    def pre_table_ddl(self, schema: Schema) -> list[str]:
        stmts = [f"CREATE EXTENSION IF NOT EXISTS {self.quote(e)}" for e in schema.extensions]
        stmts += [f"CREATE SCHEMA IF NOT EXISTS {self.quote(s)}" for s in _schemas(schema)]
        for enum in schema.enums:
            name = self.quote(enum.name)
            if enum.schema:
                name = f"{self.quote(enum.schema)}.{name}"
            values = ", ".join(pg_ddl.literal(v) for v in enum.values)
            stmts.append(f"DO $$ BEGIN CREATE TYPE {name} AS ENUM ({values}); "
                         "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        stmts += [pg_ddl.composite_ddl(self.quote, c) for c in schema.composites]
        stmts += [f"CREATE SEQUENCE IF NOT EXISTS "
                  f"{self.qualified(Table(s.name, (), schema=s.schema or schema.schema_name))} "
                  f"{pg_ddl.esc(s.options)}" for s in schema.sequences]
        if schema.routines:  # early, for defaults, CHECKs and domains that call them
            stmts.append("SET LOCAL check_function_bodies = off")
            stmts += [pg_ddl.try_ddl(r.definition) for r in schema.routines]
        stmts += [pg_ddl.domain_ddl(self.quote, d) for d in schema.domains]
        for table in schema.tables:
            for col in table.columns:
                if col.sequence:
                    stmts.append(f"CREATE SEQUENCE IF NOT EXISTS {self._seq_name(table, col)}")
        return stmts

    def _seq_name(self, table: Table, col: Column) -> str:
        assert col.sequence
        if "." in col.sequence:
            return col.sequence
        if table.schema:
            return f"{self.quote(table.schema)}.{self.quote(col.sequence)}"
        return self.quote(col.sequence)

    def drop_view_ddl(self, view: View, schema: str | None) -> str:
        kind = "MATERIALIZED VIEW" if view.materialized else "VIEW"
        name = self.qualified(Table(view.name, (), schema=schema))
        return f"DROP {kind} IF EXISTS {name} CASCADE"

    def drop_table_ddl(self, table: Table) -> str:
        return f"DROP TABLE IF EXISTS {self.qualified(table)} CASCADE"

    def bulk_insert(self, conn: Connection, table: Table, columns: Sequence[str],
                    rows: list[tuple[Any, ...]]) -> None:
        """COPY in text format, a buffer of rows per write, not one Python call per row."""
        if not rows:
            return
        sql = self.raw(f"COPY {self.qualified(table)} ({self._cols(columns)}) FROM STDIN")
        cursor = conn.connection.cursor()
        try:
            with cursor.copy(sql) as copy:
                for start in range(0, len(rows), self.batch_rows):
                    copy.write(pg_copy.encode_rows(rows[start:start + self.batch_rows]))
        finally:
            cursor.close()

    def bulk_insert_columns(self, conn: Connection, table: Table, columns: Sequence[str],
                            values: list[list[Any]]) -> None:
        """One COPY per batch: binary rows formatted by psycopg in C when every column and
        value allows it, else text encoded in chunks; a writer thread sends while the next
        rows are formatted, so formatting overlaps the server's work."""
        if not values or not values[0]:
            return
        # a raw cursor formats nothing: the names' doubled '%' single again
        sql = self.raw(f"COPY {self.qualified(table)} ({self._cols(columns)}) FROM STDIN")
        cursor = cast(Any, conn.connection.cursor())
        try:
            types = pg_copy.column_types(cursor, self.raw(self.qualified(table)), columns)
            binary = types is not None and pg_copy.binary_ok(types, values)
            with cursor.copy(sql + (" (FORMAT BINARY)" if binary else ""),
                             writer=QueuedLibpqWriter(cursor)) as copy:
                if binary:
                    assert types is not None
                    copy.set_types(types)
                    copy_binary(copy, types, values)
                    return
                for start in range(0, len(values[0]), pg_copy.CHUNK_ROWS):
                    stop = start + pg_copy.CHUNK_ROWS
                    copy.write(pg_copy.encode_columns([v[start:stop] for v in values]))
        finally:
            cursor.close()

    def reset_sequence_sql(self, table: Table) -> list[str]:
        stmts = []
        for col in table.columns:
            seq = self._sequence_of(table, col)
            if seq is None:
                continue
            qcol = self.quote(col.name)
            # Never moved back: a sequence several tables draw from is already past the
            # keys of the tables loaded before this one.
            stmts.append(
                f"SELECT setval({seq}, GREATEST(COALESCE((SELECT MAX({qcol}) FROM "
                f"{self.qualified(table)}), 0) + 1, nextval({seq})), false)")
            if col.sequence:
                stmts.insert(0, f"ALTER SEQUENCE {self._seq_name(table, col)} OWNED BY "
                                f"{self.qualified(table)}.{qcol}")
        return stmts


def _schema_of_key(key: str, child: Table) -> str | None:
    """The schema of a parent table named by key: `schema.table` outside the home schema."""
    if "." in key and not (child.schema and key.startswith(child.schema + ".")):
        return key.split(".", 1)[0]
    return child.schema if "." in key else None


def _borrowed_sequences(conn: Connection, schema: str, table: Table) -> Table:
    """A column whose default draws from a sequence another table's column owns (the
    inheritance child's id, numbered by its parent's serial) keeps that default as it is:
    the sequence is the owner's to create, move past the loaded keys and verify."""
    cols = []
    for col in table.columns:
        owner = pg_catalog.default_sequence_owner(conn, schema, table.name, col.name) \
            if col.sequence else None
        if owner is not None and owner != (schema, table.name, col.name):
            seq = col.sequence.replace("'", "''") if col.sequence else ""
            col = dataclasses.replace(col, sequence=None, default=f"nextval('{seq}'::regclass)")
        cols.append(col)
    return dataclasses.replace(table, columns=tuple(cols))


def _schemas(schema: Schema) -> list[str]:
    """Every schema the clone puts something in (other than the search path's)."""
    found = {t.schema for t in schema.tables} | {v.schema for v in schema.views}
    found |= {e.schema for e in schema.enums} | {d.schema for d in schema.domains}
    found |= {s.schema for s in schema.sequences} | {schema.schema_name}
    found |= {c.schema for c in schema.composites}
    return sorted(s for s in found if s)


def copy_binary(copy: Any, types: list[str], values: list[list[Any]]) -> None:
    """Binary rows, assembled a chunk at a time with numpy (pg_binary) while the writer thread
    sends the previous chunk; a chunk numpy cannot assemble goes through psycopg's write_row
    (which then ends the data itself)."""
    by_rows = False
    for start in range(0, len(values[0]), pg_copy.CHUNK_ROWS):
        chunk = [v[start:start + pg_copy.CHUNK_ROWS] for v in values]
        data = pg_binary.encode(types, chunk)
        if data is None:
            for row in zip(*chunk, strict=True):
                copy.write_row(row)  # sends the signature first if nothing was sent yet
            by_rows = True
        else:
            copy.write(data if start or by_rows else pg_binary.HEADER + data)
    if not by_rows:
        copy.write(pg_binary.TRAILER)
