"""One fit in this process, for before/after comparisons of the fit stage: CPU-seconds, wall
seconds, peak RSS and the saved model's sha256 (equal hashes: the change moved no figure).

    python bench/fit_once.py postgresql://postgres@127.0.0.1/shared_tpch_sf0_1 /tmp/m.json.gz
    python bench/fit_once.py SRC OUT --profile /tmp/fit.prof     # cProfile on the CPU clock

Run each side from its own checkout (PYTHONPATH=that/src) in turns, in the same session.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import resource
import time
from pathlib import Path

from dbclone.api import fit_source
from dbclone.synth import model as model_io


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--profile", help="write cProfile stats (CPU clock) here")
    args = ap.parse_args()
    prof = cProfile.Profile(time.process_time) if args.profile else None
    wall0, cpu0 = time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    model = fit_source(args.source, seed=args.seed)
    if prof:
        prof.disable()
        prof.dump_stats(args.profile)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    model_io.save(model, args.out)
    digest = hashlib.sha256(Path(args.out).read_bytes()).hexdigest()
    print(json.dumps({"source": args.source.rsplit("/", 1)[-1], "cpu_s": round(cpu, 2),
                      "wall_s": round(wall, 1), "rss_mb": round(rss), "sha256": digest[:16]}))


if __name__ == "__main__":
    main()
