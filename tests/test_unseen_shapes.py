"""Shapes of data met in public databases nobody here tuned for (each test's docstring names
the database and what broke), rebuilt as small sources on the real servers: the public
data itself is never part of the repository."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from dbclone.api import clone
from dbclone.connect import engine_for
from tests.helpers import sqlite_clone, sqlite_source, uuid_owned_source


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


def test_a_count_mostly_zero_keeps_its_rare_tens(new_db) -> None:
    """Northwind (jpwhite3/northwind-SQLite3, SQLite): `Products.UnitsOnOrder` is 0 for 60 of
    77 products and 10-100 in whole tens for the rest, each of those values rarer than k: the
    categories dropped the tens and the clone's column was 0 throughout."""
    tens = [10] * 4 + [20, 30] + [40] * 3 + [50, 60] + [70] * 4 + [80, 100]
    rows = [(i + 1, v) for i, v in enumerate([0] * 60 + tens)]
    source = sqlite_source(new_db, ["CREATE TABLE product (id INTEGER PRIMARY KEY, "
                                    "units_on_order INTEGER NOT NULL DEFAULT 0)"],
                           {"product": rows})
    with sqlite_clone(new_db, source, 0).connect() as conn:
        got = [v for (v,) in conn.execute(sa.text("SELECT units_on_order FROM product"))]
    nonzero = [v for v in got if v != 0]
    assert len(got) == 77
    assert 5 <= len(nonzero) <= 30, sorted(got)
    assert all(v % 10 == 0 and 0 < v <= 100 for v in nonzero), sorted(nonzero)


def test_an_id_without_a_foreign_key_keeps_its_spread(new_db) -> None:
    """MyWind (dalers/mywind, MariaDB): `purchase_orders.submitted_by` names 8 employees
    without an FK, one of them on 14 of 28 orders and the others 1-3 times: the clone put
    every order on that one employee."""
    counts = {1: 3, 2: 14, 3: 2, 4: 3, 5: 1, 6: 1, 7: 3, 9: 1}
    values = [v for v, n in counts.items() for _ in range(n)]
    source = sqlite_source(new_db, ["CREATE TABLE purchase_order (id INTEGER PRIMARY KEY, "
                                    "submitted_by INTEGER)"],
                           {"purchase_order": [(i + 1, v) for i, v in enumerate(values)]})
    with sqlite_clone(new_db, source, 0).connect() as conn:
        got = [v for (v,) in conn.execute(sa.text("SELECT submitted_by FROM purchase_order"))]
    assert len(got) == 28
    assert len(set(got)) >= 4, got
    assert all(1 <= v <= 9 for v in got)


def test_whole_quantities_in_a_wide_decimal_stay_whole(new_db) -> None:
    """MyWind (MariaDB): quantities are DECIMAL(18, 4) holding whole numbers (100.0000);
    past 15 digits of precision the column was modelled as distances from its least value,
    which lost its step, and the clone's quantities read 24.1810, 13.2759."""
    rng = np.random.default_rng(3)
    source = new_db("mysql")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE order_line (id INT PRIMARY KEY, "
                             "quantity DECIMAL(18, 4) NOT NULL)")
        values = rng.choice([1, 2, 3, 5, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 100, 150, 200,
                             250, 300, 400, 500, 750, 1000], 300)
        conn.execute(sa.text("INSERT INTO order_line VALUES (:i, :q)"),
                     [{"i": i + 1, "q": int(v)} for i, v in enumerate(values)])
    target = new_db("mysql")
    clone(source, target, seed=0)
    with engine_for(target).connect() as conn:
        got = [v for (v,) in conn.execute(sa.text("SELECT quantity FROM order_line"))]
    assert len(got) == 300 and len(set(got)) >= 10
    assert all(v == v.to_integral_value() for v in got), sorted(set(got))[:10]


