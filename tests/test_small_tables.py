"""Tables of a handful of rows: every value is rarer than k, and still keeps its type."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from dbclone.api import clone
from dbclone.connect import engine_for


def test_numbers_rarer_than_k_stay_numbers(new_db: Callable[[str], str]) -> None:
    """Three fees (50, 70, 500): no value is common enough to be a category, yet the clone
    must hold integers in their range, not text (PostgreSQL refuses text in an INT)."""
    src = new_db("postgresql")
    with engine_for(src).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE fee (id INTEGER PRIMARY KEY, label TEXT, "
                             "amount INTEGER NOT NULL, rate REAL)")
        conn.exec_driver_sql("INSERT INTO fee VALUES (1, 'a', 50, 0.5), (2, 'b', 70, 1.5), "
                             "(3, 'c', 500, 2.25)")
    dst = new_db("postgresql")
    clone(src, dst, seed=3)
    with engine_for(dst).connect() as conn:
        rows = conn.execute(sa.text("SELECT amount, rate FROM fee")).all()
    assert len(rows) == 3
    for amount, rate in rows:
        assert isinstance(amount, int) and 50 <= amount <= 500
        assert rate is None or 0.5 <= rate <= 2.25
