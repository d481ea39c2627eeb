"""One test per rule of the synthesizer (`dbclone.synth`): fit a small SQLite source built for
the rule, check that the model holds the rule (its spec), generate, and check the rule's
promise on the generated rows."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from dbclone.errors import UsageError
from dbclone.schema import Column
from dbclone.synth import specs
from dbclone.synth.codecs import to_numbers, to_python
from dbclone.synth.columns.shaped import code_patterns
from dbclone.synth.model import ColumnModel
from dbclone.synth.strgen import Pattern
from tests.helpers import fit_source_model, generate, sqlite_clone, sqlite_source

NewDb = Callable[[str], str]
DAY0 = dt.date(2020, 1, 1)


def test_dates_a_date_after_its_base(new_db: NewDb) -> None:
    """relations.dates: an end date never before its start date stays after it."""
    rng = np.random.default_rng(1)
    rows = []
    for i in range(300):
        start = DAY0 + dt.timedelta(days=int(rng.integers(0, 900)))
        rows.append((i + 1, start.isoformat(),
                     (start + dt.timedelta(days=int(rng.integers(1, 400)))).isoformat()))
    source = sqlite_source(new_db, ["CREATE TABLE period (id INTEGER PRIMARY KEY, "
                                    "starts DATE NOT NULL, ends DATE NOT NULL)"],
                           {"period": rows})
    model = fit_source_model(source)
    assert model.table("period").column("ends").base == "starts"
    out = generate(model, seed=3)["period"]
    assert all(e >= s for s, e in zip(out["starts"], out["ends"], strict=True))


def test_dates_a_date_after_the_parents(new_db: NewDb) -> None:
    """relations.dates: a payment is never before its invoice (the parent's date)."""
    rng = np.random.default_rng(2)
    invoices, payments = [], []
    for i in range(120):
        issued = DAY0 + dt.timedelta(days=int(rng.integers(0, 700)))
        invoices.append((i + 1, issued.isoformat()))
        for _ in range(int(rng.integers(1, 4))):
            paid = issued + dt.timedelta(days=int(rng.integers(0, 40)))
            payments.append((len(payments) + 1, i + 1, paid.isoformat()))
    source = sqlite_source(new_db, [
        "CREATE TABLE invoice (id INTEGER PRIMARY KEY, issued DATE NOT NULL)",
        "CREATE TABLE payment (id INTEGER PRIMARY KEY, invoice_id INTEGER NOT NULL "
        "REFERENCES invoice(id), paid DATE NOT NULL)"],
        {"invoice": invoices, "payment": payments})
    model = fit_source_model(source)
    assert model.table("payment").column("paid").base == "^issued"
    out = generate(model, seed=4)
    issued = dict(zip(out["invoice"]["id"], out["invoice"]["issued"], strict=True))
    pairs = list(zip(out["payment"]["invoice_id"], out["payment"]["paid"], strict=True))
    assert pairs and all(paid >= issued[inv] for inv, paid in pairs)


def test_ratios_a_number_proportional_to_another(new_db: NewDb) -> None:
    """relations.ratios: a file's bytes are its duration times a bitrate of a narrow range."""
    rng = np.random.default_rng(3)
    rows = []
    for i in range(400):
        ms = int(rng.integers(60_000, 600_000))
        rows.append((i + 1, ms, int(ms * rng.uniform(31.5, 32.5))))
    source = sqlite_source(new_db, ["CREATE TABLE track (id INTEGER PRIMARY KEY, "
                                    "ms INTEGER NOT NULL, size INTEGER NOT NULL)"],
                           {"track": rows})
    model = fit_source_model(source)
    found = {(c.name, c.base, c.op) for c in model.table("track").columns if c.op}
    # Either is the other times a ratio: the first of the two columns is the one modelled so.
    assert found == {("ms", "size", "ratio")}
    out = generate(model, seed=5)["track"]
    rates = np.asarray(out["size"], dtype=float) / np.asarray(out["ms"], dtype=float)
    assert rates.min() > 31.0 and rates.max() < 33.0


def test_copies_a_column_copying_the_parents(new_db: NewDb) -> None:
    """relations.copies: an invoice's billing city is its customer's city."""
    cities = ["Oslo", "Lund", "Malmö", "Umeå", "Växjö", "Luleå"]
    customers = [(i + 1, cities[i % len(cities)]) for i in range(60)]
    invoices = [(j + 1, j % 60 + 1, cities[(j % 60) % len(cities)]) for j in range(300)]
    source = sqlite_source(new_db, [
        "CREATE TABLE customer (id INTEGER PRIMARY KEY, city TEXT NOT NULL)",
        "CREATE TABLE invoice (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL "
        "REFERENCES customer(id), billing_city TEXT NOT NULL)"],
        {"customer": customers, "invoice": invoices})
    model = fit_source_model(source)
    cm = model.table("invoice").column("billing_city")
    assert (cm.strategy, cm.base) == ("parent", "^city")
    out = generate(model, seed=6)
    city = dict(zip(out["customer"]["id"], out["customer"]["city"], strict=True))
    assert all(city[c] == b for c, b in zip(out["invoice"]["customer_id"],
                                             out["invoice"]["billing_city"], strict=True))


def test_copies_a_row_without_a_parent_keeps_a_value(new_db: NewDb) -> None:
    """relations.copies: a payment's date copies its rental's, and the few payments without
    a rental (a NULL FK) had their own date. Before, they came out NULL in the NOT NULL
    column and the load failed (sakila's payment.payment_date on MariaDB)."""
    rentals = [(i + 1, (DAY0 + dt.timedelta(days=i)).isoformat()) for i in range(100)]
    payments = [(j + 1, None if j % 40 == 0 else j % 100 + 1,
                 (DAY0 + dt.timedelta(days=j % 100)).isoformat()) for j in range(400)]
    source = sqlite_source(new_db, [
        "CREATE TABLE rental (id INTEGER PRIMARY KEY, rented DATE NOT NULL)",
        "CREATE TABLE payment (id INTEGER PRIMARY KEY, rental_id INTEGER "
        "REFERENCES rental(id), paid DATE NOT NULL)"],
        {"rental": rentals, "payment": payments})
    model = fit_source_model(source)
    cm = model.table("payment").column("paid")
    assert (cm.strategy, cm.base) == ("parent", "^rented")
    out = generate(model, seed=2)
    assert any(r is None for r in out["payment"]["rental_id"])
    assert all(p is not None for p in out["payment"]["paid"])
    rented = dict(zip(out["rental"]["id"], out["rental"]["rented"], strict=True))
    assert all(rented[r] == p for r, p in zip(out["payment"]["rental_id"],
                                              out["payment"]["paid"], strict=True)
               if r is not None)


def test_privacy_rare_categories_are_replaced(new_db: NewDb) -> None:
    """privacy + columns.categorical: a city held by fewer than k people never comes back;
    stand-ins absent from the source take the rare cities' share."""
    common = ["Oslo", "Bergen", "Trondheim", "Stavanger"]
    rare = [f"Village {c}" for c in "ABCDEFGHIJKL"]
    cities = [c for c in common for _ in range(50)] + rare
    source = sqlite_source(new_db, ["CREATE TABLE person (id INTEGER PRIMARY KEY, "
                                    "town TEXT NOT NULL)"],
                           {"person": [(i + 1, c) for i, c in enumerate(cities)]})
    model = fit_source_model(source)
    cm = model.table("person").column("town")
    assert cm.strategy == "categorical" and not set(rare) & set(cm.values)
    out = Counter(generate(model, seed=7, scale=5)["person"]["town"])
    assert not set(rare) & set(out)
    new = sum(n for v, n in out.items() if v not in common)
    assert 0 < new < 0.2 * sum(out.values())


def test_joint_categories_keep_their_combinations(new_db: NewDb) -> None:
    """relations.joint: a media type and its price are drawn together, so no combination the
    source does not hold appears."""
    combos = [("audio", "0.99"), ("video", "1.99"), ("audiobook", "4.99")]
    rows = [(i + 1, *combos[i % 3]) for i in range(300)]
    source = sqlite_source(new_db, ["CREATE TABLE item (id INTEGER PRIMARY KEY, "
                                    "media TEXT NOT NULL, price TEXT NOT NULL)"],
                           {"item": rows})
    model = fit_source_model(source)
    assert model.table("item").column("media").joint == ("price",)
    assert model.table("item").column("price").strategy == "joint"
    out = generate(model, seed=8)["item"]
    assert set(zip(out["media"], out["price"], strict=True)) <= set(combos)


def test_grouped_a_number_per_category(new_db: NewDb) -> None:
    """relations.grouped: benefits without an amount stay without one; the others keep
    their own range."""
    rng = np.random.default_rng(9)
    rows = []
    for i in range(400):
        kind = ["advice", "housing", "food"][i % 3]
        amount = None if kind == "advice" else (
            float(rng.integers(5000, 9000)) if kind == "housing" else float(rng.integers(100, 900)))
        rows.append((i + 1, kind, amount))
    source = sqlite_source(new_db, ["CREATE TABLE decision (id INTEGER PRIMARY KEY, "
                                    "kind TEXT NOT NULL, amount REAL)"], {"decision": rows})
    model = fit_source_model(source)
    assert model.table("decision").column("amount").by == "kind"
    out = generate(model, seed=10)["decision"]
    by_kind = defaultdict(list)
    for kind, amount in zip(out["kind"], out["amount"], strict=True):
        by_kind[kind].append(amount)
    assert set(by_kind["advice"]) == {None}
    assert all(a is not None and 5000 <= a <= 9000 for a in by_kind["housing"])
    assert all(a is not None and 100 <= a <= 900 for a in by_kind["food"])


def test_family_children_per_parent(new_db: NewDb) -> None:
    """family.counts: every order has three lines in the source, so in the clone too."""
    orders = [(i + 1, f"o{i}") for i in range(80)]
    lines = [(j + 1, j // 3 + 1, j % 5) for j in range(240)]
    source = sqlite_source(new_db, [
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, ref TEXT NOT NULL)",
        "CREATE TABLE line (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL "
        "REFERENCES orders(id), qty INTEGER NOT NULL)"],
        {"orders": orders, "line": lines})
    model = fit_source_model(source)
    fk = model.table("line").fks[0]
    assert fk.driving and fk.counts == (3,)
    out = generate(model, seed=11, scale=2)
    per_order = Counter(out["line"]["order_id"])
    assert len(out["orders"]["id"]) == 160 and set(per_order.values()) == {3}


def test_family_self_reference_is_a_forest(new_db: NewDb) -> None:
    """family.forest: one root, two managers under it and five staff under them, kept at
    each scale's proportions; every row's manager is a row one level up."""
    rows = [(1, None), (2, 1), (3, 1)] + [(i, 2 + i % 2) for i in range(4, 9)]
    source = sqlite_source(new_db, ["CREATE TABLE employee (id INTEGER PRIMARY KEY, "
                                    "manager_id INTEGER REFERENCES employee(id))"],
                           {"employee": rows})
    model = fit_source_model(source)
    assert model.table("employee").fks[0].depth_probs == pytest.approx((1 / 8, 2 / 8, 5 / 8))
    out = generate(model, seed=12)["employee"]
    boss = dict(zip(out["id"], out["manager_id"], strict=True))

    def depth(e: int) -> int:
        return 0 if boss[e] is None else 1 + depth(boss[e])

    assert Counter(depth(e) for e in boss) == {0: 1, 1: 2, 2: 5}


def test_derived_a_parents_total_is_its_childrens_sum(new_db: NewDb) -> None:
    """relations.derived: an invoice's total is recomputed from its generated lines."""
    rng = np.random.default_rng(13)
    lines, invoices = [], []
    for i in range(100):
        total = 0.0
        for _ in range(int(rng.integers(1, 5))):
            price = float(rng.integers(1, 20))
            lines.append((len(lines) + 1, i + 1, price))
            total += price
        invoices.append((i + 1, total))
    source = sqlite_source(new_db, [
        "CREATE TABLE invoice (id INTEGER PRIMARY KEY, total REAL NOT NULL)",
        "CREATE TABLE line (id INTEGER PRIMARY KEY, invoice_id INTEGER NOT NULL "
        "REFERENCES invoice(id), price REAL NOT NULL)"],
        {"invoice": invoices, "line": lines})
    assert fit_source_model(source).table("invoice").column("total").derived[2] == "sum"
    with sqlite_clone(new_db, source, 14).connect() as conn:
        off = conn.exec_driver_sql(
            "SELECT count(*) FROM invoice i WHERE abs(i.total - (SELECT coalesce(sum(price), 0) "
            "FROM line l WHERE l.invoice_id = i.id)) > 1e-6").scalar()
    assert off == 0


def test_shaped_codes_keep_their_format(new_db: NewDb) -> None:
    """columns.shaped: case numbers SOC-2024-000123 become new numbers in that format."""
    rng = np.random.default_rng(15)
    codes = sorted({f"SOC-20{int(rng.integers(19, 25))}-{int(rng.integers(0, 10**6)):06d}"
                    for _ in range(300)})
    source = sqlite_source(new_db, ["CREATE TABLE case_file (id INTEGER PRIMARY KEY, "
                                    "code TEXT NOT NULL)"],
                           {"case_file": [(i + 1, c) for i, c in enumerate(codes)]})
    model = fit_source_model(source)
    cm = model.table("case_file").column("code")
    assert cm.strategy == "pattern" and cm.pattern == code_patterns(pd.Series(codes))
    out = generate(model, seed=16)["case_file"]["code"]
    assert all(re.fullmatch(r"SOC-20[12][0-9]-[0-9]{6}", v) for v in out)
    assert Pattern(cm.pattern[0]).matches(out[0])


def test_codecs_dates_and_times_round_trip() -> None:
    """codecs: a date or timestamp as a number and back is the same value."""
    day = Column("d", "date", "DATE")
    stamp = Column("t", "datetime", "TIMESTAMP")
    days = np.asarray([dt.date(1999, 12, 31), None, dt.date(2024, 2, 29)], dtype=object)
    stamps = np.asarray([dt.datetime(2020, 1, 1, 12, 30, 5), dt.datetime(1970, 1, 1)],
                        dtype=object)
    numbers = to_numbers(day, days)
    assert np.isnan(numbers[1])
    assert list(to_python(day, numbers[[0, 2]])) == [days[0], days[2]]
    assert list(to_python(stamp, to_numbers(stamp, stamps))) == list(stamps)


def test_specs_every_kind_round_trips_and_refuses_strays() -> None:
    """specs: each kind writes and reads back to the same spec; a field outside its kind is
    refused both ways."""
    cms = [ColumnModel("a", "numeric", null_rate=0.1, quantiles=(1.0, 2.0), base="^b",
                       op="share", delta=(0.5, 1.5), by="k",
                       groups=(("x", 0.0, (1.0, 2.0)), (None, 0.5, ()))),
           ColumnModel("b", "softkey", quantiles=(1.0, 9.0), values=(1, 2), probs=(0.6, 0.4),
                       ref="caseworker.id", integer=True, step=2.0),
           ColumnModel("c", "categorical", values=(["x", 1], ["y", 2]), probs=(0.5, 0.5),
                       joint=("d",)),
           ColumnModel("#line.order_id", "count", quantiles=(0.0, 3.0), integer=True, by="k"),
           ColumnModel("e", "numeric", quantiles=(0.0, 1.0),
                       derived=("line", "order_id/shop_id", "sum_product", "qty", "price"))]
    for cm in cms:
        text = json.loads(json.dumps(specs.spec_to_json(specs.to_spec(cm))))
        assert specs.from_spec(specs.spec_from_json(text, "here")) == cm
    with pytest.raises(ValueError, match="holds no"):
        specs.to_spec(ColumnModel("f", "uuid", quantiles=(1.0, 2.0)))
    with pytest.raises(UsageError, match="'colour', which a uuid spec does not hold"):
        specs.spec_from_json({"kind": "uuid", "name": "f", "colour": "red"}, "here")
