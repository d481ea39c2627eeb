"""Integrity: every source constraint counted with SQL in the target, where the data lives.

The source schema says what must hold; the target may have lost a constraint (or never
enforced it, like SQLite's foreign keys), so each rule is evaluated as a query rather than
trusted from the target's catalog.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from dbclone.dialects import Dialect
from dbclone.report.model import IntegrityCheck
from dbclone.schema import ForeignKey, Schema, Table


def check_integrity(source: Schema, target: Schema, engine: Engine,
                    dialect: Dialect) -> tuple[IntegrityCheck, ...]:
    """Count violations of every source constraint in the target database."""
    checks: list[IntegrityCheck] = []
    names = set(target.table_names)
    # Autocommit: every count is its own statement, so a CHECK text the target cannot parse
    # fails alone instead of aborting the transaction for every count after it.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in source.tables:
            if table.name not in names:
                checks.append(IntegrityCheck("missing_table", table.name, table.name, 1,
                                             "table is missing in the target"))
                continue
            here = target.table(table.name)
            for kind, name, sql in _queries(table, here, target, dialect):
                checks.append(_run(conn, kind, table.name, name, sql))
    return tuple(checks)


def _queries(table: Table, here: Table, target: Schema,
             dialect: Dialect) -> Iterator[tuple[str, str, str | None]]:
    """(kind, constraint label, SQL counting violations or None when not checkable)."""
    qtable = dialect.rows_of(here)
    for i, cols in enumerate(table.unique_sets()):
        kind = "primary_key" if i == 0 and cols == table.primary_key else "unique"
        yield kind, f"({', '.join(cols)})", _duplicates_sql(qtable, cols, dialect)
    for col in table.columns:
        if not col.nullable:
            yield "not_null", col.name, \
                f"SELECT COUNT(*) FROM {qtable} WHERE {dialect.quote(col.name)} IS NULL"
    for fk in table.foreign_keys:
        label = f"({', '.join(fk.columns)}) -> {fk.ref_table}"
        if fk.ref_table not in target.table_names:
            yield "orphans", label, None
        else:
            yield "orphans", label, _orphans_sql(here, fk, target.table(fk.ref_table), dialect)
    for check in table.checks:
        yield "check", check.name or check.sqltext, \
            f"SELECT COUNT(*) FROM {qtable} WHERE NOT ({check.sqltext})"


def _duplicates_sql(qtable: str, cols: tuple[str, ...], dialect: Dialect) -> str:
    """Rows beyond the first of each repeated key; keys with a NULL never collide in SQL."""
    qcols = ", ".join(dialect.quote(c) for c in cols)
    not_null = " AND ".join(f"{dialect.quote(c)} IS NOT NULL" for c in cols)
    return (f"SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM {qtable} "
            f"WHERE {not_null} GROUP BY {qcols} HAVING COUNT(*) > 1) d")


def _orphans_sql(child: Table, fk: ForeignKey, parent: Table, dialect: Dialect) -> str:
    """Child rows whose (fully non-NULL) FK matches no parent row: MATCH SIMPLE semantics."""
    q = dialect.quote
    present = " AND ".join(f"c.{q(c)} IS NOT NULL" for c in fk.columns)
    match = " AND ".join(f"p.{q(r)} = c.{q(c)}" for c, r in zip(fk.columns, fk.ref_columns,
                                                                  strict=True))
    return (f"SELECT COUNT(*) FROM {dialect.rows_of(child)} c WHERE {present} AND NOT EXISTS "
            f"(SELECT 1 FROM {dialect.rows_of(parent)} p WHERE {match})")


def _run(conn: Connection, kind: str, table: str, name: str,
         sql: str | None) -> IntegrityCheck:
    """One count; a statement the target cannot evaluate is reported, not raised."""
    if sql is None:
        return IntegrityCheck(kind, table, name, None, "not checked: referenced table missing")
    try:
        count = conn.exec_driver_sql(sql).scalar()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:160]
        return IntegrityCheck(kind, table, name, None,
                              f"not checked: the target cannot evaluate it ({reason})")
    return IntegrityCheck(kind, table, name, int(count or 0))
