"""PostgreSQL table inheritance: tables that INHERIT a parent (plain, and the pre-10 way to
partition by date range, with CHECKs and a routing trigger or rules) are recreated with
INHERITS (rules too), and
each table gets its own rows: a child's rows in the child, the parent's own rows
(`FROM ONLY parent`) in the parent. Before, verification failed ("no sequence owned by the
column") and nothing was cloned."""

from __future__ import annotations

import json

import pytest

from dbclone.api import clone
from dbclone.connect import engine_for
from dbclone.diff import diff_schemas
from dbclone.introspect import introspect
from dbclone.schema import Schema
from tests.helpers import run_script

SCRIPT = """
CREATE TABLE measurement (id serial PRIMARY KEY, city_id int NOT NULL, logdate date NOT NULL,
  peaktemp int CHECK (peaktemp BETWEEN -60 AND 60), unitsales int);
CREATE TABLE measurement_y2020 (
  CHECK (logdate >= DATE '2020-01-01' AND logdate < DATE '2021-01-01')) INHERITS (measurement);
CREATE TABLE measurement_y2021 (
  CHECK (logdate >= DATE '2021-01-01' AND logdate < DATE '2022-01-01'), note text)
  INHERITS (measurement);
ALTER TABLE measurement_y2020 ADD PRIMARY KEY (id);
ALTER TABLE measurement_y2021 ADD PRIMARY KEY (id);
CREATE INDEX m2020_logdate ON measurement_y2020 (logdate);
CREATE FUNCTION measurement_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.logdate < DATE '2021-01-01' THEN INSERT INTO measurement_y2020 VALUES (NEW.*);
  ELSE INSERT INTO measurement_y2021 (id, city_id, logdate, peaktemp, unitsales)
       VALUES (NEW.id, NEW.city_id, NEW.logdate, NEW.peaktemp, NEW.unitsales);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER insert_measurement BEFORE INSERT ON measurement
  FOR EACH ROW EXECUTE FUNCTION measurement_insert();
CREATE TABLE city (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE capital (country text NOT NULL) INHERITS (city);
INSERT INTO city SELECT g, 'city ' || g FROM generate_series(1, 20) g;
INSERT INTO capital SELECT 100 + g, 'capital ' || g, 'country ' || (g % 4)
  FROM generate_series(1, 8) g;
INSERT INTO measurement (city_id, logdate, peaktemp, unitsales)
  SELECT 1 + g % 20, DATE '2020-01-01' + (g * 3) % 700, (g * 13) % 70 - 30, g % 50
  FROM generate_series(1, 300) g;
INSERT INTO measurement_y2021 (city_id, logdate, peaktemp, unitsales, note)
  SELECT 1 + g % 20, DATE '2021-02-01' + g % 300, g % 40, g, 'n' || g
  FROM generate_series(1, 40) g;
CREATE RULE city_keep AS ON DELETE TO city WHERE OLD.id < 5 DO INSTEAD NOTHING;
CREATE SEQUENCE event_id_seq;
CREATE TABLE event (id int DEFAULT nextval('event_id_seq') PRIMARY KEY, at date NOT NULL);
CREATE TABLE event_2020 (CHECK (at < DATE '2021-01-01')) INHERITS (event);
CREATE RULE event_2020_insert AS ON INSERT TO event WHERE NEW.at < DATE '2021-01-01'
  DO INSTEAD INSERT INTO event_2020 VALUES (NEW.id, NEW.at);
INSERT INTO event (at) SELECT DATE '2020-01-01' + g * 5 FROM generate_series(1, 150) g;
"""

_OWN_ROWS = "SELECT tableoid::regclass::text, COUNT(*) FROM {} GROUP BY 1 ORDER BY 1"


@pytest.fixture
def source(new_db) -> str:
    url = new_db("postgresql")
    run_script(url, SCRIPT)
    return url


def test_inheritance_is_read(source) -> None:
    s = introspect(engine_for(source))
    assert s.table("measurement_y2021").inherits == ("measurement",)
    assert s.table("capital").inherits == ("city",)
    assert s.table("capital").column_names == ("id", "name", "country")
    # each table counts its own rows, not its children's
    assert {t.name: t.row_count for t in s.tables} == {
        "capital": 8, "city": 20, "measurement": 0, "measurement_y2020": 188,
        "measurement_y2021": 152, "event": 77, "event_2020": 73}
    child_id = s.table("measurement_y2020").column("id")
    assert child_id.sequence is None and child_id.default == \
        "nextval('measurement_id_seq'::regclass)"  # the parent's sequence, not the child's
    assert not s.warnings
    assert [r.name for r in s.table("city").rules] == ["city_keep"]  # recreated after rows
    assert Schema.from_dict(json.loads(json.dumps(s.to_dict()))) == s


