"""Clone every shared sample database on every dialect it ships in, and score each clone.

For each case this loads a fresh copy of the source (`../shared/sampledbs/load.sh`, or
`sample_schemas/build.py` for the kommun sample), runs `dbclone.api.clone(source, target,
seed=0)` (or `--seed`) into a fresh empty database, scores the clone with
`dbclone.report.build_report` and prints one Markdown table. A case that fails to load,
clone or report is a row with its error, not a crash. Every database it creates is named
`dbclone_test_bench_*` (SQLite files live in a temporary folder) and is dropped at the end.
Run on demand, not a test:

    python bench/score_clones.py                        # every case, a few minutes
    python bench/score_clones.py --cases chinook employees --dialects sqlite
    python bench/score_clones.py --out scores.json      # every number, as JSON too
    python bench/score_clones.py --cases kommun --seed 1   # another clone seed (one is noisy)

PostgreSQL is reached at 127.0.0.1:5432 as postgres and MariaDB at 127.0.0.1:3306 as root
(override with --pg / --mysql).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DBCLONE_SAMPLEDBS") or ROOT.parent / "shared" / "sampledbs")
#: DBCLONE_BENCH_TAG=_x keeps parallel runs apart (dbclone_test_bench_x_...).
PREFIX = "dbclone_test_bench" + os.environ.get("DBCLONE_BENCH_TAG", "") + "_"


@dataclass(frozen=True)
class Case:
    database: str
    dialect: str  # postgresql, mysql or sqlite


#: Every shared database on each dialect it ships in, then the project's own sample.
CASES = (
    Case("chinook", "postgresql"), Case("chinook", "mysql"), Case("chinook", "sqlite"),
    Case("employees", "postgresql"), Case("employees", "mysql"), Case("employees", "sqlite"),
    Case("pagila", "postgresql"), Case("northwind", "postgresql"), Case("kommun", "sqlite"),
)


@dataclass
class Row:
    case: Case
    clone_seconds: float | None = None
    report_seconds: float | None = None
    scores: dict[str, Any] = field(default_factory=dict)
    worst_table: str = ""
    personal_columns: int | None = None
    #: Per table: detection accuracy (NaN when not measured).
    detection: dict[str, float] = field(default_factory=dict)
    #: Per text column: (group, provider, text realism accuracy, excepted from the scores).
    texts: dict[str, tuple[str, str, float, bool]] = field(default_factory=dict)
    error: str = ""


# -- databases ---------------------------------------------------------------------------------

class Servers:
    """Creates and drops the bench's databases on the two servers."""

    def __init__(self, pg: str, mysql: str, folder: Path) -> None:
        self.base = {"postgresql": pg, "mysql": mysql}
        self.folder = folder
        self.made: list[tuple[str, str]] = []

    def url(self, dialect: str, name: str) -> str:
        if dialect == "sqlite":
            return f"sqlite:///{self.folder / (name + '.db')}"
        return f"{self.base[dialect]}/{name}"

    def fresh(self, dialect: str, name: str) -> str:
        """URL of a new, empty database called `name` (dropped first if it exists)."""
        self.made.append((dialect, name))
        if dialect == "sqlite":
            (self.folder / f"{name}.db").unlink(missing_ok=True)
        else:
            self._admin(dialect, _drop_sql(dialect, name))
            charset = " CHARACTER SET utf8mb4" if dialect == "mysql" else ""
            self._admin(dialect, f"CREATE DATABASE {_quote(dialect, name)}{charset}")
        return self.url(dialect, name)

    def drop_all(self) -> None:
        for dialect, name in reversed(self.made):
            try:
                if dialect == "sqlite":
                    (self.folder / f"{name}.db").unlink(missing_ok=True)
                else:
                    self._admin(dialect, _drop_sql(dialect, name))
            except Exception as exc:  # noqa: BLE001 - report and go on cleaning
                print(f"could not drop {dialect} database {name}: {exc}", file=sys.stderr)
        self.made.clear()

    def _admin(self, dialect: str, sql: str) -> None:
        admin = "postgres" if dialect == "postgresql" else ""
        engine = sa.create_engine(f"{self.base[dialect]}/{admin}", poolclass=sa.pool.NullPool,
                                  isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)
        engine.dispose()


