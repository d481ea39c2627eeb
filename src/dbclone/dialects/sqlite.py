"""SQLite: one file, FKs only at CREATE TABLE, executemany in one transaction."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from dbclone.dialects import sqlite_catalog
from dbclone.dialects.base import Dialect
from dbclone.schema import Column, Schema, Table, View


class SQLiteDialect(Dialect):
    name: ClassVar[str] = "sqlite"
    #: SQLite cannot ALTER TABLE ADD CONSTRAINT: FKs are declared up front and cycles are
    #: filled with NULL, then UPDATEd.
    constraints_after_load: ClassVar[bool] = False
    batch_rows: ClassVar[int] = 10000

    def default_schema(self, inspector: Any) -> str | None:
        return None

    def user_tables(self, conn: Connection, schema: str | None) -> list[str]:
        return [t for t in super().user_tables(conn, schema) if not t.startswith("sqlite_")]

    # -- structure: declared types, AUTOINCREMENT, WITHOUT ROWID, collations (sqlite_catalog)
    def refine_table(self, conn: Connection, table: Table,
                     read: Callable[[str], Table]) -> Table:
        return sqlite_catalog.refine(conn, table)

    def column_ddl(self, col: Column) -> str:
        sql = super().column_ddl(col)
        if col.collation:
            sql += f" COLLATE {col.collation}"
        if col.autoincrement and col.sql_type.upper() == "INTEGER":
            sql += " PRIMARY KEY AUTOINCREMENT"  # only allowed inline, on INTEGER PRIMARY KEY
        return sql

    def create_table_ddl(self, table: Table, with_fks: bool, with_keys: bool = True) -> str:
        if any(c.autoincrement and c.sql_type.upper() == "INTEGER" for c in table.columns):
            table = dataclasses.replace(table, primary_key=())  # declared on the column
        return super().create_table_ddl(table, with_fks, with_keys)

    def views(self, conn: Connection, schema: str | None) -> tuple[View, ...]:
        return sqlite_catalog.views(conn)

    def post_load_ddl(self, schema: Schema) -> list[str]:
        stmts = []
        for v in schema.views:  # a view left in a replaced target would block its successor
            stmts += [f"DROP VIEW IF EXISTS {self.quote(v.name)}",
                      f"CREATE VIEW {self.quote(v.name)} AS {v.definition}"]
        for t in (t for table in schema.tables for t in table.triggers):
            stmts += [f"DROP TRIGGER IF EXISTS {self.quote(t.name)}", t.definition]
        return stmts

    def table_options(self, table: Table) -> str:
        words = {"strict": "STRICT", "without_rowid": "WITHOUT ROWID"}
        chosen = [words[k] for k, _ in table.options if k in words]
        return (" " + ", ".join(chosen)) if chosen else ""

    single_file: ClassVar[bool] = True
    checks_fks_on_load: ClassVar[bool] = False

    def prepare_session(self, conn: Connection) -> None:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction
        # A page cache large enough that the load rarely spills to the file before COMMIT:
        # spilling takes the exclusive lock early and blocks readers of the old contents.
        conn.exec_driver_sql("PRAGMA cache_size = -131072")  # KiB, i.e. 128 MB

    def prepare_new_file(self, conn: Connection) -> None:
        """A new file only becomes the target once complete: no need for a durable journal."""
        conn.exec_driver_sql("PRAGMA journal_mode = MEMORY")
        conn.exec_driver_sql("PRAGMA synchronous = OFF")

    def lock_load(self, conn: Connection) -> bool:
        # The pysqlite driver opens no transaction before DDL: begin one explicitly, taking
        # the write lock now so a second load is refused instead of interleaved.
        conn.exec_driver_sql("PRAGMA busy_timeout = 2000")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except OperationalError as exc:
            if "locked" in str(exc.orig):
                return False
            raise
        return True

    def reset_sequence_sql(self, table: Table) -> list[str]:
        # INTEGER PRIMARY KEY takes MAX(rowid)+1 by itself; sqlite_sequence follows inserts.
        return []
