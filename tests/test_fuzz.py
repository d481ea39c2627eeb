"""The schema fuzzer in CI: a few seeded random schemas per dialect (tests/fuzzgen.py), each
built as a source, cloned and checked (tests/fuzzcheck.py: integrity 0, `dbclone diff`
clean, no column silently emptied, one seed gives one database); bench/fuzz.py runs
thousands. Below them, the failures the fuzzer found, each as a fixed regression case."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbclone.api import clone, fit_source, inspect_url, sample_model
from dbclone.diff import diff_urls
from tests import fuzzcheck, fuzzgen
from tests.helpers import require_server

#: Seeds per dialect each CI run goes through (a few seconds each).
CI_SEEDS = range(3)


@pytest.fixture
def dbs(tmp_path: Path):  # type: ignore[no-untyped-def]
    databases = fuzzcheck.Databases(tmp_path)
    yield databases
    databases.close()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql"])
def test_fuzzed_schemas_clone_whole(dialect: str, dbs: fuzzcheck.Databases) -> None:
    require_server(dialect)
    options = fuzzgen.Options()
    failed = []
    for seed in CI_SEEDS:
        result = fuzzcheck.run_case(seed, dialect, dbs, options)
        dbs.close()
        if result.problems:
            failed.append(f"seed {seed}: {result.problems} ({result.shape})")
    assert not failed, "\n".join(failed)


def test_generator_is_deterministic() -> None:
    for dialect in ("sqlite", "postgresql", "mysql"):
        a, b = fuzzgen.generate(11, dialect), fuzzgen.generate(11, dialect)
        assert a.describe() == b.describe()
        assert fuzzgen.ddl(a) == fuzzgen.ddl(b) and fuzzgen.rows(a) == fuzzgen.rows(b)
        assert a.describe() != fuzzgen.generate(12, dialect).describe()


# -- what the fuzzer found, fixed ------------------------------------------------------------

@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_percent_and_colon_in_names_are_counted(dialect: str, dbs: fuzzcheck.Databases
                                                ) -> None:
    """Introspection counted rows through sa.text, which doubled a '%' in a quoted name
    (pymysql: "Table 'db.percent%%' doesn't exist") and would read ':x' as a parameter."""
    require_server(dialect)
    url = dbs.new(dialect)
    q = fuzzgen.quote
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {q(dialect, 'percent%%')} ({q(dialect, 'a:b')} "
                             "INT PRIMARY KEY)")
        conn.exec_driver_sql(f"INSERT INTO {q(dialect, 'percent%%')} VALUES (1), (2)")
    schema = inspect_url(url)
    assert [(t.name, t.row_count) for t in schema.tables] == [("percent%", 2)]


_PERCENT_DDL = {  # '%' in names and in catalog text: CHECK, DEFAULT, enum, view, comment
    "postgresql": [
        "CREATE TYPE \"mood%\" AS ENUM ('100%', 'a b')",
        'CREATE TABLE "percent%" ("id%" INT PRIMARY KEY, "a%s" INT CHECK ("a%s" BETWEEN 0 AND 9),'
        " e VARCHAR(10) DEFAULT 'a%' CHECK (e LIKE 'a%' OR e = 'b'), m \"mood%\")",
        "COMMENT ON TABLE \"percent%\" IS '50% off'",
        'CREATE TABLE "child%" (id INT PRIMARY KEY, "p%" INT REFERENCES "percent%" ("id%"))',
        "CREATE VIEW \"v%\" AS SELECT \"id%\" FROM \"percent%\" WHERE e LIKE '%a%'",
    ],
    "mysql": [
        "CREATE TABLE `percent%` (`id%` INT PRIMARY KEY, `a%s` INT CHECK (`a%s` BETWEEN 0 AND 9),"
        " e VARCHAR(10) DEFAULT 'a%' CHECK (e LIKE 'a%' OR e = 'b'),"
        " m ENUM('100%', 'a b') COMMENT '50% off')",
        "CREATE TABLE `child%` (id INT PRIMARY KEY, `p%` INT, FOREIGN KEY (`p%`) "
        "REFERENCES `percent%` (`id%`))",
        "CREATE VIEW `v%` AS SELECT `id%` FROM `percent%` WHERE e LIKE '%a%'",
    ],
}


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_percent_in_names_and_catalog_text_clones(dialect: str, dbs: fuzzcheck.Databases
                                                  ) -> None:
    """'%' in a name reached PostgreSQL's COPY doubled (the raw cursor formats nothing:
    'relation "percent%%" does not exist'), and '%' in catalog text (a CHECK with LIKE 'a%',
    a DEFAULT, an enum value, a view, a comment) went to a driver that reads it as a
    placeholder ("only '%s', '%b', '%t' are allowed", "not enough arguments for format
    string"); found by the fuzzer's "percent%" names."""
    require_server(dialect)
    source, target = dbs.new(dialect), dbs.new(dialect)
    q = fuzzgen.quote
    with sa.create_engine(source).begin() as conn:
        for stmt in _PERCENT_DDL[dialect]:
            conn.exec_driver_sql(fuzzcheck.escape(dialect, stmt))
        for i in range(40):
            e = "'a%%'" if i % 2 else "'b'"
            conn.exec_driver_sql(f"INSERT INTO {q(dialect, 'percent%%')} VALUES "
                                 f"({i}, {i % 10}, {e}, '{'100%%' if i % 3 else 'a b'}')")
            conn.exec_driver_sql(f"INSERT INTO {q(dialect, 'child%%')} VALUES ({i}, {i % 7})")
    clone(source, target, seed=3)
    assert diff_urls(source, target) == []
    with sa.create_engine(target).connect() as conn:
        n = conn.exec_driver_sql(f"SELECT COUNT(*) FROM {q(dialect, 'v%%')}").scalar()
        values = {r[0] for r in conn.exec_driver_sql(
            f"SELECT e FROM {q(dialect, 'percent%%')}")}
    assert n and values <= {"a%", "b", None} and "a%" in values


def test_postgresql_in_list_check_on_varchar_diffs_clean(dbs: fuzzcheck.Databases) -> None:
    """PostgreSQL prints `c IN ('a', 'b')` on a VARCHAR back with other casts after a round
    trip, so `dbclone diff` called every such CHECK of a clone different."""
    require_server("postgresql")
    source, target = dbs.new("postgresql"), dbs.new("postgresql")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INT PRIMARY KEY, colour VARCHAR(10) "
                             "CHECK (colour IN ('red', 'it''s', 'a b')))")
        conn.exec_driver_sql("INSERT INTO t SELECT g, (ARRAY['red', 'it''s', 'a b'])"
                             "[1 + g %% 3] FROM generate_series(1, 30) g")
        # a quote inside a quoted column name opens no string (fuzzer seed 5074)
        conn.exec_driver_sql("""CREATE TABLE u (id INT PRIMARY KEY, "it's" VARCHAR(5) """
                             """CHECK ("it's" IN ('a b', 'c')))""")
        conn.exec_driver_sql("""INSERT INTO u SELECT g, (ARRAY['a b', 'c'])[1 + g %% 2] """
                             "FROM generate_series(1, 30) g")
    clone(source, target)
    assert diff_urls(source, target) == []
    with sa.create_engine(target).begin() as conn:  # a CHECK that differs is still found
        conn.exec_driver_sql("ALTER TABLE t DROP CONSTRAINT t_colour_check")
        conn.exec_driver_sql("ALTER TABLE t ADD CHECK (colour IN ('red', 'it''s', 'a b', 'x'))")
    assert any("check" in line for line in diff_urls(source, target))


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_one_integer_among_nulls_stays_an_integer(dialect: str, dbs: fuzzcheck.Databases
                                                  ) -> None:
    """An integer column holding one value among NULLs (pandas reads it as floats) went to
    the string fallback as '22477.0', which PostgreSQL refuses for a SMALLINT (fuzzer seeds
    5014/5035/5044/5056 of `--start 5000`); SQLite took it as a REAL."""
    require_server(dialect)
    source, target = dbs.new(dialect), dbs.new(dialect)
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, n SMALLINT, "
                             "m INTEGER, d NUMERIC(9, 0))")
        conn.exec_driver_sql("INSERT INTO t VALUES (1, 22477, 7, 12345)")
        for i in range(2, 31):
            conn.exec_driver_sql(f"INSERT INTO t VALUES ({i}, NULL, {7 + 13 * (i % 3)}, NULL)")
    model = fit_source(source, seed=1)
    kinds = {c.name: c.strategy for c in model.tables[0].columns}
    assert kinds["n"] == "numeric" and kinds["d"] == "numeric", kinds
    sample_model(model, target, seed=1)
    with sa.create_engine(target).connect() as conn:
        rows = conn.exec_driver_sql("SELECT n, m, d, typeof(n) FROM t" if dialect == "sqlite"
                                    else "SELECT n, m, d, 'integer' FROM t").fetchall()
    assert len(rows) == 30
    for n, m, d, kind in rows:
        assert n is None or (isinstance(n, int) and kind == "integer"), (n, kind)
        assert isinstance(m, int)
        assert d is None or int(d) == d


