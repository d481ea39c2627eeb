"""Faults injected at every stage boundary of a `--replace` on all three dialects, through
the hooks of `dbclone.faults`: SIGINT and SIGTERM (in-process: the CLI's own handlers) and
kill -9 (a real process) at each named point; a connection dropped mid-load, a statement
timeout, a lock held by another client, a full disk. Asserted each time: the target holds
exactly its old rows or exactly the new clone, the message says which, the exit code is the
documented one, and the next run leaves nothing behind (side databases, hidden files,
scratch files)."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dbclone.api import fit_to_file
from dbclone.cli import app
from dbclone.connect import engine_for
from dbclone.errors import DbcloneError
from dbclone.faults import PAUSE_ENV, SIGNAL_ENV
from tests.helpers import table_digest

runner = CliRunner()
DBCLONE = [sys.executable, "-c", "from dbclone.cli import app; app()"]

#: Points before the new clone is in place (the target must keep its old rows) and after.
BEFORE = ["locked", "created", "batch:1", "finish", "verified", "commit"]
AFTER = ["committed"]
EXTRA = {"mysql": (["load-data"], ["swapped"]), "postgresql": ([], []), "sqlite": ([], [])}
_DDL = [
    "CREATE TABLE dept (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, UNIQUE (name))",
    "CREATE TABLE emp (id INT PRIMARY KEY, dept_id INT NOT NULL, boss_id INT, salary INT, "
    "hired DATE, FOREIGN KEY (dept_id) REFERENCES dept (id), "
    "FOREIGN KEY (boss_id) REFERENCES emp (id))"]


def _fill_source(url: str) -> None:
    import datetime as dt

    with sa.create_engine(url).begin() as conn:
        for stmt in _DDL:
            conn.exec_driver_sql(stmt)
        conn.execute(sa.text("INSERT INTO dept VALUES (:i, :n)"),
                     [{"i": i, "n": f"dept {i}"} for i in range(1, 31)])
        conn.execute(sa.text("INSERT INTO emp VALUES (:i, :d, :b, :s, :h)"),
                     [{"i": i, "d": 1 + i % 30, "b": None if i <= 30 else 1 + i % 30,
                       "s": 30000 + (i * 7919) % 50000,
                       "h": dt.date(2000, 1, 1) + dt.timedelta(days=i * 3)}
                      for i in range(1, 1201)])


class Case:
    """A model of the small source, a target filled from it (seed 1) and the digests of the
    old rows and of the new clone (seed 2)."""

    def __init__(self, dialect: str, new_db: Callable[[str], str], tmp: Path) -> None:
        self.dialect, self.new_db = dialect, new_db
        source = new_db(dialect)
        _fill_source(source)
        self.model = str(tmp / f"{dialect}.json")
        fit_to_file(source, self.model, seed=0)
        reference = self.fresh()
        self.new = table_digest(reference)

    def fresh(self, seed: int = 2) -> str:
        target = self.new_db(self.dialect)
        res = runner.invoke(app, ["sample", self.model, target, "--seed", str(seed)])
        assert res.exit_code == 0, res.output
        return target

    def args(self, target: str) -> list[str]:
        return ["sample", self.model, target, "--replace", "--seed", "2"]


def _said_once(output: str) -> bool:
    """One message, the last line: the plain per-table progress lines (stderr is no terminal
    here) come before it, and nothing after."""
    lines = output.strip().splitlines()
    return bool(lines) and [ln for ln in lines if ln.startswith("dbclone")] == lines[-1:]


def _use_tmpdir(monkeypatch: pytest.MonkeyPatch, where: Path) -> None:
    """$TMPDIR for this process (tempfile caches it) and the processes it starts."""
    import tempfile

    monkeypatch.setenv("TMPDIR", str(where))
    monkeypatch.setattr(tempfile, "tempdir", str(where))


@pytest.fixture
def restore_signals() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def _leftovers(dialect: str, target: str, tmpdir: Path) -> list[str]:
    """What a load may leave behind: side databases, hidden build files, scratch files."""
    out = [p.name for p in tmpdir.iterdir()]
    if dialect == "mysql":
        engine = engine_for(target)
        with engine.connect() as conn:
            out += [n for (n,) in conn.exec_driver_sql("SHOW DATABASES")
                    if n.startswith(f"{engine.url.database}__dbclone_")]
            out += [n for (n,) in conn.exec_driver_sql("SHOW TABLES") if n.startswith("_dbclone")]
    if dialect == "sqlite":
        path = Path(engine_for(target).url.database or "")
        out += [p.name for p in path.parent.glob(f".{path.name}.dbclone-*")]
    return out


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_signals_at_every_stage_boundary(dialect: str, new_db, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         restore_signals: None) -> None:
    case = Case(dialect, new_db, tmp_path)
    before_points = BEFORE + EXTRA[dialect][0]
    after_points = EXTRA[dialect][1] + AFTER
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    _use_tmpdir(monkeypatch, scratch)
    target = case.fresh(seed=1)
    old = table_digest(target)
    kills: list[subprocess.Popen[str]] = []
    for point in before_points + after_points:
        done = point in after_points
        for name, code in (("INT", 130), ("TERM", 143)):
            if done:  # start again from the old rows
                target = case.fresh(seed=1)
            monkeypatch.setenv(SIGNAL_ENV, f"{point}:{name}")
            res = runner.invoke(app, case.args(target))
            monkeypatch.delenv(SIGNAL_ENV)
            assert res.exit_code == code, (point, name, res.output)
            said = "complete new clone" if done else "left as it was"
            assert said in res.output and _said_once(res.output), \
                (point, name, res.output)
            assert table_digest(target) == (case.new if done else old), (point, name)
        target_k = case.fresh(seed=1) if done else target
        env = dict(os.environ, **{SIGNAL_ENV: f"{point}:KILL"})
        proc = subprocess.run([*DBCLONE, *case.args(target_k)], env=env, capture_output=True,
                              text=True, timeout=300)
        kills.append(proc)  # type: ignore[arg-type]
        assert proc.returncode == -9, (point, proc.stderr)
        assert table_digest(target_k) == (case.new if done else old), (point, "KILL")
        # The next run finishes or drops what the killed one left, then loads as asked.
        res = runner.invoke(app, case.args(target_k))
        assert res.exit_code == 0, (point, res.output)
        assert table_digest(target_k) == case.new
        assert _leftovers(dialect, target_k, scratch) == [], point
        if not done:  # back to the old rows for the next point
            assert runner.invoke(app, [*case.args(target)[:-1], "1"]).exit_code == 0
            assert table_digest(target) == old


def _paused(args: list[str], point: str, seconds: float, env: dict[str, str] | None = None
            ) -> tuple[subprocess.Popen[str], threading.Event, list[str]]:
    env = dict(os.environ, **(env or {}), **{PAUSE_ENV: point,
                                             "DBCLONE_TEST_PAUSE_SECONDS": str(seconds)})
    proc = subprocess.Popen([*DBCLONE, *args], env=env, stderr=subprocess.PIPE, text=True)
    paused, lines = threading.Event(), []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "dbclone-test: paused" in line:
                paused.set()
    threading.Thread(target=read, daemon=True).start()
    return proc, paused, lines


def _drop_connections(dialect: str, target: str) -> int:
    """Terminate the target's other sessions (and MariaDB's side databases' ones)."""
    engine = engine_for(target).execution_options(isolation_level="AUTOCOMMIT")
    db = engine.url.database
    with engine.connect() as conn:
        if dialect == "postgresql":
            return len(conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                "current_database() AND pid <> pg_backend_pid()").fetchall())
        ids = [i for (i, d) in conn.exec_driver_sql(
            "SELECT ID, DB FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()")
            if d and (d == db or d.startswith(f"{db}__dbclone_"))]
        for i in ids:
            conn.exec_driver_sql(f"KILL CONNECTION {i}")
        return len(ids)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_connection_dropped_mid_load(dialect: str, new_db, tmp_path: Path) -> None:
    case = Case(dialect, new_db, tmp_path)
    target = case.fresh(seed=1)
    old = table_digest(target)
    proc, paused, lines = _paused(case.args(target), "batch:1", 4)
    assert paused.wait(120), lines
    assert _drop_connections(dialect, target) >= 1
    assert proc.wait(120) == 1, lines
    message = [ln for ln in lines if ln.startswith("dbclone: error")]
    assert len(message) == 1 and "left as it was" in message[0], lines
    assert not any("Traceback" in ln for ln in lines), lines
    assert table_digest(target) == old
    res = runner.invoke(app, case.args(target))
    assert res.exit_code == 0, res.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _leftovers(dialect, target, empty) == []


