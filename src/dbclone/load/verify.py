"""After the rows: row counts, FK integrity and sequences of the loaded tables, checked
before the load commits or swaps (a problem rolls it back)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from dbclone.dialects import Dialect
from dbclone.errors import VerifyError
from dbclone.schema import Schema, Table


def verify(conn: Connection, dialect: Dialect, schema: Schema, rows: dict[str, int]) -> None:
    """Row counts, FK integrity and sequences of the loaded tables; VerifyError lists every
    problem (the load is then rolled back / not swapped in)."""
    problems: list[str] = []
    for table in schema.tables:
        want = rows.get(table.name, 0)
        got = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {dialect.rows_of(table)}").scalar()
        if got != want:
            problems.append(f"table {table.name}: {got} rows in the target, {want} generated")
        if not dialect.checks_fks_on_load:
            problems += _orphans(conn, dialect, schema, table)
        problems += dialect.sequence_problems(conn, table)
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise VerifyError("verification failed, target left as it was: "
                          + "; ".join(problems[:3]) + more)


def _orphans(conn: Connection, dialect: Dialect, schema: Schema, table: Table) -> list[str]:
    out = []
    for fk in table.foreign_keys:
        parent = next((t for t in schema.tables if t.name == fk.ref_table), None)
        if parent is None:
            continue
        on = " AND ".join(f"p.{dialect.quote(r)} = c.{dialect.quote(c)}"
                          for c, r in zip(fk.columns, fk.ref_columns, strict=True))
        notnull = " AND ".join(f"c.{dialect.quote(c)} IS NOT NULL" for c in fk.columns)
        sql = (f"SELECT COUNT(*) FROM {dialect.rows_of(table)} c LEFT JOIN "
               f"{dialect.rows_of(parent)} p ON {on} WHERE {notnull} "
               f"AND p.{dialect.quote(fk.ref_columns[0])} IS NULL")
        n = conn.exec_driver_sql(sql).scalar()
        if n:
            out.append(f"{table.name}({', '.join(fk.columns)}) -> {fk.ref_table}: "
                       f"{n} rows without a parent")
    return out

