#!/usr/bin/env python3
"""Build one of dbclone's sample databases into a SQLite, PostgreSQL or MariaDB/MySQL target.

    python sample_schemas/build.py kommun sqlite:///kommun.db
    python sample_schemas/build.py kommun postgresql+psycopg://postgres@127.0.0.1:5432/kommun
    python sample_schemas/build.py kommun mysql+pymysql://root@127.0.0.1:3306/kommun --seed 7

The target database is created if the server does not have it yet. A target that already has
tables is refused unless ``--replace`` is given, which drops the sample's own tables first.
Rows are generated deterministically from ``--seed`` (same seed, same rows) and ``--scale``
multiplies the row counts (1.0 is a few thousand rows in the main tables).

Importable as well: ``build(url, seed=42, scale=1.0, replace=False)`` returns rows per table.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

HERE = Path(__file__).resolve().parent
SAMPLES = ("kommun",)
LOCAL_TZ = ZoneInfo("Europe/Stockholm")
MYSQL_CHARSET = "utf8mb4"
MYSQL_COLLATION = "utf8mb4_swedish_ci"


class BuildError(Exception):
    """A problem reported to the user on one line (exit status 2 from the CLI)."""


# ---------------------------------------------------------------------------------------------
# Samples and their DDL
# ---------------------------------------------------------------------------------------------


def load_sample(name: str) -> ModuleType:
    """Import ``sample_schemas/<name>/`` as a package (it is not installed with dbclone)."""
    if name not in SAMPLES:
        raise BuildError(f"unknown sample {name!r}; available: {', '.join(SAMPLES)}")
    module_name = f"_dbclone_sample_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    package_dir = HERE / name
    spec = importlib.util.spec_from_file_location(
        module_name, package_dir / "__init__.py", submodule_search_locations=[str(package_dir)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def dialect_of(url: URL) -> str:
    backend = url.get_backend_name()
    if backend in ("mysql", "mariadb"):
        return "mysql"
    if backend in ("postgresql", "sqlite"):
        return backend
    raise BuildError(f"unsupported database {backend!r}: use sqlite, postgresql or mysql/mariadb")


def ddl_path(sample: str, dialect: str) -> Path:
    return HERE / sample / f"schema.{dialect}.sql"


def split_sql(text: str) -> list[str]:
    """Statements of a DDL file: full-line ``--`` comments dropped, ``;`` at line end splits."""
    statements: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("--"):
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            statements.append("\n".join(current).rstrip().rstrip(";"))
            current = []
    if "".join(current).strip():
        statements.append("\n".join(current))
    return statements


def created_objects(statements: list[str]) -> tuple[list[str], list[str]]:
    """Names of the tables and (PostgreSQL) types that the DDL creates, in creation order."""
    tables, types = [], []
    for stmt in statements:
        m = re.match(r"\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[`\"]?(\w+)", stmt, re.I)
        if m:
            tables.append(m.group(1))
        m = re.match(r"\s*CREATE\s+TYPE\s+[\"]?(\w+)", stmt, re.I)
        if m:
            types.append(m.group(1))
    return tables, types


# ---------------------------------------------------------------------------------------------
# Connecting
# ---------------------------------------------------------------------------------------------


def _describe(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def _server_url(url: URL, dialect: str) -> URL:
    if dialect == "postgresql":
        return url.set(database="postgres")
    # URL.set() treats None as "unchanged", so rebuild the URL without a database.
    return URL.create(url.drivername, username=url.username, password=url.password,
                      host=url.host, port=url.port, query=url.query)


def _prepare_url(url: URL, dialect: str) -> URL:
    if dialect == "mysql" and "charset" not in url.query:
        url = url.update_query_dict({"charset": MYSQL_CHARSET})
    return url


def create_engine(url: URL, dialect: str, **kwargs: Any) -> Engine:
    engine = sa.create_engine(_prepare_url(url, dialect), **kwargs)
    if dialect == "sqlite":
        # pysqlite would commit DDL on its own; let SQLAlchemy issue BEGIN so that a build is
        # one transaction, and have SQLite enforce foreign keys while loading.
        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql("BEGIN")

    return engine


def ensure_database(url: URL, dialect: str) -> bool:
    """Create the target database on a PostgreSQL/MySQL server if missing; True if created."""
    if dialect == "sqlite":
        return False
    name = url.database
    server = create_engine(_server_url(url, dialect), dialect, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            quoted = conn.dialect.identifier_preparer.quote_identifier(name)
            if dialect == "postgresql":
                exists = conn.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                ).first()
                if exists:
                    return False
                conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
                return True
            exists = conn.execute(
                sa.text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :name"),
                {"name": name},
            ).first()
            if exists:
                return False
            conn.exec_driver_sql(
                f"CREATE DATABASE {quoted} CHARACTER SET {MYSQL_CHARSET} "
                f"COLLATE {MYSQL_COLLATION}"
            )
            return True
    except sa.exc.DBAPIError as exc:
        server_url = _describe(_server_url(url, dialect))
        raise BuildError(f"cannot create database {name!r} on {server_url}: "
                         f"{_first_line(exc)}") from exc
    finally:
        server.dispose()


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def _adapt(value: Any, dialect: str) -> Any:
    """Python value -> what the dialect's driver should get."""
    if dialect == "sqlite":
        if isinstance(value, datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, bool):
            return int(value)
    elif dialect == "postgresql" and isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=LOCAL_TZ)
    return value


