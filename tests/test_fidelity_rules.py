"""Fidelity rules of the synthesizer, each on a small source built for it (SQLite)."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from dbclone.api import clone
from dbclone.connect import engine_for
from tests.helpers import sqlite_clone, sqlite_source


def test_numbers_and_nulls_follow_their_category(new_db) -> None:
    """An amount that exists only for some kinds of grant, at a level set by the kind, is
    drawn per kind: each kind keeps its NULL share and its own range."""
    rng = np.random.default_rng(0)
    kinds = {"cash": (None, 0.0), "rent": (8000.0, 0.1), "food": (900.0, 0.3),
             "advice": (None, 1.0), "care": (None, 1.0)}
    rows = []
    for i in range(1200):
        kind = list(kinds)[i % len(kinds)]
        level, null_share = kinds[kind]
        if level is None and null_share == 0.0:
            level = 30000.0
        amount = None if rng.random() < null_share or level is None else \
            round(float(level * rng.uniform(0.8, 1.2)), 2)
        rows.append((i + 1, kind, amount))
    source = sqlite_source(new_db, ["CREATE TABLE grant_decision (id INTEGER PRIMARY KEY, "
                                    "kind TEXT NOT NULL, amount NUMERIC(12, 2))"],
                           {"grant_decision": rows})
    with sqlite_clone(new_db, source, 5).connect() as conn:
        got = conn.execute(sa.text("SELECT kind, amount FROM grant_decision")).all()
    by_kind: dict[str, list[float | None]] = {}
    for kind, amount in got:
        by_kind.setdefault(kind, []).append(None if amount is None else float(amount))
    assert set(by_kind) == set(kinds)
    assert all(v is None for v in by_kind["advice"] + by_kind["care"])
    cash = [v for v in by_kind["cash"] if v is not None]
    assert len(cash) == len(by_kind["cash"]) and min(cash) >= 24000 and max(cash) <= 36000
    rent = [v for v in by_kind["rent"] if v is not None]
    assert 0.8 * 0.9 * len(by_kind["rent"]) <= len(rent) < len(by_kind["rent"])
    assert min(rent) >= 6400 and max(rent) <= 9600
    food = [v for v in by_kind["food"] if v is not None]
    assert min(food) >= 720 and max(food) <= 1080


def test_child_with_an_array_column_clones(new_db) -> None:
    """A child table's array column (Pagila's film.special_features) is no candidate for a
    copy of its parent's column: fitting must not try to count lists."""
    source = new_db("postgresql")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE shelf (id INTEGER PRIMARY KEY, name TEXT)")
        conn.exec_driver_sql("CREATE TABLE item (id INTEGER PRIMARY KEY, shelf_id INTEGER NOT "
                             "NULL REFERENCES shelf (id), tags TEXT[])")
        conn.exec_driver_sql("INSERT INTO shelf SELECT g, 'shelf ' || g FROM "
                             "generate_series(1, 10) g")
        conn.exec_driver_sql("INSERT INTO item SELECT g, 1 + mod(g, 10), CASE WHEN mod(g, 3) = 0 "
                             "THEN ARRAY['a', 'b'] ELSE ARRAY['c'] END FROM "
                             "generate_series(1, 60) g")
    target = new_db("postgresql")
    clone(source, target, seed=6)
    with engine_for(target).connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM item")).scalar_one() == 60
        tags = {x for (t,) in conn.execute(sa.text("SELECT tags FROM item")) for x in t}
    assert tags <= {"a", "b", "c"}


def test_dates_stay_near_their_base_and_inside_the_source_range(new_db) -> None:
    """A period that starts around its opening date (before or after it) stays near it, and a
    closing date drawn as opening + duration never runs past the source's last date: cases
    opened late closed soon (or are still open), as in data extracted on one day."""
    import datetime as dt

    rng = np.random.default_rng(1)
    start, end = dt.date(2019, 1, 1), dt.date(2023, 12, 31)
    rows = []
    for i in range(1500):
        opened = start + dt.timedelta(days=int(rng.integers(0, (end - start).days)))
        period = opened + dt.timedelta(days=int(rng.integers(-10, 11)))
        closed = opened + dt.timedelta(days=int(rng.integers(10, 300)))
        status = "closed" if closed <= end else "open"
        rows.append((i + 1, status, opened.isoformat(), period.isoformat(),
                     closed.isoformat() if status == "closed" else None))
    source = sqlite_source(new_db, [
        "CREATE TABLE matter (id INTEGER PRIMARY KEY, status TEXT NOT NULL, opened_on DATE "
        "NOT NULL, period_start DATE NOT NULL, closed_on DATE, CHECK ((status = 'closed') "
        "= (closed_on IS NOT NULL)))"], {"matter": rows})
    with sqlite_clone(new_db, source, 7).connect() as conn:
        got = conn.execute(sa.text(
            "SELECT status, opened_on, period_start, closed_on FROM matter")).all()
    days = [(dt.date.fromisoformat(p) - dt.date.fromisoformat(o)).days for _, o, p, _ in got]
    assert np.mean([abs(d) <= 10 for d in days]) >= 0.95
    assert min(days) < 0 < max(days)
    closed = [dt.date.fromisoformat(c) for s, _, _, c in got if c is not None]
    assert len(closed) > 0.8 * len(got) and max(closed) <= end
    assert all((s == "closed") == (c is not None) for s, _, _, c in got)


