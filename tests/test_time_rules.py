"""Time within a family and keys in time order, end to end on SQLite sources made here: the
rentals of one copy never overlap where the source's never do, one person's periods follow
one another with only the last open ("valid until 9999"), serial ids follow the creation
date, and a flag of three values decided by a date's side of a threshold keeps that side."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import sqlalchemy as sa

from tests.helpers import sqlite_clone, sqlite_source

DAY0 = dt.datetime(2022, 1, 1)


def _rentals() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]],
                        list[tuple[object, ...]]]:
    """60 copies rented one after the other (back 1-6 days later, out again 3-20 days after
    that), by 40 customers, ids in the order the rentals were made."""
    rng = np.random.default_rng(0)
    copies = [(i + 1,) for i in range(60)]
    customers = [(i + 1,) for i in range(40)]
    made = []
    for copy in range(1, 61):
        at = DAY0 + dt.timedelta(days=float(rng.uniform(0, 30)))
        for _ in range(int(rng.integers(2, 9))):
            back = at + dt.timedelta(days=float(rng.uniform(1, 6)))
            made.append((at, copy, int(rng.integers(1, 41)), back))
            at = back + dt.timedelta(days=float(rng.uniform(3, 20)))
    made.sort()
    rentals = [(i + 1, c, cu, a.strftime("%Y-%m-%d %H:%M:%S"), b.strftime("%Y-%m-%d %H:%M:%S"))
               for i, (a, c, cu, b) in enumerate(made)]
    return copies, customers, rentals


def test_rentals_of_one_copy_follow_one_another_and_ids_follow_dates(new_db) -> None:
    copies, customers, rentals = _rentals()
    source = sqlite_source(new_db, [
        "CREATE TABLE copy (id INTEGER PRIMARY KEY)",
        "CREATE TABLE customer (id INTEGER PRIMARY KEY)",
        "CREATE TABLE rental (id INTEGER PRIMARY KEY, copy_id INTEGER NOT NULL REFERENCES "
        "copy(id), customer_id INTEGER NOT NULL REFERENCES customer(id), rented_at TIMESTAMP "
        "NOT NULL, returned_at TIMESTAMP NOT NULL)"],
        {"copy": copies, "customer": customers, "rental": rentals})
    with sqlite_clone(new_db, source, 1).connect() as conn:
        got = conn.execute(sa.text("SELECT id, copy_id, rented_at, returned_at FROM rental "
                                   "ORDER BY copy_id, rented_at")).all()
    assert len(got) > 200
    pairs = [(a, b) for a, b in zip(got, got[1:], strict=False) if a[1] == b[1]]
    overlaps = sum(b[2] < a[3] for a, b in pairs)
    # The source has none; a copy free at no moment may take one (its count is kept).
    assert overlaps <= 0.01 * len(pairs), (overlaps, len(pairs))
    by_id = sorted(got)
    assert all(a[2] <= b[2] for a, b in zip(by_id, by_id[1:], strict=False))


def test_periods_of_one_person_follow_one_another_and_only_the_last_is_open(new_db) -> None:
    rng = np.random.default_rng(1)
    people, periods = [], []
    for p in range(1, 151):
        hired = dt.date(1990, 1, 1) + dt.timedelta(days=int(rng.integers(0, 3000)))
        people.append((p, hired.isoformat()))
        at = hired
        for k in range(int(rng.integers(1, 8))):
            until = at + dt.timedelta(days=365)
            last = until > dt.date(2002, 1, 1) or k == 6
            periods.append((p, int(rng.integers(40, 90)) * 1000, at.isoformat(),
                            "9999-01-01" if last and rng.random() < 0.8 else until.isoformat()))
            if last:
                break
            at = until
    source = sqlite_source(new_db, [
        "CREATE TABLE person (id INTEGER PRIMARY KEY, hired DATE NOT NULL)",
        "CREATE TABLE pay (person_id INTEGER NOT NULL REFERENCES person(id), amount INTEGER "
        "NOT NULL, from_date DATE NOT NULL, to_date DATE NOT NULL, PRIMARY KEY (person_id, "
        "from_date))"], {"person": people, "pay": periods})
    with sqlite_clone(new_db, source, 2).connect() as conn:
        got = conn.execute(sa.text("SELECT person_id, from_date, to_date FROM pay "
                                   "ORDER BY person_id, from_date")).all()
    assert any(t == "9999-01-01" for _, _, t in got)
    for a, b in zip(got, got[1:], strict=False):
        if a[0] == b[0]:
            assert a[2] != "9999-01-01", (a, b)  # only the last period is open
            assert b[1] >= a[2], (a, b)


def test_a_flag_of_three_values_keeps_its_side_of_a_date(new_db) -> None:
    rng = np.random.default_rng(3)
    cut = dt.date(2020, 6, 1)
    rows = []
    for i in range(400):
        day = dt.date(2019, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1000)))
        flag = "N" if day > cut else ("R" if rng.random() < 0.5 else "A")
        rows.append((i + 1, day.isoformat(), flag))
    source = sqlite_source(new_db, [
        "CREATE TABLE line (id INTEGER PRIMARY KEY, received DATE NOT NULL, flag CHAR(1) "
        "NOT NULL)"], {"line": rows})
    with sqlite_clone(new_db, source, 4).connect() as conn:
        got = conn.execute(sa.text("SELECT received, flag FROM line")).all()
    assert {f for _, f in got} == {"N", "R", "A"}
    assert all((f == "N") == (day > cut.isoformat()) for day, f in got), got[:10]


def test_notes_fall_inside_their_case_and_inspect_names_the_rules(new_db) -> None:
    from typer.testing import CliRunner

    from dbclone.cli import app

    rng = np.random.default_rng(5)
    authors = [(i + 1,) for i in range(8)]
    cases, notes = [], []
    for c in range(1, 201):
        opened = dt.date(2020, 1, 1) + dt.timedelta(days=int(rng.integers(0, 1400)))
        closed = opened + dt.timedelta(days=int(rng.integers(5, 200))) if rng.random() < 0.7 \
            else None
        cases.append((c, opened.isoformat(), closed.isoformat() if closed else None))
        for _ in range(int(rng.integers(1, 6))):
            span = (closed - opened).days if closed else 150
            at = dt.datetime.combine(opened, dt.time()) + dt.timedelta(
                days=float(rng.uniform(0, span)))
            notes.append((len(notes) + 1, c, int(rng.integers(1, 9)),
                          at.strftime("%Y-%m-%d %H:%M:%S"), "2022-02-15 09:57:20"))
    source = sqlite_source(new_db, [
        "CREATE TABLE author (id INTEGER PRIMARY KEY)",
        "CREATE TABLE matter (id INTEGER PRIMARY KEY, opened_on DATE NOT NULL, closed_on DATE)",
        "CREATE TABLE note (id INTEGER PRIMARY KEY, matter_id INTEGER NOT NULL REFERENCES "
        "matter(id), author_id INTEGER NOT NULL REFERENCES author(id), written_at TIMESTAMP "
        "NOT NULL, touched TIMESTAMP NOT NULL)"], {"author": authors, "matter": cases,
                                                   "note": notes})
    with sqlite_clone(new_db, source, 6).connect() as conn:
        got = conn.execute(sa.text(
            "SELECT n.written_at, m.opened_on, m.closed_on FROM note n JOIN matter m ON "
            "m.id = n.matter_id")).all()
        touched = conn.execute(sa.text("SELECT DISTINCT touched FROM note")).scalars().all()
    # one value in the source stays that value (not moved into a parent's period)
    assert [str(t) for t in touched] == ["2022-02-15 09:57:20"], touched
    assert len(got) > 300
    assert all(len(str(w)) == 19 for w, _, _ in got), got[:3]  # whole seconds, as the source
    inside = [w[:10] >= o and (c is None or w[:10] <= c) for w, o, c in got]
    assert np.mean(inside) >= 0.99, [g for g, ok in zip(got, inside, strict=True) if not ok][:5]
    said = CliRunner().invoke(app, ["inspect", "--relations", source])
    assert said.exit_code == 0, said.output
    assert "note: written_at is never before matter.opened_on nor after matter.closed_on" \
        in said.output, said.output


def _posts(rng: np.random.Generator, person: int, hired: dt.date, years: int,
           last: str) -> list[tuple[int, str, str, str]]:
    """A person's one post from hiring to `last`, or (40 % of those with more than three
    years) two, the move on a year's boundary."""
    if years > 3 and rng.random() < 0.4:
        moved = hired + dt.timedelta(days=365 * int(rng.integers(1, years)))
        return [(person, "a", hired.isoformat(), moved.isoformat()),
                (person, "b", moved.isoformat(), last)]
    return [(person, "a", hired.isoformat(), last)]