def _adapted(rows: list[tuple], dialect: str) -> list[tuple]:
    if not rows or dialect == "mysql":
        return rows
    kinds = (datetime, date, Decimal, bool) if dialect == "sqlite" else (datetime,)
    columns = [i for i in range(len(rows[0])) if any(isinstance(r[i], kinds) for r in rows[:50])]
    if not columns:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for i in columns:
            values[i] = _adapt(values[i], dialect)
        out.append(tuple(values))
    return out


def _insert(conn: Connection, dialect: str, table: str, columns: tuple[str, ...],
            rows: list[tuple]) -> None:
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote
    column_list = ", ".join(quote(c) for c in columns)
    rows = _adapted(rows, dialect)
    if dialect == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(
            f"COPY {quote(table)} ({column_list}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        return
    mark = "?" if dialect == "sqlite" else "%s"
    placeholders = ", ".join([mark] * len(columns))
    conn.exec_driver_sql(
        f"INSERT INTO {quote(table)} ({column_list}) VALUES ({placeholders})", rows
    )


def _update(conn: Connection, dialect: str, table: str, set_column: str, key_column: str,
            pairs: list[tuple]) -> None:
    if not pairs:
        return
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if dialect == "sqlite" else "%s"
    conn.exec_driver_sql(
        f"UPDATE {quote(table)} SET {quote(set_column)} = {mark} "
        f"WHERE {quote(key_column)} = {mark}",
        _adapted(pairs, dialect),
    )


def _drop(conn: Connection, dialect: str, tables: list[str], types: list[str]) -> None:
    quote = conn.dialect.identifier_preparer.quote
    if dialect == "mysql":
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
    for table in reversed(tables):
        cascade = " CASCADE" if dialect == "postgresql" else ""
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(table)}{cascade}")
    if dialect == "mysql":
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")
    for type_name in types:
        conn.exec_driver_sql(f"DROP TYPE IF EXISTS {quote(type_name)} CASCADE")


def _reset_sequences(conn: Connection, tables: list[str]) -> None:
    """PostgreSQL identity columns: continue after the explicit ids that were loaded."""
    found = conn.execute(
        sa.text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES'"
        )
    ).all()
    quote = conn.dialect.identifier_preparer.quote
    for table, column in found:
        if table not in tables:
            continue
        conn.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence(:t, :c), "
                f"COALESCE(MAX({quote(column)}), 1), MAX({quote(column)}) IS NOT NULL) "
                f"FROM {quote(table)}"
            ),
            {"t": quote(table), "c": column},
        )


def build(url: str, seed: int = 42, scale: float = 1.0, replace: bool = False, *,
          sample: str = "kommun") -> dict[str, int]:
    """Create ``sample``'s schema in ``url`` and fill it; returns the row count of each table."""
    module = load_sample(sample)
    if scale <= 0:
        raise BuildError("--scale must be positive")
    try:
        target = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise BuildError(f"not a database URL: {url!r}") from exc
    dialect = dialect_of(target)
    if dialect != "sqlite" and not target.database:
        raise BuildError(f"{_describe(target)} names no database; add /DBNAME to the URL")
    statements = split_sql(ddl_path(sample, dialect).read_text(encoding="utf-8"))
    tables, types = created_objects(statements)

    ensure_database(target, dialect)
    engine = create_engine(target, dialect)
    try:
        try:
            existing = sa.inspect(engine).get_table_names()
        except sa.exc.DBAPIError as exc:
            raise BuildError(f"cannot connect to {_describe(target)}: {_first_line(exc)}") from exc
        if existing and not replace:
            shown = ", ".join(sorted(existing)[:5]) + (", ..." if len(existing) > 5 else "")
            raise BuildError(f"{_describe(target)} already has {len(existing)} table(s) "
                             f"({shown}); use --replace to drop the {sample} tables first")
        dataset = module.generate(seed=seed, scale=scale)
        try:
            with engine.begin() as conn:
                if replace:
                    _drop(conn, dialect, tables, types)
                for stmt in statements:
                    conn.exec_driver_sql(stmt)
                for name, table in dataset.tables.items():
                    _insert(conn, dialect, name, table.columns, table.rows)
                for table_name, set_column, key_column, pairs in dataset.updates:
                    _update(conn, dialect, table_name, set_column, key_column, pairs)
                if dialect == "postgresql":
                    _reset_sequences(conn, tables)
                    conn.exec_driver_sql("ANALYZE")
                elif dialect == "mysql":
                    quote = conn.dialect.identifier_preparer.quote
                    conn.exec_driver_sql("ANALYZE TABLE " + ", ".join(quote(t) for t in tables))
                else:
                    conn.exec_driver_sql("ANALYZE")
        except sa.exc.DBAPIError as exc:
            raise BuildError(f"building {sample} into {_describe(target)} failed: "
                             f"{_first_line(exc)}") from exc
    finally:
        engine.dispose()
    return dataset.counts()


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Create a dbclone sample database and fill it with seeded synthetic rows.",
    )
    parser.add_argument("sample", choices=SAMPLES, help="which sample schema to build")
    parser.add_argument("url", help="SQLAlchemy URL, e.g. sqlite:///kommun.db or "
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/kommun")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="row-count multiplier (default 1.0: a few thousand rows per table)")
    parser.add_argument("--replace", action="store_true",
                        help="drop the sample's tables first if the target already has tables")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        counts = build(args.url, seed=args.seed, scale=args.scale, replace=args.replace,
                       sample=args.sample)
    except BuildError as exc:
        print(f"build.py: error: {exc}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - started
    width = max(len(name) for name in counts)
    for name, count in counts.items():
        print(f"  {name:<{width}}  {count:>7}")
    print(f"built {args.sample} (seed {args.seed}, scale {args.scale:g}): {len(counts)} tables, "
          f"{sum(counts.values())} rows in {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
