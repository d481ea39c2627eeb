"""Shapes of data met in public databases nobody here tuned for (each test's docstring names
the database and what broke), rebuilt as small sources on the real servers: the public
data itself is never part of the repository."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from dbclone.api import clone
from dbclone.connect import engine_for


def test_joint_category_with_a_nullable_integer_partner_loads(new_db) -> None:
    """Titanic (PostgreSQL): `class` is `pclass` where the wiki knew it and NULL elsewhere,
    so the two became one joint category; pandas read the nullable integer as floats and the
    load failed with `invalid input syntax for type integer: "3.0"`."""
    rng = np.random.default_rng(0)
    source = new_db("postgresql")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE passenger (id INTEGER PRIMARY KEY, "
                             "pclass INTEGER NOT NULL, class INTEGER)")
        rows = []
        for i in range(400):
            pclass = int(rng.choice([1, 2, 3], p=[0.25, 0.2, 0.55]))
            rows.append({"i": i + 1, "p": pclass, "c": None if rng.random() < 0.3 else pclass})
        conn.execute(sa.text("INSERT INTO passenger VALUES (:i, :p, :c)"), rows)
    target = new_db("postgresql")
    clone(source, target, seed=0)
    with engine_for(target).connect() as conn:
        got = conn.execute(sa.text("SELECT pclass, class FROM passenger")).all()
    assert len(got) == 400
    assert {c for _, c in got} == {None, 1, 2, 3}
    assert all(c is None or c == p for p, c in got)
