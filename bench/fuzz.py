"""The schema fuzzer's long run: thousands of seeded random schemas per dialect, each built
as a source, cloned, and checked (integrity 0, `dbclone diff` clean, no column silently
emptied, one seed gives one database). See tests/fuzzgen.py for what the schemas hold and
tests/fuzzcheck.py for the checks; tests/test_fuzz.py runs a few seeds in CI.

    python bench/fuzz.py --dialect sqlite --cases 2000
    python bench/fuzz.py --dialect postgresql --cases 500 --start 2000 --no-determinism
    python bench/fuzz.py --dialect mysql --seeds 17 423        # replay given seeds
    python bench/fuzz.py --dialect sqlite --cases 200 --not-null-cycles --exotic

Prints one line per failing seed (its problems and the schema's shape), a progress line
every 100 cases, and a summary; exit 1 when a case failed. Databases are named
<--prefix>* (dbclone_test_fuzz_* by default) and dropped after each case.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import fuzzcheck, fuzzgen  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dialect", choices=["postgresql", "mysql", "sqlite"], required=True)
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--start", type=int, default=0, help="first seed")
    ap.add_argument("--seeds", type=int, nargs="*", help="run exactly these seeds")
    ap.add_argument("--no-determinism", action="store_true",
                    help="skip the second clone per case (about a third faster)")
    ap.add_argument("--not-null-cycles", action="store_true")
    ap.add_argument("--exotic", action="store_true")
    ap.add_argument("--plain-names", action="store_true", help="no odd identifiers")
    ap.add_argument("--case-limit", type=int, default=600,
                    help="seconds a case may take before it is stopped and counted failed")
    ap.add_argument("--prefix", default="dbclone_test_fuzz_",
                    help="database name prefix (distinct per run that runs beside another)")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # lossy-type warnings of cross-dialect clones
    warnings.simplefilter("ignore")
    options = fuzzgen.Options(not_null_cycles=args.not_null_cycles, exotic=args.exotic,
                              odd_names=not args.plain_names)
    seeds = args.seeds if args.seeds else range(args.start, args.start + args.cases)
    start, done = time.perf_counter(), [0]

    def report(result: fuzzcheck.Result) -> None:
        done[0] += 1
        if result.problems:
            print(f"FAIL seed {result.seed}: " + " | ".join(result.problems), flush=True)
            print(f"     shape: {result.shape[:600]}", flush=True)
        if done[0] % 100 == 0:
            print(f"... {done[0]} cases, {time.perf_counter() - start:.0f} s", flush=True)

    with tempfile.TemporaryDirectory(prefix="dbclone-fuzz-") as folder:
        dbs = fuzzcheck.Databases(Path(folder), prefix=args.prefix, reuse=True)
        try:
            failures = fuzzcheck.run_many(seeds, args.dialect, dbs, options,
                                          not args.no_determinism, report, args.case_limit)
        finally:
            dbs.finish()
    took = time.perf_counter() - start
    print(f"{args.dialect}: {done[0]} schemas, {len(failures)} failed "
          f"({', '.join(str(r.seed) for r in failures[:30])}), {took:.0f} s, "
          f"{took / max(done[0], 1):.2f} s per schema")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
