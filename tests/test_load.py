"""Loading: verification after the load, a read-only source, refresh from a saved model, and
connection settings from the environment."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dbclone.api import clone
from dbclone.cli import app
from dbclone.connect import engine_for
from dbclone.dialects import dialect_for
from dbclone.errors import EXIT_VERIFY, VerifyError
from dbclone.introspect import introspect
from dbclone.load import verify
from tests.helpers import PG_SERVER, ROOT, admin, mysql_ledger, table_digest

_DDL = ["CREATE TABLE parent (id INTEGER PRIMARY KEY)",
        "CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent (id))"]


@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_verify_counts_orphans(dialect: str, new_db: Callable[[str], str]) -> None:
    """Where FKs are not checked during the load, dbclone counts orphans itself."""
    url = new_db(dialect)
    engine = engine_for(url, must_exist=False)
    with engine.begin() as conn:
        if dialect == "mysql":
            conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
        for stmt in _DDL:
            conn.exec_driver_sql(stmt)
        conn.exec_driver_sql("INSERT INTO parent VALUES (1)")
        conn.exec_driver_sql("INSERT INTO child VALUES (1, 1), (2, 7), (3, NULL)")
    schema = introspect(engine)
    with engine.connect() as conn:
        with pytest.raises(VerifyError, match=r"child\(pid\) -> parent: 1 rows without a parent"):
            verify(conn, dialect_for(engine), schema, {"parent": 1, "child": 3})
        with pytest.raises(VerifyError, match="parent: 1 rows in the target, 2 generated"):
            verify(conn, dialect_for(engine), schema, {"parent": 2, "child": 3})
    assert VerifyError("x").exit_code == EXIT_VERIFY == 4


def test_verify_checks_sequences(new_db: Callable[[str], str]) -> None:
    url = new_db("postgresql")
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE item (id SERIAL PRIMARY KEY, name TEXT)")
        conn.exec_driver_sql("INSERT INTO item (id, name) VALUES (1, 'a'), (2, 'b')")
    schema = introspect(engine)
    with engine.connect() as conn:
        with pytest.raises(VerifyError, match=r"item\.id: sequence .* holds up to 2"):
            verify(conn, dialect_for(engine), schema, {"item": 2})
        conn.exec_driver_sql("SELECT setval('item_id_seq', 2)")
        verify(conn, dialect_for(engine), schema, {"item": 2})


def test_source_read_with_select_only_role(new_db: Callable[[str], str]) -> None:
    """A role that may only SELECT is enough to clone: dbclone never writes to the source,
    and its read transaction refuses writes even to a superuser."""
    source = new_db("postgresql")
    db = sa.make_url(source).database
    with engine_for(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE team (id SERIAL PRIMARY KEY, name TEXT NOT NULL)")
        conn.exec_driver_sql("CREATE TABLE member (id SERIAL PRIMARY KEY, team_id INTEGER "
                             "NOT NULL REFERENCES team (id), age INTEGER)")
        conn.exec_driver_sql("INSERT INTO team (name) SELECT 'team ' || mod(i, 7) "
                             "FROM generate_series(1, 60) i")
        conn.exec_driver_sql("INSERT INTO member (team_id, age) SELECT 1 + mod(i, 60), "
                             "20 + mod(i, 40) FROM generate_series(1, 600) i")
    role = f"dbclone_test_ro_{uuid.uuid4().hex[:8]}"
    admin("postgresql", f"CREATE ROLE {role} LOGIN")
    try:
        with engine_for(source).begin() as conn:
            conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {role}")
            conn.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        before = table_digest(source)
        ro_url = PG_SERVER.replace("postgres@", f"{role}@") + f"/{db}"
        target = new_db("postgresql")
        result = clone(ro_url, target, seed=5)
        assert result.total_rows > 600
        assert table_digest(source) == before
        engine = engine_for(source)
        with engine.connect() as conn:
            dialect_for(engine).begin_read_only(conn)
            with pytest.raises(sa.exc.InternalError, match="read-only transaction"):
                conn.exec_driver_sql("CREATE TABLE dbclone_should_fail (i int)")
    finally:
        with engine_for(source).begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
        admin("postgresql", f"DROP ROLE IF EXISTS {role}")


def test_refresh_from_saved_model_with_env_urls(tmp_path: Path, shared) -> None:
    """The README's nightly job: fit once, then `dbclone refresh` with URLs from the
    environment; each refresh replaces the target's contents."""
    source = shared("employees", "sqlite")
    target = f"sqlite:///{tmp_path / 'staging.db'}"
    model = str(tmp_path / "model.json.gz")
    runner = CliRunner()
    env = {"DBCLONE_SOURCE_URL": source, "DBCLONE_TARGET_URL": target}
    res = runner.invoke(app, ["fit", "-o", model, "--quiet"], env=env)
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["refresh", model, "--seed", "1", "--scale", "0.2", "--quiet"],
                        env=env)
    assert res.exit_code == 0, res.output
    first = table_digest(target)
    # The Docker image's nightly job, run once outside Docker with the same command.
    bin_dir = str(Path(sys.executable).parent)
    job = subprocess.run(
        ["sh", str(ROOT / "docker" / "nightly.sh"), "--seed", "2", "--scale", "0.2"],
        env={**os.environ, **env, "MODEL": model, "REFRESH_AT": "now",
             "PATH": f"{bin_dir}:{os.environ['PATH']}"}, capture_output=True, text=True)
    assert job.returncode == 0, job.stderr
    assert '"event": "done"' in job.stderr
    assert table_digest(target) != first
    res = runner.invoke(app, ["sample", model, "--seed", "1", "--scale", "0.1"], env=env)
    assert res.exit_code == 1 and "not empty" in res.output


