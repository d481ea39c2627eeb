"""Print the type matrix: for each dialect, every type of the test matrix
(tests/test_type_matrix.py) and what a clone does with a column of it, as the code decides it
(`capability.decide` on the introspected table): generated, and by what (the copula's kind or
a type family of `synth.types`), or refused with the reason (a refused column is copied with
`"keep"` in the config, set to a constant, or NULL).

Builds a scratch database per dialect (PostgreSQL on 127.0.0.1:5432 as postgres, MariaDB on
127.0.0.1:3306 as root, SQLite in a temporary directory), one table per type, and drops it.

    python tools/type_matrix.py [--dialect postgresql] > matrix.md
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from tests.conftest import create_db, drop_db  # noqa: E402
from tests.test_type_matrix import CASES, build_source  # noqa: E402

from dbclone import capability  # noqa: E402
from dbclone.connect import engine_for  # noqa: E402
from dbclone.introspect import introspect  # noqa: E402
from dbclone.schema import Column, Schema  # noqa: E402
from dbclone.synth import types as typegen  # noqa: E402

_TITLE = {"postgresql": "PostgreSQL", "mysql": "MariaDB", "sqlite": "SQLite"}


def _how(schema: Schema, col: Column, verdict: capability.Verdict) -> str:
    if verdict.outcome == capability.REFUSED:
        return f"refused: {verdict.why}"
    family = typegen.family_for(schema, col)
    if family is not None:  # inet[] and tsrange[] too: arrays of a family's elements
        return f"generated ({family} family)"
    return f"generated ({col.kind})"


def matrix(dialect: str, tmp: Path) -> list[tuple[str, str]]:
    """(declared type, what a clone does) per case of the dialect."""
    name = f"dbclone_matrix_{uuid.uuid4().hex[:8]}"
    url = create_db(dialect, name, tmp)
    try:
        build_source(dialect, url, CASES[dialect], wide=False)
        schema = introspect(engine_for(url), count_rows=False)
        verdicts = {v.table: v for v in capability.decide(schema)}
        out = []
        for case in CASES[dialect]:
            table = schema.table(f"t_{case.name}")
            shown = f"`{case.sql_type}`" if case.sql_type else "no declared type"
            out.append((f"{shown} ({case.name})",
                        _how(schema, table.column("v"), verdicts[table.name])))
        return out
    finally:
        drop_db(dialect, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", choices=list(CASES), action="append")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for dialect in args.dialect or list(CASES):
            rows = matrix(dialect, Path(tmp))
            print(f"\n### {_TITLE[dialect]}\n\n| type (test case) | a clone |\n| --- | --- |")
            for sql_type, how in rows:
                print(f"| {sql_type} | {how} |")
            refused = sum(h.startswith("refused") for _, h in rows)
            print(f"\n{len(rows)} types: {len(rows) - refused} generated, {refused} refused "
                  '(copied with "keep" in the config).')


if __name__ == "__main__":
    main()
