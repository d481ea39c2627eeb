"""Replaced personal data in the report: compared by length, never by value or category.

The synthesizer fills names, emails, addresses (and all-rare quasi-identifiers) with Faker
values, so the report must not score a clone on reproducing them; it must still score an exact
copy perfectly and flag real rows that leak (privacy measures are unchanged).
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import string
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dbclone.connect import engine_for
from dbclone.report import build_report, render_html, render_text
from dbclone.report import detection as dda
from dbclone.report.data import Feature, features
from dbclone.report.model import Report
from tests.helpers import MISSING, REPORT_ROWS, SHARED, load_shared

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{MISSING['samples']}: {SHARED}")

#: Chinook's Invoice columns holding a customer's address: categories by count (a few dozen
#: values over 412 invoices), personal data by the synthesizer's detector.
BILLING = ("BillingAddress", "BillingCity", "BillingState", "BillingPostalCode")
#: Every Chinook column holding someone's name, contact or address, except Employee.City:
#: Calgary (5 employees) is a town k people share, kept as a category like a country.
PEOPLE = {
    "Customer": ("FirstName", "LastName", "Company", "Address", "City", "State", "PostalCode",
                 "Phone", "Fax", "Email"),
    "Employee": ("FirstName", "LastName", "Address", "PostalCode", "Phone", "Fax", "Email"),
    "Invoice": BILLING,
}


@pytest.fixture(scope="module")
def chinook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("personal") / "chinook.db"
    load_shared("chinook", "sqlite", str(path))
    return path


@pytest.fixture(scope="module")
def exact(chinook: Path) -> Report:
    copy = chinook.with_name("copy.db")
    shutil.copy(chinook, copy)
    return build_report(engine_for(str(chinook)), engine_for(str(copy)), sample_rows=REPORT_ROWS)


@pytest.fixture(scope="module")
def renamed(chinook: Path) -> Path:
    """Chinook with every person's name, contact and address replaced by other values of the
    same length (the same real value always maps to the same replacement); nothing else
    changed. What a perfect synthesizer would do to personal data."""
    path = chinook.with_name("renamed.db")
    shutil.copy(chinook, path)
    rng = random.Random(3)
    con = sqlite3.connect(path)
    for table, columns in PEOPLE.items():
        for col in columns:
            mapping: dict[str, str] = {}
            rows = con.execute(f'SELECT DISTINCT "{col}" FROM "{table}" '
                               f'WHERE "{col}" IS NOT NULL').fetchall()
            for (value,) in rows:
                mapping[value] = _same_length(str(value), rng)
            con.executemany(f'UPDATE "{table}" SET "{col}" = ? WHERE "{col}" = ?',
                            [(new, old) for old, new in mapping.items()])
    con.commit()
    con.close()
    return path


def _same_length(value: str, rng: random.Random) -> str:
    """Another value of the same length and layout: letters for letters, digits for digits."""
    def swap(ch: str) -> str:
        if ch.isdigit():
            return rng.choice(string.digits)
        if ch.isalpha():
            return rng.choice(string.ascii_uppercase if ch.isupper() else string.ascii_lowercase)
        return ch
    out = value
    for _ in range(10):  # a value of one or two characters can come out unchanged
        out = "".join(swap(ch) for ch in value)
        if out != value:
            break
    return out


@pytest.fixture(scope="module")
def renamed_report(chinook: Path, renamed: Path) -> Report:
    return build_report(engine_for(str(chinook)), engine_for(str(renamed)), sample_rows=REPORT_ROWS)


def _personal(report: Report) -> set[tuple[str, str]]:
    return {(p.table, p.column) for p in report.personal}


# -- (a) an exact copy still scores 1.0 on replaced columns -----------------------------------

def test_exact_copy_scores_one_on_personal_columns(exact: Report) -> None:
    expected = {(t, c) for t, cols in PEOPLE.items() for c in cols}
    assert expected <= _personal(exact)
    for p in exact.personal:
        assert p.score == pytest.approx(1.0), (p.table, p.column)
        shape = next(c for c in exact.table(p.table).columns if c.column == p.column)
        assert (shape.family, shape.metric) == ("personal", "KS(length)")
    # The copy still leaks everything: privacy measures do not look away from personal data.
    assert exact.scores["privacy_overlap"] == 1.0 and exact.scores["privacy_copies"] == 1.0


def test_quasi_identifiers_with_common_values_stay_categories(exact: Report) -> None:
    """Customer.Country (USA, Canada, ... held by >= 5 customers) is modelled, so compared as
    categories; Customer.State (every state rare) is replaced; Invoice.BillingState has states
    on >= 5 invoices, but each held by fewer than 5 customers, so it is replaced too."""
    country = next(c for c in exact.table("Customer").columns if c.column == "Country")
    assert country.family == "categorical"
    assert {("Customer", "State"), ("Invoice", "BillingState")} <= _personal(exact)
    assert ("Invoice", "BillingCountry") not in _personal(exact)
    # A city is such a quasi-identifier: Customer.City (no city held by 5 customers) is
    # replaced, Employee.City (Calgary: 5 employees) is compared as categories.
    assert ("Customer", "City") in _personal(exact)
    city = next(c for c in exact.table("Employee").columns if c.column == "City")
    assert city.family == "categorical"


def test_personal_columns_are_the_ones_the_synthesizer_replaces(chinook: Path,
                                                                exact: Report) -> None:
    from dbclone.api import fit_source

    model = fit_source(f"sqlite:///{chinook}", seed=0)
    personal = {(p.table, p.column) for p in exact.personal if not p.quasi}
    quasi = {(p.table, p.column) for p in exact.personal if p.quasi}
    # Personal data: exactly the Faker columns. Places, organisations and job titles the
    # report lists are all replaced; the recogniser, which also reads the table's name,
    # may replace more (Employee.Title as job titles) than the report's name rule sees.
    assert personal | quasi == _faked(model, frozenset()) | quasi
    assert quasi <= _faked(model, QUASI_KINDS)


#: Kinds of the semantic recogniser the report lists as quasi-identifiers it replaces.
QUASI_KINDS = frozenset({"city", "country", "region", "company", "job"})


def _faked(model: Any, kinds: frozenset[str]) -> set[tuple[str, str]]:
    """Columns the model fills with values not its source's: `pii` ones (Faker), places,
    organisations and job titles drawn from public lists (`semantic` of such a kind), and
    copies of those from the driving parent (an invoice's billing address copies its
    customer's fake address)."""
    found = {(t.name, c.name) for t in model.tables for c in t.columns
             if c.strategy == "pii" or (c.strategy == "semantic" and c.text is not None
                                        and c.text.kind in kinds)}
    grew = True
    while grew:
        grew = False
        for t in model.tables:
            driver = next((f.ref_table for f in t.fks if f.driving), None)
            for c in t.columns:
                copied = c.strategy == "parent" and (driver, (c.base or "")[1:]) in found
                if copied and (t.name, c.name) not in found:
                    found.add((t.name, c.name))
                    grew = True
    return found


def test_personal_columns_are_reported_in_text_html_and_json(exact: Report) -> None:
    n = sum(1 for c in exact.personal if not c.quasi)
    headline = f"personal data replaced: {n} columns, compared by length only"
    assert headline in render_text(exact).lower()
    assert headline in render_html(exact).lower()
    data = json.loads(json.dumps(exact.to_dict()))
    assert data["personal"]["summary"] == headline
    email = next(c for c in data["personal"]["columns"]
                 if (c["table"], c["column"]) == ("Customer", "Email"))
    assert email["provider"] == "email" and email["score"] == 1.0


# -- (b) replaced names no longer drive detection to 1.0 ------------------------------------

def test_renamed_people_are_not_told_apart_by_their_names(renamed_report: Report) -> None:
    for table, columns in PEOPLE.items():
        t = renamed_report.table(table)
        for col in columns:
            shape = next(c for c in t.columns if c.column == col)
            assert shape.score == pytest.approx(1.0), (table, col)
        assert not any(p.left in columns or p.right in columns for p in t.pairs), table
    invoice = renamed_report.table("Invoice").detection
    assert invoice is not None and invoice.accuracy < 0.6  # 412 rows per class
    assert renamed_report.scores["detection_worst"] < 0.7
    # Privacy still looks at the values: none of the renamed near-unique values is shared.
    people = [o for o in renamed_report.overlaps if o.column in PEOPLE.get(o.table, ())]
    assert people and all(o.shared == 0 for o in people)


def test_the_same_columns_as_categories_would_be_told_apart(chinook: Path,
                                                            renamed: Path) -> None:
    """The contrast: encoded as categories, renamed billing addresses separate real from
    renamed invoices perfectly, which is what every clone used to score."""
    cols = ", ".join(f'"{c}"' for c in BILLING)
    frames = [pd.read_sql(f"SELECT {cols} FROM Invoice", engine_for(str(p)))
              for p in (chinook, renamed)]
    none = pd.DataFrame(index=frames[0].index)

    def accuracy(family: str) -> float:
        found = [Feature(c, family) for c in BILLING]
        x_real, x_synth = dda.feature_matrix(found, dda.Side(frames[0], none),
                                             dda.Side(frames[1], none.copy()))
        return dda.detect("Invoice", x_real, x_synth, seed=0).accuracy

    assert accuracy("categorical") > 0.95
    assert accuracy("personal") < 0.6


# -- keys are never features --------------------------------------------------------------------

def test_key_columns_are_not_features(tmp_path: Path) -> None:
    """PK, FK and FK-referenced (non-PK) columns are generated anew: never compared."""
    path = tmp_path / "keys.db"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, amount REAL);
        CREATE TABLE child (id INTEGER PRIMARY KEY, parent_code TEXT REFERENCES parent(code),
                            qty INTEGER);
    """)
    con.executemany("INSERT INTO parent VALUES (?, ?, ?)",
                    [(i, f"P{i:04d}", i * 1.5) for i in range(60)])
    con.executemany("INSERT INTO child VALUES (?, ?, ?)",
                    [(i, f"P{i % 60:04d}", i % 7) for i in range(300)])
    con.commit()
    con.close()
    from dbclone.introspect import introspect

    schema = introspect(engine_for(str(path)))
    values = pd.read_sql("SELECT * FROM parent", engine_for(str(path)))
    names = [f.column for f in features(schema.table("parent"), values, schema)]
    assert names == ["amount"]
    report = build_report(engine_for(str(path)), engine_for(str(path)), sample_rows=REPORT_ROWS)
    parent = report.table("parent")
    assert [c.column for c in parent.columns] == ["amount"]
    # amount, plus the child count and the mean of qty per parent: no key in sight.
    assert parent.detection is not None and parent.detection.features == 3
    assert [c.column for c in report.table("child").columns] == ["qty"]
