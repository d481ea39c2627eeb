"""Loading benchmark (run on demand, not a test): how close is dbclone to the database's own
tools at moving the same rows?

For each dialect and scale: clone the shared Employees sample (loaded into
``dbclone_bench_src``) into a new database and measure

  (a) dbclone's load phase (DDL, bulk insert, indexes, FKs, sequences, verification), measured
      in a second run that generates the same rows first and then loads them,
  (b) the whole clone (fit + sample + load),
  (c) the database's own restore of the resulting clone: ``pg_dump -Fc`` then ``pg_restore``
      into a new database (PostgreSQL), ``mariadb-dump`` then ``mariadb < dump`` (MariaDB);
      the restore alone is (c), the dump time is reported beside it,

plus the peak RSS of the dbclone process. Usage (from the project root, venv active):

    python bench/load_bench.py --dialect postgresql --scale 10 --scale 50 --scale 100
    python bench/load_bench.py --dialect mysql --scale 10 --scale 50 --scale 100

(Employees has 13,086 rows: ``--scale 100`` is 1.3M rows. Export DBCLONE_BENCH_TAG=_<you> so
parallel runs use databases of their own.)

``--memory`` runs only the whole clone at each scale and prints its peak RSS beside the
first scale's, so whether memory grows with the rows reads as one ratio (issue 6: the same
peak at five times the rows):

    python bench/load_bench.py --dialect postgresql --memory --scale 100 --scale 500

Needs ../shared/sampledbs and the servers of tests/conftest.py (PostgreSQL as postgres on
127.0.0.1:5432, MariaDB as root on 127.0.0.1:3306). Every database it creates is named
``dbclone_bench_*`` and dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DBCLONE_SAMPLEDBS") or ROOT.parent / "shared" / "sampledbs")
PG = "postgresql://postgres@127.0.0.1:5432"
MY = "mysql://root@127.0.0.1:3306"
PG_ENV = {"PGHOST": "127.0.0.1", "PGPORT": "5432", "PGUSER": "postgres"}
MY_CLI = ["-h127.0.0.1", "-uroot"]


def _child(source: str, target: str, scale: float) -> None:
    """The whole clone, in a separate process so that its peak RSS is measured alone."""
    from dbclone.api import fit_source, sample_model

    t0 = time.perf_counter()
    model = fit_source(source, seed=1)
    t1 = time.perf_counter()
    result = sample_model(model, target, scale=scale, seed=1)
    t2 = time.perf_counter()
    print(json.dumps({"fit": t1 - t0, "sample_load": t2 - t1, "clone": t2 - t0,
                      "rows": sum(result.rows.values())}))


def _load_child(source: str, target: str, scale: float) -> None:
    """The load phase alone: the same rows generated first, then loaded (in the real clone the
    next table is generated while one loads, so there the two share the CPU)."""
    from dbclone.api import fit_source
    from dbclone.connect import engine_for
    from dbclone.load import load
    from dbclone.plan import make_plan
    from dbclone.synth.sample import Sampler

    model = fit_source(source, seed=1)
    items = list(Sampler(model, make_plan(model.schema), scale=scale, seed=1).run())
    result = load(engine_for(target), model.schema, items)
    print(json.dumps({"load": result.load_seconds}))


def _run_child(source: str, target: str, scale: float, mode: str = "--child"
               ) -> dict[str, float]:
    proc = subprocess.Popen([sys.executable, __file__, mode, source, target, str(scale)],
                            stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"clone failed at scale {scale} (status {status})")
    stats = json.loads(out.strip().splitlines()[-1])
    stats["peak_rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return stats


def _sh(cmd: list[str] | str, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, shell=isinstance(cmd, str), env={**os.environ, **(env or {})},
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


class Postgres:
    name = "postgresql"
    tool = "pg_dump -Fc + pg_restore"

    def url(self, db: str) -> str:
        return f"{PG}/{db}"

    def create(self, db: str) -> None:
        self.drop(db)
        _sh(["createdb", db], PG_ENV)

    def drop(self, db: str) -> None:
        _sh(["dropdb", "--if-exists", "--force", db], PG_ENV)

    def native(self, src: str, dst: str, dump: Path) -> tuple[float, float]:
        t_dump = _sh(["pg_dump", "-Fc", "-f", str(dump), src], PG_ENV)
        self.create(dst)
        t_restore = _sh(["pg_restore", "-d", dst, str(dump)], PG_ENV)
        return t_dump, t_restore


class MariaDB:
    name = "mysql"
    tool = "mariadb-dump + mariadb"

    def url(self, db: str) -> str:
        return f"{MY}/{db}"

    def create(self, db: str) -> None:
        self.drop(db)
        _sh(["mariadb", *MY_CLI, "-e", f"CREATE DATABASE `{db}` CHARACTER SET utf8mb4"])

    def drop(self, db: str) -> None:
        _sh(["mariadb", *MY_CLI, "-e", f"DROP DATABASE IF EXISTS `{db}`"])

    def native(self, src: str, dst: str, dump: Path) -> tuple[float, float]:
        t_dump = _sh(f"mariadb-dump {' '.join(MY_CLI)} --single-transaction {src} > {dump}")
        self.create(dst)
        t_restore = _sh(f"mariadb {' '.join(MY_CLI)} {dst} < {dump}")
        return t_dump, t_restore


def bench(dialect: Postgres | MariaDB, scales: list[float], tmp: Path) -> list[dict[str, float]]:
    tag = os.environ.get("DBCLONE_BENCH_TAG", "")  # parallel runs: a different tag each
    src = f"dbclone_bench{tag}_src"
    subprocess.run(["bash", str(SHARED / "load.sh"), "employees", dialect.name, src], check=True,
                   capture_output=True)
    rows = []
    try:
        for scale in scales:
            dst, native = f"dbclone_bench{tag}_clone", f"dbclone_bench{tag}_native"
            only_load = f"dbclone_bench{tag}_load"
            dialect.create(dst)
            stats = _run_child(dialect.url(src), dialect.url(dst), scale)
            dialect.create(only_load)
            stats["load"] = _run_child(dialect.url(src), dialect.url(only_load), scale,
                                       "--load-child")["load"]
            dialect.drop(only_load)
            t_dump, t_restore = dialect.native(dst, native, tmp / f"bench{tag}-{dialect.name}.dump")
            stats.update(scale=scale, dump=t_dump, restore=t_restore,
                         a_over_c=stats["load"] / t_restore, b_over_c=stats["clone"] / t_restore)
            rows.append(stats)
            print(_line(dialect, stats), flush=True)
            for db in (dst, native):
                dialect.drop(db)
    finally:
        dialect.drop(src)
    return rows


def memory(dialect: Postgres | MariaDB, scales: list[float]) -> None:
    """Peak RSS of the whole clone per scale, and its ratio to the first scale's."""
    tag = os.environ.get("DBCLONE_BENCH_TAG", "")
    src, dst = f"dbclone_bench{tag}_src", f"dbclone_bench{tag}_clone"
    subprocess.run(["bash", str(SHARED / "load.sh"), "employees", dialect.name, src], check=True,
                   capture_output=True)
    print("| dialect | scale | rows | clone s | peak RSS MB | peak / first scale's |\n"
          "|---|---|---|---|---|---|", flush=True)
    first = None
    try:
        for scale in scales:
            dialect.create(dst)
            stats = _run_child(dialect.url(src), dialect.url(dst), scale)
            dialect.drop(dst)
            first = first or stats["peak_rss_mb"]
            print(f"| {dialect.name} | {scale:g} | {int(stats['rows']):,} | {stats['clone']:.1f} "
                  f"| {stats['peak_rss_mb']:.0f} | {stats['peak_rss_mb'] / first:.3f} |",
                  flush=True)
    finally:
        dialect.drop(src)


