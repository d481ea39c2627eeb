"""Introspection benchmark (run on demand, not a test): how long dbclone takes to read and plan
a many-table schema, against the database's own reader of the same catalog.

Builds tests/test_schema_tricky.py's generated schema (a chain-and-fan FK graph, one table
200 columns wide) in a PostgreSQL database ``dbclone_bench_introspect`` and prints, per run,
dbclone's introspect + plan seconds, ``pg_dump --schema-only`` seconds and their ratio. The
unit test only bounds the statements introspection sends; the time is this script's figure.

    python bench/introspect_bench.py --tables 300 --runs 3

Needs the PostgreSQL of tests/conftest.py (postgres on 127.0.0.1:5432) and pg_dump. The
database is dropped at the end.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG = "postgresql://postgres@127.0.0.1:5432"
DB = "dbclone_bench_introspect"


def _admin(statement: str) -> None:
    engine = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(statement)
    engine.dispose()


def _dbclone_seconds(url: str) -> float:
    from dbclone.connect import engine_for
    from dbclone.introspect import introspect
    from dbclone.plan import make_plan

    start = time.perf_counter()
    make_plan(introspect(engine_for(url)))
    return time.perf_counter() - start


def _pg_dump_seconds() -> float:
    start = time.perf_counter()
    subprocess.run(["pg_dump", "--schema-only", "-h", "127.0.0.1", "-U", "postgres", DB],
                   check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from tests.test_schema_tricky import generated_schema, run_script

    _admin(f"DROP DATABASE IF EXISTS {DB}")
    _admin(f"CREATE DATABASE {DB}")
    try:
        url = f"{PG}/{DB}"
        run_script(url, generated_schema(args.tables))
        for run in range(1, args.runs + 1):
            ours, theirs = _dbclone_seconds(url), _pg_dump_seconds()
            print(f"run {run}: {args.tables} tables  dbclone introspect+plan {ours:.2f} s  "
                  f"pg_dump --schema-only {theirs:.2f} s  ratio {ours / theirs:.1f}")
    finally:
        _admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
