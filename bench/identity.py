"""Byte-identity check of clones: did a refactoring change any generated row?

Clones kommun (bundled, `sample_schemas/build.py`), Chinook, Employees (SQLite dumps from
`../shared/sampledbs`) and Pagila (PostgreSQL) at seeds 0 and 1 with the code on the path,
into fresh SQLite files (Pagila into PostgreSQL, its only dialect), and prints one digest per
table: SHA-256 over the table's rows, each row the `repr` of its values as read back, rows
sorted, so the digest is exact for every value and independent of the order rows were
written in. It also prints a digest of the fitted model file (`model`) and, with
`--scores`, the quality report's scores (`dbclone.report.build_report`).

    python bench/identity.py --save /work/identity-baseline.json   # before a change
    python bench/identity.py --check /work/identity-baseline.json  # after: exit 1 on any
                                                                   # difference, named
    python bench/identity.py --cases kommun chinook --seeds 0      # a quicker look
    python bench/identity.py --check base.json --against new.json  # two saved runs

`--check` compares table digests always, model digests unless `--no-models` (a change of the
model file's format changes them while the rows stay the same), and scores where both the
file and the run have them. Sources are loaded afresh each run; every database it creates is
named `dbclone_identity*` and dropped at the end (SQLite files live in a temporary folder).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
#: The shared sample databases beside the checkout (`--sampledbs` elsewhere).
SHARED = ROOT.parent / "shared" / "sampledbs"
#: Database names: DBCLONE_BENCH_PREFIX (a helper's own prefix), else dbclone_identity plus
#: DBCLONE_BENCH_TAG (parallel runs apart).
PREFIX = (os.environ.get("DBCLONE_BENCH_PREFIX")
          or "dbclone_identity" + os.environ.get("DBCLONE_BENCH_TAG", "")) + "_"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"

#: database -> the dialect its source and clone live in (SQLite where a dump exists: faster).
CASES = {"kommun": "sqlite", "chinook": "sqlite", "employees": "sqlite", "pagila": "postgresql"}
#: No table of these samples reaches the sampler's chunk size: kommun is cloned once more in
#: chunks of this many rows (case "kommun/seedN/chunks"), so what holds across chunks (keys,
#: UNIQUE sets, parent aggregates, spread quantiles) is checked as well.
CHUNK_ROWS = 700


def _set_chunk_rows(rows: int | None) -> int | None:
    """Set the sampler's chunk size wherever this version of dbclone keeps it; returns the
    previous value."""
    import importlib

    for name in ("dbclone.synth.sample", "dbclone.sample"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "CHUNK_ROWS"):
            before = module.CHUNK_ROWS
            if rows is not None:
                module.CHUNK_ROWS = rows
            return int(before)
    raise SystemExit("cannot find the sampler's CHUNK_ROWS")


def _admin(sql: str) -> None:
    engine = sa.create_engine(f"{PG}/postgres", poolclass=sa.pool.NullPool,
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


class Databases:
    """Fresh databases by name, dropped at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.made: list[str] = []

    def fresh(self, dialect: str, name: str) -> str:
        if dialect == "sqlite":
            path = self.folder / f"{name}.db"
            path.unlink(missing_ok=True)
            return f"sqlite:///{path}"
        self.made.append(name)
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(f'CREATE DATABASE "{name}"')
        return f"{PG}/{name}"

    def drop_all(self) -> None:
        for name in self.made:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()


def load_source(dbs: Databases, database: str, dialect: str, shared: Path = SHARED) -> str:
    name = f"{PREFIX}{database}_src"
    url = dbs.fresh(dialect, name)
    if database == "kommun":
        cmd = [sys.executable, str(ROOT / "sample_schemas" / "build.py"), "kommun", url,
               "--replace"]
    else:
        target = str(dbs.folder / f"{name}.db") if dialect == "sqlite" else name
        cmd = ["bash", str(shared / "load.sh"), database, dialect, target]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return url