def test_a_numeric_without_scale_keeps_its_decimals(new_db) -> None:
    """Periodic table (neondatabase/postgres-sample-dbs, PostgreSQL): atomic masses in an
    unscaled NUMERIC with three decimals came out as 186.41400000000002 (the step's float
    arithmetic written as it stood)."""
    rng = np.random.default_rng(4)
    source = new_db("postgresql")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE element (n INTEGER PRIMARY KEY, mass NUMERIC)")
        masses = np.round(rng.uniform(1, 300, 400), 3)
        conn.execute(sa.text("INSERT INTO element VALUES (:n, :m)"),
                     [{"n": i + 1, "m": f"{m:.3f}"} for i, m in enumerate(masses)])
    target = new_db("postgresql")
    clone(source, target, seed=0)
    with engine_for(target).connect() as conn:
        got = [v for (v,) in conn.execute(sa.text("SELECT mass::text FROM element"))]
    assert len(got) == 400
    assert all(len(v.partition(".")[2]) <= 3 for v in got), [v for v in got if len(v) > 8][:5]


def test_report_on_a_column_that_is_always_null(new_db) -> None:
    """MyWind (MariaDB): customers.email_address, mobile_phone and others hold no value at
    all, and `dbclone report` stopped with a traceback from the detection's boosting
    (`window shape cannot be larger than input array shape`); Sakila's SQLite port too."""
    from dbclone.report.build import build_report

    rows = [(i + 1, f"item {i % 7}", float(i % 5), None) for i in range(60)]
    source = sqlite_source(new_db, ["CREATE TABLE item (id INTEGER PRIMARY KEY, "
                                    "label TEXT NOT NULL, weight REAL, note REAL)"],
                           {"item": rows})
    target = new_db("sqlite")
    clone(source, target, seed=0)
    report = build_report(engine_for(source), engine_for(target))
    (table,) = [t for t in report.tables if t.name == "item"]
    assert 0.0 <= table.detection.accuracy <= 1.0


def test_a_return_after_its_rental_keeps_whole_seconds(new_db) -> None:
    """Sakila (jOOQ/sakila's SQLite port; Pagila on PostgreSQL alike): `rental.return_date`
    is drawn as the rental date plus a delay; the source's stamps are whole seconds and the
    clone's returns read 2005-06-01 04:29:51.232610 in 15,653 of 16,044 rows."""
    import datetime as dt

    rng = np.random.default_rng(5)
    start = dt.datetime(2005, 5, 24, 22, 0, 0)
    rows = []
    for i in range(600):
        rented = start + dt.timedelta(seconds=int(rng.integers(0, 90 * 86400)))
        back = rented + dt.timedelta(seconds=int(rng.integers(3 * 3600, 9 * 86400)))
        rows.append({"i": i + 1, "r": rented, "b": back})
    source = new_db("postgresql")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE rental (id INTEGER PRIMARY KEY, rented_at "
                             "TIMESTAMP NOT NULL, returned_at TIMESTAMP)")
        conn.execute(sa.text("INSERT INTO rental VALUES (:i, :r, :b)"), rows)
    target = new_db("postgresql")
    clone(source, target, seed=0)
    with engine_for(target).connect() as conn:
        got = conn.execute(sa.text("SELECT rented_at, returned_at FROM rental")).all()
    assert len(got) == 600
    assert all(b is not None and b >= r for r, b in got)
    assert [b for _, b in got if b.microsecond] == []


def test_generated_columns_with_a_column_check_recreate_on_mariadb(new_db) -> None:
    """world_x (MySQL's sample, MariaDB): `countryinfo._json_schema` is a generated JSON
    column, which MariaDB shows as `GENERATED ALWAYS AS (...) VIRTUAL CHECK (json_valid(...))`;
    the reflected expression kept `VIRTUAL CHECK (...)` and the clone's CREATE TABLE failed
    with a syntax error. A generated column with its own CHECK failed alike."""
    source = new_db("mysql")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE doc (id INT PRIMARY KEY, body JSON, kind JSON GENERATED ALWAYS AS "
            "('{\"type\": \"object\"}') VIRTUAL, total INT NOT NULL, twice INT AS (total * 2) "
            "VIRTUAL CHECK (twice >= 0), code VARCHAR(8) AS (json_unquote(json_extract(body, "
            "'$.code'))) STORED)")
        conn.execute(sa.text("INSERT INTO doc (id, body, total) VALUES (:i, :b, :t)"),
                     [{"i": i, "b": f'{{"code": "C{i % 9}", "n": {i}}}', "t": i % 40}
                      for i in range(1, 121)])
    target = new_db("mysql")
    clone(source, target, seed=0)
    with engine_for(target).connect() as conn:
        got = conn.execute(sa.text("SELECT kind, total, twice, body, code FROM doc")).all()
        ddl = conn.execute(sa.text("SHOW CREATE TABLE doc")).one()[1]
    assert len(got) == 120
    assert all(twice == 2 * total for _, total, twice, _, _ in got)
    assert {kind for kind, *_ in got} == {'{"type": "object"}'}
    assert "VIRTUAL" in ddl and "STORED" in ddl and "`twice` >= 0" in ddl


