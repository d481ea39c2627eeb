"""Exact relations across a row, its parents and its children, end to end on an order book
made here (SQLite, then PostgreSQL): a line's amount is its quantity times the price of the
part it reaches through the part-supplier offer it references (a grandparent's number), an
order's total sums its lines' amounts with tax added and discount taken off (each line
truncated to cents), an order's status follows its lines' statuses (all one value, all
another, or mixed), a line's status is decided by its ship date, lines are numbered 1..n
within their order, and ship dates sit in a fixed window after the order date."""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_DOWN, Decimal

import numpy as np
import pytest
import sqlalchemy as sa

from tests.helpers import sqlite_clone, sqlite_source

CUT = dt.date(1995, 6, 17)
CENT = Decimal("0.01")

DDL = [
    "CREATE TABLE part (id INTEGER PRIMARY KEY, size INTEGER NOT NULL, "
    "price NUMERIC(15, 2) NOT NULL)",
    "CREATE TABLE supplier (id INTEGER PRIMARY KEY, balance NUMERIC(15, 2) NOT NULL)",
    "CREATE TABLE offer (part_id INTEGER NOT NULL REFERENCES part(id), supplier_id INTEGER "
    "NOT NULL REFERENCES supplier(id), stock INTEGER NOT NULL, cost NUMERIC(15, 2) NOT NULL, "
    "PRIMARY KEY (part_id, supplier_id))",
    "CREATE TABLE purchase (id INTEGER PRIMARY KEY, state CHAR(1) NOT NULL, total "
    "NUMERIC(15, 2) NOT NULL, placed DATE NOT NULL, priority INTEGER NOT NULL)",
    "CREATE TABLE line (purchase_id INTEGER NOT NULL REFERENCES purchase(id), part_id INTEGER "
    "NOT NULL, supplier_id INTEGER NOT NULL, lineno INTEGER NOT NULL, qty NUMERIC(15, 2) NOT "
    "NULL, amount NUMERIC(15, 2) NOT NULL, discount NUMERIC(15, 2) NOT NULL, tax NUMERIC(15, "
    "2) NOT NULL, state CHAR(1) NOT NULL, shipped DATE NOT NULL, PRIMARY KEY (purchase_id, "
    "lineno), FOREIGN KEY (part_id, supplier_id) REFERENCES offer(part_id, supplier_id))",
]


def _order_book(seed: int = 0) -> dict[str, list[tuple[object, ...]]]:
    rng = np.random.default_rng(seed)
    parts = [(p, int(rng.integers(1, 51)), float(round(rng.uniform(900, 2000), 2)))
             for p in range(1, 81)]
    suppliers = [(s, float(round(rng.uniform(-999, 9999), 2))) for s in range(1, 11)]
    offers = [(p, 1 + (p + 3 * j) % 10, int(rng.integers(1, 9999)),
               float(round(rng.uniform(1, 1000), 2))) for p in range(1, 81) for j in range(4)]
    price = {p: Decimal(str(v)) for p, _, v in parts}
    purchases, lines = [], []
    for o in range(1, 601):
        placed = dt.date(1992, 1, 1) + dt.timedelta(days=int(rng.integers(0, 2400)))
        total, states = Decimal(0), set()
        for n in range(1, int(rng.integers(1, 8)) + 1):
            part, supplier = offers[int(rng.integers(0, len(offers)))][:2]
            qty = Decimal(int(rng.integers(1, 51)))
            amount = qty * price[part]
            discount = Decimal(int(rng.integers(0, 11))) / 100
            tax = Decimal(int(rng.integers(0, 9))) / 100
            total += ((amount * (1 - discount)).quantize(CENT, ROUND_DOWN) * (1 + tax)) \
                .quantize(CENT, ROUND_DOWN)
            shipped = placed + dt.timedelta(days=int(rng.integers(1, 122)))
            state = "O" if shipped > CUT else "F"
            states.add(state)
            lines.append((o, part, supplier, n, float(qty), float(amount), float(discount),
                          float(tax), state, shipped.isoformat()))
        purchases.append((o, states.pop() if len(states) == 1 else "P", float(total),
                          placed.isoformat(), int(rng.integers(1, 6))))
    return {"part": parts, "supplier": suppliers, "offer": offers, "purchase": purchases,
            "line": lines}


