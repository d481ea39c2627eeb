"""PostgreSQL composite types (and a domain over one) are recreated before the tables, in
their schemas; a composite column is generated field by field (each field as its type asks)
and written as a row literal. Before, the clone was refused ("a composite type, not generated
yet"), and before that the load failed with `type "..." does not exist`, or the column came
out NULL. A record with a field no rule generates (time with time zone) is still refused up
front, naming the field; copied, set or NULLed as the config says, it loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dbclone.api import clone, clone_schema
from dbclone.cli import app
from dbclone.config import load_config
from dbclone.connect import engine_for
from dbclone.diff import diff_schemas
from dbclone.errors import SchemaError
from dbclone.introspect import introspect
from tests.helpers import run_script

SCRIPT = """
CREATE SCHEMA geo;
CREATE TYPE geo.address AS (street text, zip int, city varchar(30));
CREATE TYPE money_pair AS (amount numeric(10,2), currency char(3));
CREATE DOMAIN geo.swedish_address AS geo.address CHECK ((VALUE).zip BETWEEN 10000 AND 99999);
CREATE TYPE visit AS (at timestamp, ok boolean, code uuid, place geo.address, ip inet);
CREATE TABLE customer (id int PRIMARY KEY, name text, home geo.address,
  post geo.swedish_address NOT NULL, credit money_pair, last visit);
INSERT INTO customer SELECT g, 'c' || g,
  CASE WHEN g % 5 <> 0 THEN ROW('Storgatan ' || g, 10000 + g, 'Umeå')::geo.address END,
  ROW('Lillgatan ' || g, 20000 + g * 7, CASE WHEN g % 2 = 0 THEN 'Lund' END)::geo.address,
  ROW(g * 10.5, 'SEK')::money_pair,
  ROW(timestamp '2024-01-01' + g * interval '1 day', g % 3 = 0, gen_random_uuid(),
      ROW('Gränd "' || g || '", 1', 20000 + g, 'Kiruna (C)'), '10.1.0.' || g)::visit
  FROM generate_series(1, 50) g;
