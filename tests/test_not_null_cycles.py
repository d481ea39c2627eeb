"""Two tables that reference each other through NOT NULL, non-deferrable FKs (a store's manager
is a staff member who works at a store) clone on every dialect: both directions point at rows
that exist, the schema comes back unchanged. Before, the plan refused with "make one of them
nullable"."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dbclone.api import clone
from dbclone.connect import engine_for
from dbclone.diff import diff_schemas
from dbclone.introspect import introspect
from dbclone.plan import make_plan
from tests.helpers import duplicates, orphans

_TABLES = [
    "CREATE TABLE store (id INT PRIMARY KEY, manager_id INT NOT NULL UNIQUE, "
    "city VARCHAR(20) NOT NULL)",
    "CREATE TABLE staff (id INT PRIMARY KEY, store_id INT NOT NULL, name VARCHAR(30), "
    "CONSTRAINT fk_staff_store FOREIGN KEY (store_id) REFERENCES store (id))",
]
_CLOSE = ("ALTER TABLE store ADD CONSTRAINT fk_store_manager FOREIGN KEY (manager_id) "
          "REFERENCES staff (id)")


def _source(new_db, dialect: str) -> str:
    """6 stores, 60 staff; store i is managed by staff i, who works at store i. The cycle is
    closed after the rows (SQLite declares it in CREATE TABLE and loads with FKs off)."""
    url = new_db(dialect)
    tables = list(_TABLES)
    if dialect == "sqlite":
        tables[0] = tables[0][:-1] + ", CONSTRAINT fk_store_manager FOREIGN KEY (manager_id) " \
                                     "REFERENCES staff (id))"
    stores = [{"id": i, "m": i, "c": ["Umeå", "Lund", "Kiruna"][i % 3]} for i in range(1, 7)]
    staff = [{"id": i, "s": i if i <= 6 else 1 + i % 6, "n": f"person {i}"} for i in range(1, 61)]
    with engine_for(url, must_exist=False).begin() as conn:
        for stmt in tables:
            conn.exec_driver_sql(stmt)
        conn.execute(sa.text("INSERT INTO store VALUES (:id, :m, :c)"), stores)
        conn.execute(sa.text("INSERT INTO staff VALUES (:id, :s, :n)"), staff)
        if dialect != "sqlite":
            conn.exec_driver_sql(_CLOSE)
    return url


def test_plan_breaks_a_not_null_cycle_instead_of_refusing(new_db) -> None:
    schema = introspect(engine_for(_source(new_db, "sqlite")))
    plan = make_plan(schema)
    assert [(d.table, d.reason) for d in plan.deferred] in (
        [("store", "not-null cycle")], [("staff", "not-null cycle")])


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_not_null_cycle_clones(new_db, dialect: str) -> None:
    source = _source(new_db, dialect)
    target = new_db(dialect)
    clone(source, target, seed=4, scale=2)
    src = introspect(engine_for(source), count_rows=False)
    dst = introspect(engine_for(target))
    assert diff_schemas(src, dst) == []
    assert dst.table("store").row_count == 12 and dst.table("staff").row_count == 120
    assert set(orphans(target).values()) == {0}
    assert set(duplicates(target).values()) == {0}
    with engine_for(target).connect() as conn:
        # both directions name rows that exist, and no column is NULL
        assert conn.exec_driver_sql(
            "SELECT COUNT(*) FROM store s JOIN staff m ON m.id = s.manager_id").scalar() == 12
        assert conn.exec_driver_sql(
            "SELECT COUNT(*) FROM staff m JOIN store s ON s.id = m.store_id").scalar() == 120