def test_flag_a_number_decides_is_written_as_plain_values(dbs: fuzzcheck.Databases) -> None:
    """A two-valued column one number splits (flag = amount > 50) is set by a row rule whose
    values came from pandas as numpy ints; SQLite's driver stored those as 8-byte BLOBs, so
    the clone's BOOLEAN held blobs and `dbclone diff` saw its kind change (fuzzer seed 10171)."""
    source, target = dbs.new("sqlite"), dbs.new("sqlite")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, amount REAL NOT NULL, "
                             "flag BOOLEAN NOT NULL, grade TEXT NOT NULL, code INTEGER NOT NULL)")
        for i in range(1, 81):
            amount = (i * 37) % 100 + 0.5
            grade = "abc"[i % 3]
            code = {"a": 10, "b": 20, "c": 30}[grade]
            conn.exec_driver_sql("INSERT INTO t VALUES (?, ?, ?, ?, ?)",
                                 (i, amount, int(amount > 50), grade, code))
    model = fit_source(source, seed=2)
    rules = {r.kind: r for r in model.tables[0].rules}
    assert "threshold" in rules, model.tables[0].rules  # the path this test is about
    sample_model(model, target, seed=2)
    with sa.create_engine(target).connect() as conn:
        kinds = conn.exec_driver_sql("SELECT DISTINCT typeof(flag), typeof(code) FROM t").all()
    assert kinds == [("integer", "integer")], kinds
    assert diff_urls(source, target) == []


