"""Detection per table (the report's: children's counts and means, dates included).

Clones of the shared samples, kommun and TPC-H SF0.01, for issue 13's target (<= 0.75 on
every table). Sources are loaded once into PostgreSQL databases ``<prefix>_<case>_src``
(kommun: a SQLite file in $TMPDIR) and kept for the next run; each run clones them with the
given seeds into ``<prefix>_<case>_clone`` (kommun: a SQLite file in $TMPDIR) and writes one
JSON file per seed in the shape `score_tables.py` reads (``detection_per_table``). Run on
demand, not a test:

    python bench/detect_bench.py --seeds 0 1 2 --out /tmp/after     # after_s0.json ...
    python bench/score_tables.py detection /tmp/after_s*.json --before /tmp/before_s*.json

``--prefix`` (default ``dbclone_detect``) keeps parallel runs apart. ``--shared`` reads the
already loaded read-only sources instead (PostgreSQL databases named by the case, e.g.
``--cases chinook shared_tpch_sf0_01``; kommun at ``$DBCLONE_KOMMUN_DB``, default
/work/srcdb/kommun.db) and loads nothing. The script has no option to drop what it made:
the clones (and, without ``--shared``, the sources) stay until you remove them, e.g.
``dropdb -h 127.0.0.1 -U postgres <prefix>_<case>_clone`` and
``rm $TMPDIR/<prefix>_kommun_*.db``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
SHARED = Path(os.environ.get("DBCLONE_SAMPLEDBS") or ROOT.parent / "shared" / "sampledbs")
TMP = Path(os.environ.get("TMPDIR", "/tmp"))
PG = "postgresql://postgres@127.0.0.1:5432/"
CASES = ("chinook", "northwind", "pagila", "employees", "kommun", "tpch")


SHARED_SOURCES = False


def source_url(case: str, prefix: str) -> str:
    if SHARED_SOURCES:
        if case == "kommun":
            return "sqlite:///" + os.environ.get("DBCLONE_KOMMUN_DB", "/work/srcdb/kommun.db")
        return PG + case
    if case == "kommun":
        return f"sqlite:///{TMP / (prefix + '_kommun_src.db')}"
    return PG + f"{prefix}_{case}_src"


def clone_url(case: str, prefix: str) -> str:
    if case == "kommun":
        return f"sqlite:///{TMP / (prefix + '_kommun_clone.db')}"
    from scale_bench import _exists

    if not _exists(f"{prefix}_{case}_clone"):
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres",
                        f"{prefix}_{case}_clone"], check=True)
    return PG + f"{prefix}_{case}_clone"


def ensure_source(case: str, prefix: str) -> str:
    from scale_bench import _exists, load_tpch

    url = source_url(case, prefix)
    if SHARED_SOURCES:
        return url
    if case == "kommun":
        if not (TMP / f"{prefix}_kommun_src.db").exists():
            subprocess.run([sys.executable, str(ROOT / "sample_schemas" / "build.py"), "kommun",
                            url], check=True, capture_output=True)
        return url
    db = f"{prefix}_{case}_src"
    if _exists(db):
        return url
    if case == "tpch":
        load_tpch(db, 0.01)
    else:
        subprocess.run(["bash", str(SHARED / "load.sh"), case, "postgresql", db], check=True,
                       capture_output=True)
    return url


def run(case: str, prefix: str, seed: int) -> dict[str, float]:
    from dbclone import api
    from dbclone.connect import engine_for
    from dbclone.report import build_report

    source = ensure_source(case, prefix)
    target = clone_url(case, prefix)
    api.clone(source, target, seed=seed, replace=True)
    report = build_report(engine_for(source), engine_for(target), outside_check=False)
    return {t.name: t.detection.accuracy for t in report.tables if t.detection is not None}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--cases", nargs="*", default=list(CASES))
    p.add_argument("--seeds", nargs="*", type=int, default=[0])
    p.add_argument("--prefix", default="dbclone_detect")
    p.add_argument("--out", type=Path, required=True, help="files <out>_s<seed>.json")
    p.add_argument("--shared", action="store_true",
                   help="read the already loaded sources (database named by the case)")
    args = p.parse_args(argv)
    global SHARED_SOURCES
    SHARED_SOURCES = args.shared
    for seed in args.seeds:
        rows = []
        for case in args.cases:
            started = time.perf_counter()
            try:
                found = run(case, args.prefix, seed)
            except Exception as exc:  # noqa: BLE001 - a failing case is a line, not a crash
                print(f"{case} seed {seed}: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            worst = max((v for v in found.values() if math.isfinite(v)), default=math.nan)
            print(f"{case} seed {seed}: worst {worst:.3f} ({time.perf_counter() - started:.0f} s)"
                  + "".join(f"\n  {t} {v:.3f}" for t, v in sorted(found.items())),
                  file=sys.stderr, flush=True)
            rows.append({"database": case, "dialect": "sqlite" if case == "kommun" else
                         "postgresql", "detection_per_table": found})
        out = Path(f"{args.out}_s{seed}.json")
        out.write_text(json.dumps({"seed": seed, "dbclone": _head(), "rows": rows}, indent=1))
    return 0


def _head() -> str:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
