"""`clone --engine sdv-hma`: HMA's rows inside dbclone's checks, personal data and load."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dbclone.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _shop(path: Path, customers: int = 150) -> Path:
    """customer (names, unique email, city) and their orders: a schema HMA takes."""
    rnd = random.Random(1)
    first = ["Anna", "Erik", "Maria", "Johan", "Karin", "Lars", "Eva", "Per", "Sara", "Nils"]
    last = ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson"]
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE customer (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, "
                  "last_name TEXT NOT NULL, email TEXT UNIQUE, city TEXT, segment TEXT, "
                  "credit REAL)")
        c.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL "
                  "REFERENCES customer(id), placed DATE, amount REAL, status TEXT)")
        k = 1
        for i in range(1, customers + 1):
            f, la = rnd.choice(first), rnd.choice(last)
            c.execute("INSERT INTO customer VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (i, f, la, f"{f.lower()}.{la.lower()}{i}@example.se",
                       rnd.choice(["Umeå", "Luleå", "Skellefteå"]), rnd.choice("ABC"),
                       round(rnd.gauss(5000, 1500), 2)))
            for _ in range(rnd.randint(0, 4)):
                c.execute("INSERT INTO orders VALUES (?, ?, ?, ?, ?)",
                          (k, i, f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                           round(rnd.expovariate(1 / 300), 2), rnd.choice(["new", "paid"])))
                k += 1
    return path


def _values(db: Path, sql: str) -> set[tuple[object, ...]]:
    with sqlite3.connect(db) as c:
        return set(c.execute(sql).fetchall())


@pytest.mark.sdv
def test_hma_clone_keeps_keys_and_replaces_personal_data(tmp_path: Path) -> None:
    src, out = _shop(tmp_path / "src.db"), tmp_path / "out.db"
    res = runner.invoke(app, ["clone", str(src), str(out), "--engine", "sdv-hma", "-q"])
    assert res.exit_code == 0, res.output
    # HMA's rows, dbclone's load: every order names a customer that exists (load verifies)
    assert _values(out, "SELECT count(*) FROM orders WHERE customer_id NOT IN "
                        "(SELECT id FROM customer)") == {(0,)}
    assert _values(out, "SELECT count(*) FROM customer") == {(150,)}
    # Personal data never went through HMA: no real email, name pair or city comes back.
    for sql in ("SELECT email FROM customer", "SELECT first_name, last_name FROM customer",
                "SELECT city FROM customer"):
        assert not _values(src, sql) & _values(out, sql), sql
    # The modelled columns are HMA's: the categories of the source, amounts in its range.
    assert _values(out, "SELECT DISTINCT status FROM orders") <= {("new",), ("paid",)}
    assert _values(out, "SELECT DISTINCT segment FROM customer") <= {("A",), ("B",), ("C",)}


def test_hma_refuses_a_schema_beyond_its_limits(tmp_path: Path) -> None:
    src = tmp_path / "tree.db"
    with sqlite3.connect(src) as c:
        c.execute("CREATE TABLE emp (id INTEGER PRIMARY KEY, boss INTEGER REFERENCES emp(id))")
        c.executemany("INSERT INTO emp VALUES (?, ?)", [(i, i // 2 or None) for i in range(1, 60)])
    out = tmp_path / "out.db"
    res = runner.invoke(app, ["clone", str(src), str(out), "--engine", "sdv-hma"])
    assert res.exit_code == 2, res.output
    last = res.output.strip().splitlines()[-1]
    assert "--engine sdv-hma cannot take this schema: emp.boss references its own table" in last
    assert not out.exists()


def test_hma_without_the_extra_says_how_to_install(tmp_path: Path) -> None:
    src, out = _shop(tmp_path / "src.db", customers=20), tmp_path / "out.db"
    code = ("import sys; sys.modules['sdv'] = None; sys.modules['sdv.multi_table'] = None; "
            "from dbclone.cli import app; "
            f"app(['clone', {str(src)!r}, {str(out)!r}, '--engine', 'sdv-hma'], "
            "prog_name='dbclone')")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
                         timeout=300)
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip().splitlines()[-1] == (
        "dbclone: error: --engine sdv-hma needs the sdv extra: pip install 'dbclone[sdv]' "
        "(install torch's CPU build first where there is no GPU)")
    assert not out.exists()


def test_unknown_engine() -> None:
    res = runner.invoke(app, ["clone", "a.db", "b.db", "--engine", "hma"])
    assert res.exit_code == 2
    assert "unknown --engine 'hma'; use dbclone or sdv-hma" in res.output
