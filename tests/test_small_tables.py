"""Tables of a handful of rows: every value is rarer than k, and still keeps its type."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

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


def test_lookup_parents_hold_a_scaled_up_clone(tmp_path: Path) -> None:
    """A lookup table is copied as it is at any scale, so at --scale 3 its children cannot
    stay under the source's largest family: they must still number 3x the source (before, they
    stopped at 4 x 80 = 320 of 600), the large families staying the large ones."""
    src = f"sqlite:///{tmp_path / 'src.db'}"
    with sa.create_engine(src).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE status (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        conn.exec_driver_sql("INSERT INTO status VALUES (1, 'open'), (2, 'held'), "
                             "(3, 'sent'), (4, 'lost')")
        conn.exec_driver_sql("CREATE TABLE item (id INTEGER PRIMARY KEY, status_id INTEGER "
                             "NOT NULL REFERENCES status(id), qty INTEGER NOT NULL)")
        rows = [(i, s, i % 7) for i, s in enumerate([1] * 80 + [2] * 60 + [3] * 40 + [4] * 20)]
        conn.exec_driver_sql("INSERT INTO item VALUES " +
                             ", ".join(f"({i}, {s}, {q})" for i, s, q in rows))
    dst = f"sqlite:///{tmp_path / 'dst.db'}"
    clone(src, dst, seed=1, scale=3)
    with engine_for(dst).connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM status").scalar() == 4
        per = dict(conn.exec_driver_sql("SELECT s.name, COUNT(*) FROM item JOIN status s "
                                        "ON s.id = item.status_id GROUP BY s.name").all())
    assert sum(per.values()) == 600
    assert per["open"] > per["lost"]