def test_libpq_environment_variables(monkeypatch: pytest.MonkeyPatch,
                                     new_db: Callable[[str], str]) -> None:
    """`postgresql:///db` takes host, user and password from PGHOST, PGUSER, PGPASSWORD."""
    url = sa.make_url(new_db("postgresql"))
    monkeypatch.setenv("PGHOST", url.host or "127.0.0.1")
    monkeypatch.setenv("PGPORT", str(url.port or 5432))
    monkeypatch.setenv("PGUSER", url.username or "postgres")
    with engine_for(f"postgresql:///{url.database}").connect() as conn:
        assert conn.exec_driver_sql("SELECT current_database()").scalar() == url.database


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_table_in_chunks(dialect: str, new_db: Callable[[str], str]) -> None:
    """A large table may reach the loader as consecutive chunks: all rows land, counted once."""
    import numpy as np

    from dbclone.load import load
    from dbclone.synth.tables import TableData

    src = new_db(dialect)
    with engine_for(src, must_exist=False).begin() as conn:
        for stmt in _DDL:
            conn.exec_driver_sql(stmt)
    schema = introspect(engine_for(src))
    parent, child = schema.table("parent"), schema.table("child")

    def chunk(table, ids, pids=None):  # type: ignore[no-untyped-def]
        data = {"id": np.asarray(ids, dtype=object)}
        if pids is not None:
            data["pid"] = np.asarray(pids, dtype=object)
        return TableData(table, tuple(data), data)

    items = [chunk(parent, [1, 2, 3]), chunk(parent, [4, 5]),
             chunk(child, [1, 2], [1, 5]), chunk(child, [3, 4, 5], [2, None, 4])]
    target = new_db(dialect)
    result = load(engine_for(target, must_exist=False), schema, items)
    assert result.rows == {"parent": 5, "child": 5}
    with engine_for(target).connect() as conn:
        got = conn.exec_driver_sql("SELECT id, pid FROM child ORDER BY id").all()
    assert [tuple(r) for r in got] == [(1, 1), (2, 5), (3, 2), (4, None), (5, 4)]


