"""The TOML config file: its checks (names with "did you mean"), and its effect on a clone."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbclone.api import clone, fit_to_file, sample_model
from dbclone.config import check_against, load_config, parse_config
from dbclone.connect import engine_for
from dbclone.errors import UsageError
from dbclone.introspect import introspect
from dbclone.synth import model as model_io

CONFIG = """
locale = "sv_SE"
rare_threshold = 3
exclude = ["title"]
verbatim = ["department"]

[tables.employee]
rows = 400

[tables.employee.columns]
last_name = { constant = "Svensson" }
first_name = { faker = "first_name" }
gender = "keep"

[tables.salary]
scale = 0.5
"""


@pytest.mark.parametrize(("text", "message"), [
    ("exclud = []", "unknown key 'exclud' (did you mean 'exclude'?)"),
    ("[tables.employee]\nrow = 5", "unknown key 'row' (did you mean 'rows'?)"),
    ("[tables.employee]\nrows = 5\nscale = 2", "give rows or scale, not both"),
    ("[tables.employee]\nscale = -1", "scale must be a positive number"),
    ("rare_threshold = 0", "rare_threshold must be a positive integer"),
    ("[tables.employee.columns]\nlast_name = 'nul'", "unknown override 'nul' (did you mean "
                                                     "'null'?)"),
    ("[tables.employee.columns]\nlast_name = { faker = 'lastname' }",
     "unknown Faker provider 'lastname' (did you mean 'last_name'?)"),
    ("[tables.employee.columns]\nlast_name = { faker = 'x', constant = 1 }", "exactly one"),
    ("[tables.employee.columns]\nlast_name = { pattern = '' }", "pattern must be"),
    ("exclude = 'title'", "exclude must be a list of table names"),
])
def test_config_shape_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "dbclone.toml"
    path.write_text(text)
    with pytest.raises(UsageError, match=re.escape(message)):
        load_config(path)


def test_unreadable_config(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("locale = ")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_config(tmp_path / "bad.toml")


@pytest.mark.parametrize(("text", "message"), [
    ("exclude = ['employe']", "unknown table 'employe' (did you mean 'employee'?)"),
    ("[tables.employee.columns]\nfirst_nme = 'null'",
     "unknown column employee.first_nme (did you mean 'first_name'?)"),
    ("exclude = ['employee']", "table 'dept_emp' references excluded table 'employee'"),
    ("[tables.employee.columns]\nemp_no = 'null'", "employee.emp_no is a key"),
    ("[tables.employee.columns]\nlast_name = 'null'", "employee.last_name is NOT NULL"),
    ("verbatim = ['salary']", "verbatim table 'salary' references employee"),
])
def test_config_names_checked_against_schema(shared, text: str, message: str) -> None:
    schema = introspect(engine_for(shared("employees", "sqlite")))

    config = parse_config(tomllib.loads(text), "dbclone.toml")
    with pytest.raises(UsageError, match=re.escape(message)):
        check_against(config, schema)


def test_config_shapes_the_clone(shared, tmp_path: Path) -> None:
    source = shared("employees", "sqlite")
    (tmp_path / "dbclone.toml").write_text(CONFIG)
    config = load_config(tmp_path / "dbclone.toml")
    target = f"sqlite:///{tmp_path / 'clone.db'}"
    clone(source, target, seed=3, scale=2, config=config)
    with engine_for(source).connect() as src, engine_for(target).connect() as dst:
        assert "title" not in sa.inspect(dst).get_table_names()
        assert dst.exec_driver_sql("SELECT COUNT(*) FROM employee").scalar() == 400
        assert dst.exec_driver_sql("SELECT DISTINCT last_name FROM employee").all() == \
            [("Svensson",)]
        q = "SELECT dept_no, dept_name FROM department ORDER BY 1"
        assert dst.exec_driver_sql(q).all() == src.exec_driver_sql(q).all()
        genders = {g for (g,) in dst.exec_driver_sql("SELECT DISTINCT gender FROM employee")}
        assert genders == {g for (g,) in src.exec_driver_sql("SELECT DISTINCT gender "
                                                             "FROM employee")}
        n_src = src.exec_driver_sql("SELECT COUNT(*) FROM salary").scalar()
        n_dst = dst.exec_driver_sql("SELECT COUNT(*) FROM salary").scalar()
        assert abs(n_dst - n_src / 2) <= 0.05 * n_src  # its own scale, not the clone's 2


def test_config_at_sample_time(shared, tmp_path: Path) -> None:
    """Sizes and overrides also apply to a saved model (`dbclone sample --config`)."""
    source = shared("employees", "sqlite")
    fit_to_file(source, tmp_path / "m.json", seed=1)
    config = parse_config({"tables": {"employee": {"rows": 150, "columns": {
        "first_name": {"pattern": "Aaaa"}}}}})
    target = f"sqlite:///{tmp_path / 'clone.db'}"
    sample_model(model_io.load(tmp_path / "m.json"), target, config=config)
    with engine_for(target).connect() as dst:
        names = [n for (n,) in dst.exec_driver_sql("SELECT first_name FROM employee")]
    assert len(names) == 150
    assert all(len(n) == 4 and n[0].isupper() and n[1:].islower() for n in names)


def test_log_json_error_line(shared, tmp_path: Path) -> None:
    """`--log-json`: the error is one JSON line on stderr with the exit code."""
    import json

    from typer.testing import CliRunner

    from dbclone.cli import app

    (tmp_path / "bad.toml").write_text("exclud = []")
    res = CliRunner().invoke(app, ["--log-json", "clone", shared("employees", "sqlite"),
                                   str(tmp_path / "c.db"), "--config", str(tmp_path / "bad.toml")])
    assert res.exit_code == 2
    record = json.loads(res.output.strip().splitlines()[-1])
    assert record["event"] == "error" and record["exit_code"] == 2
    assert "did you mean 'exclude'" in record["message"]
