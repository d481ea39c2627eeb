"""All or nothing, with real processes and real databases: a `dbclone` process paused at a
moment of its load (the DBCLONE_TEST_PAUSE_AT hook) is sent SIGINT, SIGTERM or SIGKILL, and the
target must be exactly as it was; a second refresh while one runs is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbclone.api import fit_to_file, sample_model
from dbclone.connect import engine_for
from dbclone.errors import LoadError
from dbclone.load import PAUSE_ENV
from dbclone.synth import model as model_io
from tests.helpers import SHARED, missing, mysql_ledger, table_digest

DBCLONE = [sys.executable, "-c", "from dbclone.cli import app; app()"]

_MODELS: dict[str, Path] = {}
#: Every process the tests started, killed at the end of each test whatever happened.
_STARTED: list[subprocess.Popen[str]] = []


@pytest.fixture
def model_for(new_db: Callable[[str], str],
              tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A model of the Employees sample per dialect, fitted once per session from a private
    copy (the shared copies are reloaded by other test sessions on the same server)."""
    def get(dialect: str) -> Path:
        if dialect not in _MODELS:
            if not (SHARED / "employees" / f"{dialect}.sql").exists():
                missing("samples", f"no {dialect} dump of the Employees sample at {SHARED}")
            source = new_db(dialect)
            url = sa.make_url(source)
            where = url.database if dialect != "sqlite" else str(url.database)
            subprocess.run(["bash", str(SHARED / "load.sh"), "employees", dialect, str(where)],
                           check=True, capture_output=True)
            out = tmp_path_factory.mktemp("models") / f"employees-{dialect}.json"
            fit_to_file(source, out, seed=0)
            _MODELS[dialect] = out
        return _MODELS[dialect]
    return get


class Paused:
    """A `dbclone sample` process stopped by the test hook at `point`."""

    def __init__(self, model: Path, target: str, point: str, *extra: str) -> None:
        env = dict(os.environ, **{PAUSE_ENV: point, "DBCLONE_TEST_PAUSE_SECONDS": "60"})
        self.proc = subprocess.Popen(
            [*DBCLONE, "sample", str(model), target, "--quiet", *extra],
            stderr=subprocess.PIPE, text=True, env=env)
        _STARTED.append(self.proc)
        self.lines: list[str] = []
        self.paused = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            if "dbclone-test: paused" in line:
                self.paused.set()

    def wait_paused(self) -> None:
        if not self.paused.wait(90):
            self.proc.kill()
            raise AssertionError(f"never paused: {''.join(self.lines)}")

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(60)


def _filled(new_db: Callable[[str], str], dialect: str, model: Path, seed: int) -> str:
    target = new_db(dialect)
    sample_model(model_io.load(model), target, seed=seed, scale=0.05)
    return target


