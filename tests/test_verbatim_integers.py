"""A small lookup table copied as it is keeps a nullable integer column's integers: the rows
went through floats (pandas), and PostgreSQL refused "14.0" for an integer (AdventureWorks
sales.specialoffer.maxqty: the whole clone failed)."""

from __future__ import annotations

from dbclone.api import clone
from dbclone.connect import engine_for
from tests.helpers import run_script


def test_copied_lookup_keeps_nullable_integers(new_db) -> None:
    source = new_db("postgresql")
    run_script(source, """
        CREATE TABLE offer (id int PRIMARY KEY, minqty int NOT NULL, maxqty int);
        CREATE TABLE line (id int PRIMARY KEY, offer_id int NOT NULL REFERENCES offer (id));
        INSERT INTO offer VALUES (1, 0, NULL), (2, 11, 14), (3, 15, 24), (4, 61, NULL);
        INSERT INTO line SELECT g, 1 + g % 4 FROM generate_series(1, 80) g;
        """)
    target = new_db("postgresql")
    clone(source, target, seed=1)
    with engine_for(target).connect() as conn:
        rows = conn.exec_driver_sql("SELECT id, maxqty FROM offer ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [(1, None), (2, 14), (3, 24), (4, None)]
