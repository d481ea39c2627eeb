"""Detection sees a parent through its children (C2ST-Agg): counts, means of numbers and of
dates, distinct categories. Each fault below leaves the parent's own columns untouched."""

from __future__ import annotations

import random
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from dbclone.connect import engine_for
from dbclone.report import build_report
from dbclone.report.model import Report
from tests.helpers import MISSING, SHARED

SAMPLE = 1500

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{MISSING['samples']}: {SHARED}")


@pytest.fixture(scope="module")
def chinook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("detection") / "chinook.db"
    subprocess.run(["bash", str(SHARED / "load.sh"), "chinook", "sqlite", str(path)],
                   check=True, capture_output=True)
    return path


def _changed(source: Path, name: str, sql: str) -> Report:
    copy = source.with_name(name)
    shutil.copy(source, copy)
    con = sqlite3.connect(copy)
    con.execute(sql)
    con.commit()
    con.close()
    return build_report(engine_for(str(source)), engine_for(str(copy)), sample_rows=SAMPLE)


def _accuracy(report: Report, table: str) -> float:
    found = report.table(table).detection
    assert found is not None
    return found.accuracy


def test_children_dates_reach_the_parent(chinook: Path) -> None:
    """Half the customers' invoices move eight years later: each invoice date alone is still
    a real-looking date, but the customer's mean invoice date gives half of them away."""
    moved = _changed(chinook, "dates.db", "UPDATE Invoice SET InvoiceDate = "
                     "datetime(InvoiceDate, '+8 years') WHERE CustomerId % 2 = 0")
    exact = build_report(engine_for(str(chinook)), engine_for(str(chinook)), sample_rows=SAMPLE)
    assert _accuracy(moved, "Customer") > 0.65
    assert _accuracy(exact, "Customer") < 0.6


def test_children_distinct_categories_reach_the_parent(tmp_path: Path) -> None:
    """Each parent's three children take their colours at random; in the copy they all take
    the first child's colour. Every table's own columns keep their distribution, but the
    parent's number of distinct child colours gives the copy away."""
    rng = random.Random(3)
    source = tmp_path / "colours.db"
    con = sqlite3.connect(source)
    con.executescript("CREATE TABLE parent (id INTEGER PRIMARY KEY, size REAL);"
                      "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
                      "REFERENCES parent (id), colour TEXT NOT NULL);")
    con.executemany("INSERT INTO parent VALUES (?, ?)", [(i, rng.random()) for i in range(300)])
    con.executemany("INSERT INTO child VALUES (?, ?, ?)",
                    [(i, i // 3, rng.choice(["red", "green", "blue"])) for i in range(900)])
    con.commit()
    con.close()
    flat = _changed(source, "flat.db", "UPDATE child SET colour = (SELECT c.colour FROM child c "
                    "WHERE c.parent_id = child.parent_id ORDER BY c.id LIMIT 1)")
    assert _accuracy(flat, "parent") > 0.75
    assert _accuracy(flat, "child") < 0.6


def test_rare_categories_pooled_in_distinct_counts(tmp_path: Path) -> None:
    """Two of each parent's six children hold shades that only four parents share (rare: held
    by fewer than five owners); the copy, as the synthesizer must, replaces every such shade
    by one stand-in. Counted raw, every parent loses one distinct value and is told apart;
    pooled as the report's shapes pool rare values, the copy is as real as the source."""
    rng = random.Random(4)
    source = tmp_path / "rare.db"
    con = sqlite3.connect(source)
    con.executescript("CREATE TABLE parent (id INTEGER PRIMARY KEY, size REAL);"
                      "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
                      "REFERENCES parent (id), colour TEXT NOT NULL);")
    con.executemany("INSERT INTO parent VALUES (?, ?)", [(i, rng.random()) for i in range(160)])

    def colour(i: int) -> str:
        parent, slot = divmod(i, 6)
        return f"shade {'ab'[slot]}{parent // 4}" if slot < 2 else rng.choice(["red", "blue"])

    con.executemany("INSERT INTO child VALUES (?, ?, ?)",
                    [(i, i // 6, colour(i)) for i in range(960)])
    con.commit()
    con.close()
    pooled = _changed(source, "pooled.db",
                      "UPDATE child SET colour = 'stand-in' WHERE colour LIKE 'shade %'")
    assert _accuracy(pooled, "parent") < 0.6