def _staging_dbs(target: str) -> list[str]:
    engine = engine_for(target)
    prefix = f"{engine.url.database}__dbclone_"
    with engine.connect() as conn:
        names = conn.exec_driver_sql("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
        return [n for (n,) in names if n.startswith(prefix)]


#: (signal, moment of the load, expected exit code)
_MOMENTS = [(signal.SIGTERM, "batch:2", 143), (signal.SIGINT, "finish", 130),
            (signal.SIGKILL, "commit", -9)]


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_interrupted_loads_leave_target_as_it_was(dialect: str, model_for, new_db) -> None:
    """Refreshes of filled targets, and a first load into an empty one, each stopped at a
    different moment by a different signal; meanwhile a second refresh is refused."""
    model = model_for(dialect)
    targets = [_filled(new_db, dialect, model, seed=i) for i in range(len(_MOMENTS))]
    empty = new_db(dialect)
    try:
        _interrupt_all(dialect, model, targets, empty)
    finally:
        for proc in _STARTED:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if dialect == "mysql":  # dropping a target does not drop its side databases
            for t in [*targets, empty]:
                _drop_staging(t)


def _interrupt_all(dialect: str, model: Path, targets: list[str], empty: str) -> None:
    before = [table_digest(t) for t in targets]
    procs = [Paused(model, t, point, "--replace", "--seed", "99", "--scale", "0.1")
             for t, (_, point, _) in zip(targets, _MOMENTS, strict=True)]
    first_load = Paused(model, empty, "batch:1", "--scale", "0.1")
    for p in [*procs, first_load]:
        p.wait_paused()
    with pytest.raises(LoadError, match="another dbclone load or refresh"):
        sample_model(model_io.load(model), targets[0], replace=True)
    if dialect != "postgresql":  # PG readers wait for the commit; these read the old rows
        assert table_digest(targets[0]) == before[0]
    for p, (sig, point, code) in zip(procs, _MOMENTS, strict=True):
        assert p.stop(sig) == code, (point, p.lines)
    assert first_load.stop(signal.SIGKILL) == -9
    for t, digest in zip(targets, before, strict=True):
        assert table_digest(t) == digest
    _check_untouched_empty(dialect, model, empty)
    if dialect == "mysql":  # a killed run left side databases: the next load drops them
        assert not _staging_dbs(targets[0])  # SIGTERM cleaned up on the way out
        assert _staging_dbs(targets[2])
        sample_model(model_io.load(model), targets[2], replace=True, scale=0.1)
        assert not _staging_dbs(targets[2])


def _drop_staging(target: str) -> None:
    engine = engine_for(target).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")  # old tables' FKs
        for name in _staging_dbs(target):
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")


def _check_untouched_empty(dialect: str, model: Path, target: str) -> None:
    if dialect == "sqlite":
        path = Path(engine_for(target, must_exist=False).url.database or "")
        assert not path.exists()
        sample_model(model_io.load(model), target, scale=0.1)  # cleans the killed run's file
        assert not list(path.parent.glob(f".{path.name}.dbclone-*"))
        return
    with engine_for(target).connect() as conn:
        assert sa.inspect(conn).get_table_names() == []


def test_mysql_kill_after_swap_is_finished_by_the_next_load(new_db, tmp_path: Path) -> None:
    """MariaDB creates views and triggers in the target after the RENAME swap. A run killed
    in between leaves the new tables with a journal of what they lack; the next load into the
    target creates it first (here a load refused for a non-empty target), and `dbclone diff`
    then finds the clone whole."""
    from dbclone.diff import diff_urls
    from dbclone.errors import TargetNotEmptyError

    source = new_db("mysql")
    mysql_ledger(source)
    model = tmp_path / "model.json"
    fit_to_file(source, model, seed=0)
    target = new_db("mysql")
    sample_model(model_io.load(model), target, seed=1)
    before = table_digest(target)
    try:
        run = Paused(model, target, "swapped", "--replace", "--seed", "2")
        run.wait_paused()
        assert run.stop(signal.SIGKILL) == -9
    finally:
        _drop_staging(target)  # the old tables, swapped out

    def objects() -> tuple[set[str], set[str]]:
        with engine_for(target).connect() as conn:
            tables = {r[0] for r in conn.exec_driver_sql("SHOW TABLES")}
            triggers = {r[0] for r in conn.exec_driver_sql(
                "SELECT EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS "
                "WHERE TRIGGER_SCHEMA = DATABASE()")}
        return tables, triggers

    tables, triggers = objects()  # the old `entry` waits, parked with its trigger
    parked = {t for t in tables if t.startswith("_dbclone_old_")}
    journal = {t for t in tables if t.startswith("_dbclone_todo_")}
    assert len(parked) == 1 and len(journal) == 1 and triggers == parked
    assert table_digest(target) != before  # the new rows are in (the swap happened)
    with pytest.raises(TargetNotEmptyError):
        sample_model(model_io.load(model), target)
    tables, triggers = objects()
    assert tables == {"account", "entry", "z_rich", "a_richest"} and triggers == {"entry"}
    assert diff_urls(source, target) == []
