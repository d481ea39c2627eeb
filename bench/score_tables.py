"""Per-column and per-table tables from `score_clones.py --out` files (one file per seed).

    python bench/score_clones.py --seed 0 --out s0.json   # likewise for seeds 1 and 2
    python bench/score_tables.py text s0.json s1.json s2.json
    python bench/score_tables.py detection s0.json s1.json s2.json
    python bench/score_tables.py detection after.json --before before.json

`text` prints text realism per text column (one column per file, then the mean and whether
it meets issue 13's target: <= 0.70 for non-personal text, <= 0.80 for personal data).
`detection` prints detection per table, one column per file; with `--before` (files of the
same seeds measured earlier) it prints the before and after means side by side.
Cases present in several dialects are kept apart (the clone differs per dialect).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path
from typing import Any

#: Issue 13's targets for text realism, by group.
TEXT_TARGET = {"text": 0.70, "reference": 0.70, "personal": 0.80}


def _load(paths: list[Path]) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in paths]


def _cell(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.3f}"


def _mean(values: list[float | None]) -> float | None:
    found = [v for v in values if v is not None and math.isfinite(v)]
    return statistics.fmean(found) if found else None


def _per_case(runs: list[dict[str, Any]], key: str) -> dict[tuple[str, str, str], list[Any]]:
    """(database, dialect, item) -> one value per run (None where a run lacks it)."""
    out: dict[tuple[str, str, str], list[Any]] = {}
    for i, run in enumerate(runs):
        for row in run["rows"]:
            for item, value in (row.get(key) or {}).items():
                cell = out.setdefault((row["database"], row["dialect"], item), [None] * len(runs))
                cell[i] = value
    return out


def text_table(runs: list[dict[str, Any]]) -> str:
    seeds = [str(r.get("seed", "?")) for r in runs]
    lines = ["| database | dialect | column | group | replaced with | "
             + " | ".join(f"seed {s}" for s in seeds) + " | mean | target | meets |",
             "|" + "---|" * (8 + len(seeds))]
    found = _per_case(runs, "text_realism_per_column")
    rows = []
    for (db, dialect, column), cells in found.items():
        info = next(c for c in cells if c is not None)
        values = [None if c is None else c["accuracy"] for c in cells]
        mean = _mean(values)
        rows.append((db, dialect, -(mean if mean is not None else -1.0), column, info, values,
                     mean))
    for db, dialect, _, column, info, values, mean in sorted(rows):
        target = TEXT_TARGET.get(info["group"], 0.70)
        meets = "n/a" if mean is None else ("yes" if mean <= target else "**no**")
        if info.get("excepted"):
            meets = "excepted (reserved-domain emails)"
        lines.append(f"| {db} | {dialect} | {column} | {info['group']} | "
                     f"{info['provider'] or '-'} | " + " | ".join(_cell(v) for v in values)
                     + f" | {_cell(mean)} | {target:.2f} | {meets} |")
    return "\n".join(lines)


def detection_table(runs: list[dict[str, Any]], before: list[dict[str, Any]]) -> str:
    after = _per_case(runs, "detection_per_table")
    if before:
        old = _per_case(before, "detection_per_table")
        lines = ["| database | dialect | table | before (mean) | after (mean) | change |",
                 "|---|---|---|---|---|---|"]
        for key in sorted(after):
            a, b = _mean(after[key]), _mean(old.get(key, []))
            change = "n/a" if a is None or b is None else f"{a - b:+.3f}"
            lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {_cell(b)} | {_cell(a)} | "
                         f"{change} |")
        return "\n".join(lines)
    seeds = [str(r.get("seed", "?")) for r in runs]
    lines = ["| database | dialect | table | " + " | ".join(f"seed {s}" for s in seeds)
             + " | mean |", "|" + "---|" * (4 + len(seeds))]
    for key in sorted(after):
        cells = " | ".join(_cell(v) for v in after[key])
        lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {cells} | {_cell(_mean(after[key]))} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("what", choices=("text", "detection"))
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--before", nargs="*", type=Path, default=[])
    args = p.parse_args(argv)
    runs = _load(args.files)
    print(f"from {', '.join(r.get('dbclone', '?') for r in runs)}")
    print()
    print(text_table(runs) if args.what == "text" else detection_table(runs, _load(args.before)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
