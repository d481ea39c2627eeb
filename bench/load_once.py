"""One sample+load of a saved model into a fresh PostgreSQL database with N workers: wall
seconds, CPU of this process and of its workers, the load connection's own time in the
database (total and per table), and how each table reached its table (rows written by the
load itself, or staged by workers and switched in).

    python bench/load_once.py /tmp/m.json.gz bench_load_dst 2

The database named is dropped before and after. Run each side in turns in the same session.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import time
from typing import Any

from dbclone.api import sample_model
from dbclone.load import fill
from dbclone.synth import model as model_io

SERVER = "postgresql://postgres@127.0.0.1"


def _dropdb(name: str) -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name],
                   check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("database")
    ap.add_argument("workers", type=int)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    _dropdb(args.database)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", args.database], check=True)
    model = model_io.load(args.model)
    ways: dict[str, set[str]] = {}
    move, insert = fill._move, fill._insert

    def counted_move(conn: Any, dialect: Any, stage: Any, item: Any) -> None:
        ways.setdefault(item.table.name, set()).add("staged")
        move(conn, dialect, stage, item)

    def counted_insert(conn: Any, dialect: Any, item: Any, keyless: Any, batches: Any) -> Any:
        ways.setdefault(item.table.name, set()).add("load")
        return insert(conn, dialect, item, keyless, batches)

    fill._move, fill._insert = counted_move, counted_insert  # type: ignore[assignment]
    try:
        wall0 = time.perf_counter()
        res = sample_model(model, f"{SERVER}/{args.database}", seed=args.seed,
                           workers=args.workers)
        wall = time.perf_counter() - wall0
    finally:
        _dropdb(args.database)
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({
        "workers": args.workers, "wall_s": round(wall, 1),
        "cpu_main_s": round(own.ru_utime + own.ru_stime, 1),
        "cpu_workers_s": round(kids.ru_utime + kids.ru_stime, 1),
        "rss_mb": own.ru_maxrss // 1024, "load_s": round(res.load_seconds, 1),
        "table_s": {k: round(v, 2) for k, v in res.seconds.items()},
        "rows": sum(res.rows.values()), "ways": {k: sorted(v) for k, v in ways.items()}}))


if __name__ == "__main__":
    main()
