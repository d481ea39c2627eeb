"""Text realism per text column, fast: clone a source into a temporary SQLite file per seed and
score every text column the way `dbclone report` does (`report.realism`), without the rest of
the report (detection, pair trends, SDMetrics), so a change to a text generator is measured in
the time of a clone.

    python bench/realism.py sqlite:///chinook.db postgresql://postgres@127.0.0.1/pagila
    python bench/realism.py sqlite:///kommun.db --seeds 0 1 2 --only case_note.body
    python bench/realism.py SOURCE --show 8      # also print 8 synthetic values per column

Prints one Markdown table: per column its group (text, reference, personal), the accuracy per
seed, the mean and issue 13's target (0.70; 0.80 for personal data). The report reads at most
`--rows` rows per table (20,000, as `score_clones.py`); the figures match the report's within
its sampling (the report draws its own seeded sample of larger tables).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from dbclone import api
from dbclone.connect import engine_for
from dbclone.introspect import introspect
from dbclone.report import realism
from dbclone.report.data import features, normalise
from dbclone.schema import Schema, Table

TARGET = {"text": 0.70, "reference": 0.70, "personal": 0.80}


def _frame(engine: sa.Engine, table: Table, rows: int) -> pd.DataFrame:
    name = engine.dialect.identifier_preparer.format_table(sa.table(table.name,
                                                                    schema=table.schema))
    with engine.connect() as conn:
        return pd.read_sql_query(sa.text(f"SELECT * FROM {name} LIMIT {rows}"), conn)


def _score_tables(source: sa.Engine, schema: Schema, clone: sa.Engine, seed: int,
                  rows: int, only: set[str], show: int) -> dict[str, tuple[str, float]]:
    out: dict[str, tuple[str, float]] = {}
    clone_schema = introspect(clone)
    for table in schema.tables:
        twin = next((t for t in clone_schema.tables if t.name == table.name), None)
        if twin is None:
            continue
        real = normalise(table, _frame(source, table, rows))
        fake = normalise(table, _frame(clone, twin, rows))
        kinds = {c.name: c.kind for c in table.columns}
        for f in realism.text_columns(features(table, real, schema), kinds, real):
            name = f"{table.name}.{f.column}"
            if only and name not in only:
                continue
            t = realism.score(table.name, f, real[f.column], fake[f.column], 0)
            if math.isfinite(t.accuracy) and not t.excepted:
                out[name] = (t.group, t.accuracy)
            if show:
                sample = fake[f.column].dropna().astype(str).drop_duplicates().head(show)
                print(f"  {name} ({t.accuracy:.3f}): " + " | ".join(sample), file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("sources", nargs="+")
    p.add_argument("--seeds", nargs="*", type=int, default=[0])
    p.add_argument("--only", nargs="*", default=[], help="table.column names to score")
    p.add_argument("--rows", type=int, default=20000)
    p.add_argument("--show", type=int, default=0)
    p.add_argument("--keep", type=Path, help="write the clones here (LABEL_SEED.db), kept")
    args = p.parse_args(argv)
    found: dict[tuple[str, str], dict[int, tuple[str, float]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        for url in args.sources:
            source = engine_for(url)
            schema = introspect(source)
            label = url.rsplit("/", 1)[-1].removesuffix(".db")
            for seed in args.seeds:
                target = f"sqlite:///{Path(folder) / f'{label}_{seed}.db'}"
                start = time.perf_counter()
                api.clone(url, target, seed=seed, replace=True)
                print(f"{label} seed {seed}: cloned in {time.perf_counter() - start:.1f} s",
                      file=sys.stderr)
                scores = _score_tables(source, schema, engine_for(target), seed, args.rows,
                                       set(args.only), args.show)
                for column, value in scores.items():
                    found.setdefault((label, column), {})[seed] = value
    print("| database | column | group | " + " | ".join(f"seed {s}" for s in args.seeds)
          + " | mean | target |")
    print("|" + "---|" * (5 + len(args.seeds)))
    for (label, column), per in sorted(found.items(), key=lambda kv: -statistics.fmean(
            a for _, a in kv[1].values())):
        group = next(iter(per.values()))[0]
        cells = [f"{per[s][1]:.3f}" if s in per else "n/a" for s in args.seeds]
        mean = statistics.fmean(a for _, a in per.values())
        mark = "" if mean <= TARGET[group] else " **over**"
        print(f"| {label} | {column} | {group} | " + " | ".join(cells)
              + f" | {mean:.3f} | {TARGET[group]:.2f}{mark} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
