"""MySQL and MariaDB: AUTO_INCREMENT, ENUM/SET, non-transactional DDL, multi-row inserts."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy.engine import Connection

from dbclone.dialects.base import Dialect
from dbclone.schema import Column, Table


class MySQLDialect(Dialect):
    name: ClassVar[str] = "mysql"
    #: DDL commits implicitly, so a failed load must drop what it created.
    transactional_ddl: ClassVar[bool] = False
    batch_rows: ClassVar[int] = 2000

    def default_schema(self, inspector: Any) -> str | None:
        return None

    def kind_of(self, sa_type: Any) -> str:
        from sqlalchemy.dialects import mysql

        if isinstance(sa_type, mysql.SET):
            return "enum"
        if isinstance(sa_type, mysql.TINYINT) and getattr(sa_type, "display_width", None) == 1:
            return "boolean"
        if isinstance(sa_type, mysql.YEAR):
            return "integer"
        return super().kind_of(sa_type)

    def begin_read_only(self, conn: Connection) -> None:
        conn.exec_driver_sql("START TRANSACTION READ ONLY")

    def column_extras(self, info: dict[str, Any], table: str) -> dict[str, Any]:
        return {"unsigned": bool(getattr(info["type"], "unsigned", False))}

    def column_ddl(self, col: Column) -> str:
        sql = super().column_ddl(col)
        if col.autoincrement:
            sql += " AUTO_INCREMENT"
        return sql

    def table_options(self, table: Table) -> str:
        return " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"

    def drop_existing(self, conn: Connection, name: str, schema: str | None) -> None:
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
        super().drop_existing(conn, name, schema)

    def prepare_load(self, conn: Connection) -> None:
        conn.exec_driver_sql("SET SESSION unique_checks = 0")
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")

    def reset_sequence_sql(self, table: Table) -> list[str]:
        # InnoDB moves AUTO_INCREMENT past explicitly inserted keys by itself.
        return []