def _quote(dialect: str, name: str) -> str:
    return f'"{name}"' if dialect == "postgresql" else f"`{name}`"


def _drop_sql(dialect: str, name: str) -> str:
    force = " WITH (FORCE)" if dialect == "postgresql" else ""
    return f"DROP DATABASE IF EXISTS {_quote(dialect, name)}{force}"


def load_source(servers: Servers, case: Case) -> str:
    """A fresh copy of the case's source database; returns its URL."""
    name = f"{PREFIX}{case.database}_src"
    url = servers.fresh(case.dialect, name)
    if case.database == "kommun":
        subprocess.run([sys.executable, str(ROOT / "sample_schemas" / "build.py"), "kommun",
                        url], check=True, capture_output=True, text=True)
        return url
    target = str(servers.folder / f"{name}.db") if case.dialect == "sqlite" else name
    subprocess.run(["bash", str(SHARED / "load.sh"), case.database, case.dialect, target],
                   check=True, capture_output=True, text=True)
    return url


# -- one case ----------------------------------------------------------------------------------

def run_case(servers: Servers, case: Case, sample_rows: int, seed: int = 0) -> Row:
    from dbclone import api
    from dbclone.connect import engine_for
    from dbclone.report import build_report

    row = Row(case)
    step = "load"
    try:
        source = load_source(servers, case)
        target = servers.fresh(case.dialect, f"{PREFIX}{case.database}_clone")
        step = "clone"
        started = time.perf_counter()
        api.clone(source, target, seed=seed)
        row.clone_seconds = time.perf_counter() - started
        step = "report"
        started = time.perf_counter()
        report = build_report(engine_for(source), engine_for(target), sample_rows=sample_rows)
        row.report_seconds = time.perf_counter() - started
    except Exception as exc:  # noqa: BLE001 - a failing case is a row, not a crash
        row.error = f"{step}: {_one_line(exc)}"
        traceback.print_exc(file=sys.stderr)
        return row
    finally:
        servers.drop_all()
    row.scores = dict(report.scores)
    row.worst_table = _worst_table(report)
    row.detection = {t.name: t.detection.accuracy for t in report.tables
                     if t.detection is not None}
    row.texts = {f"{t.table}.{t.column}": (t.group, t.provider, t.accuracy,
                                            getattr(t, "excepted", False))
                 for t in getattr(report, "text_realism", ())}
    # Reports before the "personal data replaced" section have no `personal`: shown as n/a.
    personal = getattr(report, "personal", None)
    row.personal_columns = None if personal is None else len(personal)
    return row


def _worst_table(report: Any) -> str:
    found = [t for t in report.tables
             if t.detection is not None and math.isfinite(t.detection.accuracy)]
    return max(found, key=lambda t: t.detection.accuracy).name if found else ""


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        detail = (exc.stderr or "").strip().splitlines()
        return f"{exc.cmd[1] if len(exc.cmd) > 1 else exc.cmd}: {detail[-1] if detail else exc}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:200]


# -- the table ---------------------------------------------------------------------------------

def fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