def test_table_whose_fk_is_always_null_keeps_its_rows(dbs: fuzzcheck.Databases) -> None:
    """A table whose only FK is NULL in every row (one row) was sized by that FK's children
    counts, 0 per parent: the clone had no row, and its 20 children (NOT NULL FK) none
    either; `clone` lost two tables silently (fuzzer seed 11169)."""
    source, target = dbs.new("sqlite"), dbs.new("sqlite")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE p (id INTEGER PRIMARY KEY, v INTEGER)")
        conn.exec_driver_sql("CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER "
                             "REFERENCES p (id))")
        conn.exec_driver_sql("CREATE TABLE g (id INTEGER PRIMARY KEY, c_id INTEGER NOT NULL "
                             "REFERENCES c (id), w INTEGER)")
        for i in range(1, 21):
            conn.exec_driver_sql("INSERT INTO p VALUES (?, ?)", (i, i % 4))
            conn.exec_driver_sql("INSERT INTO g VALUES (?, 1, ?)", (i, i % 3))
        conn.exec_driver_sql("INSERT INTO c VALUES (1, NULL)")
    clone(source, target, seed=6)
    with sa.create_engine(target).connect() as conn:
        counts = {t: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar()
                  for t in ("p", "c", "g")}
    assert counts == {"p": 20, "c": 1, "g": 20}, counts


def test_stand_ins_when_every_value_of_the_shape_is_taken(dbs: fuzzcheck.Databases) -> None:
    """One letter common, the other 25 letters rare: a stand-in for the rare ones was drawn
    from the common value's shape (one lowercase letter) until one was new, for ever; the
    fuzzer's long run hung in such a fit (sqlite, a batch of seeds from 11800)."""
    source, target = dbs.new("sqlite"), dbs.new("sqlite")
    letters = "abcdefghijklmnopqrstuvwxyz"
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, mark VARCHAR(1) NOT NULL)")
        rows = [(i, "a" if i < 60 else letters[1 + i % 25]) for i in range(120)]
        conn.exec_driver_sql("INSERT INTO t VALUES (?, ?)", rows)

    def hung(signum: int, frame: object) -> None:
        raise TimeoutError("the fit did not end in 120 s")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(120)
    try:
        clone(source, target, seed=7)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    with sa.create_engine(target).connect() as conn:
        got = {r[0] for r in conn.exec_driver_sql("SELECT mark FROM t")}
    assert got and got <= set(letters), got


