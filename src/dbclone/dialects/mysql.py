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
    load_via: ClassVar[str] = "staging_database"
    checks_fks_on_load: ClassVar[bool] = False
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

    # -- all-or-nothing loads through a staging database (DDL commits implicitly here) --------
    def lock_load(self, conn: Connection) -> bool:
        return bool(conn.exec_driver_sql(
            "SELECT GET_LOCK(LEFT(CONCAT('dbclone.load.', DATABASE()), 64), 0)").scalar())

    def unlock_load(self, conn: Connection) -> None:
        conn.exec_driver_sql("SELECT RELEASE_LOCK(LEFT(CONCAT('dbclone.load.', DATABASE()), 64))")

    def staging_name(self, db: str, token: str) -> tuple[str, str]:
        """Side databases of one load: where the new tables are built, where old ones go."""
        staging = f"{self._staging_prefix(db)}{token}"
        return staging, f"{staging}_old"

    def _staging_prefix(self, db: str) -> str:
        return f"{db[:40]}__dbclone_"  # names stay under MySQL's 64 characters

    def staging_databases(self, conn: Connection, db: str) -> list[str]:
        """Side databases of earlier loads into `db` (left behind only by a killed run)."""
        prefix = self._staging_prefix(db)
        names = conn.exec_driver_sql("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
        return [n for (n,) in names if n.startswith(prefix)]

    def create_database_sql(self, conn: Connection, db: str, name: str) -> str:
        charset, collation = conn.exec_driver_sql(
            "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM "
            "information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (db,)).one()
        return f"CREATE DATABASE {self.quote(name)} CHARACTER SET {charset} COLLATE {collation}"

    def swap_sql(self, db: str, staging: str, trash: str, old: list[str], new: list[str]) -> str:
        """One RENAME TABLE: atomic, so clients see the old tables or the new, never a mix.
        InnoDB foreign keys follow their tables."""
        q = self.quote
        moves = [f"{q(db)}.{q(t)} TO {q(trash)}.{q(t)}" for t in old]
        moves += [f"{q(staging)}.{q(t)} TO {q(db)}.{q(t)}" for t in new]
        return "RENAME TABLE " + ", ".join(moves)

    def sequence_problems(self, conn: Connection, table: Table) -> list[str]:
        out = []
        for col in table.columns:
            if not col.autoincrement:
                continue
            nxt = conn.exec_driver_sql(
                "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE "
                "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s", (table.name,)).scalar()
            top = conn.exec_driver_sql(
                f"SELECT MAX({self.quote(col.name)}) FROM {self.qualified(table)}").scalar()
            if top is not None and nxt is not None and nxt <= top:
                out.append(f"{table.name}.{col.name}: AUTO_INCREMENT is {nxt}, but the column "
                           f"already holds up to {top}")
        return out
