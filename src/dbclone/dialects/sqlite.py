"""SQLite: one file, FKs only at CREATE TABLE, executemany in one transaction."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy.engine import Connection

from dbclone.dialects.base import Dialect
from dbclone.schema import Table


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

    def prepare_load(self, conn: Connection) -> None:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")

    def reset_sequence_sql(self, table: Table) -> list[str]:
        # INTEGER PRIMARY KEY takes MAX(rowid)+1 by itself; sqlite_sequence follows inserts.
        return []