# -- what the fuzzer found in the synthesizer, fixed once its move landed ---------------------

_SYNTH = [  # (dialect, a seed that failed, what failed)
    ("mysql", 5, "a '%' in a name: the fit read through sa.text, which doubled it"),
    ("sqlite", 28, "a '.' in a table name: child counts split '#child.cols' at the dot"),
    ("sqlite", 67, "a composite self-reference: every row a root, the FK all NULL"),
    ("sqlite", 89, "an FK all NULL in the source: the parent-score merge of object and int64"),
    ("postgresql", 5044, "one SMALLINT value among NULLs: the text fallback wrote '22477.0'"),
    ("sqlite", 10171, "a BOOLEAN a number decides: numpy ints stored as 8-byte BLOBs"),
    ("sqlite", 11115, "the checker: a 95%-NULL date column all NULL by chance (p 0.0007)"),
    ("sqlite", 11169, "an FK NULL in every row drove the row count: 0 rows, and its children"),
    ("postgresql", 10243, "the checker: an FK repeats a key part whose rare values were left out"),
]


@pytest.mark.parametrize(("dialect", "seed", "what"), _SYNTH)
def test_synthesizer_bugs_the_fuzzer_found(dialect: str, seed: int, what: str,
                                           dbs: fuzzcheck.Databases) -> None:
    require_server(dialect)
    result = fuzzcheck.run_case(seed, dialect, dbs, determinism=False)
    assert result.problems == [], (what, result.shape)


# -- with --exotic --not-null-cycles (more of the type matrix, NOT NULL cycles) ---------------

_EXOTIC_FOUND = [  # (dialect, a seed that failed, what failed)
    ("mysql", 20002, "a SET whose combinations were all rarer than k: text written into it"),
    ("sqlite", 20001, "a TIME column: the driver has no adapter for datetime.time"),
    ("sqlite", 20423, "the checker: an untyped column's kind is read from its values"),
]


@pytest.mark.parametrize(("dialect", "seed", "what"), _EXOTIC_FOUND)
def test_exotic_bugs_the_fuzzer_found(dialect: str, seed: int, what: str,
                                      dbs: fuzzcheck.Databases) -> None:
    require_server(dialect)
    options = fuzzgen.Options(exotic=True, not_null_cycles=True)
    result = fuzzcheck.run_case(seed, dialect, dbs, options, determinism=False)
    assert result.problems == [], (what, result.shape)


def test_mysql_set_of_rare_combinations_clones(dbs: fuzzcheck.Databases) -> None:
    """SQLAlchemy keeps a SET's members in `values`, not `enums`: the column had no allowed
    values, so a SET whose combinations each occur fewer than k times went to the text
    fallback ('Data truncated for column')."""
    require_server("mysql")
    source, target = dbs.new("mysql"), dbs.new("mysql")
    combos = ["", "a", "b c", "d", "a,b c", "a,d", "b c,d", "a,b c,d"]
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INT PRIMARY KEY, s SET('a', 'b c', 'd'))")
        for i, combo in enumerate(combos * 3):
            conn.exec_driver_sql("INSERT INTO t VALUES (%s, %s)", (i, combo))
    clone(source, target, seed=4)
    with sa.create_engine(target).connect() as conn:
        got = {r[0] for r in conn.exec_driver_sql("SELECT s FROM t")}
    assert got and got <= set(combos), got
    assert diff_urls(source, target) == []


def test_sqlite_time_column_clones(dbs: fuzzcheck.Databases) -> None:
    """A column declared TIME in SQLite is generated as datetime.time, which sqlite3 could not
    bind; it is written as ISO text, as the source holds it."""
    source, target = dbs.new("sqlite"), dbs.new("sqlite")
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, at TIME NOT NULL)")
        for i in range(40):
            conn.exec_driver_sql("INSERT INTO t VALUES (?, ?)",
                                 (i, f"{8 + i % 10:02d}:{(7 * i) % 60:02d}:00"))
    clone(source, target, seed=5)
    with sa.create_engine(target).connect() as conn:
        got = conn.exec_driver_sql("SELECT typeof(at), at FROM t").all()
    assert len(got) == 40 and {k for k, _ in got} == {"text"}
    assert all(len(v) == 8 and v[2] == ":" for _, v in got), got[:3]
    assert diff_urls(source, target) == []
