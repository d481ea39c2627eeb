"""End-to-end clones on real databases: the walking skeleton's promises."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dbclone.api import clone
from dbclone.connect import engine_for
from dbclone.synth.pii import email_token
from tests.helpers import (
    build_kommun,
    check_clone,
    kommun_cycle_filled,
    table_digest,
)

#: Tables whose row count follows a parent's sampled children counts may differ from
#: scale x source by this share (rows dropped to keep a composite key unique).


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_clone_chinook(dialect: str, shared, new_db) -> None:
    source = shared("chinook", dialect)
    target = new_db(dialect)
    result = clone(source, target, seed=1)
    assert result.total_rows > 15000
    # Small lookup tables without personal data are copied; everything else is synthetic.
    assert {v.lower().replace("_", "") for v in result.verbatim} == {"genre", "mediatype",
                                                                      "playlist"}
    check_clone(source, target, 1.0, result.verbatim)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_clone_employees_scaled(dialect: str, shared, new_db) -> None:
    source = shared("employees", dialect)
    target = new_db(dialect)
    result = clone(source, target, scale=0.5, seed=2)
    assert result.verbatim == ("department",)
    check_clone(source, target, 0.5, result.verbatim)


def test_next_insert_uses_sequence(shared, new_db) -> None:
    """employee.emp_no is SERIAL: the application's next INSERT must not collide."""
    source = shared("employees", "postgresql")
    target = new_db("postgresql")
    clone(source, target, seed=3)
    engine = engine_for(target)
    with engine.begin() as conn:
        top = conn.execute(sa.text("SELECT MAX(emp_no) FROM employee")).scalar_one()
        new = conn.execute(sa.text(
            "INSERT INTO employee (birth_date, first_name, last_name, gender, hire_date) "
            "VALUES ('1980-01-01', 'A', 'B', 'F', '2010-01-01') RETURNING emp_no")).scalar_one()
    assert new > top


def test_same_seed_same_database(shared, new_db) -> None:
    source = shared("chinook", "sqlite")
    a, b, c = new_db("sqlite"), new_db("sqlite"), new_db("sqlite")
    clone(source, a, seed=7)
    clone(source, b, seed=7)
    clone(source, c, seed=8)
    assert table_digest(a) == table_digest(b)
    assert table_digest(a) != table_digest(c)


def test_no_source_name_or_email_in_clone(shared, new_db) -> None:
    """Personal data comes from Faker: no customer's email or name survives."""
    source = shared("chinook", "sqlite")
    target = new_db("sqlite")
    clone(source, target, seed=4)
    q = "SELECT Email, FirstName || ' ' || LastName FROM Customer"
    with engine_for(source).connect() as s, engine_for(target).connect() as t:
        real = {v for row in s.execute(sa.text(q)) for v in row}
        fake = {v for row in t.execute(sa.text(q)) for v in row}
    assert len(fake) > 50
    assert not real & fake


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_clone_kommun_sample(dialect: str, new_db) -> None:
    """The project's own sample: a cycle through a nullable FK, a self-reference, CHECKs with
    formats, ranges and cross-column rules, a table without a primary key."""
    source = new_db(dialect)
    build_kommun(source)
    target = new_db(dialect)
    result = clone(source, target, seed=5)
    assert result.verbatim == ("benefit_type",)
    check_clone(source, target, 1.0, result.verbatim)
    assert kommun_cycle_filled(target)


def test_parent_totals_are_sums_of_children(shared, new_db) -> None:
    """Invoice.Total equals SUM(UnitPrice * Quantity) of its lines in the source; the clone
    recomputes it from the synthetic lines instead of drawing it independently."""
    source = shared("chinook", "sqlite")
    target = new_db("sqlite")
    clone(source, target, seed=6)
    q = ("SELECT COUNT(*) FROM Invoice i WHERE ABS(i.Total - COALESCE((SELECT SUM(l.UnitPrice "
         "* l.Quantity) FROM InvoiceLine l WHERE l.InvoiceId = i.InvoiceId), 0)) > 0.005")
    with engine_for(target).connect() as conn:
        assert conn.execute(sa.text(q)).scalar_one() == 0
        assert conn.execute(sa.text("SELECT COUNT(DISTINCT Total) FROM Invoice")).scalar_one() > 5


def test_generated_emails_use_reserved_domains(shared, new_db) -> None:
    """A test system must never mail a real person: every generated address ends in a domain
    reserved for examples (RFC 2606), whatever the source's domains were."""
    source = shared("chinook", "sqlite")
    target = new_db("sqlite")
    clone(source, target, seed=9)
    with engine_for(target).connect() as conn:
        emails = [r[0] for r in conn.execute(sa.text(
            "SELECT Email FROM Customer UNION ALL SELECT Email FROM Employee"))]
    assert len(emails) == 67
    domains = {e.rsplit("@", 1)[1] for e in emails}
    assert all(d.endswith((".test", ".example", ".invalid", "example.com", "example.org",
                           "example.net")) for d in domains), domains


def test_emails_follow_the_rows_names_like_the_source(new_db) -> None:
    """Pagila writes every email as FIRST.LAST@domain: the clone builds its emails from its own
    names in the same style and case, on a reserved domain of the same length."""
    source = new_db("sqlite")
    engine = sa.create_engine(source)
    firsts = ["Anna", "Bo", "Carl", "Dora", "Eva", "Frans", "Greta", "Hugo", "Ida", "Jonas"]
    lasts = ["Berg", "Lind", "Holm", "Ek", "Strand", "Nyberg", "Dahl", "Falk", "Sjö", "Wall"]
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE person (id INTEGER PRIMARY KEY, first_name TEXT "
                             "NOT NULL, last_name TEXT NOT NULL, email TEXT NOT NULL)")
        rows = [(i, f, la, f"{f}.{la}@bigcorp.org".upper().replace("SJÖ", "SJO"))
                for i, (f, la) in enumerate(((f, la) for f in firsts for la in lasts), 1)]
        conn.exec_driver_sql("INSERT INTO person VALUES (?, ?, ?, ?)", rows)
    target = new_db("sqlite")
    clone(source, target, seed=4)
    with engine_for(target).connect() as conn:
        got = conn.execute(sa.text("SELECT first_name, last_name, email FROM person")).all()
    assert len(got) == 100
    for first, last, email in got:  # bigcorp.org (11 characters) -> bigcor.test (11)
        assert email == f"{email_token(first)}.{email_token(last)}@bigcor.test".upper().replace(
            "BIGCOR.TEST", "bigcor.test"), (first, last, email)