#: (title, how to read the cell from a row) for every column of the table.
COLUMNS: tuple[tuple[str, Callable[[Row], str]], ...] = (
    ("database", lambda r: r.case.database),
    ("dialect", lambda r: r.case.dialect),
    ("clone s", lambda r: fmt(r.clone_seconds, 1)),
    ("integrity", lambda r: fmt(r.scores.get("integrity"))),
    ("shapes", lambda r: fmt(r.scores.get("shapes"))),
    ("pair trends", lambda r: fmt(r.scores.get("pair_trends"))),
    ("cardinality", lambda r: fmt(r.scores.get("cardinality"))),
    ("detection mean", lambda r: fmt(r.scores.get("detection"))),
    ("detection worst (table)",
     lambda r: f"{fmt(r.scores.get('detection_worst'))} ({r.worst_table or '-'})"),
    ("text realism mean / worst", lambda r: f"{fmt(r.scores.get('text_realism'))} / "
                                            f"{fmt(r.scores.get('text_realism_worst'))}"),
    ("text realism personal", lambda r: fmt(r.scores.get("text_realism_personal"))),
    ("privacy copies", lambda r: fmt(r.scores.get("privacy_copies"))),
    ("overlap", lambda r: fmt(r.scores.get("privacy_overlap"))),
    ("DCR", lambda r: fmt(r.scores.get("privacy_dcr"))),
    ("personal cols", lambda r: fmt(r.personal_columns)),
)


def render_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(title for title, _ in COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    for row in rows:
        if row.error:
            cells = [row.case.database, row.case.dialect, fmt(row.clone_seconds, 1),
                     f"**failed** ({row.error.replace('|', '/')})"]
            cells += [""] * (len(COLUMNS) - len(cells))
        else:
            cells = [get(row) for _, get in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_json(rows: list[Row]) -> list[dict[str, Any]]:
    def clean(v: Any) -> Any:
        return None if isinstance(v, float) and not math.isfinite(v) else v

    return [{"database": r.case.database, "dialect": r.case.dialect,
             "clone_seconds": r.clone_seconds, "report_seconds": r.report_seconds,
             "scores": {k: clean(v) for k, v in r.scores.items()},
             "detection_worst_table": r.worst_table, "personal_columns": r.personal_columns,
             "detection_per_table": {k: clean(v) for k, v in r.detection.items()},
             "text_realism_per_column": {k: {"group": g, "provider": p, "accuracy": clean(a),
                                             "excepted": e}
                                         for k, (g, p, a, e) in r.texts.items()},
             "error": r.error} for r in rows]


def provenance() -> str:
    """Which dbclone was measured: its git commit (and whether src/ had uncommitted changes),
    or its folder when it is not in a git checkout (a snapshot made with `git archive`)."""
    import dbclone

    src = Path(dbclone.__file__).resolve().parents[1]
    git = ["git", "-C", str(src)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, check=False)
    if head.returncode:
        return f"dbclone from {src}"
    dirty = subprocess.run([*git, "status", "--porcelain", "--", "."], capture_output=True,
                           text=True, check=False).stdout.strip()
    return f"dbclone {head.stdout.strip()}{' + uncommitted changes' if dirty else ''}"


# -- command line ------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--cases", nargs="*", help="database names (default: all)")
    p.add_argument("--dialects", nargs="*", help="dialects (default: all)")
    p.add_argument("--sample-rows", type=int, default=20000, help="rows compared per table")
    p.add_argument("--out", type=Path, help="also write every number as JSON here")
    p.add_argument("--seed", type=int, default=0,
                   help="the clone's seed (the report's sample and folds keep seed 0)")
    p.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    p.add_argument("--mysql", default="mysql+pymysql://root@127.0.0.1:3306")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    cases = [c for c in CASES if (not args.cases or c.database in args.cases)
             and (not args.dialects or c.dialect in args.dialects)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="dbclone_bench_") as folder:
        servers = Servers(args.pg.replace("postgresql://", "postgresql+psycopg://", 1),
                          args.mysql, Path(folder))
        for case in cases:
            print(f"{case.database} on {case.dialect} ...", file=sys.stderr, flush=True)
            rows.append(run_case(servers, case, args.sample_rows, args.seed))
            print(f"  {rows[-1].error or 'done'}", file=sys.stderr, flush=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"{provenance()}: clones with seed {args.seed}, {args.sample_rows} rows compared "
          f"per table, "
          f"{stamp}")
    print()
    print(render_table(rows))
    if args.out:
        args.out.write_text(json.dumps({"date": stamp, "dbclone": provenance(), "seed": args.seed,
                                        "rows": to_json(rows)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
