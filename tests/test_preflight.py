"""Checks that need no data come first: a scale that would empty the target is refused by
`sample` and `refresh` as by `clone`, before the target is touched; a target that is
missing, not empty or of another dialect is refused before the fit starts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dbclone import api
from dbclone.cli import app
from dbclone.errors import TargetNotEmptyError, UsageError
from tests.helpers import sqlite_source, table_digest

runner = CliRunner()


def _source(new_db: Callable[[str], str]) -> str:
    """120 customers, 300 orders: at --scale 0.001 every table would be empty."""
    return sqlite_source(
        new_db, ["CREATE TABLE customer (id INTEGER PRIMARY KEY, city TEXT NOT NULL)",
                 "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL "
                 "REFERENCES customer (id), amount REAL)"],
        {"customer": [(i, f"city {i % 7}") for i in range(1, 121)],
         "orders": [(i, 1 + i % 120, i * 1.25) for i in range(1, 301)]})


@pytest.mark.parametrize("scale", ["0", "-1", "0.001", "nan"])
def test_sample_and_refresh_refuse_a_scale_that_empties(scale: str, new_db, tmp_path: Path
                                                        ) -> None:
    source = _source(new_db)
    model = str(tmp_path / "m.json")
    assert runner.invoke(app, ["fit", source, "-o", model]).exit_code == 0
    target = new_db("sqlite")
    assert runner.invoke(app, ["sample", model, target, "--seed", "1"]).exit_code == 0
    before = table_digest(target)
    for command in (["sample", model, target, "--replace"], ["refresh", model, target],
                    ["clone", source, target, "--replace"]):
        result = runner.invoke(app, [*command, f"--scale={scale}"])
        assert result.exit_code == 2, (command, result.output)
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert "--scale" in result.output and "Warning" not in result.output
        assert table_digest(target) == before


def test_small_scale_that_keeps_rows_is_accepted(new_db, tmp_path: Path) -> None:
    source = _source(new_db)
    target = new_db("sqlite")
    result = runner.invoke(app, ["clone", source, target, "--scale", "0.01"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def no_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fit must not start: these errors need no data."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the fit started before the target was checked")
    monkeypatch.setattr(api, "_fit", refuse)


def test_target_checked_before_the_fit(new_db, tmp_path: Path, no_fit: None) -> None:
    source = _source(new_db)
    with pytest.raises(TargetNotEmptyError):  # not empty
        api.clone(source, source)
    with pytest.raises(UsageError, match="does not exist"):  # folder missing
        api.clone(source, f"sqlite:///{tmp_path}/no/such/dir/t.db")
    mysql = new_db("mysql")
    with pytest.raises(UsageError, match="cannot load a sqlite schema into a mysql target"):
        api.clone(source, mysql)
    with pytest.raises(UsageError, match="leaves every table empty"):
        api.clone(source, new_db("sqlite"), scale=0.001)
    result = runner.invoke(app, ["clone", source, "postgresql://127.0.0.1:1/x"])
    assert result.exit_code == 3, result.output  # unreachable target
    result = runner.invoke(app, ["fit", source, "-o", str(tmp_path / "no" / "m.json")])
    assert result.exit_code == 2 and "does not exist" in result.output, result.output
