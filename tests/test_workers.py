"""Sampling on several processes (`--workers`): the same model and seed give the same rows
whatever the number of workers (dbclone.synth.parallel)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dbclone.api import fit_source, sample_model
from dbclone.cli import app
from dbclone.dialects import dialect_for
from dbclone.errors import LoadError
from dbclone.faults import SIGNAL_ENV
from dbclone.synth import model as model_io
from dbclone.synth import parallel, sample
from tests.helpers import run_script, table_digest


def test_streams_are_keyed_not_threaded() -> None:
    """A step's stream depends on its key alone, and different keys differ."""
    a = parallel.stream(7, 3, 2, 0).random(4)
    assert (a == parallel.stream(7, 3, 2, 0).random(4)).all()
    assert not (a == parallel.stream(7, 3, 2, 1).random(4)).any()
    assert not (a == parallel.stream(8, 3, 2, 0).random(4)).any()


def test_workers_give_the_same_database(shared: Callable[[str, str], str],
                                        new_db: Callable[[str], str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Chinook in chunks of 300 rows (its larger tables in 8-12 chunks, so two workers
    really share them) sampled into PostgreSQL at 1, 2 and 3 workers: every table's
    rows identical; another seed differs."""
    model = fit_source(shared("chinook", "postgresql"), seed=1)
    monkeypatch.setattr(sample, "CHUNK_ROWS", 300)
    digests = []
    for workers, seed in ((1, 1), (2, 1), (3, 1), (2, 2)):
        target = new_db("postgresql")
        result = sample_model(model, target, seed=seed, workers=workers)
        assert max(result.rows.values()) > 2000
        digests.append(table_digest(target))
    assert digests[0] == digests[1] == digests[2]
    assert digests[3] != digests[1]


def test_workers_keep_shared_sequence_keys_apart(new_db: Callable[[str], str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Two tables drawing keys from one sequence, in chunks of 100 rows made by two workers:
    the second table's keys start past the first's (set up before the workers fork), as at
    one worker, and the rows are the same. The tables the workers built in the side schema
    took their places with the load's defaults: a new row's key comes from the sequence,
    past every loaded one."""
    source = new_db("postgresql")
    run_script(source, """
        CREATE SEQUENCE doc_seq;
        CREATE TABLE invoice (id int DEFAULT nextval('doc_seq') PRIMARY KEY, total int NOT NULL);
        CREATE TABLE receipt (id int DEFAULT nextval('doc_seq') PRIMARY KEY, paid date NOT NULL);
        INSERT INTO invoice (total) SELECT g % 97 FROM generate_series(1, 450) g;
        INSERT INTO receipt (paid) SELECT DATE '2020-01-01' + g FROM generate_series(1, 350) g;
        """)
    model = fit_source(source, seed=0)
    monkeypatch.setattr(sample, "CHUNK_ROWS", 100)
    targets = [new_db("postgresql"), new_db("postgresql")]
    for target, workers in zip(targets, (1, 2), strict=True):
        sample_model(model, target, seed=0, workers=workers)
    assert table_digest(targets[0]) == table_digest(targets[1])
    with sa.create_engine(targets[1]).connect() as conn:
        ids = [r[0] for r in conn.exec_driver_sql(
            "SELECT id FROM invoice UNION ALL SELECT id FROM receipt")]
    assert len(ids) == 800 and len(set(ids)) == 800
    with sa.create_engine(targets[1]).begin() as conn:
        new = conn.exec_driver_sql("INSERT INTO receipt (paid) VALUES ('2021-01-01') "
                                   "RETURNING id").scalar()
    assert new is not None and new > max(ids)


def test_workers_load_pagila_from_their_own_connections(shared: Callable[[str, str], str],
                                                        new_db: Callable[[str], str],
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """Pagila (serial keys, an enum and a domain the load creates, partitions, several
    tables over 300 rows) into PostgreSQL at 2 workers writing their chunks themselves: the
    rows of one process, and the target's defaults and column types those of the load at
    one worker (whether a table was built in the side schema and moved in, or copied)."""
    model = fit_source(shared("pagila", "postgresql"), seed=1)
    monkeypatch.setattr(sample, "CHUNK_ROWS", 300)
    one, two = new_db("postgresql"), new_db("postgresql")
    sample_model(model, one, seed=1, workers=1)
    sample_model(model, two, seed=1, workers=2)
    assert table_digest(one) == table_digest(two)
    shape = ("SELECT table_name, column_name, column_default, data_type, udt_name, "
             "is_nullable FROM information_schema.columns WHERE table_schema = 'public' "
             "ORDER BY table_name, ordinal_position")
    with sa.create_engine(one).connect() as a, sa.create_engine(two).connect() as b:
        assert a.exec_driver_sql(shape).fetchall() == b.exec_driver_sql(shape).fetchall()


def test_cli_workers_option(shared: Callable[[str, str], str], new_db: Callable[[str], str],
                            tmp_path: object) -> None:
    """`sample --workers 2` and `refresh --workers 1` of one model and seed: the same rows."""
    model_file = f"{tmp_path}/chinook.json"
    model_io.save(fit_source(shared("chinook", "sqlite"), seed=0), model_file)
    two, one = new_db("sqlite"), new_db("sqlite")
    runner = CliRunner()
    res = runner.invoke(app, ["sample", model_file, two, "--workers", "2", "-q"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["refresh", model_file, one, "--workers", "1", "-q"])
    assert res.exit_code == 0, res.output
    assert table_digest(one) == table_digest(two)
    res = runner.invoke(app, ["sample", model_file, two, "--workers", "0"])
    assert res.exit_code == 2


def test_staged_chunks_keep_fixed_length_text_and_bits(new_db: Callable[[str], str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks staged as text and cast into CHAR(n), BIT(n) and CHAR(n)[] columns keep their
    whole values: a cast to `character` or `bit` alone is one of length 1 (TPC-H's
    l_shipmode came out 'T' for 'TRUCK', 'R' for both 'RAIL' and 'REG AIR')."""
    source = new_db("postgresql")
    run_script(source, """
        CREATE TABLE shipment (id int PRIMARY KEY, mode char(10) NOT NULL, flags bit(4) NOT
        NULL, tags char(3)[] NOT NULL);
        INSERT INTO shipment SELECT g, (ARRAY['TRUCK', 'RAIL', 'REG AIR', 'MAIL'])[g % 4 + 1],
        (ARRAY[B'1010', B'0110', B'1111'])[g % 3 + 1], ARRAY['ab', 'xyz']
        FROM generate_series(1, 450) g;
        """)
    model = fit_source(source, seed=0)
    monkeypatch.setattr(sample, "CHUNK_ROWS", 100)
    target = new_db("postgresql")
    sample_model(model, target, seed=0, workers=2)
    with sa.create_engine(target).connect() as conn:
        got = conn.exec_driver_sql("SELECT rtrim(mode), flags::text, array_to_string(tags, "
                                   "',') FROM shipment").all()
    assert len(got) == 450
    assert {m for m, _, _ in got} == {"TRUCK", "RAIL", "REG AIR", "MAIL"}
    assert {len(f) for _, f, _ in got} == {4}
    tags = {v for _, _, t in got for v in t.split(",")}
    assert "xyz" in tags and {len(v) for v in tags} == {3}, tags


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_workers_load_from_their_own_connections(shared: Callable[[str, str], str],
                                                 new_db: Callable[[str], str],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 dialect: str) -> None:
    """Chinook in chunks of 300 rows: at 2 workers the chunks are written into the load's
    staging area (PostgreSQL side schema, MariaDB side database) from the workers' own
    connections, the same rows as one process loading all. A --replace whose worker is
    killed right after writing its chunk of invoice_line (committed in the staging area)
    fails with the target as it was, and no staging area is left behind."""
    model = fit_source(shared("chinook", dialect), seed=1)
    monkeypatch.setattr(sample, "CHUNK_ROWS", 300)
    one, two = new_db(dialect), new_db(dialect)
    sample_model(model, one, seed=1, workers=1)
    sample_model(model, two, seed=1, workers=2)
    before = table_digest(two)
    assert table_digest(one) == before
    lines = {"postgresql": "invoice_line", "mysql": "InvoiceLine"}[dialect]
    monkeypatch.setenv(SIGNAL_ENV, f"stage:{lines}:2:KILL")  # inherited by the workers
    with pytest.raises(LoadError, match=lines):
        sample_model(model, two, seed=2, replace=True, workers=2)
    assert table_digest(two) == before
    assert _staging_areas(two) == []


def _staging_areas(url: str) -> list[str]:
    """PostgreSQL side schemas / MariaDB side databases of loads into `url`."""
    engine = sa.create_engine(url)
    dialect = dialect_for(engine)
    with engine.connect() as conn:
        if dialect.name == "postgresql":
            return [n for (n,) in conn.exec_driver_sql(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                (r"dbclone\_stage\_%",))]
        return dialect.staging_databases(conn, engine.url.database or "")
