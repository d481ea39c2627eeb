"""A materialized view with a UNIQUE index whose uniqueness comes from the source's data, not
from a constraint (AdventureWorks' production.vproductanddescription: one description per
model and culture, while the key allows several): the synthetic rows need not keep it, and
`CREATE UNIQUE INDEX` on the filled view failed the whole load ("could not create unique
index"). The view is now created empty, indexed, then refreshed: where the refresh breaks the
index it stays unpopulated (the schema is whole, `diff` clean); where it holds, it is filled."""

from __future__ import annotations

from dbclone.api import clone
from dbclone.connect import engine_for
from dbclone.diff import diff_schemas
from dbclone.introspect import introspect
from tests.helpers import run_script

SCRIPT = """
CREATE TABLE model (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE product (id int PRIMARY KEY, model_id int NOT NULL REFERENCES model, name text);
CREATE TABLE descr (model_id int NOT NULL REFERENCES model, descr_id int NOT NULL,
  culture text NOT NULL, PRIMARY KEY (model_id, descr_id, culture));
INSERT INTO model SELECT g, 'm' || g FROM generate_series(1, 30) g;
INSERT INTO product SELECT g, 1 + g % 30, 'p' || g FROM generate_series(1, 200) g;
INSERT INTO descr SELECT m, m * 10 + i, c FROM generate_series(1, 30) m,
  unnest(ARRAY['en', 'fr', 'de', 'he', 'ar', 'zh']) WITH ORDINALITY AS u(c, i);
CREATE MATERIALIZED VIEW pd AS SELECT p.id AS product_id, d.culture, d.descr_id
  FROM product p JOIN descr d ON d.model_id = p.model_id;
CREATE UNIQUE INDEX pd_key ON pd (product_id, culture);
CREATE MATERIALIZED VIEW per_model AS SELECT model_id, count(*) AS n FROM descr GROUP BY 1;
CREATE UNIQUE INDEX per_model_key ON per_model (model_id);
"""


def test_unique_matview_index_does_not_fail_the_load(new_db) -> None:
    source, target = new_db("postgresql"), new_db("postgresql")
    run_script(source, SCRIPT)
    clone(source, target, seed=1)
    assert diff_schemas(introspect(engine_for(source)), introspect(engine_for(target))) == []
    with engine_for(target).connect() as conn:
        populated = dict(conn.exec_driver_sql(
            "SELECT relname, relispopulated FROM pg_class WHERE relkind = 'm'").fetchall())
        assert populated["per_model"] is True  # its uniqueness holds: filled
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM per_model").scalar() > 0
        if not populated["pd"]:  # the synthetic rows repeat (product, culture)
            dup = conn.exec_driver_sql(
                "SELECT COUNT(*) FROM (SELECT 1 FROM product p JOIN descr d USING (model_id)"
                " GROUP BY p.id, d.culture HAVING COUNT(*) > 1) x").scalar()
            assert dup > 0


def test_an_unpopulated_matview_is_said_in_the_output(new_db) -> None:
    """The run names the view left empty, why, and the fix: on stderr as text, as a "warning"
    record with --log-json (the tables are whole, the exit code 0: the view is derived data)."""
    import json

    from typer.testing import CliRunner

    from dbclone.cli import app

    source = new_db("postgresql")
    run_script(source, SCRIPT)
    runs = {}
    for flags in ([], ["--log-json"]):
        target = new_db("postgresql")
        runs[bool(flags)] = CliRunner().invoke(app, [*flags, "clone", source, target, "--seed",
                                                     "1", "--quiet"])
        with engine_for(target).connect() as conn:
            assert conn.exec_driver_sql(
                "SELECT relispopulated FROM pg_class WHERE relname = 'pd'").scalar() is False
    text, logged = runs[False], runs[True]
    assert text.exit_code == 0 and logged.exit_code == 0
    assert [line for line in text.stderr.splitlines() if line.startswith("warning:")] == [
        "warning: materialized view pd is left unpopulated: the synthetic rows break its unique"
        " index pd_key; the tables are complete. To fill it, make the rows keep that uniqueness"
        " (or drop the index) and run REFRESH MATERIALIZED VIEW pd"]
    records = [json.loads(line) for line in logged.stderr.splitlines()]
    warned = [r["message"] for r in records if r["event"] == "warning"]
    assert len(warned) == 1 and warned[0].startswith("materialized view pd is left unpopulated")
    assert "per_model" not in text.stderr  # its uniqueness holds: filled, nothing said
