"""`--into-existing`: the clone fills the tables an application's migrations created, matched
by name, on every dialect; what would break the load (a missing column, a narrower type, a
NOT NULL column of the target's own without a default) is listed before anything is written;
the load stays all or nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dbclone.api import clone
from dbclone.connect import engine_for
from dbclone.errors import SchemaError, TargetNotEmptyError
from tests.helpers import orphans, store_staff_cycle

#: The application's own migrations: wider names, a column of its own with a default, one
#: nullable, FKs (the store <-> staff cycle) declared by the target.
_MIGRATED = [
    "CREATE TABLE store (id INT PRIMARY KEY, manager_id INT NOT NULL UNIQUE, "
    "city VARCHAR(40) NOT NULL, opened_by VARCHAR(20) DEFAULT 'migration' NOT NULL, "
    "notes TEXT)",
    "CREATE TABLE staff (id INT PRIMARY KEY, store_id INT NOT NULL, name VARCHAR(60), "
    "CONSTRAINT fk_staff_store FOREIGN KEY (store_id) REFERENCES store (id))",
]
_CLOSE = ("ALTER TABLE store ADD CONSTRAINT fk_store_manager FOREIGN KEY (manager_id) "
          "REFERENCES staff (id)")


def _target(new_db, dialect: str, ddl: list[str]) -> str:
    url = new_db(dialect)
    stmts = list(ddl)
    if dialect == "sqlite":
        stmts[0] = stmts[0][:-1] + ", CONSTRAINT fk_store_manager FOREIGN KEY (manager_id) " \
                                   "REFERENCES staff (id))"
    elif ddl is _MIGRATED:
        stmts.append(_CLOSE)
    if dialect == "postgresql" and ddl is _MIGRATED:
        stmts += ["CREATE TABLE audit (staff_id INT)",
                  "CREATE FUNCTION audit_staff() RETURNS trigger LANGUAGE plpgsql AS "
                  "$$ BEGIN INSERT INTO audit VALUES (NEW.id); RETURN NEW; END $$",
                  "CREATE TRIGGER staff_audit AFTER INSERT ON staff FOR EACH ROW "
                  "EXECUTE FUNCTION audit_staff()"]
    with engine_for(url, must_exist=False).begin() as conn:
        for stmt in stmts:
            conn.exec_driver_sql(stmt)
    return url


def _count(url: str, sql: str) -> int:
    with engine_for(url).connect() as conn:
        return int(conn.exec_driver_sql(sql).scalar_one())


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_fills_the_migrated_tables(new_db, dialect: str) -> None:
    source = store_staff_cycle(new_db, dialect)
    target = _target(new_db, dialect, _MIGRATED)
    clone(source, target, seed=3, into_existing=True)
    assert _count(target, "SELECT COUNT(*) FROM store") == 6
    assert _count(target, "SELECT COUNT(*) FROM staff") == 60
    assert _count(target, "SELECT COUNT(*) FROM store WHERE opened_by = 'migration'") == 6
    assert _count(target, "SELECT COUNT(*) FROM store s JOIN staff m ON m.id = s.manager_id") == 6
    assert set(orphans(target).values()) == {0}
    if dialect == "postgresql":  # the target's own FKs are back, under their names
        assert _count(target, "SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f' AND "
                              "conname IN ('fk_staff_store', 'fk_store_manager')") == 2
        # the application's audit trigger did not fire for generated rows, and is on again
        assert _count(target, "SELECT COUNT(*) FROM audit") == 0
        assert _count(target, "SELECT COUNT(*) FROM pg_trigger WHERE tgname = 'staff_audit' "
                              "AND tgenabled = 'O'") == 1
    with pytest.raises(TargetNotEmptyError, match="has rows in 2 of the tables"):
        clone(source, target, seed=4, into_existing=True)
    clone(source, target, seed=4, into_existing=True, replace=True)
    assert _count(target, "SELECT COUNT(*) FROM staff") == 60


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_differences_that_break_the_load_are_listed_first(new_db, dialect: str) -> None:
    source = store_staff_cycle(new_db, dialect)
    target = _target(new_db, dialect, [
        "CREATE TABLE store (id INT PRIMARY KEY, manager_id INT NOT NULL, "
        "region INT NOT NULL)",
        "CREATE TABLE staff (id INT PRIMARY KEY, store_id INT NOT NULL, name VARCHAR(10))"])
    with pytest.raises(SchemaError) as err:
        clone(source, target, seed=3, into_existing=True)
    text = str(err.value)
    assert "nothing was written" in text
    assert "table store: column city missing in the target" in text
    assert "table store: column region only in the target, NOT NULL without a default" in text
    if dialect != "sqlite":  # SQLite does not enforce declared lengths
        assert "table staff: column name is VARCHAR(10) in the target, VARCHAR(30)" in text
    assert _count(target, "SELECT COUNT(*) FROM staff") == 0


def test_a_missing_table_is_listed(new_db) -> None:
    source = store_staff_cycle(new_db, "sqlite")
    target = new_db("sqlite")
    with sa.create_engine(target).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE store (id INT PRIMARY KEY)")
    with pytest.raises(SchemaError, match="table staff: missing in the target"):
        clone(source, target, into_existing=True)


def test_sample_into_existing_from_the_command_line(new_db, tmp_path) -> None:
    from typer.testing import CliRunner

    from dbclone.cli import app

    source = store_staff_cycle(new_db, "sqlite")
    target = _target(new_db, "sqlite", _MIGRATED)
    model = tmp_path / "m.json"
    runner = CliRunner()
    assert runner.invoke(app, ["fit", source, "-o", str(model)]).exit_code == 0
    result = runner.invoke(app, ["sample", str(model), target, "--into-existing", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert _count(target, "SELECT COUNT(*) FROM staff") == 60
    bad = new_db("sqlite")
    with sa.create_engine(bad).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE store (id INT PRIMARY KEY)")
    result = runner.invoke(app, ["sample", str(model), bad, "--into-existing"])
    assert result.exit_code == 1 and "table staff: missing in the target" in result.output


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_triggers_that_cannot_be_paused_are_refused_first(new_db, dialect: str) -> None:
    """MariaDB and SQLite cannot switch a trigger off inside the load's transaction: it
    would fire on every generated row (sakila's BEFORE INSERT trigger set every generated
    rental date to NOW(), its ins_film filled film_text before film_text's own rows, and the
    load failed with a duplicate key). Refused before anything is written, naming the
    table, its triggers and the fix."""
    source = store_staff_cycle(new_db, dialect)
    target = _target(new_db, dialect, _MIGRATED)
    body = ("SET NEW.city = 'trigger'" if dialect == "mysql"
            else "BEGIN UPDATE store SET city = 'trigger' WHERE id = NEW.id; END")
    timing = "BEFORE" if dialect == "mysql" else "AFTER"
    with engine_for(target).begin() as conn:
        conn.exec_driver_sql(f"CREATE TRIGGER store_city {timing} INSERT ON store "
                             f"FOR EACH ROW {body}")
    with pytest.raises(SchemaError) as err:
        clone(source, target, seed=3, into_existing=True)
    assert ("table store has triggers (store_city) that would fire on the generated rows: "
            "drop them for the load and create them again after" in str(err.value))
    assert _count(target, "SELECT COUNT(*) FROM store") == 0