def _employment(new_db, posts: str, people: list, pay: list, held: list) -> str:
    """A SQLite source of people, their pay periods and their posts (table `posts`)."""
    return sqlite_source(new_db, [
        "CREATE TABLE person (id INTEGER PRIMARY KEY, hired DATE NOT NULL)",
        "CREATE TABLE pay (person_id INTEGER NOT NULL REFERENCES person(id), amount INTEGER "
        "NOT NULL, from_date DATE NOT NULL, to_date DATE NOT NULL, PRIMARY KEY (person_id, "
        "from_date))",
        f"CREATE TABLE {posts} (person_id INTEGER NOT NULL REFERENCES person(id), dept TEXT "
        "NOT NULL, from_date DATE NOT NULL, to_date DATE NOT NULL, PRIMARY KEY (person_id, "
        "dept))"], {"person": people, "pay": pay, posts: held})


@pytest.mark.parametrize("posts", ["post", "assignment"])
def test_sibling_tables_share_each_familys_span(new_db, posts: str) -> None:
    """A person's pay periods (a year each) and posts (one or two) begin on the hiring day
    and end on the same day, or are all still open; the clone keeps both ends shared. With
    the posts generated first ("assignment"), their span follows the number of pay periods
    (the clock), so the pay periods stay a year long."""
    rng = np.random.default_rng(7)
    people, pay, held = [], [], []
    for p in range(1, 201):
        hired = dt.date(1990, 1, 1) + dt.timedelta(days=int(rng.integers(0, 3000)))
        people.append((p, hired.isoformat()))
        years = int(rng.integers(1, 12))
        still = rng.random() < 0.7
        end = hired + dt.timedelta(days=365 * years)
        last = "9999-01-01" if still else end.isoformat()
        at = hired
        for k in range(years):
            until = at + dt.timedelta(days=365)
            pay.append((p, int(rng.integers(40, 90)) * 1000, at.isoformat(),
                        last if k == years - 1 else until.isoformat()))
            at = until
        held += _posts(rng, p, hired, years, last)
    source = _employment(new_db, posts, people, pay, held)
    with sqlite_clone(new_db, source, 8).connect() as conn:
        got = conn.execute(sa.text(
            "WITH a AS (SELECT person_id, MIN(from_date) s, MAX(to_date) e FROM pay GROUP BY 1),"
            f" b AS (SELECT person_id, MIN(from_date) s, MAX(to_date) e FROM {posts} GROUP BY 1) "
            "SELECT a.s = b.s, a.e = b.e, a.e = '9999-01-01' FROM a JOIN b USING (person_id)"
        )).all()
        pairs = conn.execute(sa.text(
            "SELECT p.from_date, p.to_date, q.from_date FROM pay p JOIN pay q ON "
            "q.person_id = p.person_id AND q.from_date > p.from_date AND NOT EXISTS "
            "(SELECT 1 FROM pay r WHERE r.person_id = p.person_id AND r.from_date > "
            "p.from_date AND r.from_date < q.from_date)")).all()
    assert len(got) > 150
    assert np.mean([s for s, _, _ in got]) >= 0.99, got[:5]
    assert np.mean([e for _, e, _ in got]) >= 0.97, got[:5]
    assert 0.5 < np.mean([o for _, _, o in got]) < 0.9  # open families stay about 70 %
    assert all(q >= e for _, e, q in pairs)  # still one period after the other
    years = [(dt.date.fromisoformat(q) - dt.date.fromisoformat(s)).days for s, _, q in pairs]
    assert 330 <= np.median(years) <= 400, np.median(years)
    from typer.testing import CliRunner

    from dbclone.cli import app

    said = CliRunner().invoke(app, ["inspect", "--relations", source])
    assert said.exit_code == 0, said.output
    follower = "post" if posts == "post" else "pay"
    assert f"{follower}: the periods of one person_id span what its " in said.output
    if posts == "assignment":
        assert "assignment: the periods of one person_id last as long as its pay rows count " \
            "periods" in said.output, said.output