def test_inheritance_clones_with_rows_in_their_own_tables(source, new_db) -> None:
    target = new_db("postgresql")
    clone(source, target, seed=5)
    src, dst = introspect(engine_for(source)), introspect(engine_for(target))
    assert diff_schemas(src, dst) == []
    with engine_for(source).connect() as a, engine_for(target).connect() as b:
        for parent in ("measurement", "city", "event"):
            sql = _OWN_ROWS.format(parent)
            assert b.exec_driver_sql(sql).fetchall() == a.exec_driver_sql(sql).fetchall()
        assert sorted(b.exec_driver_sql(
            "SELECT inhrelid::regclass::text, inhparent::regclass::text FROM pg_inherits")) == [
            ("capital", "city"), ("event_2020", "event"), ("measurement_y2020", "measurement"),
            ("measurement_y2021", "measurement")]
        # the children's date ranges hold (their CHECKs), and the parent's CHECK on them too
        assert b.exec_driver_sql(
            "SELECT MIN(logdate) >= DATE '2021-01-01' FROM measurement_y2021").scalar()
        # the application inserts through the parent: the shared sequence is past every key
        top = b.exec_driver_sql("SELECT MAX(id) FROM measurement").scalar()
        b.exec_driver_sql("INSERT INTO measurement (city_id, logdate) "
                          "VALUES (1, DATE '2021-06-01')")
        assert b.exec_driver_sql("SELECT id FROM measurement_y2021 "
                                 "WHERE logdate = DATE '2021-06-01' AND unitsales IS NULL"
                                 ).scalar() > top
        # a sequence nobody owns, shared by a parent and its child (sakila's payment): the
        # parent's setval covers the child's keys, and the rule routes a new row
        top = b.exec_driver_sql("SELECT MAX(id) FROM event").scalar()
        b.exec_driver_sql("INSERT INTO event (at) VALUES (DATE '2020-06-01')")
        assert b.exec_driver_sql("SELECT MAX(id) FROM ONLY event_2020").scalar() > top
        b.rollback()


def test_inheritance_into_sqlite_keeps_each_tables_rows(source, new_db) -> None:
    target = new_db("sqlite")
    clone(source, target, seed=1)
    dst = introspect(engine_for(target))
    assert dst.table("measurement_y2021").row_count == 152
    assert dst.table("city").row_count == 20


def test_keys_from_one_sequence_stay_apart(source, new_db) -> None:
    """Keys drawn from one sequence are unique across the tables that draw from it, as in
    the source: an inheritance parent and its children (`SELECT id FROM measurement` had
    340 rows and 188 distinct ids: each table numbered 1..n), and unrelated tables sharing a
    sequence; the sequence ends past all of them, so the application's next row in either
    table gets a new key."""
    run_script(source, """
        CREATE SEQUENCE doc_seq;
        CREATE TABLE invoice (id int DEFAULT nextval('doc_seq') PRIMARY KEY, total int NOT NULL);
        CREATE TABLE receipt (id int DEFAULT nextval('doc_seq') PRIMARY KEY, paid date NOT NULL);
        INSERT INTO invoice (total) SELECT g FROM generate_series(1, 60) g;
        INSERT INTO receipt (paid) SELECT DATE '2020-01-01' + g FROM generate_series(1, 40) g;
        """)
    target = new_db("postgresql")
    clone(source, target, seed=2)
    assert diff_schemas(introspect(engine_for(source)), introspect(engine_for(target))) == []
    with engine_for(target).connect() as b:
        for parent in ("measurement", "event"):
            n, distinct = b.exec_driver_sql(
                f"SELECT COUNT(*), COUNT(DISTINCT id) FROM {parent}").one()
            assert n == distinct, parent
        ids = [r[0] for r in b.exec_driver_sql(
            "SELECT id FROM invoice UNION ALL SELECT id FROM receipt")]
        assert len(ids) == 100 and len(set(ids)) == 100
        for table, col, value in (("invoice", "total", "1"), ("receipt", "paid", "'2021-01-01'")):
            new = b.exec_driver_sql(
                f"INSERT INTO {table} ({col}) VALUES ({value}) RETURNING id").scalar()
            assert new > max(ids)
        b.rollback()