def _check_clone(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        lines = conn.execute(sa.text(
            "SELECT l.purchase_id, l.lineno, l.qty, l.amount, p.price, l.discount, l.tax, "
            "l.state, l.shipped, o.placed FROM line l JOIN part p ON p.id = l.part_id "
            "JOIN purchase o ON o.id = l.purchase_id")).all()
        orders = {r[0]: r[1:] for r in conn.execute(sa.text(
            "SELECT id, state, total FROM purchase"))}
    assert len(lines) > 1000
    # the grandparent's price times the row's quantity, the quantity whole
    assert all(float(q) == round(float(q)) for _, _, q, *_ in lines)
    # an operand is drawn as itself, not as a multiple of its product (source: 1..50)
    assert min(float(r[2]) for r in lines) >= 1 and max(float(r[2]) for r in lines) <= 50
    wrong = [r for r in lines if abs(float(r[3]) - float(r[2]) * float(r[4])) > 0.006]
    assert not wrong, wrong[:5]
    # lines numbered 1..n within their order
    numbers: dict[object, list[int]] = {}
    for r in lines:
        numbers.setdefault(r[0], []).append(int(r[1]))
    assert all(sorted(v) == list(range(1, len(v) + 1)) for v in numbers.values())
    # a line's state by its ship date; ship dates 1..121 days after the order
    def day(v: object) -> dt.date:
        return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)[:10])

    # (the threshold learned lies between the source's last 'F' and first 'O' ship date)
    assert max(day(r[8]) for r in lines if r[7] == "F") < \
        min(day(r[8]) for r in lines if r[7] == "O")
    assert abs((max(day(r[8]) for r in lines if r[7] == "F") - CUT).days) <= 10
    assert all(1 <= (day(r[8]) - day(r[9])).days <= 121 for r in lines)
    # the order's total and state from its lines
    sums: dict[object, float] = {}
    states: dict[object, set[str]] = {}
    for r in lines:
        sums[r[0]] = sums.get(r[0], 0.0) + float(r[3]) * (1 + float(r[6])) * (1 - float(r[5]))
        states.setdefault(r[0], set()).add(r[7])
    off = [(k, orders[k][1], v) for k, v in sums.items()
           if not math.isclose(float(orders[k][1]), v, abs_tol=0.006)]
    assert not off, off[:5]
    said = {k: (s.pop() if len(s) == 1 else "P") for k, s in states.items()}
    assert all(orders[k][0] == v for k, v in said.items()), \
        [(k, orders[k][0], states[k]) for k, v in said.items() if orders[k][0] != v][:5]


def test_an_order_book_keeps_its_exact_relations_sqlite(new_db) -> None:
    source = sqlite_source(new_db, DDL, _order_book())
    _check_clone(sqlite_clone(new_db, source, 3))


def test_an_order_book_keeps_its_exact_relations_postgresql(new_db) -> None:
    from dbclone.api import clone
    from dbclone.connect import engine_for
    from tests.helpers import require_server

    require_server("postgresql")
    source = new_db("postgresql")
    data = _order_book(1)
    with sa.create_engine(source).begin() as conn:
        for statement in DDL:
            conn.exec_driver_sql(statement)
        for table, rows in data.items():
            marks = ", ".join(["%s"] * len(rows[0]))
            conn.exec_driver_sql(f"INSERT INTO {table} VALUES ({marks})", rows)
    target = new_db("postgresql")
    clone(source, target, seed=4)
    _check_clone(engine_for(target))


def test_inspect_names_the_exact_relations(new_db) -> None:
    from typer.testing import CliRunner

    from dbclone.cli import app

    source = sqlite_source(new_db, DDL, _order_book(2))
    said = CliRunner().invoke(app, ["inspect", "--relations", source])
    assert said.exit_code == 0, said.output
    for words in ("line: amount = qty x part.price (through offer)",
                  "line: lineno counts 1..n within each purchase_id",
                  "purchase: total = sum over line of amount x (1 - discount) x (1 + tax)",
                  "purchase: state is decided by the set of line.state of its line rows"):
        assert words in said.output, said.output


@pytest.mark.parametrize("seed", [5])
def test_a_near_miss_is_no_relation(new_db, seed: int) -> None:
    """Amounts off by a few cents in one line of fifty are no product: the clone draws them
    as numbers of their own and inspect names no product."""
    from typer.testing import CliRunner

    from dbclone.cli import app

    data = _order_book(seed)
    rng = np.random.default_rng(seed)
    data["line"] = [r[:5] + (round(float(r[5]) + (0.05 if rng.random() < 0.02 else 0), 2),)
                    + r[6:] for r in data["line"]]
    source = sqlite_source(new_db, DDL, data)
    said = CliRunner().invoke(app, ["inspect", "--relations", source])
    assert said.exit_code == 0, said.output
    assert "amount = qty x" not in said.output, said.output


def test_the_relations_hold_across_chunks_and_workers(new_db,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines in chunks of 400 rows (an order's lines in one chunk, its total and state
    gathered over all of them), sampled at 1 and 2 workers: the same rows, every relation
    held."""
    from dbclone.api import fit_source, sample_model
    from dbclone.connect import engine_for
    from dbclone.synth import sample
    from tests.helpers import table_digest

    model = fit_source(sqlite_source(new_db, DDL, _order_book(6)), seed=2)
    monkeypatch.setattr(sample, "CHUNK_ROWS", 400)
    digests = []
    for workers in (1, 2):
        target = new_db("sqlite")
        sample_model(model, target, seed=2, workers=workers)
        _check_clone(engine_for(target))
        digests.append(table_digest(target))
    assert digests[0] == digests[1]
