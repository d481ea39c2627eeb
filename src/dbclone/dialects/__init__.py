"""Dialect differences, in one place: pick the class for an engine."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from dbclone.dialects.base import Dialect
from dbclone.dialects.mysql import MySQLDialect
from dbclone.dialects.postgresql import PostgresDialect
from dbclone.dialects.sqlite import SQLiteDialect
from dbclone.errors import UsageError

_BY_NAME: dict[str, type[Dialect]] = {
    "postgresql": PostgresDialect,
    "mysql": MySQLDialect,
    "mariadb": MySQLDialect,
    "sqlite": SQLiteDialect,
}


def dialect_for(engine: Engine) -> Dialect:
    try:
        return _BY_NAME[engine.dialect.name](engine)
    except KeyError:
        raise UsageError(
            f"dialect {engine.dialect.name!r} is not supported; use postgresql, mysql/mariadb "
            "or sqlite") from None


__all__ = ["Dialect", "MySQLDialect", "PostgresDialect", "SQLiteDialect", "dialect_for"]