def _line(dialect: Postgres | MariaDB, s: dict[str, float]) -> str:
    return (f"| {dialect.name} | {s['scale']:g} | {int(s['rows']):,} | {s['load']:.1f} | "
            f"{s['clone']:.1f} (fit {s['fit']:.1f}) | {s['restore']:.1f} (dump {s['dump']:.1f}) | "
            f"{s['a_over_c']:.2f} | {s['b_over_c']:.2f} | {s['peak_rss_mb']:.0f} |")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("--child", "--load-child"):
        run = _child if sys.argv[1] == "--child" else _load_child
        run(sys.argv[2], sys.argv[3], float(sys.argv[4]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dialect", choices=["postgresql", "mysql"], default="postgresql")
    ap.add_argument("--scale", type=float, action="append", help="repeatable (default 10)")
    ap.add_argument("--memory", action="store_true",
                    help="only the whole clone per scale: peak RSS and its ratio to the first")
    args = ap.parse_args()
    dialect = Postgres() if args.dialect == "postgresql" else MariaDB()
    if args.memory:
        memory(dialect, args.scale or [100.0, 500.0])
        return
    print(f"| dialect | scale | rows | (a) load s | (b) clone s | (c) {dialect.tool} s | a/c | "
          "b/c | peak RSS MB |\n|---|---|---|---|---|---|---|---|---|", flush=True)
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    bench(dialect, args.scale or [10.0], tmp)


if __name__ == "__main__":
    main()
