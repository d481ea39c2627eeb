"""MySQL and MariaDB: AUTO_INCREMENT, ENUM/SET, non-transactional DDL, multi-row inserts."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dbclone.dialects import mysql_catalog
from dbclone.dialects.base import Dialect
from dbclone.schema import Column, Index, Table, View

#: Table options kept in `Table.options`, by the inspector's key.
_OPTIONS = {"mysql_engine": "engine", "mysql_default charset": "charset",
            "mysql_collate": "collation"}


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


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
        if col.nullable and not col.computed:
            sql += " NULL"  # explicit: a bare TIMESTAMP may otherwise become NOT NULL
        if col.on_update:
            sql += f" ON UPDATE {col.on_update}"
        if col.autoincrement:
            sql += " AUTO_INCREMENT"
        if col.comment is not None:
            sql += f" COMMENT {_literal(col.comment)}"
        return sql

    def refine_table(self, conn: Connection, table: Table,
                     read: Callable[[str], Table]) -> Table:
        table = mysql_catalog.refine(conn, table)
        raw = sa.inspect(conn).get_table_options(table.name, schema=table.schema)
        options = tuple(sorted((key, str(raw[k])) for k, key in _OPTIONS.items() if raw.get(k)))
        return dataclasses.replace(table, options=options)

    def table_options(self, table: Table) -> str:
        opts = dict(table.options) or {"engine": "InnoDB", "charset": "utf8mb4"}
        sql = ""
        if "engine" in opts:
            sql += f" ENGINE={opts['engine']}"
        if "charset" in opts:
            sql += f" DEFAULT CHARSET={opts['charset']}"
        if "collation" in opts:
            sql += f" COLLATE={opts['collation']}"
        if table.comment is not None:
            sql += f" COMMENT={_literal(table.comment)}"
        return sql

    def create_index_ddl(self, table: Table | View, index: Index) -> str:
        sql = super().create_index_ddl(table, index)
        for kind in ("FULLTEXT", "SPATIAL"):  # the index kind goes before INDEX here
            if index.definition and index.definition.startswith(kind + " "):
                sql = sql.replace("CREATE INDEX", f"CREATE {kind} INDEX", 1)
                sql = sql.replace(f" {index.definition}", f" {index.definition[len(kind) + 1:]}")
        return sql

    def drop_existing(self, conn: Connection, name: str, schema: str | None) -> None:
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
        super().drop_existing(conn, name, schema)

    def prepare_load(self, conn: Connection) -> None:
        conn.exec_driver_sql("SET SESSION unique_checks = 0")
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")

    def reset_sequence_sql(self, table: Table) -> list[str]:
        # InnoDB moves AUTO_INCREMENT past explicitly inserted keys by itself.
        return []