def test_open_families_run_up_to_the_latest_start(new_db) -> None:
    """People still employed had their last year-long pay period begin in the data's last
    year; those who left did so earlier, mid-year. The clone keeps both: every open
    family's last period starts within a year of the latest start, and every period but a
    family's last lasts the year (before: counts drawn apart from the start left open
    families ending in 1995 and pressed 47 % of the periods short)."""
    rng = np.random.default_rng(13)
    now = dt.date(2002, 8, 1)
    people, pay, held = [], [], []
    for p in range(1, 301):
        hired = dt.date(1985, 1, 1) + dt.timedelta(days=int(rng.integers(0, 6200)))
        people.append((p, hired.isoformat()))
        units = (now - hired).days // 365 + 1  # periods from the hiring up to now
        still = units < 2 or rng.random() < 0.8
        years = units if still else int(rng.integers(1, units))
        left = hired + dt.timedelta(days=365 * (years - 1) + int(rng.integers(10, 355)))
        last = "9999-01-01" if still else left.isoformat()
        for k in range(years):
            at = hired + dt.timedelta(days=365 * k)
            until = at + dt.timedelta(days=365)
            pay.append((p, int(rng.integers(40, 90)) * 1000, at.isoformat(),
                        last if k == years - 1 else until.isoformat()))
        held += _posts(rng, p, hired, years, last)
    source = _employment(new_db, "assignment", people, pay, held)
    with sqlite_clone(new_db, source, 3).connect() as conn:
        rows = conn.execute(sa.text("SELECT person_id, from_date, to_date FROM pay "
                                    "ORDER BY person_id, from_date")).all()
    top = max(dt.date.fromisoformat(f) for _, f, _ in rows)
    open_last = [(top - dt.date.fromisoformat(f)).days for _, f, t in rows if t == "9999-01-01"]
    assert 150 < len(open_last) < 280
    assert np.mean([0 <= d < 366 for d in open_last]) >= 0.99, sorted(open_last)[-5:]
    lengths = [(dt.date.fromisoformat(a[2]) - dt.date.fromisoformat(a[1])).days
               for a, b in zip(rows, rows[1:], strict=False) if a[0] == b[0]]
    assert len(lengths) > 1000
    assert np.mean([364 <= d <= 366 for d in lengths]) >= 0.99, np.percentile(lengths, [1, 5])
    from typer.testing import CliRunner

    from dbclone.cli import app

    said = CliRunner().invoke(app, ["inspect", "--relations", source])
    assert said.exit_code == 0, said.output
    assert "count periods, open ones up to the latest start" in said.output, said.output