_TIMEOUTS = {"postgresql": "?options=-c%20statement_timeout%3D1",
             "mysql": "?init_command=SET%20SESSION%20max_statement_time%3D0.001"}


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_statement_timeout(dialect: str, new_db, tmp_path: Path) -> None:
    """A target whose statements time out: one true line, exit 1, the old rows kept."""
    case = Case(dialect, new_db, tmp_path)
    target = case.fresh(seed=1)
    old = table_digest(target)
    res = runner.invoke(app, case.args(target + _TIMEOUTS[dialect]))
    assert res.exit_code == 1, res.output
    assert _said_once(res.output), res.output
    assert "statement timeout" in res.output or "max_statement_time" in res.output, res.output
    assert table_digest(target) == old


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_lock_held_by_another_client(dialect: str, new_db, tmp_path: Path) -> None:
    """Another client holds a lock on a target table; dbclone, told to wait at most a moment
    (PostgreSQL lock_timeout, MariaDB lock_wait_timeout, SQLite's busy timeout), fails with
    one true line and the target is as it was once the lock goes."""
    case = Case(dialect, new_db, tmp_path)
    target = case.fresh(seed=1)
    old = table_digest(target)
    url = target + {"postgresql": "?options=-c%20lock_timeout%3D500",
                    "mysql": "?init_command=SET%20SESSION%20lock_wait_timeout%3D1",
                    "sqlite": "?timeout=0.5"}[dialect]
    holder = sa.create_engine(target, poolclass=sa.pool.NullPool)
    with holder.connect() as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql("BEGIN")
            conn.exec_driver_sql("LOCK TABLE emp IN ACCESS EXCLUSIVE MODE")
        elif dialect == "mysql":
            conn.exec_driver_sql("LOCK TABLES emp WRITE")
        else:
            conn.exec_driver_sql("BEGIN EXCLUSIVE")
        start = time.monotonic()
        res = runner.invoke(app, case.args(url))
        took = time.monotonic() - start
        conn.rollback()
    assert res.exit_code == 1, res.output
    assert _said_once(res.output), res.output
    assert "lock" in res.output.lower(), res.output
    assert took < 60
    assert table_digest(target) == old


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs (root only); skipped where it cannot be mounted."""
    where = tmp_path / "full"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _big_model(new_db: Callable[[str], str], dialect: str, tmp: Path) -> str:
    """A model whose clone at --scale 30 needs well over 1 MB (10k rows of 120-char text)."""
    source = new_db(dialect)
    with sa.create_engine(source).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE note (id INT PRIMARY KEY, body VARCHAR(200))")
        conn.execute(sa.text("INSERT INTO note VALUES (:i, :b)"),
                     [{"i": i, "b": f"note {i} " + "x" * (i % 120)} for i in range(1, 1201)])
    model = str(tmp / f"big-{dialect}.json")
    fit_to_file(source, model)
    return model


def test_full_disk_sqlite(new_db, tmp_path: Path, tiny_tmpfs: Path) -> None:
    """A new SQLite file on a full disk: one line, exit 1, no file and no hidden file."""
    model = _big_model(new_db, "sqlite", tmp_path)
    target = tiny_tmpfs / "clone.db"
    res = runner.invoke(app, ["sample", model, f"sqlite:///{target}", "--scale", "30"])
    assert res.exit_code == 1, res.output
    assert "full" in res.output and _said_once(res.output), res.output
    assert list(tiny_tmpfs.iterdir()) == []
    small = tiny_tmpfs / "small.db"  # an existing file, refreshed beyond the disk's room
    assert runner.invoke(app, ["sample", model, f"sqlite:///{small}", "--scale", "0.1"]
                         ).exit_code == 0
    old = table_digest(f"sqlite:///{small}")
    res = runner.invoke(app, ["sample", model, f"sqlite:///{small}", "--replace",
                              "--scale", "30"])
    assert res.exit_code == 1 and "left as it was" in res.output, res.output
    assert table_digest(f"sqlite:///{small}") == old
    assert sorted(p.name for p in tiny_tmpfs.iterdir()) == ["small.db"]
    sqlite3.connect(small).execute("PRAGMA integrity_check").fetchall()


def test_full_tmpdir_mysql(new_db, tmp_path: Path, tiny_tmpfs: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    """$TMPDIR full while LOAD DATA's files are written: one line, exit 1, the old rows."""
    model = _big_model(new_db, "mysql", tmp_path)
    target = new_db("mysql")
    assert runner.invoke(app, ["sample", model, target, "--scale", "0.1"]).exit_code == 0
    old = table_digest(target)
    _use_tmpdir(monkeypatch, tiny_tmpfs)
    res = runner.invoke(app, ["sample", model, target, "--replace", "--scale", "30"])
    assert res.exit_code == 1, res.output
    assert "left as it was" in res.output and _said_once(res.output)
    assert table_digest(target) == old
    assert list(tiny_tmpfs.iterdir()) == []


