"""Sampling on a Dask cluster (`--dask`): a local cluster of two worker processes makes the
same rows as one process, and a chunk whose workers keep dying fails the load with the
target left as it was (dbclone.synth.cluster)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dbclone.api import fit_source, sample_model
from dbclone.cli import app
from dbclone.errors import LoadError
from dbclone.faults import ONCE_ENV, SIGNAL_ENV
from dbclone.synth import model as model_io
from dbclone.synth import sample
from tests.helpers import table_digest

distributed = pytest.importorskip("distributed", reason="needs the dask extra")


@contextmanager
def _cluster(retries: int = 0) -> Iterator[str]:
    """Two worker processes of one thread each; a task whose worker dies is run again at
    most `retries` times (the scheduler's default is three)."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": retries}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_dask_gives_the_rows_of_one_process(shared: Callable[[str, str], str],
                                           new_db: Callable[[str], str],
                                           monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: object) -> None:
    """Chinook in chunks of 300 rows into PostgreSQL: on two Dask workers (through the CLI's
    `refresh --dask`) the same tables as at `--workers 1`."""
    model = fit_source(shared("chinook", "postgresql"), seed=1)
    model_file = f"{tmp_path}/chinook.json"
    model_io.save(model, model_file)
    monkeypatch.setattr(sample, "CHUNK_ROWS", 300)
    one, two = new_db("postgresql"), new_db("postgresql")
    assert max(sample_model(model, one, seed=1, workers=1).rows.values()) > 2000
    with _cluster() as address:
        res = CliRunner().invoke(app, ["refresh", model_file, two, "--seed", "1", "--dask",
                                       address, "-q"])
    assert res.exit_code == 0, res.output
    assert table_digest(one) == table_digest(two)


@pytest.mark.parametrize("point", ["head", "stage"])
def test_dask_dead_workers_leave_the_target(shared: Callable[[str, str], str],
                                            new_db: Callable[[str], str],
                                            monkeypatch: pytest.MonkeyPatch,
                                            point: str) -> None:
    """A refresh whose third chunk of invoice_line kills its Dask worker (SIGKILL, every
    time) before the chunk is made, or once the task has written it into the load's side
    schema (committed there): LoadError, the target keeps the clone it had, and no side
    schema is left."""
    model = fit_source(shared("chinook", "postgresql"), seed=1)
    monkeypatch.setattr(sample, "CHUNK_ROWS", 300)
    target = new_db("postgresql")
    sample_model(model, target, seed=1, workers=1)
    before = table_digest(target)
    monkeypatch.setenv(SIGNAL_ENV, f"{point}:invoice_line:2:KILL")  # inherited by the workers
    with _cluster() as address, pytest.raises(LoadError, match="invoice_line"):
        sample_model(model, target, seed=2, replace=True, dask=address)
    assert table_digest(target) == before
    with sa.create_engine(target).connect() as conn:
        assert not conn.exec_driver_sql(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
            (r"dbclone\_stage\_%",)).fetchall()


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_dask_task_run_again_writes_its_chunk_once(shared: Callable[[str, str], str],
                                                   new_db: Callable[[str], str],
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: object, dialect: str) -> None:
    """The worker that wrote the third chunk of invoice lines into the load's staging area
    (committed there) dies before it reports; Dask runs the task again on the other worker,
    which finds the chunk written and does not write it twice: the load completes with the
    rows of one process (on MariaDB the rerun failed on the keys the first run wrote)."""
    model = fit_source(shared("chinook", dialect), seed=1)
    monkeypatch.setattr(sample, "CHUNK_ROWS", 300)
    one, two = new_db(dialect), new_db(dialect)
    sample_model(model, one, seed=1, workers=1)
    lines = {"postgresql": "invoice_line", "mysql": "InvoiceLine"}[dialect]
    monkeypatch.setenv(SIGNAL_ENV, f"stage:{lines}:2:KILL")  # inherited by the workers
    monkeypatch.setenv(ONCE_ENV, f"{tmp_path}/killed")
    with _cluster(retries=1) as address:
        sample_model(model, two, seed=1, dask=address)
    assert os.path.exists(f"{tmp_path}/killed")  # a worker did die there
    assert table_digest(one) == table_digest(two)


def test_dask_unreachable_scheduler(shared: Callable[[str, str], str],
                                    new_db: Callable[[str], str], tmp_path: object) -> None:
    """A scheduler nobody listens at: one line naming the address, exit 3, nothing loaded."""
    model_file = f"{tmp_path}/chinook.json"
    model_io.save(fit_source(shared("chinook", "sqlite"), seed=0), model_file)
    target = new_db("sqlite")
    res = CliRunner().invoke(app, ["sample", model_file, target, "--dask",
                                   "tcp://127.0.0.1:9"])
    assert res.exit_code == 3, res.output
    assert "tcp://127.0.0.1:9" in res.output and "Traceback" not in res.output
