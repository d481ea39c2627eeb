"""`dbclone diff` and `diff_schemas`: the comparison the round-trip tests rely on."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from dbclone.cli import app
from dbclone.connect import engine_for
from dbclone.diff import diff_schemas
from dbclone.introspect import introspect

runner = CliRunner()

DDL = """
CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id),
                    qty INTEGER CHECK (qty > 0));
CREATE INDEX ix_child_qty ON child (qty);
"""


def _db(path: Path, ddl: str) -> str:
    with sqlite3.connect(path) as conn:
        conn.executescript(ddl)
    return f"sqlite:///{path}"


def test_equal_schemas_exit_0(tmp_path: Path) -> None:
    a, b = _db(tmp_path / "a.db", DDL), _db(tmp_path / "b.db", DDL)
    result = runner.invoke(app, ["diff", a, b])
    assert result.exit_code == 0, result.output
    assert "equal" in result.output


def test_differences_listed_exit_1(tmp_path: Path) -> None:
    a = _db(tmp_path / "a.db", DDL)
    b = _db(tmp_path / "b.db", DDL.replace("qty INTEGER CHECK (qty > 0)", "qty REAL")
            .replace("CREATE INDEX ix_child_qty ON child (qty);", "")
            + "CREATE TABLE extra (x INTEGER);")
    result = runner.invoke(app, ["diff", a, b])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "table child: column qty: sql_type 'INTEGER' in the source, 'REAL'" in out
    assert "table child: check" in out and "missing in the target" in out
    assert "ix_child_qty" in out
    assert "table extra: only in the target" in out


def test_row_counts_and_unnamed_constraints_are_ignored(tmp_path: Path) -> None:
    src = introspect(engine_for(_db(tmp_path / "a.db", DDL)))
    child = src.table("child")
    renamed = dataclasses.replace(
        child, row_count=99, foreign_keys=tuple(dataclasses.replace(fk, name="fk_generated")
                                                for fk in child.foreign_keys))
    dst = dataclasses.replace(src, tables=tuple(renamed if t.name == "child" else t
                                                for t in src.tables))
    assert all(fk.name is None for fk in child.foreign_keys)
    assert diff_schemas(src, dst) == []


def test_named_constraint_renamed_is_a_difference(tmp_path: Path) -> None:
    src = introspect(engine_for(_db(tmp_path / "a.db", DDL.replace(
        "qty INTEGER CHECK", "qty INTEGER CONSTRAINT qty_positive CHECK"))))
    child = src.table("child")
    checks = tuple(dataclasses.replace(c, name="other") for c in child.checks)
    dst = dataclasses.replace(src, tables=tuple(
        dataclasses.replace(t, checks=checks) if t.name == "child" else t for t in src.tables))
    assert diff_schemas(src, dst) == [
        "table child: check qty_positive (sqltext='qty > 0'): named 'qty_positive' in the "
        "source, 'other' in the target"]


def test_missing_database_is_one_line_error(tmp_path: Path) -> None:
    a = _db(tmp_path / "a.db", DDL)
    result = runner.invoke(app, ["diff", a, str(tmp_path / "nope.db")])
    assert result.exit_code == 3
    assert "does not exist" in result.output