def test_json_strings_keep_their_classes_of_characters(new_db) -> None:
    """world_x (MariaDB): `countryinfo.doc` holds a country's code (ABW), an object id
    (00005de917d80000000000000000) and its head of state (Beatrix); each value is rare, and
    the clone wrote all three as runs of small letters ("auf", "bizebvg...", "empfafflrg")."""
    rng = np.random.default_rng(6)
    source = new_db("postgresql")
    docs = []
    for i in range(200):
        code = "".join(chr(65 + int(c)) for c in rng.integers(0, 26, 3))
        ref = "".join("0123456789abcdef"[int(c)] for c in rng.integers(0, 16, 24))
        name = " ".join(chr(65 + int(rng.integers(0, 26))) + "".join(
            chr(97 + int(c)) for c in rng.integers(0, 26, int(rng.integers(3, 9))))
            for _ in range(int(rng.integers(1, 3))))
        docs.append({"i": i + 1, "d": f'{{"code": "{code}", "ref": "{ref}", "name": "{name}"}}'})
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE country_doc (id INTEGER PRIMARY KEY, doc JSONB)")
        conn.execute(sa.text("INSERT INTO country_doc VALUES (:i, CAST(:d AS JSONB))"), docs)
    target = new_db("postgresql")
    clone(source, target, seed=0)
    with engine_for(target).connect() as conn:
        got = [d for (d,) in conn.execute(sa.text("SELECT doc FROM country_doc"))]
    assert len(got) == 200
    assert all(d["code"].isalpha() and d["code"].isupper() for d in got if "code" in d)
    assert all(set(d["ref"]) <= set("0123456789abcdef") for d in got if "ref" in d)
    assert all(w[0].isupper() for d in got if "name" in d for w in d["name"].split())
    assert sum("code" in d and "ref" in d and "name" in d for d in got) >= 190


def test_sqlite_datetime_holding_days_stays_days(new_db) -> None:
    """Northwind SQLite (jpwhite3/northwind-SQLite3): `Orders.OrderDate` is declared DATETIME
    and holds '2016-07-04'; Sakila's SQLite port likewise in `customer.create_date`
    (TIMESTAMP). The clone wrote '2016-07-05 00:00:00', so text comparisons no longer match."""
    import datetime as dt

    rng = np.random.default_rng(7)
    start = dt.datetime(2016, 7, 4, 8, 0, 0)
    rows = []
    for i in range(300):
        ordered = start + dt.timedelta(days=int(rng.integers(0, 600)))
        stamp = ordered + dt.timedelta(seconds=int(rng.integers(0, 86400)))
        rows.append((i + 1, ordered.date().isoformat(), stamp.isoformat(sep=" ")))
    source = sqlite_source(new_db, ["CREATE TABLE orders (id INTEGER PRIMARY KEY, "
                                    "order_date DATETIME NOT NULL, touched TIMESTAMP)"],
                           {"orders": rows})
    with sqlite_clone(new_db, source, 0).connect() as conn:
        got = conn.exec_driver_sql("SELECT order_date, touched FROM orders").all()
    assert len(got) == 300
    assert all(len(day) == 10 and day[4] == "-" and day[7] == "-" for day, _ in got), got[:3]
    wrong = [(day, t) for day, t in got if len(t) != 19 or t < day]
    assert not wrong, wrong[:3]


