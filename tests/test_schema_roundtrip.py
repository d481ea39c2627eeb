"""Round-trip: introspect(target) == introspect(source) after creating the target's schema.

`diff_schemas` is the one comparison (also behind `dbclone diff`); an empty list is equality.
"""

from __future__ import annotations

import pytest

from dbclone.api import clone, clone_schema
from dbclone.connect import engine_for
from dbclone.diff import diff_schemas
from dbclone.introspect import introspect

SHARED = [("chinook", "postgresql"), ("chinook", "mysql"), ("chinook", "sqlite"),
          ("employees", "postgresql"), ("employees", "mysql"), ("employees", "sqlite"),
          ("northwind", "postgresql")]  # pagila: through the CLI, below


def roundtrip_diff(source: str, target: str) -> list[str]:
    return diff_schemas(introspect(engine_for(source), count_rows=False),
                        introspect(engine_for(target), count_rows=False))


@pytest.mark.parametrize(("name", "dialect"), SHARED)
def test_shared_schema_only(name: str, dialect: str, shared, new_db) -> None:
    source = shared(name, dialect)
    target = new_db(dialect)
    clone_schema(source, target)
    assert roundtrip_diff(source, target) == []


def test_shared_full_clone_keeps_schema(shared, new_db) -> None:
    """With rows in: partitions, domains, arrays, tsvector and views survive the load."""
    source = shared("pagila", "postgresql")
    target = new_db("postgresql")
    result = clone(source, target, seed=5)
    assert result.total_rows > 1000
    assert roundtrip_diff(source, target) == []


def test_cli_schema_only_then_diff(shared, new_db) -> None:
    """`clone --schema-only` creates structure and no rows; `diff` then finds nothing."""
    from typer.testing import CliRunner

    from dbclone.cli import app

    source = shared("pagila", "postgresql")
    target = new_db("postgresql")
    runner = CliRunner()
    made = runner.invoke(app, ["clone", "--schema-only", source, target])
    assert made.exit_code == 0, made.output
    assert "15 tables and 8 views" in made.output
    assert introspect(engine_for(target)).table("film").row_count == 0
    same = runner.invoke(app, ["diff", source, target])
    assert same.exit_code == 0 and "equal" in same.output
    again = runner.invoke(app, ["clone", "--schema-only", "--replace", source, target])
    assert again.exit_code == 0, again.output
