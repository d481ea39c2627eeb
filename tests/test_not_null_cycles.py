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
from tests.helpers import duplicates, orphans, store_staff_cycle


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