def test_phone_numbers_keep_the_source_length_mix(new_db) -> None:
    """Phone numbers mostly in one format, a third in foreign formats each too rare to keep:
    the replaced numbers keep the source's length mix (the rare lengths too, not all in the
    common format), all different, none a source number."""
    rng = np.random.default_rng(1)
    rare = ["##.##.##.##", "########", "(#) ##.##.##.##", "(####) #####", "###-### ## ##"]
    rows = []
    for i in range(60):
        shape = "(###) ###-####" if i % 3 else rare[(i // 3) % len(rare)]
        phone = "".join(str(rng.integers(0, 10)) if c == "#" else c for c in shape)
        rows.append((i + 1, phone))
    source = sqlite_source(new_db, ["CREATE TABLE supplier (id INTEGER PRIMARY KEY, phone TEXT)"],
                           {"supplier": rows})
    with sqlite_clone(new_db, source, 3).connect() as conn:
        got = [r[0] for r in conn.execute(sa.text("SELECT phone FROM supplier"))]
    common = np.mean([len(p) == 14 for p in got])
    assert 0.5 <= common <= 0.85  # two thirds in the source
    assert np.mean([len(p) <= 11 for p in got]) >= 0.1  # 8- to 11-character numbers
    assert len(set(got)) >= 0.9 * len(got)
    assert not set(got) & {p for _, p in rows}
    assert all(sum(c.isdigit() for c in p) >= 0.6 * len(p) for p in got)


def test_joint_category_keeps_each_column_when_its_tail_is_long(new_db) -> None:
    """Two strongly associated categories (a region and the team serving it) become one joint
    category only when combinations held by k rows or more cover nearly all rows: here the
    three common regions hold 60% and the rest is a long tail of rare ones, so the clone
    keeps that tail's share (as stand-ins) instead of spreading it over the common three."""
    rows = []
    for i in range(300):
        # three common regions, then 30 rare ones of 4 rows each
        region = ["North", "South", "East"][i % 3] if i < 180 else f"Province {i % 30:02d}"
        team = ["red", "green", "blue"][sum(map(ord, region)) % 3]
        rows.append((i + 1, region, team))
    source = sqlite_source(new_db, ["CREATE TABLE client (id INTEGER PRIMARY KEY, region TEXT "
                                    "NOT NULL, team TEXT NOT NULL)"], {"client": rows})
    with sqlite_clone(new_db, source, 3).connect() as conn:
        got = conn.execute(sa.text("SELECT region, team FROM client")).all()
    common = sum(1 for region, _ in got if region in ("North", "South", "East"))
    assert 0.45 <= common / len(got) <= 0.75
    assert not {r for r, _ in got if r.startswith("Province")}  # rare: never verbatim
    assert {t for _, t in got} == {"red", "green", "blue"}


def test_siblings_spread_like_the_source(new_db) -> None:
    """Children of one parent that cover the range evenly (every account's six payments are
    10, 20, ... 60 in some order) keep that spread: the parents' mean amounts vary far less
    than independent draws of the same amounts would make them."""
    rng = np.random.default_rng(1)
    payments = []
    for account in range(1, 201):
        for amount in rng.permutation([10, 20, 30, 40, 50, 60]):
            payments.append((len(payments) + 1, account, int(amount)))
    source = sqlite_source(new_db, [
        "CREATE TABLE account (id INTEGER PRIMARY KEY)",
        "CREATE TABLE payment (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL "
        "REFERENCES account (id), amount INTEGER NOT NULL)",
    ], {"account": [(i,) for i in range(1, 201)], "payment": payments})
    with sqlite_clone(new_db, source, 2).connect() as conn:
        got = conn.execute(sa.text("SELECT account_id, amount FROM payment")).all()
    by_account: dict[int, list[int]] = {}
    for account, amount in got:
        by_account.setdefault(account, []).append(amount)
    full = [v for v in by_account.values() if len(v) == 6]
    assert len(full) >= 150
    means = np.array([np.mean(v) for v in full])
    chance = np.std([a for _, a in got]) / np.sqrt(6)  # sd of a mean of 6 independent draws
    assert means.std() < 0.5 * chance  # 0.36 here; 1.0 before the spread rule


def test_size_is_length_times_a_rate_per_kind(new_db) -> None:
    """A file's size is its length times a bitrate set by its kind (log correlation 0.93,
    under the plain ratio rule's 0.95): the size is modelled as the length times a log-ratio
    drawn per kind, so each kind keeps its bitrate as tightly as the source does."""
    rng = np.random.default_rng(0)
    rate = {"audio": 16.0, "speech": 6.0, "video": 60.0}
    mu = {"audio": 12.3, "speech": 12.3, "video": 14.3}
    kinds = rng.choice(list(rate), 600, p=[0.8, 0.12, 0.08])
    rows = []
    for i, kind in enumerate(kinds):
        length = round(float(np.exp(rng.normal(mu[kind], 0.6))))
        size = round(length * rate[kind] * float(np.exp(rng.normal(0, 0.03))))
        rows.append((i + 1, str(kind), length, size))
    source = sqlite_source(new_db, ["CREATE TABLE media (id INTEGER PRIMARY KEY, kind TEXT NOT "
                                    "NULL, length_ms INTEGER NOT NULL, size_bytes INTEGER NOT "
                                    "NULL)"], {"media": rows})
    with sqlite_clone(new_db, source, 4).connect() as conn:
        got = conn.execute(sa.text("SELECT kind, length_ms, size_bytes FROM media")).all()
    for kind, expected in rate.items():
        rates = np.array([s / n for k, n, s in got if k == kind])
        assert len(rates) >= 20
        assert abs(np.median(rates) / expected - 1) < 0.05, kind
        # the source: 90% within 5% (3% noise); 70-79% before this rule, 89-91% with it
        assert np.mean(np.abs(rates / expected - 1) < 0.05) > 0.85, kind


def test_same_seed_same_clone_whatever_the_hash_seed(new_db) -> None:
    """The same model and seed give the same rows in every process: nothing may depend on
    the order Python iterates a set of strings in (PYTHONHASHSEED changes it per process).
    Rare job titles get stand-ins made of the common titles' words, which once did."""
    import os
    import subprocess
    import sys

    from tests.helpers import table_digest

    titles = (["Sales Representative"] * 9 + ["Owner"] * 8 + ["Marketing Manager"] * 7
              + ["Accounting Manager"] * 6 + ["Order Administrator", "Sales Agent",
                                               "Assistant Sales Agent", "Marketing Assistant"])
    source = sqlite_source(new_db, ["CREATE TABLE contact (id INTEGER PRIMARY KEY, title TEXT)"],
                           {"contact": list(enumerate(titles))})
    digests = []
    for hash_seed in ("1", "2"):
        target = new_db("sqlite")
        subprocess.run([sys.executable, "-c", "from dbclone.cli import app; app()", "clone",
                        source, target, "--seed", "3", "--quiet"], check=True,
                       env=dict(os.environ, PYTHONHASHSEED=hash_seed))
        digests.append(table_digest(target))
    assert digests[0] == digests[1]


def test_small_forest_keeps_its_levels(new_db) -> None:
    """A self-reference in a small table (one general manager, two managers, five staff)
    keeps one root and its levels in every clone: rounding a level's share to zero rows once
    left the rows below it without parents, all roots."""
    rows = [(1, None), (2, 1), (3, 2), (4, 2), (5, 2), (6, 1), (7, 6), (8, 6)]
    source = sqlite_source(new_db, ["CREATE TABLE staff (id INTEGER PRIMARY KEY, boss INTEGER "
                                    "REFERENCES staff (id))"], {"staff": rows})
    for seed in range(6):
        with sqlite_clone(new_db, source, seed).connect() as conn:
            depths = conn.exec_driver_sql(
                "WITH RECURSIVE d(id, depth) AS (SELECT id, 0 FROM staff WHERE boss IS NULL "
                "UNION ALL SELECT s.id, d.depth + 1 FROM staff s JOIN d ON s.boss = d.id) "
                "SELECT depth, COUNT(*) FROM d GROUP BY depth ORDER BY depth").all()
        assert [tuple(r) for r in depths] == [(0, 1), (1, 2), (2, 5)], seed
