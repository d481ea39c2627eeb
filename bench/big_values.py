"""Big values in linear time: one text and one bytea/blob value of 1 MB and of 10 MB, cloned.

For each size, a source with 20 rows of which one holds the big values (free text with too
few shared words for a vocabulary: Faker's sentences) is cloned (fit +
sample + load); the script prints the seconds for each size, their ratio, and the longest
text generated. Linear cost gives a ratio near 10 (less where fixed costs dominate); a value
grown piece by piece (quadratic) took minutes for 10 MB.

    python bench/big_values.py                        # SQLite (no server needed)
    python bench/big_values.py --dialect postgresql   # 127.0.0.1:5432 as postgres
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from dbclone.api import clone

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"


def _database(dialect: str, folder: Path, name: str) -> str:
    if dialect == "sqlite":
        return f"sqlite:///{folder / name}.db"
    admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def _drop(dialect: str, name: str) -> None:
    if dialect == "postgresql":
        admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _source(url: str, megabytes: int) -> None:
    blob = "BLOB" if url.startswith("sqlite") else "BYTEA"
    sentence = "lorem ipsum dolor sit amet. "
    big = (sentence * (megabytes * 2**20 // len(sentence) + 1))[: megabytes * 2**20]
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE doc (id INTEGER PRIMARY KEY, body TEXT, data {blob})")
        # one big value among 20 rows of repeated words: free text with too few shared words
        # for a vocabulary (Faker's sentences, joined to the drawn length)
        rows = [{"i": i, "b": big if i == 1 else "word " * (10 * i),
                 "d": b"\xab" * (megabytes * 2**20) if i == 1 else b"\x00"}
                for i in range(1, 21)]
        conn.execute(sa.text("INSERT INTO doc VALUES (:i, :b, :d)"), rows)


def _clone_seconds(dialect: str, folder: Path, megabytes: int) -> float:
    tag = uuid.uuid4().hex[:8]
    names = [f"dbclone_bench_big_src_{tag}", f"dbclone_bench_big_dst_{tag}"]
    try:
        source = _database(dialect, folder, names[0])
        target = _database(dialect, folder, names[1])
        _source(source, megabytes)
        start = time.perf_counter()
        clone(source, target, seed=0)
        seconds = time.perf_counter() - start
        with sa.create_engine(target).connect() as conn:
            longest = conn.exec_driver_sql("SELECT MAX(LENGTH(body)) FROM doc").scalar()
        print(f"{megabytes} MB source values: clone {seconds:.1f} s, longest text generated "
              f"{longest / 2**20:.1f} MB")
        return seconds
    finally:
        for name in names:
            _drop(dialect, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small = _clone_seconds(args.dialect, Path(tmp), 1)
        large = _clone_seconds(args.dialect, Path(tmp), 10)
    print(f"{args.dialect}: 1 MB {small:.1f} s, 10 MB {large:.1f} s, ratio {large / small:.1f} "
          "(linear: about 10 or less)")


if __name__ == "__main__":
    main()
