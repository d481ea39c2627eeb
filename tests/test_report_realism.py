"""Text realism: a character n-gram classifier tells scrambled text from real text, where the
length-only shapes cannot, and an exact copy scores 0.5 (indistinguishable)."""

from __future__ import annotations

import math
import random
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from dbclone.connect import engine_for
from dbclone.report import build_report, render_html, render_text
from dbclone.report.data import Feature
from dbclone.report.model import Report
from dbclone.report.realism import text_columns
from tests.helpers import MISSING, SHARED

SAMPLE = 1500

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{MISSING['samples']}: {SHARED}")


@pytest.fixture(scope="module")
def chinook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("realism") / "chinook.db"
    subprocess.run(["bash", str(SHARED / "load.sh"), "chinook", "sqlite", str(path)],
                   check=True, capture_output=True)
    return path


@pytest.fixture(scope="module")
def scrambled(chinook: Path) -> Report:
    """Album titles with their characters shuffled (same lengths, same letters)."""
    copy = chinook.with_name("scrambled.db")
    shutil.copy(chinook, copy)
    con = sqlite3.connect(copy)
    rng = random.Random(5)
    rows = con.execute("SELECT AlbumId, Title FROM Album").fetchall()
    con.executemany("UPDATE Album SET Title = ? WHERE AlbumId = ?",
                    [("".join(rng.sample(title, len(title))), key) for key, title in rows])
    con.commit()
    con.close()
    return build_report(engine_for(str(chinook)), engine_for(str(copy)), sample_rows=SAMPLE)


def _realism(report: Report, table: str, column: str) -> float:
    found = [t for t in report.text_realism if (t.table, t.column) == (table, column)]
    assert len(found) == 1
    return found[0].accuracy


def test_scrambled_text_is_told_apart_where_lengths_are_not(scrambled: Report) -> None:
    assert _realism(scrambled, "Album", "Title") > 0.8
    shape = [c for c in scrambled.table("Album").columns if c.column == "Title"]
    assert shape[0].score > 0.99  # the lengths did not move
    assert _realism(scrambled, "Artist", "Name") == pytest.approx(0.5)  # untouched
    assert scrambled.text_realism[0].column == "Title"  # worst first


def test_exact_copy_is_indistinguishable(chinook: Path) -> None:
    report = build_report(engine_for(str(chinook)), engine_for(str(chinook)),
                          sample_rows=SAMPLE)
    scored = [t for t in report.text_realism if math.isfinite(t.accuracy)]
    assert len(scored) >= 10
    assert all(t.accuracy == pytest.approx(0.5) for t in scored)
    assert report.scores["text_realism"] == pytest.approx(0.5)


def test_groups_and_where_the_score_is_shown(scrambled: Report) -> None:
    groups = {(t.table, t.column): t.group for t in scrambled.text_realism}
    assert groups[("Customer", "Email")] == "personal"
    assert groups[("Customer", "City")] == "reference"
    assert groups[("Album", "Title")] == "text"
    assert ("Invoice", "Total") not in groups and ("Track", "TrackId") not in groups
    assert "Album.Title" in render_text(scrambled)
    assert "Text realism" in render_html(scrambled)
    data = scrambled.to_dict()
    assert data["scores"]["text_realism_worst"] > 0.8
    assert data["text_realism"][0]["column"] == "Title"


def test_numbers_written_as_text_are_not_text() -> None:
    values = pd.DataFrame({"zip": [f"{i:05d}" for i in range(100)],
                           "city": [f"Town {i}" for i in range(100)]})
    found = text_columns([Feature("zip", "text"), Feature("city", "text")],
                         {"zip": "string", "city": "string"}, values)
    assert [f.column for f in found] == ["city"]


def test_ci_gate_on_text_realism(chinook: Path, scrambled: Report) -> None:
    """`--fail-under text_realism_worst=0.85` passes an exact copy and fails the scrambled
    one with exit 4, naming the metric."""
    import typer
    from typer.testing import CliRunner

    from dbclone.errors import EXIT_VERIFY
    from dbclone.report.cli import register

    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """dbclone."""

    copy = chinook.with_name("scrambled.db")  # written by the `scrambled` fixture
    args = ["--fail-under", "text_realism_worst=0.85", "--sample-rows", "800",
            "--no-outside-check"]
    same = CliRunner().invoke(app, ["report", str(chinook), str(chinook), *args])
    assert same.exit_code == 0, same.output
    failed = CliRunner().invoke(app, ["report", str(chinook), str(copy), *args])
    assert failed.exit_code == EXIT_VERIFY
    assert "text_realism_worst = 0.9" in failed.output and "above the limit 0.85" in failed.output