def test_a_childs_column_is_null_where_its_parents_flag_says_so(new_db) -> None:
    """A decision's amount is NULL for every benefit not paid out (the parent's flag), set
    in most decisions of the others (NULL only when rejected, as a CHECK wants), and NULL
    in the decisions without a benefit; inspect names the rule."""
    from typer.testing import CliRunner

    from dbclone.cli import app

    rng = np.random.default_rng(9)
    benefits = [(i + 1, f"benefit {i + 1}", int(i % 3 == 0)) for i in range(12)]
    decisions = []
    for d in range(1, 801):
        benefit = int(rng.integers(1, 13)) if rng.random() < 0.9 else None
        rejected = rng.random() < 0.15
        paid = benefit is not None and benefits[benefit - 1][2] == 1
        amount = round(float(rng.uniform(500, 9000)), 2) if paid and not rejected else None
        decisions.append((d, benefit, "rejected" if rejected else "granted", amount))
    source = sqlite_source(new_db, [
        "CREATE TABLE benefit (id INTEGER PRIMARY KEY, name TEXT NOT NULL, is_paid BOOLEAN "
        "NOT NULL)",
        "CREATE TABLE decision (id INTEGER PRIMARY KEY, benefit_id INTEGER REFERENCES "
        "benefit(id), outcome TEXT NOT NULL, amount NUMERIC(10, 2), CHECK (outcome <> "
        "'rejected' OR amount IS NULL))"], {"benefit": benefits, "decision": decisions})
    with sqlite_clone(new_db, source, 10).connect() as conn:
        got = conn.execute(sa.text(
            "SELECT b.is_paid, d.amount IS NULL, d.outcome FROM decision d LEFT JOIN benefit b "
            "ON b.id = d.benefit_id")).all()
    assert len(got) > 600
    unpaid = [n for paid, n, _ in got if paid == 0]
    paid = [n for p, n, _ in got if p == 1]
    orphans = [n for p, n, _ in got if p is None]
    assert unpaid and all(unpaid), np.mean(unpaid)
    assert orphans and all(orphans)
    assert 0.05 < np.mean(paid) < 0.3, np.mean(paid)  # the source's 15 % rejected
    assert all(n for _, n, outcome in got if outcome == "rejected")
    said = CliRunner().invoke(app, ["inspect", "--relations", source])
    assert said.exit_code == 0, said.output
    assert "decision: amount is NULL where benefit_id's benefit.is_paid says so" in said.output


