"""Sampler profile (run on demand, not a test): where one process's CPU goes, per table, per
column and per stage, when a saved model is sampled without a database.

A model is sampled in this one process (`Sampler.run`, one worker) and every step is timed in
CPU seconds of the process (`time.process_time`: on a loaded machine the wall clock measures
the scheduler): per table the rows and rows per CPU-second; per column its rule
(`generate_column`) and the relation finishing it; per stage the latent scores, the heads'
other work, the tails (other FKs, row rules, CHECK repair, UNIQUE, what children keep) and,
with `--encode`, the COPY text encoding the PostgreSQL load would do for the table's batches
(`pg_copy.encode_columns`; text is what a table with a numeric or char(n) column takes).
Each table's digest (SHA-256 of the values' repr, chunk by chunk, as bench/workers_bench.py
computes it) shows whether a change altered a value.

    python bench/sampler_profile.py MODEL --scale 0.2 --encode
    python bench/sampler_profile.py MODEL --scale 0.2 --table lineitem --cprofile out.prof

`--table` reports columns of that table only (its parents are still generated, untimed in
the column table); `--cprofile` profiles the chosen table's chunks (or all) into a file.
`--memory` also reads the process's resident memory every 10 ms and lists the steps (a
column's rule, the latent scores, the tail...) during which it peaked highest: where a
sample's peak RSS comes from.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import hashlib
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

CPU = time.process_time


class Peaks:
    """The highest resident memory (MB) seen during each step: a thread reads
    /proc/self/statm every 10 ms and charges it to the innermost step running."""

    def __init__(self) -> None:
        self.steps: list[tuple[str, str]] = [("", "(between steps)")]
        self.peak: dict[tuple[str, str], int] = defaultdict(int)
        self._page = os.sysconf("SC_PAGE_SIZE")
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        with open("/proc/self/statm") as statm:
            while True:
                statm.seek(0)
                rss = int(statm.read().split()[1]) * self._page >> 20
                step = self.steps[-1]
                self.peak[step] = max(self.peak[step], rss)
                time.sleep(0.01)


def _timed(fn: Callable[..., Any], key: Callable[..., tuple[str, str]],
           spent: dict[tuple[str, str], float], peaks: Peaks | None = None
           ) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        step = key(*args, **kwargs)
        if peaks is not None:
            peaks.steps.append(step)
        t0 = CPU()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[step] += CPU() - t0
            if peaks is not None:
                peaks.steps.pop()
    return wrapper


Spent = dict[tuple[str, str], float]


def _instrument(spent: Spent, profiler: cProfile.Profile | None, table: str | None,
                peaks: Peaks | None = None) -> Any:
    """Wrap the sampler's steps in timers (and the table's chunks in the profiler, and
    `peaks` when memory is watched); returns the Sampler class."""
    from dbclone.synth import sample as sample_mod

    sample_mod.generate_column = _timed(
        sample_mod.generate_column, lambda st, ch, cm, *a, **k: (ch.table.name, cm.name), spent,
        peaks)
    sample_mod.latent_scores = _timed(
        sample_mod.latent_scores, lambda st, tm, *a, **k: (tm.name, "(latent scores)"), spent,
        peaks)
    # Finishers are frozen values: replaced by timed copies.
    sample_mod.FINISHERS = tuple(dataclasses.replace(f, finish=_timed(
        f.finish, lambda st, ch, cm, *a, **k: (ch.table.name, f"{cm.name} (finish)"), spent,
        peaks)) for f in sample_mod.FINISHERS)
    sampler = sample_mod.Sampler
    sampler._head = _timed(sampler._head, lambda self, run, *a, **k: (run.table.name, "(head)"),
                           spent, peaks)
    sampler._tail = _timed(sampler._tail, lambda self, run, *a, **k: (run.table.name, "(tail)"),
                           spent, peaks)
    if profiler is not None:
        chunks = sampler.chunks

        def profiled(self: Any, name: str) -> Any:
            inner = chunks(self, name)
            while True:
                if table is None or name == table:
                    profiler.enable()
                try:
                    item = next(inner)
                except StopIteration:
                    return
                finally:
                    profiler.disable()
                yield item
        sampler.chunks = profiled
    return sampler


def _encode(item: Any) -> None:
    """The COPY text the PostgreSQL load would send for the chunk, in its batches."""
    from dbclone.dialects import pg_copy

    for lo in range(0, item.n_rows, 50_000):
        values = [item.data[c][lo:lo + 50_000].tolist() for c in item.columns]
        for start in range(0, len(values[0]), pg_copy.CHUNK_ROWS):
            pg_copy.encode_columns([v[start:start + pg_copy.CHUNK_ROWS] for v in values])


def _print(rows: dict[str, int], spent: Spent, total: float, digests: dict[str, Any],
           table: str | None, top: int) -> None:
    print(f"{'table':<12} {'rows':>9} {'CPU s':>7} {'rows/CPU-s':>11} {'encode s':>9}")
    gen = {name: spent[(name, "(head)")] + spent[(name, "(tail)")] for name in rows}
    for name in sorted(rows, key=lambda t: -gen[t]):
        enc = spent.get((name, "(COPY text encoding)"), 0.0)
        print(f"{name:<12} {rows[name]:>9,} {gen[name]:>7.2f} "
              f"{rows[name] / max(gen[name], 1e-9):>11,.0f} {enc:>9.2f}")
    print(f"all: {sum(rows.values()):,} rows, {total:.2f} CPU-s (generation, digests and "
          f"encoding), {sum(rows.values()) / total:,.0f} rows/CPU-s")
    for name in [table] if table else sorted(rows, key=lambda t: -gen[t]):
        parts = sorted(((k[1], v) for k, v in spent.items() if k[0] == name),
                       key=lambda kv: -kv[1])
        print(f"\n{name}: " + ", ".join(f"{k} {v:.2f}" for k, v in parts[:top]))
    print("\ndigests: " + " ".join(f"{k}={v.hexdigest()[:12]}" for k, v in sorted(
        digests.items())))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--table", help="report this table's columns (default: every table)")
    ap.add_argument("--encode", action="store_true", help="time COPY text encoding too")
    ap.add_argument("--cprofile", help="write a cProfile of the table's chunks here")
    ap.add_argument("--top", type=int, default=12, help="columns listed per table")
    ap.add_argument("--memory", action="store_true",
                    help="list the steps during which resident memory peaked highest")
    args = ap.parse_args()

    from dbclone.plan import make_plan
    from dbclone.synth import model as model_io
    from dbclone.synth.tables import TableData

    model = model_io.load(args.model)
    spent: Spent = defaultdict(float)
    profiler = cProfile.Profile(CPU) if args.cprofile else None
    peaks = Peaks() if args.memory else None
    sampler = _instrument(spent, profiler, args.table, peaks)
    rows: dict[str, int] = defaultdict(int)
    digests: dict[str, Any] = {}
    t_all = CPU()
    for item in sampler(model, make_plan(model.schema), scale=args.scale, seed=args.seed).run():
        name = item.table.name
        h = digests.setdefault(name, hashlib.sha256())
        if not isinstance(item, TableData):
            h.update(repr(item.rows).encode())
            continue
        rows[name] += item.n_rows
        for c in item.columns:
            h.update(repr(item.data[c].tolist()).encode())
        if args.encode:
            t1 = CPU()
            _encode(item)
            spent[(name, "(COPY text encoding)")] += CPU() - t1
    _print(rows, spent, CPU() - t_all, digests, args.table, args.top)
    if peaks is not None:
        top = sorted(peaks.peak.items(), key=lambda kv: -kv[1])[:args.top]
        print("\npeak RSS MB by step: " + ", ".join(f"{t}.{c} {mb}" if t else f"{c} {mb}"
                                                   for (t, c), mb in top))
    if profiler is not None:
        profiler.dump_stats(args.cprofile)


if __name__ == "__main__":
    main()
