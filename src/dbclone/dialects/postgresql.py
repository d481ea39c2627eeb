"""PostgreSQL: schemas, enum types, sequences, transactional DDL and COPY."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy.engine import Connection

from dbclone.dialects.base import Dialect
from dbclone.schema import Column, EnumType, Schema, Table

_NEXTVAL = re.compile(r"nextval\('(?P<seq>[^']+)'(::regclass)?\)")


def _copy_text(value: Any) -> str:
    """One field in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        value = "{" + ",".join(_array_item(v) for v in value) + "}"
    text = str(value)
    return (text.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r"))


def _array_item(value: Any) -> str:
    if value is None:
        return "NULL"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


class PostgresDialect(Dialect):
    name: ClassVar[str] = "postgresql"
    supports_schemas: ClassVar[bool] = True
    batch_rows: ClassVar[int] = 20000

    def default_schema(self, inspector: Any) -> str | None:
        return str(inspector.default_schema_name)

    def enums(self, inspector: Any, schema: str | None) -> tuple[EnumType, ...]:
        return tuple(EnumType(name=e["name"], values=tuple(e["labels"]), schema=e.get("schema"))
                     for e in inspector.get_enums(schema=schema or "public"))

    def begin_read_only(self, conn: Connection) -> None:
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")

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
            extras["autoincrement"] = True
        return extras

    def column_ddl(self, col: Column) -> str:
        sql = super().column_ddl(col)
        if col.sequence:
            seq = col.sequence.replace("'", "''")
            sql += f" DEFAULT nextval('{seq}'::regclass)"
        if col.identity:
            sql += f" GENERATED {col.identity.upper()} AS IDENTITY"
        return sql

    def pre_table_ddl(self, schema: Schema) -> list[str]:
        stmts: list[str] = []
        schemas = {t.schema for t in schema.tables if t.schema}
        stmts += [f"CREATE SCHEMA IF NOT EXISTS {self.quote(s)}" for s in sorted(schemas)]
        for enum in schema.enums:
            name = self.quote(enum.name)
            if enum.schema:
                name = f"{self.quote(enum.schema)}.{name}"
            values = ", ".join("'" + v.replace("'", "''") + "'" for v in enum.values)
            stmts.append(f"DO $$ BEGIN CREATE TYPE {name} AS ENUM ({values}); "
                         "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
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

    def drop_table_ddl(self, table: Table) -> str:
        return f"DROP TABLE IF EXISTS {self.qualified(table)} CASCADE"

    def bulk_insert(self, conn: Connection, table: Table, columns: Sequence[str],
                    rows: list[tuple[Any, ...]]) -> None:
        """COPY in text format, a buffer of rows per write, not one Python call per row."""
        if not rows:
            return
        sql = f"COPY {self.qualified(table)} ({self._cols(columns)}) FROM STDIN"
        cursor = conn.connection.cursor()
        try:
            with cursor.copy(sql) as copy:
                for start in range(0, len(rows), self.batch_rows):
                    buf = io.StringIO()
                    for row in rows[start:start + self.batch_rows]:
                        buf.write("\t".join(_copy_text(v) for v in row))
                        buf.write("\n")
                    copy.write(buf.getvalue())
        finally:
            cursor.close()

    def reset_sequence_sql(self, table: Table) -> list[str]:
        stmts = []
        for col in table.columns:
            if not (col.sequence or col.identity):
                continue
            qcol = self.quote(col.name)
            tname = self.qualified(table).replace("'", "''")
            seq = f"pg_get_serial_sequence('{tname}', '{col.name}')"
            stmts.append(
                f"SELECT setval({seq}, COALESCE((SELECT MAX({qcol}) FROM {self.qualified(table)}),"
                f" 0) + 1, false)")
            if col.sequence:
                stmts.insert(0, f"ALTER SEQUENCE {self._seq_name(table, col)} OWNED BY "
                                f"{self.qualified(table)}.{qcol}")
        return stmts
