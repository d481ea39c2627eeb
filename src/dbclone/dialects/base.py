"""What every dialect shares; subclasses override only what differs.

Class-level flags document behaviour the stages rely on, so no stage ever asks
``if dialect == ...``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.sqltypes import _Binary

from dbclone.errors import UsageError
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

_KIND_BY_CLASS: tuple[tuple[type, str], ...] = (
    (sa.Boolean, "boolean"),
    (sa.Enum, "enum"),
    (sa.Integer, "integer"),
    (sa.Float, "float"),
    (sa.Numeric, "decimal"),
    (sa.DateTime, "datetime"),
    (sa.Date, "date"),
    (sa.Time, "time"),
    (sa.Interval, "interval"),
    (sa.Uuid, "uuid"),
    (sa.JSON, "json"),
    (sa.ARRAY, "array"),
    (sa.LargeBinary, "binary"),
    (_Binary, "binary"),
    (sa.Text, "text"),
    (sa.String, "string"),
)


class Dialect:
    """Generic SQL behaviour; the defaults suit SQLite-like engines."""

    #: Short name used in messages and the model file.
    name: ClassVar[str] = "generic"
    #: Table DDL and data can be rolled back in one transaction.
    transactional_ddl: ClassVar[bool] = True
    #: Foreign keys may be added with ALTER TABLE after the data is in (faster, and cycles need
    #: no NULL-then-UPDATE pass). When False, FKs are declared in CREATE TABLE.
    constraints_after_load: ClassVar[bool] = True
    #: The dialect has named schemas inside one database (PostgreSQL).
    supports_schemas: ClassVar[bool] = False
    #: A table's triggers can be switched off inside the load's transaction
    #: (`--into-existing`): where they cannot (MariaDB, SQLite), a target table with triggers
    #: is refused up front, since they would fire on the generated rows.
    pauses_triggers: ClassVar[bool] = False
    #: Rows per batch for bulk inserts.
    batch_rows: ClassVar[int] = 5000
    #: How a load stays all-or-nothing: "transaction" (one transaction in the target) or
    #: "staging_database" (built in a side database, swapped in with one atomic rename).
    load_via: ClassVar[str] = "transaction"
    #: The database is one file (SQLite): a new target is built beside it and linked in.
    single_file: ClassVar[bool] = False
    #: FK constraints are checked by the database during the load (else dbclone counts
    #: orphans itself after the load).
    checks_fks_on_load: ClassVar[bool] = True
    #: Primary keys and UNIQUE constraints are added once the rows are in: one index build
    #: each instead of maintaining the index row by row (pg_restore does the same).
    keys_after_load: ClassVar[bool] = False

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sa_dialect = engine.dialect

    # -- naming -------------------------------------------------------------------------
    def quote(self, name: str) -> str:
        return str(self.sa_dialect.identifier_preparer.quote(name))

    def sql_text(self, text: str) -> str:
        """Text read from the catalog (a type, CHECK, DEFAULT, index or view definition,
        trigger, comment) put into a statement the driver formats: '%' doubled where the
        driver reads '%' as a placeholder, as `quote` doubles it in names (PostgreSQL and
        MariaDB: a CHECK with LIKE 'a%' failed the load with a placeholder error)."""
        return text.replace("%", "%%") if self._doubles_percent else text

    def raw(self, sql: str) -> str:
        """A statement made of `quote`d names for what the driver does not format (COPY, a
        name passed as a value): the '%' that `quote` doubled, single again."""
        return sql.replace("%%", "%") if self._doubles_percent else sql

    @property
    def _doubles_percent(self) -> bool:
        return bool(getattr(self.sa_dialect.identifier_preparer, "_double_percents", False))

    def qualified(self, table: Table) -> str:
        if table.schema and self.supports_schemas:
            return f"{self.quote(table.schema)}.{self.quote(table.local_name)}"
        return self.quote(table.name)  # `schema.table` is the table's name where none exist

    # -- introspection hooks --------------------------------------------------------------
    def kind_of(self, sa_type: Any) -> str:
        for cls, kind in _KIND_BY_CLASS:
            if isinstance(sa_type, cls):
                return kind
        return "other"

    def default_schema(self, inspector: Any) -> str | None:
        return None

    def read_schemas(self, conn: Connection, wanted: tuple[str, ...]) -> list[str | None]:
        """The schemas `--schema` selects (None: the connection's own). Only dialects with
        schemas inside a database take several, or patterns."""
        if len(wanted) > 1:
            raise UsageError(f"{self.name} reads one database at a time; give --schema once")
        return [wanted[0] if wanted else None]

    def reflected(self, what: str, value: Any) -> Any:
        """The inspector's answer `get_<what>` for one table, corrected where the dialect's
        reflection is known to be wrong (MySQL: identifiers left escaped)."""
        return value

    def enums(self, inspector: Any, schema: str | None) -> tuple[EnumType, ...]:
        return ()

    def column_extras(self, info: dict[str, Any], table: str) -> dict[str, Any]:
        """Dialect-specific column facts (sequences, identity, unsigned ...)."""
        return {}

    def user_tables(self, conn: Connection, schema: str | None) -> list[str]:
        return sorted(sa.inspect(conn).get_table_names(schema=schema))

    def refine_table(self, conn: Connection, table: Table,
                     read: Callable[[str], Table]) -> Table:
        """Add what the inspector does not reflect (index definitions, partitions, triggers,
        storage options). `read(name)` reads another table of the same schema."""
        return table

    def domains(self, conn: Connection, inspector: Any,
                schema: str | None) -> tuple[DomainType, ...]:
        return ()

    def views(self, conn: Connection, schema: str | None) -> tuple[View, ...]:
        return ()

    def composites(self, conn: Connection, schema: str | None) -> tuple[CompositeType, ...]:
        return ()

    def view_reads(self, conn: Connection, schema: str | None) -> dict[str, set[str]]:
        """view -> the schemas whose tables or views it reads (dialects with schemas)."""
        return {}

    def routines(self, conn: Connection, schema: str | None) -> tuple[Routine, ...]:
        return ()

    def extensions(self, conn: Connection) -> tuple[str, ...]:
        return ()

    def sequences(self, conn: Connection, schema: str | None) -> tuple[SequenceDef, ...]:
        return ()

    def rows_of(self, table: Table) -> str:
        """What a query reads `table`'s own rows from (PostgreSQL: `ONLY t`, without the rows
        of the tables that inherit it)."""
        return self.qualified(table)

    def inherits_key(self, schema: str, key: Callable[[str, str], str],
                     table: Table) -> Table:
        """`table` with its inheritance parents named by `key(schema, local name)`."""
        return table

    def table_warnings(self, conn: Connection, table: Table) -> list[str]:
        """Structure of `table` that dbclone reads but does not recreate, one line each."""
        return []

    # -- DDL ----------------------------------------------------------------------------
    def column_ddl(self, col: Column) -> str:
        # sql_type as SQLAlchemy compiles it for the driver: a '%' in it is doubled already
        parts = [self.quote(col.name), col.sql_type]
        if col.computed:
            parts.append(f"GENERATED ALWAYS AS ({self.sql_text(col.computed)})")
            if col.persisted is not None:
                parts.append("STORED" if col.persisted else "VIRTUAL")
        if col.default is not None and not col.computed:
            parts.append(f"DEFAULT {self.sql_text(col.default)}")
        if not col.nullable:
            parts.append("NOT NULL")
        return " ".join(parts)

    def create_table_ddl(self, table: Table, with_fks: bool, with_keys: bool = True) -> str:
        lines = [self.column_ddl(c) for c in table.columns]
        if with_keys:
            lines += self._key_clauses(table) + self._check_clauses(table)
        if with_fks:
            lines += [self.fk_clause(table, fk) for fk in table.foreign_keys
                      if not fk.on_partitions]
        body = ",\n  ".join(lines)
        return f"CREATE TABLE {self.qualified(table)} (\n  {body}\n){self.table_options(table)}"

    def _key_clauses(self, table: Table) -> list[str]:
        lines = []
        if table.primary_key:
            lines.append(f"PRIMARY KEY ({self._cols(table.primary_key)})")
        for u in table.uniques:
            nulls = "NULLS NOT DISTINCT " if u.nulls_not_distinct else ""
            defer = (" DEFERRABLE" + (" INITIALLY DEFERRED" if u.initially_deferred else "")
                     if u.deferrable else "")
            lines.append(f"{self._name(u.name)}UNIQUE {nulls}({self._cols(u.columns)}){defer}")
        return lines

    def _check_clauses(self, table: Table) -> list[str]:
        return [f"{self._name(ck.name)}CHECK ({self.sql_text(ck.sqltext)})"
                for ck in table.checks]

    def defers_keys(self, table: Table) -> bool:
        """Whether `table` is created without its primary key, UNIQUE and CHECK constraints,
        which `add_keys_ddl` adds after the rows (see `keys_after_load`)."""
        return self.keys_after_load and bool(table.primary_key or table.uniques or table.checks)

    def add_keys_ddl(self, table: Table) -> str:
        """The primary key, UNIQUE and CHECK constraints of a table created without them, in
        one ALTER TABLE: PostgreSQL builds each key's index once and checks every CHECK in a
        single scan of the table."""
        adds = ", ".join(f"ADD {clause}"
                         for clause in self._key_clauses(table) + self._check_clauses(table))
        return f"ALTER TABLE {self.qualified(table)} {adds}"

    def table_options(self, table: Table) -> str:
        return ""

    def fk_clause(self, table: Table, fk: ForeignKey) -> str:
        ref_schema = fk.ref_schema or table.schema
        ref = Table(name=fk.ref_table, columns=(), schema=ref_schema)
        sql = (f"{self._name(fk.name)}FOREIGN KEY ({self._cols(fk.columns)}) "
               f"REFERENCES {self.qualified(ref)} ({self._cols(fk.ref_columns)})")
        if fk.on_delete:
            sql += f" ON DELETE {fk.on_delete}"
        if fk.on_update:
            sql += f" ON UPDATE {fk.on_update}"
        if fk.deferrable:
            sql += " DEFERRABLE"
            if fk.initially_deferred:
                sql += " INITIALLY DEFERRED"
        return sql

    def add_fk_ddl(self, table: Table, fk: ForeignKey) -> str:
        return f"ALTER TABLE {self.qualified(table)} ADD {self.fk_clause(table, fk)}"

    def create_index_ddl(self, table: Table | View, index: Index) -> str:
        unique = "UNIQUE " if index.unique else ""
        name = self.quote(index.name or f"ix_{table.name}_{'_'.join(index.columns)}")
        target = self.qualified(Table(name=table.name, columns=(),
                                      schema=getattr(table, "schema", None)))
        if index.definition:
            return f"CREATE {unique}INDEX {name} ON {target} {self.sql_text(index.definition)}"
        where = f" WHERE {self.sql_text(index.where)}" if index.where else ""
        return f"CREATE {unique}INDEX {name} ON {target} ({self._cols(index.columns)}){where}"

    def pre_table_ddl(self, schema: Schema) -> list[str]:
        """Statements needed before any table (schemas, enum types, domains, sequences)."""
        return []

    def post_table_ddl(self, schema: Schema) -> list[str]:
        """Statements run once every table exists, before the rows: comments, partitions,
        functions."""
        return [stmt for t in schema.tables for stmt in self.comment_ddl(t)]

    def post_load_ddl(self, schema: Schema) -> list[str]:
        """Statements run after the rows, indexes and FKs: views, triggers."""
        return []

    def comment_ddl(self, table: Table) -> list[str]:
        """Comments not already inside CREATE TABLE (none by default: SQLite has none)."""
        return []

    def drop_table_ddl(self, table: Table) -> str:
        return f"DROP TABLE IF EXISTS {self.qualified(table)}"

    def drop_view_ddl(self, view: View, schema: str | None) -> str:
        """Drop a view found in the target (for --replace), before its tables."""
        return f"DROP VIEW IF EXISTS {self.qualified(Table(view.name, (), schema=schema))}"

    def drop_existing(self, conn: Connection, name: str, schema: str | None) -> None:
        """Drop a table found in the target (for --replace)."""
        conn.exec_driver_sql(self.drop_table_ddl(Table(name=name, columns=(), schema=schema)))

    def param(self) -> str:
        """The DBAPI placeholder of this driver."""
        return "?" if self.sa_dialect.paramstyle == "qmark" else "%s"

    def _cols(self, cols: Iterable[str]) -> str:
        return ", ".join(self.quote(c) for c in cols)

    def _name(self, name: str | None) -> str:
        return f"CONSTRAINT {self.quote(name)} " if name else ""

    # -- loading ------------------------------------------------------------------------
    def bulk_insert(self, conn: Connection, table: Table, columns: Sequence[str],
                    rows: list[tuple[Any, ...]]) -> None:
        """Insert many rows; the default is a multi-row executemany in the open transaction."""
        if not rows:
            return
        marks = ", ".join([self.param()] * len(columns))
        sql = f"INSERT INTO {self.qualified(table)} ({self._cols(columns)}) VALUES ({marks})"
        cursor = conn.connection.cursor()
        try:
            for start in range(0, len(rows), self.batch_rows):
                cursor.executemany(sql, rows[start:start + self.batch_rows])
        finally:
            cursor.close()

    def load_engine(self, engine: Engine) -> Engine:
        """The engine for the loading connection (MySQL turns on LOAD DATA LOCAL INFILE)."""
        return engine

    def bulk_insert_columns(self, conn: Connection, table: Table, columns: Sequence[str],
                            values: list[list[Any]]) -> None:
        """Insert rows given column by column (values[i] holds column i); dialects whose bulk
        path is columnar override this to skip building row tuples."""
        self.bulk_insert(conn, table, columns, list(zip(*values, strict=True)))

    def reset_sequence_sql(self, table: Table) -> list[str]:
        """Statements that move sequences / counters past the loaded keys."""
        return []

    def epoch_seconds_sql(self, expr: str) -> str:
        """SQL for a date or timestamp expression as seconds since 1970-01-01 (UTC for naive
        values), so the report can average dates inside the database."""
        return f"((julianday({expr}) - 2440587.5) * 86400.0)"

    def begin_read_only(self, conn: Connection) -> None:
        """Make the connection's transaction read-only, so a bug can never write the source."""
        conn.exec_driver_sql("PRAGMA query_only = ON")

    def key_hash(self, columns: Sequence[str]) -> str | None:
        """An SQL expression hashing the (quoted) key columns' text joined by '|' to an integer
        in [0, 2**32), the same for equal key text in any table (so a parent and its children
        hash alike); None where the engine has no such function and the rows are hashed
        as they stream in (`source.key_hash`)."""
        return None

    def stream_cursor(self, conn: Connection) -> Any:
        """A DB-API cursor on `conn`'s own connection (inside its transaction) that brings
        rows from the server as they are fetched, as plain tuples (no SQLAlchemy rows)."""
        return conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]

    def prepare_load(self, conn: Connection) -> None:
        """Session settings for a bulk load (run inside the load transaction)."""

    def prepare_session(self, conn: Connection) -> None:
        """Session settings that must be made before the load transaction begins."""

    def prepare_new_file(self, conn: Connection) -> None:
        """Settings for a database built in a new file that replaces nothing until complete."""

    def lock_load(self, conn: Connection) -> bool:
        """Take the target's load lock (first statement of the load transaction, or on the
        session for staged loads); False when another load holds it."""
        return True

    def unlock_load(self, conn: Connection) -> None:
        """Release a session-level load lock (transaction-level locks need nothing)."""

    # Staged loads (load_via = "staging_database") build in a side database and swap it in.
    def staging_name(self, db: str, token: str) -> tuple[str, str]:
        raise NotImplementedError(f"{self.name} loads in one transaction, not through staging")

    def staging_databases(self, conn: Connection, db: str) -> list[str]:
        raise NotImplementedError(f"{self.name} loads in one transaction, not through staging")

    def create_database_sql(self, conn: Connection, db: str, name: str) -> str:
        raise NotImplementedError(f"{self.name} loads in one transaction, not through staging")

    def swap_sql(self, db: str, staging: str, trash: str, old: list[str], new: list[str],
                 parked: dict[str, str] | None = None) -> str:
        raise NotImplementedError(f"{self.name} loads in one transaction, not through staging")

    def before_park_sql(self, conn: Connection, parked: list[str]) -> list[str]:
        """Statements run just before the swap on the old tables that stay in the target,
        parked (see `swap_sql`)."""
        raise NotImplementedError(f"{self.name} loads in one transaction, not through staging")

    def unstage_ddl(self, schema: Schema) -> list[str]:
        raise NotImplementedError(f"{self.name} loads in one transaction, not through staging")

    def after_swap_ddl(self, schema: Schema, old_views: list[str],
                       parked: list[str]) -> list[str]:
        raise NotImplementedError(f"{self.name} loads in one transaction, not through staging")

    def journal_name(self, token: str) -> str:
        raise NotImplementedError(f"{self.name} loads in one transaction, not through staging")

    def journals(self, conn: Connection) -> list[str]:
        raise NotImplementedError(f"{self.name} loads in one transaction, not through staging")

    def triggered_tables(self, conn: Connection) -> list[str]:
        raise NotImplementedError(f"{self.name} loads in one transaction, not through staging")

    def fk_restore_sql(self, conn: Connection, tables: list[str]) -> list[str]:
        raise NotImplementedError(f"{self.name} loads in one transaction, not through staging")

    def parking_name(self, token: str, i: int) -> str:
        raise NotImplementedError(f"{self.name} loads in one transaction, not through staging")

    def parked_tables(self, conn: Connection) -> list[str]:
        raise NotImplementedError(f"{self.name} loads in one transaction, not through staging")

    def set_fks_aside(self, conn: Connection, schema: Schema) -> list[str]:
        """Before rows go into existing tables: stop their FKs from checking each row (the
        rows of a cycle come in an order no FK allows); returns the statements that put them
        back. The default is nothing: the session loads with FK checks off (prepare_session /
        prepare_load) and `verify` counts orphans."""
        return []

    def sequence_problems(self, conn: Connection, table: Table) -> list[str]:
        """After the load: sequences / counters that would hand out an existing key."""
        return []

    def load_warnings(self, conn: Connection, schema: Schema) -> list[str]:
        """After the load: what the clone holds but left for the user to finish (derived
        data, never rows of a table), one line each naming the object and the fix."""
        return []

    def adapt_value(self, col: Column, value: Any) -> Any:
        return value