def test_mysql_signal_after_the_last_table_with_a_broken_connection(new_db, tmp_path: Path
                                                                    ) -> None:
    """A signal that breaks the MariaDB connection mid-statement (here: its connections are
    killed, then SIGTERM comes) once the last table is in: exit 143 and the true message, not
    exit 1 with the driver's '(0, '')' from the clean-up; the side databases are gone."""
    case = Case("mysql", new_db, tmp_path)
    target = case.fresh(seed=1)
    old = table_digest(target)
    proc, paused, lines = _paused(case.args(target), "commit", 60)
    assert paused.wait(120), lines
    assert _drop_connections("mysql", target) >= 1
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(120) == 143, lines
    assert [ln for ln in lines if ln.startswith("dbclone:")] == \
        ["dbclone: interrupted; the target was left as it was\n"], lines
    assert table_digest(target) == old
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _leftovers("mysql", target, empty) == []


def _classes(root: type) -> list[type]:
    return [root] + [c for sub in root.__subclasses__() for c in _classes(sub)]


def test_readme_exit_codes_are_the_ones_dbclone_ends_with() -> None:
    """The README's exit-code table lists exactly the codes a run can end with: 0, each
    error class's code, and 130/143 for SIGINT/SIGTERM (test_signals_at_every_stage_boundary
    checks those two end a run)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}
    used = {0, 130, 143} | {cls.exit_code for cls in _classes(DbcloneError)}
    assert documented == used, (documented, used)


def test_mysql_kill_between_dropping_parked_fks_and_the_swap(new_db) -> None:
    """--replace of a MariaDB target whose table has a trigger and a named FK: the old
    table's FKs are dropped just before the RENAME that swaps the clone in (InnoDB holds an
    FK name once per database). A kill -9 between the two left the old tables, still the
    live ones, without those FKs for good; now a journal written before the drop puts them
    back at the next load's recovery, and the swap moves the journal out when it happens."""
    from dbclone.api import clone
    from dbclone.introspect import introspect
    from dbclone.load import check_target

    source, target = new_db("mysql"), new_db("mysql")
    with engine_for(source).begin() as conn:
        for stmt in ("CREATE TABLE a (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)",
                     "CREATE TABLE b (id INT PRIMARY KEY, a_id INT NOT NULL, "
                     "CONSTRAINT fk_b_a FOREIGN KEY (a_id) REFERENCES a (id) "
                     "ON DELETE CASCADE)",
                     "CREATE TRIGGER b_ins BEFORE INSERT ON b FOR EACH ROW SET NEW.id = NEW.id",
                     "INSERT INTO a SELECT seq, CONCAT('n', seq) FROM seq_1_to_30",
                     "INSERT INTO b SELECT seq, 1 + MOD(seq, 30) FROM seq_1_to_60"):
            conn.exec_driver_sql(stmt)
    clone(source, target, seed=1)

    def rows() -> list[tuple[object, ...]]:  # the tables' rows (the journal is no table of theirs)
        with engine_for(target).connect() as conn:
            return [tuple(r) for t in ("a", "b")
                    for r in conn.exec_driver_sql(f"SELECT * FROM {t} ORDER BY id")]

    old = rows()

    def fks() -> list[tuple[str, ...]]:
        with engine_for(target).connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(
                "SELECT TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_NAME, DELETE_RULE FROM "
                "information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = "
                "DATABASE()")]

    assert fks() == [("b", "fk_b_a", "a", "CASCADE")]
    env = dict(os.environ, **{SIGNAL_ENV: "fks-dropped:KILL"})
    proc = subprocess.run([*DBCLONE, "clone", source, target, "--replace", "--seed", "2"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, proc.stderr
    assert rows() == old  # the old rows, live
    with engine_for(target).connect() as conn:
        assert any(r[0].startswith("_dbclone_todo_") for r in conn.exec_driver_sql("SHOW TABLES"))
    assert fks() == []  # the window: their FK dropped, the journal says how to add it
    check_target(engine_for(target), introspect(engine_for(target)), replace=True)  # recovery
    assert fks() == [("b", "fk_b_a", "a", "CASCADE")]
    assert rows() == old
    with engine_for(target).connect() as conn:
        assert {r[0] for r in conn.exec_driver_sql("SHOW TABLES")} == {"a", "b"}
    # and a --replace that is not killed swaps, the journal leaving with the old tables
    assert runner.invoke(app, ["clone", source, target, "--replace", "--seed", "2"]
                         ).exit_code == 0
    assert fks() == [("b", "fk_b_a", "a", "CASCADE")]
    with engine_for(target).connect() as conn:
        assert {r[0] for r in conn.exec_driver_sql("SHOW TABLES")} == {"a", "b"}