def test_binary_copy_same_rows_as_psycopg(new_db: Callable[[str], str]) -> None:
    """The numpy binary COPY (pg_binary) loads exactly what psycopg's write_row loads: every
    type it handles, NULLs, non-ASCII text, bytes, edge dates; a chunk it cannot assemble (a
    timestamp beyond pandas' range) falls back to write_row inside the same COPY."""
    import datetime as dt
    import random

    import numpy as np
    import psycopg

    from dbclone.dialects import pg_binary, pg_copy
    from dbclone.dialects.postgresql import copy_binary

    rng = random.Random(3)
    n = pg_copy.CHUNK_ROWS + 700
    types = ["int2", "int4", "int8", "float4", "float8", "bool", "text", "varchar", "bytea",
             "date", "timestamp"]
    pools: list[list[object]] = [
        [-32768, 32767, 0], [-(2 ** 31), 2 ** 31 - 1, 7], [-(2 ** 63), 2 ** 63 - 1, None],
        [0.5, -1.25, None], [1e300, -0.0, float("inf"), None], [True, False, None],
        ["", "abc", "héllo ✓", "tab\there\nnewline\\", None], ["x" * 300, "y"],
        [b"", b"\x00\xff", bytes(range(256)), None],
        [dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1999, 12, 31), None],
        [dt.datetime(1970, 1, 1), dt.datetime(2000, 1, 1, 0, 0, 0, 1),
         dt.datetime(1999, 12, 31, 23, 59, 59, 999999), None]]
    values = [[rng.choice(pool) for _ in range(n)] for pool in pools]
    values[-1][-1] = dt.datetime(3000, 1, 1)  # the second chunk: write_row
    assert pg_binary.encode(types, [v[:100] for v in values]) is not None
    assert pg_binary.encode(types, [v[-100:] for v in values]) is None

    url = sa.make_url(new_db("postgresql"))
    cols = ", ".join(f"c{i} {t}" for i, t in enumerate(types))
    with psycopg.connect(host=url.host, port=url.port, user=url.username,
                         dbname=url.database) as conn:
        conn.execute(f"CREATE TABLE ours ({cols})")
        conn.execute(f"CREATE TABLE theirs ({cols})")
        with conn.cursor().copy("COPY ours FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            copy_binary(copy, types, values)
        with conn.cursor().copy("COPY theirs FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for row in zip(*values, strict=True):
                copy.write_row(row)
        diff = "SELECT COUNT(*) FROM (SELECT * FROM {} EXCEPT ALL SELECT * FROM {}) d"
        assert conn.execute(diff.format("ours", "theirs")).fetchone() == (0,)
        assert conn.execute(diff.format("theirs", "ours")).fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM ours").fetchone() == (n,)
        # rows of fixed-width values without NULLs take the one-record-per-row path
        fixed = [values[0], values[1], [float(i) for i in range(n)]]
        conn.execute("CREATE TABLE fixed (a int2, b int4, c float8)")
        with conn.cursor().copy("COPY fixed FROM STDIN (FORMAT BINARY)") as copy:
            copy_binary(copy, ["int2", "int4", "float8"], fixed)
        got = conn.execute("SELECT a, b, c FROM fixed").fetchall()
    assert [list(col) for col in zip(*got, strict=True)] == fixed
    assert pg_binary.encode(["int2"], [[40000]]) is None  # out of range: the server says so
    assert pg_binary.encode(["numeric"], [[1]]) is None
    assert np.frombuffer(pg_binary.TRAILER, dtype=">i2")[0] == -1


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_duplicate_key_refused(dialect: str, new_db: Callable[[str], str]) -> None:
    """Keys and CHECKs added after the rows (PostgreSQL) still refuse duplicates and rows
    that break a CHECK, naming the table, and the target keeps what it had."""
    import numpy as np

    from dbclone.errors import LoadError
    from dbclone.load import load
    from dbclone.synth.tables import TableData

    src = new_db(dialect)
    with engine_for(src, must_exist=False).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE item (id INTEGER PRIMARY KEY, code VARCHAR(10) UNIQUE, "
                             "CONSTRAINT code_not_z CHECK (code <> 'z'))")
    schema = introspect(engine_for(src))
    item = schema.table("item")

    def data(ids: list[int], codes: list[str]) -> TableData:
        cols = {"id": np.asarray(ids, dtype=object), "code": np.asarray(codes, dtype=object)}
        return TableData(item, ("id", "code"), cols)

    target = new_db(dialect)
    engine = engine_for(target, must_exist=False)
    load(engine, schema, [data([1, 2], ["a", "b"])])
    before = table_digest(target)
    for bad in (data([1, 2, 2], ["a", "b", "c"]), data([1, 2, 3], ["a", "b", "b"]),
                data([1, 2, 3], ["a", "b", "z"])):
        with pytest.raises(LoadError, match="item"):
            load(engine, schema, [bad], replace=True)
        assert table_digest(target) == before


def test_mysql_views_and_triggers_reach_the_target(new_db: Callable[[str], str]) -> None:
    """RENAME TABLE moves neither views nor tables with triggers between databases: the staged
    load creates them in the target after the swap, so `dbclone diff` finds nothing; a refresh
    of a target whose tables have triggers parks them in the target and drops them after."""
    from dbclone.diff import diff_urls

    source = new_db("mysql")
    mysql_ledger(source)
    target = new_db("mysql")
    for replace in (False, True):
        clone(source, target, seed=0, replace=replace)
        assert diff_urls(source, target) == []
        with engine_for(target).connect() as conn:
            names = {r[0] for r in conn.exec_driver_sql("SHOW TABLES")}
            dbs = {r[0] for r in conn.exec_driver_sql("SHOW DATABASES")}
        assert names == {"account", "entry", "z_rich", "a_richest"}  # nothing parked left
        assert not [d for d in dbs if d.startswith(f"{sa.make_url(target).database}__dbclone_")]
    with engine_for(target).begin() as conn:  # the trigger fires in the clone
        before = conn.exec_driver_sql("SELECT balance FROM account WHERE id = 1").scalar()
        conn.exec_driver_sql("INSERT INTO entry VALUES (1000001, 1, 5)")
        after = conn.exec_driver_sql("SELECT balance FROM account WHERE id = 1").scalar()
        assert after == before + 5
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM a_richest").scalar() == 1


def test_mysql_replace_with_triggers_and_named_fks(new_db: Callable[[str], str]) -> None:
    """A refresh (--replace) of a MariaDB target whose table has a trigger and a named FK:
    the old table, parked in the target during the swap, kept its FK name, which InnoDB
    holds once per database, and the clone's table bringing the same name failed the swap
    with "Table './db/b' already exists" (sakila: every --replace failed)."""
    from dbclone.diff import diff_urls

    source, target = new_db("mysql"), new_db("mysql")
    with engine_for(source).begin() as conn:
        for stmt in ("CREATE TABLE a (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)",
                     "CREATE TABLE b (id INT PRIMARY KEY, a_id INT NOT NULL, "
                     "CONSTRAINT fk_b_a FOREIGN KEY (a_id) REFERENCES a (id))",
                     "CREATE TRIGGER b_ins BEFORE INSERT ON b FOR EACH ROW SET NEW.id = NEW.id",
                     "INSERT INTO a SELECT seq, CONCAT('n', seq) FROM seq_1_to_30",
                     "INSERT INTO b SELECT seq, 1 + MOD(seq, 30) FROM seq_1_to_60"):
            conn.exec_driver_sql(stmt)
    for replace in (False, True, True):
        clone(source, target, seed=int(replace), replace=replace)
        assert diff_urls(source, target) == []
    with engine_for(target).connect() as conn:
        assert {r[0] for r in conn.exec_driver_sql("SHOW TABLES")} == {"a", "b"}
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM b").scalar() == 60


def test_mysql_load_data_batches(new_db: Callable[[str], str]) -> None:
    """Rows go to MariaDB as LOAD DATA files, a batch each: every row lands once (tabs and
    NULLs in text, dates formatted once per distinct value)."""
    import numpy as np

    from dbclone.dialects.mysql import MySQLDialect
    from dbclone.load import load
    from dbclone.synth.tables import TableData

    src = new_db("mysql")
    with engine_for(src).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR(20), d DATE)")
    schema = introspect(engine_for(src))
    n = MySQLDialect.batch_rows + 123
    data = {"id": np.arange(n).astype(object),
            "note": np.array([f"n\t{i % 7}" if i % 5 else None for i in range(n)], dtype=object),
            "d": np.array([dt.date(2000, 1, 1) + dt.timedelta(days=i % 900) for i in range(n)],
                          dtype=object)}
    target = new_db("mysql")
    result = load(engine_for(target), schema, [TableData(schema.table("t"), tuple(data), data)])
    assert result.rows == {"t": n}
    with engine_for(target).connect() as conn:
        got = conn.exec_driver_sql("SELECT COUNT(*), COUNT(DISTINCT id), COUNT(note), "
                                   "SUM(note = 'n\\t3'), MAX(d) FROM t").one()
    assert tuple(got) == (n, n, sum(1 for i in range(n) if i % 5),
                          sum(1 for i in range(n) if i % 5 and i % 7 == 3),
                          max(data["d"]))
