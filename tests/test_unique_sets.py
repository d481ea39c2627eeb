"""PK / UNIQUE column sets stay unique in the clone when the only free member (not an FK) is
a dense number, such as the ids of rows elsewhere without a declared FK."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from dbclone.connect import engine_for
from dbclone.introspect import introspect
from dbclone.synth.unique import enforce_unique
from tests.helpers import duplicates, sqlite_clone, sqlite_source

DDL = [
    "CREATE TABLE reason (reason_id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    "CREATE TABLE order_reason (order_id INTEGER NOT NULL, reason_id INTEGER NOT NULL "
    "REFERENCES reason (reason_id), PRIMARY KEY (order_id, reason_id))",
]


def _orders_and_reasons(orders: int, seed: int) -> dict[str, list[tuple[object, ...]]]:
    """Orders numbered densely, each with 1-3 distinct reasons, one reason on most."""
    rng = np.random.default_rng(seed)
    weights = np.asarray([50, 20, 10, 8, 5, 3, 2, 1, 1, 0], dtype=float)
    pairs: list[tuple[object, ...]] = []
    for order in range(43659, 43659 + orders):
        k = int(rng.choice([1, 2, 3], p=[0.8, 0.15, 0.05]))
        for reason in rng.choice(10, size=k, replace=False, p=weights / weights.sum()):
            pairs.append((order, int(reason) + 1))
    return {"reason": [(r, f"reason {r}") for r in range(1, 11)], "order_reason": pairs}


def test_composite_key_with_a_dense_unlinked_number_loads(new_db) -> None:
    """(order_id, reason_id) with order_id a plain integer (no FK) taking thousands of dense
    values and reason_id an FK to ten reasons: the load failed with a duplicate key (a
    duplicate's order_id moved by up to 1000 landed on another taken order of the same
    reason, eight times over, and the row was kept)."""
    rows = _orders_and_reasons(12000, 1)
    source = sqlite_source(new_db, DDL, rows)
    for seed in (0, 1):
        engine = sqlite_clone(new_db, source, seed)
        with engine.connect() as conn:
            got = conn.execute(sa.text("SELECT COUNT(*) FROM order_reason")).scalar_one()
        assert not {t: n for t, n in duplicates(engine.url.render_as_string()).items() if n}
        # Rows are dropped only where perturbing failed: a few, not a share of the table.
        assert got > 0.97 * len(rows["order_reason"])


def test_duplicates_perturbation_cannot_resolve_are_dropped(new_db) -> None:
    """Every order twice for the same reason in a range far denser than a perturbation's
    step: what perturbing leaves duplicated is dropped, never returned."""
    source = sqlite_source(new_db, DDL, _orders_and_reasons(10, 2))
    table = introspect(engine_for(source)).table("order_reason")
    orders = np.asarray([int(v) for v in np.repeat(np.arange(10_000), 2)], dtype=object)
    data = {"order_id": orders, "reason_id": np.asarray([1] * len(orders), dtype=object)}
    out = enforce_unique(table, data, np.random.default_rng(0))
    pairs = list(zip(out["order_id"].tolist(), out["reason_id"].tolist(), strict=True))
    assert len(set(pairs)) == len(pairs)
    # Most duplicates found a free value; only the rest were dropped.
    assert len(pairs) > 10_000
