"""A hand-edited model file: a missing field or a value of the wrong kind is a one-line
usage error (exit 2) naming the field and where it is, before the target is touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dbclone.cli import app
from tests.helpers import sqlite_source

runner = CliRunner()


@pytest.fixture
def model_dict(new_db, tmp_path: Path) -> dict:
    source = sqlite_source(
        new_db, ["CREATE TABLE customer (id INTEGER PRIMARY KEY, city TEXT NOT NULL)"],
        {"customer": [(i, f"city {i % 7}") for i in range(1, 201)]})
    path = tmp_path / "m.json"
    assert runner.invoke(app, ["fit", source, "-o", str(path)]).exit_code == 0
    return json.loads(path.read_text(encoding="utf-8"))


def _edits(model: dict) -> list[tuple[str, str]]:
    """(the damage done, words the message must hold), applied one at a time."""
    return [("tables.0.row_count", "'customer' lacks the field 'row_count'"),
            ("tables.0.columns.1.kind", "'city' lacks the field 'kind'"),
            ("tables.0.columns.1.colour=red",
             "'city' has the field 'colour', which a categorical spec does not hold"),
            ("tables.0.columns.1.kind=numbers", "'city' has the unknown kind 'numbers'"),
            ("tables.0.colour=red", "'customer' has the field 'colour', which a TableModel"),
            ("version=1", "is format version 1; this dbclone reads version 2: fit the model "
                          "again with `dbclone fit SOURCE -o "),
            ("schema.tables.0.columns", "'customer' lacks the field 'columns'"),
            ("schema", "lacks the field 'schema'"),
            ("tables.0.row_count=abc", "tables[0] 'customer'.row_count should be a int"),
            ("tables=7", "tables should be a list")]


def _damage(model: dict, edit: str) -> dict:
    path, _, value = edit.partition("=")
    *parents, last = path.split(".")
    node = json.loads(json.dumps(model))
    here = node
    for key in parents:
        here = here[int(key)] if key.isdigit() else here[key]
    if value:
        here[last] = int(value) if value.isdigit() else value
    else:
        del here[last]
    return node


def test_damaged_model_file_is_a_usage_error(model_dict: dict, new_db, tmp_path: Path) -> None:
    target = new_db("sqlite")
    for edit, words in _edits(model_dict):
        path = tmp_path / "damaged.json"
        path.write_text(json.dumps(_damage(model_dict, edit)), encoding="utf-8")
        for command in (["sample", str(path), target], ["refresh", str(path), target]):
            result = runner.invoke(app, command)
            assert result.exit_code == 2, (edit, result.output)
            assert len(result.output.strip().splitlines()) == 1, (edit, result.output)
            assert words in result.output, (edit, result.output)
        assert not Path(target.removeprefix("sqlite:///")).exists()