def test_a_small_table_of_people_is_never_copied(new_db) -> None:
    """isis (pvh/postgresql-sample-database, PostgreSQL): `agents` holds 11 people (a bare
    `name` column of full names, a `birth` date) and is referenced by an FK, so it passed
    for a small lookup table and was copied into the clone as it is, names and birth dates."""
    people = ["Lana Kane", "Pam Poovey", "Ray Gillette", "Mallory Archer", "Cheryl Tunt",
              "Barry Dylan", "Sterling Archer", "Cyril Figgis", "Doctor Krieger", "Woodhouse",
              "Len Trexler"]
    source = new_db("postgresql")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE agent (id INTEGER PRIMARY KEY, name TEXT, "
                             "birth DATE, affiliation TEXT)")
        conn.exec_driver_sql("CREATE TABLE mission (id INTEGER PRIMARY KEY, agent_id INTEGER "
                             "NOT NULL REFERENCES agent (id), title TEXT)")
        conn.execute(sa.text("INSERT INTO agent VALUES (:i, :n, :b, :a)"),
                     [{"i": i + 1, "n": n, "b": f"19{50 + 3 * i}-0{1 + i % 9}-1{i % 9}",
                       "a": "ISIS" if i % 4 else "ODIN"} for i, n in enumerate(people)])
        conn.execute(sa.text("INSERT INTO mission VALUES (:i, :a, :t)"),
                     [{"i": i + 1, "a": 1 + i % 11, "t": f"operation {i % 13}"}
                      for i in range(60)])
    target = new_db("postgresql")
    clone(source, target, seed=0)
    with engine_for(target).connect() as conn:
        got = conn.execute(sa.text("SELECT name, birth::text FROM agent")).all()
    with engine_for(source).connect() as conn:
        real = set(conn.execute(sa.text("SELECT name, birth::text FROM agent")).all())
    assert len(got) == 11
    assert not set(got) & real, set(got) & real
    assert not {n for n, _ in got} & set(people)


def test_a_number_drawn_per_category_keeps_its_steps(new_db) -> None:
    """Periodic table (PostgreSQL): `Density` is drawn per `Type`; most values have two or
    three significant decimals and a few many more, so no single step holds, and the per
    category path ignored the source's mix of steps: 104 of 105 clone densities read like
    7.8050476190476195."""
    rng = np.random.default_rng(8)
    levels = {"metal": 8.0, "gas": 0.2, "halogen": 3.0, "noble": 0.5, "metalloid": 5.0}
    rows = []
    for i in range(600):
        kind = list(levels)[i % len(levels)]
        value = levels[kind] * float(rng.uniform(0.5, 1.5))
        rows.append((i + 1, kind, round(value, 7 if i % 10 == 0 else 2)))
    source = sqlite_source(new_db, ["CREATE TABLE element (id INTEGER PRIMARY KEY, "
                                    "kind TEXT NOT NULL, density REAL)"], {"element": rows})
    with sqlite_clone(new_db, source, 0).connect() as conn:
        got = [v for (v,) in conn.execute(sa.text("SELECT density FROM element"))
               if v is not None]
    assert len(got) >= 550
    short = [v for v in got if abs(v * 100 - round(v * 100)) < 1e-6]
    assert len(short) >= 0.7 * len(got), sorted(got)[:10]


def test_uuids_of_another_table_without_a_foreign_key_keep_their_reuse(new_db) -> None:
    """isis (PostgreSQL): `reports.agent_uuid` and `agent_statuses.agent_uuid` hold the UUID
    keys of the 11 agents without a declared FK; the clone gave every row a fresh UUID
    (2,000 distinct among 2,000 statuses), so no status belonged to an agent."""

    source = new_db("postgresql")
    agents = uuid_owned_source(source, 9, (11, 300), (
        "CREATE TABLE agent (uuid UUID PRIMARY KEY, code TEXT)",
        "CREATE TABLE status (id INTEGER PRIMARY KEY, agent_uuid UUID, state TEXT)"))
    target = new_db("postgresql")
    clone(source, target, seed=0)
    with engine_for(target).connect() as conn:
        used = [str(u) for (u,) in conn.execute(sa.text("SELECT agent_uuid FROM status"))]
        keys = {str(u) for (u,) in conn.execute(sa.text("SELECT uuid FROM agent"))}
    assert len(used) == 300
    assert 5 <= len(set(used)) <= 22, len(set(used))
    assert set(used) <= keys
    assert not set(used) & set(agents)
