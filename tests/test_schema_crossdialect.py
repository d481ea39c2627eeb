"""PostgreSQL / MariaDB -> SQLite: the documented type mapping (dialects/typemap.py), a warning
per lossy mapping naming table.column, and clones that load and keep their constraints."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from dbclone.api import clone
from dbclone.connect import engine_for
from dbclone.dialects.typemap import to_sqlite
from dbclone.diff import diff_schemas
from dbclone.introspect import introspect
from tests.helpers import TRICKY, duplicates, orphans, run_script


def _integrity(url: str) -> None:
    assert not {k: v for k, v in orphans(url).items() if v}
    assert not {k: v for k, v in duplicates(url).items() if v}
    with sqlite3.connect(url.split("///", 1)[1]) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize(("name", "dialect"), [("chinook", "mysql"), ("pagila", "postgresql")])
def test_clone_into_sqlite(name: str, dialect: str, shared, new_db, caplog) -> None:
    source = shared(name, dialect)
    target = new_db("sqlite")
    with caplog.at_level(logging.WARNING, logger="dbclone"):
        result = clone(source, target, seed=2)
    assert result.total_rows > 10000
    _integrity(target)
    dst = introspect(engine_for(target))
    src = introspect(engine_for(source))
    assert dst.table_names == src.table_names
    assert diff_schemas(src, dst) == []  # the target holds what the type map promised
    if name == "pagila":
        assert {v.name for v in dst.views} >= {"actor_info", "film_list", "sales_by_store"}
        warned = caplog.text
        assert "film.special_features: TEXT[] becomes JSON text" in warned
        assert "payment: partitioned table becomes one table" in warned
        film = dst.table("film")
        assert any("release_year" in c.sqltext and "1901" in c.sqltext for c in film.checks)
        assert any("'NC-17'" in c.sqltext for c in film.checks)  # the enum's values
        with engine_for(target).connect() as conn:
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM actor_info").scalar() > 0


def test_mapping_of_tricky_postgresql(new_db) -> None:
    source = new_db("postgresql")
    run_script(source, (TRICKY / "postgresql.sql").read_text())
    s = to_sqlite(introspect(engine_for(source), count_rows=False))
    kund = s.table("Kund Register")
    types = {c.name: c.sql_type for c in kund.columns}
    assert types["namn"] == "VARCHAR(80)" and types["saldo"] == "NUMERIC(12, 2)"
    assert types["taggar"] == "JSON" and types["uid"] == "CHAR(36)" and types["bild"] == "BLOB"
    assert {c.name: c.kind for c in kund.columns}["humör"] == "enum"  # the synthesizer's kind
    checks = " ".join(c.sqltext for c in kund.checks)
    assert "\"antal\" > 0" in checks and "'happy'" in checks
    assert all(not t.partitions and t.schema is None for t in s.tables)
    assert [i.name for i in kund.indexes if i.name == "ix_lower"] == []
    joined = "\n".join(s.warnings)
    for lossy in ("Kund Register.sök: TSVECTOR becomes text", "Kund Register.ip: INET",
                  "Kund Register: expression index ix_lower", "routine dubbel(x integer)",
                  "view Stora kunder: not created in SQLite",
                  "bokning: EXCLUDE constraint ingen_krock not created"):
        assert lossy in joined
    assert "Kund Register.namn" not in joined  # not lossy: no warning


def test_mapping_of_tricky_mysql(new_db) -> None:
    source = new_db("mysql")
    run_script(source, (TRICKY / "mysql.sql").read_text())
    s = to_sqlite(introspect(engine_for(source), count_rows=False))
    checks = " ".join(c.sqltext for c in s.table("Kund Register").checks)
    assert '"Id" >= 0' in checks and "'vilande'" in checks  # unsigned, ENUM
    assert "Kund Register.ändrad: ON UPDATE" in "\n".join(s.warnings)
    names = [i.name for t in s.tables for i in t.indexes]
    assert len(names) == len(set(names))  # per-table MySQL names made unique for SQLite
