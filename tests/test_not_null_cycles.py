"""Two tables that reference each other through NOT NULL, non-deferrable FKs (a store's manager
is a staff member who works at a store) clone on every dialect: both directions point at rows
that exist, the schema comes back unchanged. Before, the plan refused with "make one of them
nullable"."""

from __future__ import annotations

import pytest

from dbclone.api import clone
from dbclone.connect import engine_for
from dbclone.diff import diff_schemas
from dbclone.introspect import introspect
from dbclone.plan import make_plan
from tests.helpers import duplicates, orphans, run_script, store_staff_cycle


def test_plan_breaks_a_not_null_cycle_instead_of_refusing(new_db) -> None:
    schema = introspect(engine_for(store_staff_cycle(new_db, "sqlite")))
    plan = make_plan(schema)
    assert [(d.table, d.reason) for d in plan.deferred] in (
        [("store", "not-null cycle")], [("staff", "not-null cycle")])


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_not_null_cycle_clones(new_db, dialect: str) -> None:
    source = store_staff_cycle(new_db, dialect)
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


@pytest.mark.parametrize(("unit", "member"), [("store", "staff"), ("branch", "worker")])
def test_a_not_null_cycle_keeps_its_families_and_its_pairs(new_db, unit: str,
                                                           member: str) -> None:
    """Sakila (PostgreSQL): `staff.store_id` and `store.manager_staff_id` are NOT NULL FKs of
    a cycle; the clone put both staff in store 2 and store 1's manager worked in store 2,
    because the waiting FK's parents were drawn at random. Six units of ten members, each
    managed by one of its own, whichever side of the cycle waits (the plan breaks it at
    the member's FK for store/staff, at the unit's for branch/worker): every unit keeps its
    ten members and its manager is one of them."""
    source = new_db("postgresql")
    units = ", ".join(f"({i}, {i}, 'u{i}')" for i in range(1, 7))
    members = ", ".join(f"({i}, {i if i <= 6 else 1 + i % 6}, 'm{i}')" for i in range(1, 61))
    run_script(source, f"""
        CREATE TABLE {unit} (id INT PRIMARY KEY, manager_id INT NOT NULL UNIQUE, label TEXT);
        CREATE TABLE {member} (id INT PRIMARY KEY, unit_id INT NOT NULL REFERENCES {unit} (id),
                               label TEXT);
        INSERT INTO {unit} VALUES {units};
        INSERT INTO {member} VALUES {members};
        ALTER TABLE {unit} ADD FOREIGN KEY (manager_id) REFERENCES {member} (id);
    """)
    waits = {d.table for d in make_plan(introspect(engine_for(source))).deferred}
    assert waits == ({member} if unit == "store" else {unit})
    target = new_db("postgresql")
    clone(source, target, seed=5)
    with engine_for(target).connect() as conn:
        sizes = [n for (n,) in conn.exec_driver_sql(
            f"SELECT COUNT(m.id) FROM {unit} u LEFT JOIN {member} m ON m.unit_id = u.id "
            "GROUP BY u.id")]
        paired = conn.exec_driver_sql(
            f"SELECT COUNT(*) FROM {unit} u JOIN {member} m ON m.id = u.manager_id "
            "WHERE m.unit_id = u.id").scalar()
    assert sorted(sizes) == [10] * 6, sizes
    assert paired == 6