def test_amounts_and_times_keep_the_source_granularity(new_db) -> None:
    """Payments mostly in whole hundreds with a few in öre (kommun's 5,728 of 5,830), and
    bookings mostly on the half hour: the clone keeps both shares, not a quantile's
    arbitrary öre and seconds (5,775 of 5,830 in öre before)."""
    rng = np.random.default_rng(11)
    rows = []
    for i in range(600):
        amount = float(rng.integers(5, 200)) * 100 if rng.random() < 0.97 else \
            round(float(rng.uniform(500, 20000)), 2)
        start = DAY0 + dt.timedelta(days=int(rng.integers(0, 300)),
                                    minutes=30 * int(rng.integers(16, 40)))
        if rng.random() < 0.05:
            start += dt.timedelta(seconds=int(rng.integers(1, 1799)))
        rows.append((i + 1, f"{amount:.2f}", start.strftime("%Y-%m-%d %H:%M:%S")))
    source = sqlite_source(new_db, [
        "CREATE TABLE booking (id INTEGER PRIMARY KEY, amount NUMERIC(12, 2) NOT NULL, "
        "starts_at TIMESTAMP NOT NULL)"], {"booking": rows})
    with sqlite_clone(new_db, source, 12).connect() as conn:
        got = conn.execute(sa.text("SELECT amount, starts_at FROM booking")).all()
    assert len(got) == 600
    hundreds = np.mean([float(a) % 100 == 0 for a, _ in got])
    assert 0.9 <= hundreds < 1.0, hundreds  # and a few in öre still
    slots = np.mean([str(t)[14:19] in ("00:00", "30:00") for _, t in got])
    assert slots >= 0.88, (slots, got[:5])


def test_a_parents_amount_split_among_children_keeps_their_granularity(new_db) -> None:
    """Payments that split their decision's amount (kommun: the decision's amount_sek in 1-12
    payments), in whole kronor but for 3 % in öre: the split (`relations.shares`) keeps the
    whole kronor (55 of 5,830 kommun payments whole before, source 5,728)."""
    from dbclone.api import fit_source

    rng = np.random.default_rng(13)
    decisions, payments = [], []
    for d in range(1, 301):
        n = int(rng.integers(1, 6))
        each = int(rng.integers(20, 200)) * 100
        decisions.append((d, each * n))
        for _ in range(n):
            amount = each if rng.random() < 0.97 else each + 0.5
            payments.append((len(payments) + 1, d, f"{amount:.2f}"))
    source = sqlite_source(new_db, [
        "CREATE TABLE decision (id INTEGER PRIMARY KEY, amount NUMERIC(12, 2) NOT NULL)",
        "CREATE TABLE payment (id INTEGER PRIMARY KEY, decision_id INTEGER NOT NULL "
        "REFERENCES decision(id), amount NUMERIC(12, 2) NOT NULL)"],
        {"decision": decisions, "payment": payments})
    assert fit_source(source).table("payment").column("amount").op == "share"
    with sqlite_clone(new_db, source, 14).connect() as conn:
        got = conn.execute(sa.text("SELECT amount FROM payment")).scalars().all()
    whole = np.mean([float(a) == round(float(a)) for a in got])
    assert whole >= 0.85, whole