def table_digests(url: str) -> dict[str, str]:
    """SHA-256 per table over its rows' reprs, rows sorted (order-independent, exact)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    out = {}
    with engine.connect() as conn:
        for name in sorted(sa.inspect(conn).get_table_names()):
            rows = conn.execute(sa.table(name, *[sa.column(c["name"]) for c in
                                                 sa.inspect(conn).get_columns(name)])
                                .select()).fetchall()
            lines = sorted(repr(tuple(r)) for r in rows)
            h = hashlib.sha256()
            for line in lines:
                h.update(line.encode())
                h.update(b"\n")
            out[name] = f"{len(lines)}:{h.hexdigest()[:24]}"
    engine.dispose()
    return out


def run_case(dbs: Databases, database: str, dialect: str, seed: int, source: str,
             scores: bool) -> dict[str, Any]:
    from dbclone import api

    target = dbs.fresh(dialect, f"{PREFIX}{database}_clone{seed}")
    started = time.perf_counter()
    path = dbs.folder / f"{database}_{seed}.model.json"
    api.fit_to_file(source, path, seed=seed)
    # Sampled from the file read back, so what the file format loses shows too.
    api.sample_model(_load_model(path), target, seed=seed)
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {
        "tables": table_digests(target),
        "model": hashlib.sha256(path.read_bytes()).hexdigest()[:24],
        "clone_seconds": round(seconds, 1),
    }
    if scores:
        from dbclone.connect import engine_for
        from dbclone.report import build_report

        report = build_report(engine_for(source), engine_for(target), sample_rows=20000)
        out["scores"] = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                         for k, v in report.scores.items()}
    return out


def _load_model(path: Path) -> Any:
    """The model file read back, wherever this version of dbclone keeps its reader."""
    import importlib

    for name in ("dbclone.synth.model", "dbclone.model"):
        try:
            return importlib.import_module(name).load(path)
        except ImportError:
            continue
    raise SystemExit("cannot find the model file reader")


def compare(saved: dict[str, Any], now: dict[str, Any], models: bool) -> list[str]:
    """Every difference between two runs, one line each (cases missing on either side too)."""
    diffs = []
    for key, new in now["cases"].items():
        old = saved["cases"].get(key)
        if old is None:
            diffs.append(f"{key}: not in the saved file")
            continue
        for table in sorted(set(old["tables"]) | set(new["tables"])):
            a, b = old["tables"].get(table), new["tables"].get(table)
            if a != b:
                diffs.append(f"{key} table {table}: {a} -> {b}")
        if models and old["model"] != new["model"]:
            diffs.append(f"{key} model file: {old['model']} -> {new['model']}")
        for name, value in (new.get("scores") or {}).items():
            if "scores" in old and old["scores"].get(name) != value:
                diffs.append(f"{key} score {name}: {old['scores'].get(name)} -> {value}")
    return diffs


def _report(saved: dict[str, Any], path: Path, now: dict[str, Any], models: bool) -> int:
    """Print the differences of a run (or a second saved file) from a saved file; 1 if any."""
    diffs = compare(saved, now, models=models)
    print(f"{now.get('dbclone')} checked against {path} (taken at dbclone "
          f"{saved.get('dbclone')}): {'identical' if not diffs else f'{len(diffs)} difference(s)'}")
    for line in diffs:
        print(f"  DIFFERENT {line}")
    return 1 if diffs else 0


def provenance() -> str:
    import dbclone

    src = Path(dbclone.__file__).resolve().parents[1]
    git = ["git", "-C", str(src)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=False).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "."], capture_output=True,
                           text=True, check=False).stdout.strip()
    return f"{head or src}{' + uncommitted changes' if dirty else ''}"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--cases", nargs="*", choices=sorted(CASES), help="default: all four")
    p.add_argument("--seeds", nargs="*", type=int, default=[0, 1])
    p.add_argument("--scores", action="store_true", help="also the report's scores (slower)")
    p.add_argument("--save", type=Path, help="write the digests here")
    p.add_argument("--check", type=Path, help="compare with a saved file; exit 1 on difference")
    p.add_argument("--sampledbs", type=Path, default=SHARED,
                   help="folder of the shared sample databases (load.sh)")
    p.add_argument("--no-models", action="store_true",
                   help="with --check: do not compare the model files' digests")
    p.add_argument("--against", type=Path,
                   help="with --check: compare this saved file instead of running the clones "
                        "(two --save runs taken side by side, e.g. in two worktrees)")
    return p


def run_all(args: argparse.Namespace) -> dict[str, Any]:
    """Every case's digests (and scores): each source loaded afresh, cloned at each seed."""
    result: dict[str, Any] = {"dbclone": provenance(), "cases": {}}
    with tempfile.TemporaryDirectory(prefix="dbclone_identity_") as folder:
        dbs = Databases(Path(folder))
        try:
            for database in args.cases or list(CASES):
                dialect = CASES[database]
                source = load_source(dbs, database, dialect, args.sampledbs)
                for seed in args.seeds:
                    key = f"{database}/seed{seed}"
                    print(f"{key} ...", file=sys.stderr, flush=True)
                    result["cases"][key] = run_case(dbs, database, dialect, seed, source,
                                                    args.scores)
                    if database != "kommun":
                        continue
                    default = _set_chunk_rows(CHUNK_ROWS)
                    try:
                        print(f"{key}/chunks ...", file=sys.stderr, flush=True)
                        result["cases"][f"{key}/chunks"] = run_case(
                            dbs, database, dialect, seed, source, False)
                    finally:
                        _set_chunk_rows(default)
        finally:
            dbs.drop_all()
    return result


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.against is not None:
        if args.check is None:
            raise SystemExit("--against needs --check FILE: the two saved files compared")
        return _report(json.loads(args.check.read_text()), args.check,
                       json.loads(args.against.read_text()), not args.no_models)
    result = run_all(args)
    print(f"dbclone {result['dbclone']}")
    for key, case in result["cases"].items():
        print(f"{key}  model {case['model']}  ({case['clone_seconds']} s)")
        for table, digest in case["tables"].items():
            print(f"  {table:<28} {digest}")
        for name, value in (case.get("scores") or {}).items():
            print(f"  score {name:<22} {value}")
    if args.save:
        args.save.write_text(json.dumps(result, indent=1, sort_keys=True))
        print(f"saved to {args.save}")
    if args.check:
        return _report(json.loads(args.check.read_text()), args.check, result,
                       not args.no_models)
    return 0


if __name__ == "__main__":
    sys.exit(main())
