"""Round-trip of the hand-written tricky schemas (sample_schemas/tricky/) on every dialect, and
of a generated 300-table schema, with checks that the features were read in the first place
(equality alone would also hold if both sides lost them)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from dbclone.api import clone_schema
from dbclone.connect import engine_for
from dbclone.diff import diff_schemas
from dbclone.introspect import introspect
from dbclone.plan import make_plan
from dbclone.schema import Schema
from tests.helpers import TRICKY, run_script, tricky_postgresql_full_clone


def roundtrip(new_db, dialect: str, script: str) -> Schema:
    source = new_db(dialect)
    run_script(source, script)
    target = new_db(dialect)
    clone_schema(source, target)
    src = introspect(engine_for(source), count_rows=False)
    assert diff_schemas(src, introspect(engine_for(target), count_rows=False)) == []
    # the model file carries the schema: it must come back from JSON unchanged
    assert Schema.from_dict(json.loads(json.dumps(src.to_dict()))) == src
    return src


def test_tricky_postgresql(new_db) -> None:
    s = roundtrip(new_db, "postgresql", (TRICKY / "postgresql.sql").read_text())
    kund = s.table("Kund Register")
    cols = {c.name: c for c in kund.columns}
    assert cols["Id"].identity == "always"
    assert cols["humör"].kind == "enum" and cols["antal"].kind == "integer"
    assert cols["saldo_ore"].computed and cols["saldo_ore"].persisted
    assert cols["namn"].comment == "visningsnamn" and kund.comment == "kunder, med 'citat'"
    assert 'COLLATE "C"' in cols['weird "quoted" name'].sql_type
    defs = {i.name: i.definition for i in kund.indexes}
    assert "WHERE" in (defs["ix_aktiva"] or "") and "lower" in (defs["ix_lower"] or "")
    assert "INCLUDE" in (defs["ux_uid"] or "") and "gin" in (defs["ix_sok"] or "")
    assert {d.name for d in s.domains} == {"positive_int", "Årtal"}
    assert s.extensions == ("btree_gist", "citext") and cols["epost"].sql_type == "CITEXT"
    seqs = {q.name: q.options for q in s.sequences}
    assert "INCREMENT BY 10" in seqs["fakturanummer"] and "order_id_seq" in seqs
    event_id = s.table("händelse").columns[0]
    assert event_id.identity == "by default" and "INCREMENT BY 10" in (
        event_id.identity_options or "")
    bokning = s.table("bokning")
    assert bokning.exclusions[0].sqltext.startswith("EXCLUDE USING gist")
    u = bokning.uniques[0]
    assert (u.deferrable, u.initially_deferred, u.nulls_not_distinct) == (True, True, True)
    fk = next(f for f in s.table("order").foreign_keys if f.name == "fk_order_kund")
    assert (fk.deferrable, fk.initially_deferred, fk.on_update, fk.on_delete) == (
        True, True, "CASCADE", "RESTRICT")
    part = s.table("mätning")
    assert part.partition_by == "LIST (land)"
    assert [p.name for p in part.partitions] == ["mätning_no", "mätning_se", "mätning_övrigt"]
    assert len(part.partitions[0].partitions) == 2
    assert "mätning_se" not in s.table_names  # rows are loaded through the parent
    views = {v.name: v for v in s.views}
    assert views["region_summa"].materialized and views["region_summa"].indexes[0].unique
    assert views["Stora kunder"].comment == "saldo över 100"
    plan = make_plan(s)  # one FK per cycle; firma's two FKs to person cannot break theirs
    assert {(d.table, d.columns) for d in plan.deferred if d.reason == "cycle"} == {
        ("person", ("arbetsplats",)), ("hönan", ("ägget_id",))}


def test_tricky_mysql(new_db) -> None:
    s = roundtrip(new_db, "mysql", (TRICKY / "mysql.sql").read_text())
    kund = s.table("Kund Register")
    cols = {c.name: c for c in kund.columns}
    assert cols["Id"].unsigned and cols["Id"].autoincrement
    assert "utf8mb4_swedish_ci" in cols["namn"].sql_type and cols["namn"].comment
    assert cols["data"].kind == "json" and cols["taggar"].kind == "enum"
    assert cols["ändrad"].on_update and cols["namn_lang"].persisted is False
    assert cols["saldo_ore"].persisted is True
    assert dict(kund.options)["collation"] == "utf8mb4_unicode_ci"
    assert dict(s.table("logg").options)["engine"] == "MyISAM"
    defs = {i.name: i.definition for i in kund.indexes}
    assert defs["ix_namn_prefix"] == "(`namn`(10))" and "DESC" in (defs["ix_status_saldo"] or "")
    assert defs["ft_anteckning"] == "FULLTEXT (`anteckning`)"
    assert {c.name for c in s.table("rad").checks} == {"Antal"}


def test_tricky_sqlite(new_db) -> None:
    s = roundtrip(new_db, "sqlite", (TRICKY / "sqlite.sql").read_text())
    kund = s.table("Kund Register")
    cols = {c.name: c for c in kund.columns}
    assert cols["Id"].autoincrement and cols["namn"].collation == "NOCASE"
    assert ("kod",) in {u.columns for u in kund.uniques}
    assert {i.name for i in kund.indexes} == {"ix_aktiva", "ix_lower_namn", "ux_kod_status"}
    assert dict(s.table("order").options) == {"without_rowid": "true"}
    assert dict(s.table("strikt").options) == {"strict": "true", "without_rowid": "true"}
    assert s.table("order").foreign_keys[0].on_delete == "CASCADE"
    assert [c.sql_type for c in s.table("tom").columns] == ["ANYTHING_GOES", ""]
    assert [v.name for v in s.views] == ["Stora kunder"]
    assert [t.name for t in s.table("rad").triggers] == ["rad_logg"]


def generated_schema(n_tables: int = 300, wide: int = 200) -> str:
    """A chain-and-fan FK graph of `n_tables` tables, one of them `wide` columns wide."""
    stmts = ["CREATE TABLE t000 (id INTEGER PRIMARY KEY, "
             + ", ".join(f"c{i:03d} INTEGER" for i in range(wide)) + ");"]
    for i in range(1, n_tables):
        parents = sorted({(i - 1), (i // 3)})
        fks = "".join(f", p{p:03d} INTEGER REFERENCES t{p:03d} (id)" for p in parents)
        stmts.append(f"CREATE TABLE t{i:03d} (id INTEGER PRIMARY KEY, name VARCHAR(20) "
                     f"NOT NULL UNIQUE{fks});")
    return "\n".join(stmts) + "\n"


#: Statements introspection may send per table (10 at 9ceb8eb: columns, constraints, indexes,
#: triggers, rules, partitions, inheritance, row count ...) and in all besides (22). A budget,
#: not a count, so a new per-table query fits; a query per table *pair* (300 x 300) or a lost
#: inspector cache does not. The time itself is bench/introspect_bench.py's figure.
STATEMENTS_PER_TABLE, STATEMENTS_BESIDES = 15, 50


def test_300_tables_introspect_and_plan_in_linear_statements(new_db) -> None:
    dialect = "postgresql"  # the slowest to reflect; SQLite's reflection is local and fast
    source = new_db(dialect)
    run_script(source, generated_schema())
    engine = engine_for(source)
    sent: list[str] = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda _conn, _cursor, statement, *_: sent.append(statement))
    s = introspect(engine)
    plan = make_plan(s)
    assert len(plan.order) == 300 and len(s.table("t000").columns) == 201
    # at least the row count of each table: the listener sees what introspection sends
    assert 300 <= len(sent) <= STATEMENTS_PER_TABLE * 300 + STATEMENTS_BESIDES, (
        f"introspecting 300 tables sent {len(sent)} statements")
    target = new_db(dialect)
    clone_schema(source, target)
    assert diff_schemas(s, introspect(engine_for(target), count_rows=False)) == []


def test_tricky_postgresql_full_clone(new_db) -> None:
    tricky_postgresql_full_clone(new_db)


def test_non_default_postgresql_schema(new_db) -> None:
    """--schema app: enum, domain, sequence, index and view land in app, not in public."""
    source = new_db("postgresql")
    run_script(source, """
        CREATE SCHEMA app;
        CREATE TYPE app.färg AS ENUM ('röd', 'blå');
        CREATE DOMAIN app.pos AS int CHECK (VALUE > 0);
        CREATE TABLE app.a (id serial PRIMARY KEY, f app.färg, p app.pos);
        CREATE TABLE app.b (id int PRIMARY KEY, a_id int REFERENCES app.a (id));
        CREATE INDEX ix_b ON app.b (a_id) WHERE a_id > 0;
        CREATE VIEW app.v AS SELECT a.id, b.id AS bid FROM app.a JOIN app.b ON b.a_id = a.id;
        """)
    target = new_db("postgresql")
    clone_schema(source, target, schema="app")
    src = introspect(engine_for(source), "app", count_rows=False)
    assert diff_schemas(src, introspect(engine_for(target), "app", count_rows=False)) == []
    assert src.domains[0].schema == "app" and [v.name for v in src.views] == ["v"]
    assert introspect(engine_for(target), "public", count_rows=False).tables == ()  # empty


def test_not_null_types_without_a_model_still_load(new_db) -> None:
    """inet, cidr, ranges, geometry, xml, bit ... NOT NULL: a literal the type accepts."""
    from dbclone.api import clone

    source = new_db("postgresql")
    run_script(source, """
        CREATE TABLE t (id int PRIMARY KEY, ip inet NOT NULL, net cidr NOT NULL,
          r tsrange NOT NULL, p point NOT NULL, m macaddr NOT NULL, x xml NOT NULL,
          b bit(4) NOT NULL, ts tsvector NOT NULL);
        INSERT INTO t SELECT g, ('10.1.1.' || g)::inet, ('10.' || g || '.0.0/16')::cidr,
          tsrange('2020-01-01', '2020-01-02'), point(g, g), '08:00:2b:01:02:03',
          ('<a>' || g || '</a>')::xml, (g % 16)::bit(4), to_tsvector('hej')
        FROM generate_series(1, 50) g;
        """)
    target = new_db("postgresql")
    clone(source, target, seed=1)
    assert introspect(engine_for(target)).table("t").row_count == 50
