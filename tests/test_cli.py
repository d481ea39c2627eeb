"""The CLI through Typer's runner: help everywhere, one-line errors, nothing written on failure."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from dbclone.cli import app
from tests.helpers import table_digest

runner = CliRunner()


def test_every_command_has_help() -> None:
    for command in app.registered_commands:
        name = command.name or command.callback.__name__  # type: ignore[union-attr]
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.callback.__doc__, f"{name} has no help text"  # type: ignore[union-attr]


def test_help_is_instant() -> None:
    """`dbclone --help` must not import SDV, pandas or torch."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", "import sys, dbclone.cli; "
                          "print(sorted(m for m in ('sdv','torch','pandas','numpy') "
                          "if m in sys.modules))"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert time.perf_counter() - start < 3


def test_clone_and_refuse_non_empty_target(shared, new_db) -> None:
    source = shared("chinook", "sqlite")
    target = new_db("sqlite")
    ok = runner.invoke(app, ["clone", source, target, "--seed", "1"])
    assert ok.exit_code == 0, ok.output
    assert "cloned 11 tables" in ok.output
    before = table_digest(target)
    again = runner.invoke(app, ["clone", source, target])
    assert again.exit_code == 1
    assert "not empty" in again.output and "--replace" in again.output
    assert len(again.output.strip().splitlines()) == 1
    assert table_digest(target) == before


def test_bad_url_masks_password(tmp_path) -> None:
    result = runner.invoke(app, ["clone", "postgresql://alice:s3cret@127.0.0.1:1/db",
                                 f"sqlite:///{tmp_path}/t.db"])
    assert result.exit_code == 3
    assert "s3cret" not in result.output
    assert "alice:***@" in result.output
    assert not (tmp_path / "t.db").exists()


def test_malformed_url() -> None:
    result = runner.invoke(app, ["inspect", "not a url"])
    assert result.exit_code == 2
    assert "not a database URL" in result.output


def test_source_without_tables(tmp_path, new_db) -> None:
    import sqlite3

    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    result = runner.invoke(app, ["clone", f"sqlite:///{empty}", new_db("sqlite")])
    assert result.exit_code == 1
    assert "has no tables" in result.output


def test_inspect_and_plan(shared) -> None:
    source = shared("chinook", "sqlite")
    result = runner.invoke(app, ["inspect", source])
    assert result.exit_code == 0
    assert "InvoiceLine: 2240 rows" in result.output
    plan = runner.invoke(app, ["plan", source, "--format", "mermaid"])
    assert plan.exit_code == 0 and plan.output.startswith("flowchart LR")
    text = runner.invoke(app, ["plan", source])
    assert "Employee(ReportsTo) -> Employee  [self-reference]" in text.output
    dot = runner.invoke(app, ["plan", source, "--format", "dot"])
    if shutil.which("dot"):
        subprocess.run(["dot", "-Tsvg"], input=dot.output, text=True, check=True,
                       capture_output=True)
    assert dot.output.startswith("digraph")


@pytest.mark.parametrize("fmt", ["yaml"])
def test_plan_unknown_format(shared, fmt: str) -> None:
    result = runner.invoke(app, ["plan", shared("chinook", "sqlite"), "--format", fmt])
    assert result.exit_code == 2


def test_fit_then_sample_without_source(shared, new_db, tmp_path) -> None:
    source = shared("chinook", "sqlite")
    model = tmp_path / "chinook.model.json"
    fit = runner.invoke(app, ["fit", source, "-o", str(model), "--seed", "5"])
    assert fit.exit_code == 0, fit.output
    target = new_db("sqlite")
    out = runner.invoke(app, ["sample", str(model), target, "--seed", "5", "--scale", "0.5"])
    assert out.exit_code == 0, out.output
    assert "loaded 11 tables" in out.output


def test_inspect_shows_personal_data_and_why(shared) -> None:
    result = runner.invoke(app, ["inspect", "--pii", shared("chinook", "sqlite")])
    assert result.exit_code == 0, result.output
    assert "Customer.Email: replaced by Faker email (column name 'Email')" in result.output
    assert "Genre: copied as it is" in result.output
    assert "Track.Milliseconds" not in result.output  # measurements are modelled, not replaced
