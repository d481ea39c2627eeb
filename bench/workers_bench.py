"""Workers benchmark (run on demand, not a test): rows/s of sampling at several worker counts,
and whether the rows are the same.

A saved model is sampled at each worker count in turn, repeated (1, 2, 1, 2, ... so that a
change of the machine's load hits both alike), each run in a process of its own:

  --mode generate   the sampler alone (`Sampler.run`), rows digested, nothing written;
  --mode load       `api.sample_model` into a new PostgreSQL database (generate + COPY).

Per run: wall seconds, rows/s, the CPU seconds of the run's processes (its workers
included) and the load average before it, then per worker count the best and median rows/s
and the ratio to the first count's. `generate` also prints each table's digest (SHA-256 of
the values' repr, chunk by chunk), which must be the same at every count.

    python bench/workers_bench.py MODEL --scale 1 --workers 1 --workers 2 --repeat 2
    python bench/workers_bench.py MODEL --mode load --target-prefix wt_me_bench

A model comes from `dbclone fit SOURCE -o MODEL` (bench/scale_bench.py makes TPC-H sources).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time

PG = "postgresql://postgres@127.0.0.1:5432"


def _generate(model_path: str, scale: float, workers: int, seed: int) -> dict[str, object]:
    from dbclone.plan import make_plan
    from dbclone.synth import model as model_io
    from dbclone.synth.sample import Sampler
    from dbclone.synth.tables import TableData

    model = model_io.load(model_path)
    digests: dict[str, hashlib._Hash] = {}
    rows = 0
    t0 = time.perf_counter()
    for item in Sampler(model, make_plan(model.schema), scale=scale, seed=seed,
                        workers=workers).run():
        h = digests.setdefault(item.table.name, hashlib.sha256())
        if isinstance(item, TableData):
            rows += item.n_rows
            for c in item.columns:
                h.update(repr(item.data[c].tolist()).encode())
        else:
            h.update(repr(item.rows).encode())
    return {"seconds": time.perf_counter() - t0, "rows": rows,
            "digests": {k: v.hexdigest()[:16] for k, v in sorted(digests.items())}}


def _load(model_path: str, scale: float, workers: int, seed: int, target: str
          ) -> dict[str, object]:
    from dbclone.api import sample_model
    from dbclone.synth import model as model_io

    model = model_io.load(model_path)
    t0 = time.perf_counter()
    result = sample_model(model, target, scale=scale, seed=seed, workers=workers)
    return {"seconds": time.perf_counter() - t0, "rows": sum(result.rows.values())}


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres",
                    "-c", sql], check=True, capture_output=True)


def _child(args: argparse.Namespace, workers: int) -> dict[str, object]:
    cmd = [sys.executable, __file__, args.model, "--scale", str(args.scale), "--seed",
           str(args.seed), "--child", str(workers), "--mode", args.mode]
    if args.chunk_rows:
        cmd += ["--chunk-rows", str(args.chunk_rows)]
    target = f"{args.target_prefix}_{workers}"
    if args.mode == "load":
        _psql(f"DROP DATABASE IF EXISTS {target}")
        _psql(f"CREATE DATABASE {target}")
        cmd += ["--target-prefix", args.target_prefix]
    load = os.getloadavg()[0]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, _ = os.wait4(proc.pid, 0)
    if args.mode == "load":
        _psql(f"DROP DATABASE IF EXISTS {target}")
    if status:
        raise SystemExit(f"workers={workers} failed (status {status})")
    run = json.loads(out.strip().splitlines()[-1])
    run.update(workers=workers, load_before=load)
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, action="append")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--mode", choices=["generate", "load"], default="generate")
    ap.add_argument("--target-prefix", default="dbclone_bench_workers")
    ap.add_argument("--chunk-rows", type=int, help="rows per chunk (default: the sampler's)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        from dbclone import api
        from dbclone.synth import sample

        assert api  # imported before the clock starts: the run's time, not the imports'
        if args.chunk_rows:
            sample.CHUNK_ROWS = args.chunk_rows
        before = os.times()
        if args.mode == "generate":
            run = _generate(args.model, args.scale, args.child, args.seed)
        else:
            run = _load(args.model, args.scale, args.child, args.seed,
                        f"{PG}/{args.target_prefix}_{args.child}")
        after = os.times()  # the pool's workers are waited for: their CPU counts here
        run["cpu"] = sum(a - b for a, b in zip(after[:4], before[:4], strict=True))
        run["cpu_main"] = sum(a - b for a, b in zip(after[:2], before[:2], strict=True))
        print(json.dumps(run))
        return
    counts = args.workers or [1, 2]
    runs: dict[int, list[dict[str, object]]] = {w: [] for w in counts}
    for _ in range(args.repeat):
        for w in counts:
            run = _child(args, w)
            runs[w].append(run)
            secs = float(run["seconds"])  # type: ignore[arg-type]
            print(f"workers={w} rows={run['rows']} {secs:.1f} s "
                  f"{int(run['rows']) / secs:,.0f} rows/s cpu={float(run['cpu']):.1f} s "  # type: ignore[call-overload]
                  f"(main process {float(run['cpu_main']):.1f} s) "  # type: ignore[arg-type]
                  f"load_before={float(run['load_before']):.1f}", flush=True)  # type: ignore[arg-type]
    base = None
    for w in counts:
        rates = [int(r["rows"]) / float(r["seconds"]) for r in runs[w]]  # type: ignore[call-overload,arg-type]
        best, med = max(rates), statistics.median(rates)
        base = base or med
        print(f"workers={w}: best {best:,.0f} rows/s, median {med:,.0f} rows/s, "
              f"x{med / base:.2f} of workers={counts[0]} (medians)")
    if args.mode == "generate":
        same = {json.dumps(r["digests"]) for w in counts for r in runs[w]}
        print("digests identical across worker counts and runs:" if len(same) == 1 else
              "DIGESTS DIFFER:", *json.loads(sorted(same)[0]).items(), sep="\n  ")


if __name__ == "__main__":
    main()
