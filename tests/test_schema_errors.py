"""Bad input named clearly: unreadable tables, unknown types."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dbclone.api import clone_schema
from dbclone.connect import engine_for
from dbclone.diff import diff_schemas
from dbclone.errors import SchemaError
from dbclone.introspect import introspect
from tests.helpers import PG_SERVER


def test_table_without_select_permission_is_named(new_db) -> None:
    url = new_db("postgresql")
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE ok (id int PRIMARY KEY); CREATE TABLE hemlig (id int PRIMARY KEY);"
            "DO $$ BEGIN CREATE ROLE dbclone_test_reader LOGIN; "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$;"
            "GRANT SELECT ON ok TO dbclone_test_reader;")
    reader = url.replace(PG_SERVER.split("://", 1)[1].split("@", 1)[0] + "@",
                         "dbclone_test_reader@", 1)
    with pytest.raises(SchemaError, match="cannot read table hemlig: permission denied.*grant"):
        introspect(engine_for(reader))


def test_unknown_type_is_a_warning_naming_the_column(new_db) -> None:
    url = new_db("postgresql")
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id int PRIMARY KEY, at pg_snapshot)")
    s = introspect(engine_for(url))
    assert "t.at: dbclone has no generator for type pg_snapshot" in " ".join(s.warnings)
    target = new_db("postgresql")
    clone_schema(url, target)  # recreated with the type PostgreSQL names
    assert diff_schemas(s, introspect(engine_for(target))) == []


def test_table_inheritance_is_read(new_db) -> None:
    url = new_db("postgresql")
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE djur (id int PRIMARY KEY, namn text);"
                             "CREATE TABLE katt (klor int) INHERITS (djur);")
    s = introspect(engine_for(url))
    assert s.table("katt").inherits == ("djur",) and not s.warnings


def test_fk_outside_the_schema_is_dropped_with_a_warning(new_db) -> None:
    url = new_db("postgresql")
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql("CREATE SCHEMA app; CREATE TABLE public.land (kod text PRIMARY KEY);"
                             "CREATE TABLE app.ort (id int PRIMARY KEY, "
                             "land text REFERENCES public.land (kod));")
    s = introspect(engine_for(url), "app")
    assert s.table("ort").foreign_keys == ()
    assert "ort(land) references public.land, outside the schemas read" in " ".join(s.warnings)
