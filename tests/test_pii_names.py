"""Name columns: a person's name (``namn``, ``kund_namn``) is replaced, a place's or an
organisation's (``kommun_namn``, ``foretagsnamn``, ``city_name``) is a quasi-identifier kept
while its values are common, a thing's (``produkt_namn``) is no personal data at all."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from dbclone.api import clone, fit_source
from dbclone.connect import engine_for
from dbclone.synth import pii


@pytest.mark.parametrize(("column", "person", "quasi"), [
    ("namn", True, None), ("Namn", True, None), ("kund_namn", True, None),
    ("handlaggare_namn", True, None), ("namn_lang", True, None),
    ("kommun_namn", False, "city"), ("KommunNamn", False, "city"),
    ("kommunnamn", False, "city"), ("stad_namn", False, "city"), ("ortsnamn", False, "city"),
    ("lan_namn", False, "state"), ("lansnamn", False, "state"),
    ("foretag_namn", False, "company"), ("foretagsnamn", False, "company"),
    ("city_name", False, "city"), ("name_of_city", False, "city"),
    ("company_name", False, "company"), ("country_name", False, "country"),
    ("produkt_namn", False, None), ("enhet_namn", False, None), ("table_name", False, None),
    ("task_name", False, None),
])
def test_whose_name_a_column_holds(column: str, person: bool, quasi: str | None) -> None:
    found = pii.detect(column, [])
    assert (found is not None and found.provider == "full_name") is person
    assert pii.quasi_identifier(column) == quasi


def test_specific_rules_still_come_first() -> None:
    """The qualifier rule is only for the bare word: fornamn, efternamn, customer_name and
    street_name keep their own providers."""
    expect = {"fornamn": "first_name", "efternamn": "last_name", "customer_name": "full_name",
              "street_name": "street_address", "anvandarnamn": "user_name"}
    for column, provider in expect.items():
        found = pii.detect(column, [])
        assert found is not None and found.provider == provider, column


def test_municipality_names_stay_categories_person_names_are_replaced(new_db) -> None:
    """A municipality held by many people is a category like a country: the clone keeps the
    source's municipalities and shares. The person's name beside it is replaced."""
    rng = np.random.default_rng(1)
    towns = ["Uppsala", "Enköping", "Tierp", "Östhammar", "Knivsta", "Håbo"]
    people = [f"Person{i} Efternamn{i}" for i in range(600)]
    rows = [(i + 1, people[i], towns[int(rng.integers(0, len(towns)))]) for i in range(600)]
    source = new_db("sqlite")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE invanare (id INTEGER PRIMARY KEY, namn TEXT NOT NULL, "
                             "kommun_namn TEXT NOT NULL)")
        conn.exec_driver_sql("INSERT INTO invanare VALUES (?, ?, ?)", rows)
    tm = fit_source(source).table("invanare")
    assert tm.column("namn").strategy == "pii"
    assert tm.column("kommun_namn").strategy == "categorical"
    target = new_db("sqlite")
    clone(source, target, seed=3)
    with engine_for(target).connect() as conn:
        got = conn.execute(sa.text("SELECT namn, kommun_namn FROM invanare")).all()
    assert {k for _, k in got} == set(towns)
    assert not {n for n, _ in got} & set(people)
