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
    # the kind of non-personal text recognised, and where its values come from
    assert "Customer.City: text of kind city: public values of the kind" in result.output
    assert "Album.Title: text in the column's own words (work_title): a token chain" \
        in result.output
    assert "Customer.Country: categories kept, rare ones as stand-ins of kind country" \
        in result.output


def _help(*command: str) -> str:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", [(), ("clone",), ("fit",), ("sample",), ("refresh",),
                                     ("inspect",), ("diff",), ("plan",)])
def test_flags_show_no_type_in_help(command: tuple[str, ...]) -> None:
    text = _help(*command)
    assert "--help" in text
    assert "<bool>" not in text


def test_refresh_help_does_not_offer_replace() -> None:
    text = _help("refresh")
    assert "--replace" not in text
    assert "replaced" in text  # what happens to the target is still said
    assert "--replace" in _help("sample")


def test_scheme_typo_suggests_the_scheme() -> None:
    result = runner.invoke(app, ["inspect", "postgressql://alice:s3cret@127.0.0.1/db"])
    assert result.exit_code == 2
    assert "did you mean postgresql://?" in result.output
    assert "Can't load plugin" not in result.output and "s3cret" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    other = runner.invoke(app, ["inspect", "oracle://scott:tiger@db/orcl"])
    assert other.exit_code == 2
    assert "dbclone reads PostgreSQL, MySQL/MariaDB and SQLite" in other.output
    assert "'oracle://scott:***@db/orcl'" in other.output and "tiger" not in other.output
    bare = runner.invoke(app, ["inspect", "mysq://root@127.0.0.1/db"])
    assert "'mysq://root@127.0.0.1/db'; did you mean mysql://?" in bare.output


def test_messages_show_the_url_as_typed(new_db) -> None:
    """Not the driver URL dbclone made of it (postgresql+psycopg://)."""
    target = new_db("postgresql")  # the fixture's own URL names the driver
    typed = target.replace("postgresql+psycopg://", "postgresql://", 1)
    missing = typed.rsplit("/", 1)[0] + "/dbclone_no_such_database"
    result = runner.invoke(app, ["inspect", missing])
    assert result.exit_code == 3
    assert f"cannot connect to {missing}" in result.output
    assert "+psycopg" not in result.output
    from dbclone.connect import display_url, engine_for

    assert display_url(engine_for(typed)) == typed
    assert display_url(engine_for("mysql://root@127.0.0.1:3306/mysql")) \
        == "mysql://root@127.0.0.1:3306/mysql"


def test_dialect_error_names_sqlite_as_a_way_out(tmp_path, new_db) -> None:
    import sqlalchemy as sa

    source = new_db("postgresql")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id integer PRIMARY KEY, v integer)")
        conn.exec_driver_sql("INSERT INTO t SELECT i, mod(i, 3) FROM generate_series(1, 50) i")
    result = runner.invoke(app, ["clone", source, new_db("mysql")])
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1]
    assert "cannot load a postgresql schema into a mysql target" in last
    assert "or into SQLite (sqlite:///file.db), which takes any source" in last
    assert "same dialect" not in last
    sqlite_source = tmp_path / "s.db"
    with sa.create_engine(f"sqlite:///{sqlite_source}").begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1, 2), (2, 3)")
    result = runner.invoke(app, ["clone", str(sqlite_source), new_db("postgresql")])
    assert result.exit_code == 2, result.output
    assert "clone into a SQLite file" in result.output.strip().splitlines()[-1]