"""


@pytest.fixture
def source(new_db) -> str:
    url = new_db("postgresql")
    run_script(url, SCRIPT)
    return url


def test_composite_types_are_read_and_recreated(source, new_db) -> None:
    s = introspect(engine_for(source))
    assert {(c.schema, c.name, c.attributes) for c in s.composites} == {
        ("geo", "address", (("street", "text"), ("zip", "integer"),
                            ("city", "character varying(30)"))),
        (None, "money_pair", (("amount", "numeric(10,2)"), ("currency", "character(3)"))),
        (None, "visit", (("at", "timestamp without time zone"), ("ok", "boolean"),
                         ("code", "uuid"), ("place", "geo.address"), ("ip", "inet")))}
    kinds = {c.name: c.kind for c in s.table("customer").columns}
    assert kinds["home"] == kinds["post"] == kinds["credit"] == kinds["last"] == "other"
    target = new_db("postgresql")
    clone_schema(source, target)
    assert diff_schemas(s, introspect(engine_for(target))) == []


def test_composite_columns_are_generated_field_by_field(source, new_db) -> None:
    target = new_db("postgresql")
    clone(source, target, seed=1)
    assert diff_schemas(introspect(engine_for(source)), introspect(engine_for(target))) == []
    with engine_for(target).connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT (home).zip, (home).city, (post).zip, (post).city, (credit).amount, "
            "(credit).currency, (last).at, (last).ok, (last).code, (last).place, (last).ip, "
            "home IS NULL FROM customer").fetchall()
    assert len(rows) == 50
    home_null = sum(r[11] for r in rows)
    assert 3 <= home_null <= 20  # the source: 10 of 50
    homes = [r for r in rows if not r[11]]
    assert all(10001 <= r[0] <= 10050 for r in homes) and {r[1] for r in homes} == {"Umeå"}
    assert len({r[0] for r in homes}) > 10  # not one constant
    assert all(20007 <= r[2] <= 20350 for r in rows)  # the domain's CHECK holds
    assert {r[3] for r in rows} == {"Lund", None}  # a field's NULLs kept
    assert all(10 <= float(r[4]) <= 525 and r[5] == "SEK" for r in rows)
    assert all(r[6].year == 2024 for r in rows) and {r[7] for r in rows} == {True, False}
    assert len({r[8] for r in rows}) == 50
    # a nested record whose text needed quoting comes back as a record of its type
    assert all(r[9].startswith("(") and ",Kiruna (C))" not in r[9] for r in rows)
    assert all(str(r[10]).startswith("10.1.0.") or str(r[10]).startswith("10.") for r in rows)


def test_a_record_with_a_field_of_no_rule_is_refused_naming_the_field(new_db) -> None:
    source = new_db("postgresql")
    run_script(source, """
        CREATE TYPE tagged AS (label text, tags timetz);
        CREATE TABLE item (id int PRIMARY KEY, t tagged);
        INSERT INTO item SELECT g, ROW('x', timetz '08:00+02')::tagged
          FROM generate_series(1, 20) g;
        """)
    target = new_db("postgresql")
    with pytest.raises(SchemaError) as err:
        clone(source, target, seed=1)
    assert ("item.t (tagged: a composite type whose field tags (time with time zone) is of a "
            "type not generated inside a record): under [tables.item.columns] set t = \"keep\" or "
            "{ constant = \"...\" } or \"null\"" in str(err.value))
    assert introspect(engine_for(target)).tables == ()  # nothing written
    # `inspect --columns` says the same before anything is read
    shown = CliRunner().invoke(app, ["inspect", source, "--columns"])
    assert shown.exit_code == 0, shown.output
    assert "    id INTEGER: generated\n" in shown.output
    assert ("    t tagged: refused (a composite type whose field tags (time with time zone) is "
            "of a type not generated inside a record)\n") in shown.output


def test_a_record_with_an_interval_field_is_generated(new_db) -> None:
    """Was refused ('a type not generated inside a record'). The interval's months, days and
    clock time are made apart; whole hours in the source stay whole hours; NULLs kept."""
    source = new_db("postgresql")
    run_script(source, """
        CREATE TYPE timed AS (label text, took interval);
        CREATE TABLE item (id int PRIMARY KEY, t timed);
        INSERT INTO item SELECT g, ROW('x', CASE WHEN g % 5 = 0 THEN NULL
          ELSE (g % 3) * interval '1 mon' + (g % 4) * interval '1 day'
               - (g % 7) * interval '1 hour' END)::timed
          FROM generate_series(1, 60) g;
        """)
    target = new_db("postgresql")
    clone(source, target, seed=1)
    with engine_for(target).connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT (t).took, extract(epoch FROM (t).took)::numeric, "
            "extract(month FROM (t).took), extract(day FROM (t).took), "
            "extract(epoch FROM (t).took - date_trunc('day', (t).took)) FROM item").fetchall()
    took = [r for r in rows if r[0] is not None]
    assert 4 <= len(rows) - len(took) <= 24  # the source: 12 of 60 NULL
    assert {int(r[2]) for r in took} <= {0, 1, 2} and len({int(r[2]) for r in took}) > 1
    assert {int(r[3]) for r in took} <= {0, 1, 2, 3} and len({int(r[3]) for r in took}) > 1
    assert all(r[4] % 3600 == 0 and -6 * 3600 <= r[4] <= 0 for r in took)  # whole hours
    assert len({r[4] for r in took}) > 2
    assert diff_schemas(introspect(engine_for(source)), introspect(engine_for(target))) == []


def test_inspect_columns_says_what_a_clone_does(source, tmp_path: Path) -> None:
    conf = tmp_path / "c.toml"
    conf.write_text('verbatim = []\n[tables.customer.columns]\nname = "keep"\n'
                    'credit = { constant = "(1,SEK)" }\n')
    shown = CliRunner().invoke(app, ["inspect", source, "--config", str(conf), "--json"])
    assert shown.exit_code == 0, shown.output
    outcomes = {c["column"]: c["outcome"] for c in json.loads(shown.output)["columns"]}
    assert outcomes == {"id": "generated", "name": "copied", "home": "generated",
                        "post": "generated", "credit": "configured", "last": "generated"}


def test_composite_columns_load_as_the_config_says(source, new_db, tmp_path: Path) -> None:
    conf = tmp_path / "c.toml"
    conf.write_text('[tables.customer.columns]\nhome = "keep"\npost = "keep"\n'
                    'credit = { constant = "(12.50,EUR)" }\n')
    target = new_db("postgresql")
    clone(source, target, seed=1, config=load_config(conf))
    assert diff_schemas(introspect(engine_for(source)), introspect(engine_for(target))) == []
    with engine_for(target).connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT (post).zip, (home).city, (credit).currency FROM customer").fetchall()
    assert len(rows) == 50 and {r[1] for r in rows} == {"Umeå", None}
    assert all(10000 <= r[0] <= 99999 for r in rows) and {r[2] for r in rows} == {"EUR"}
