"""dbclone against SDV 2's HMASynthesizer, side by side, on the same data in one run.

For each case (a SQLite source database, see _hma_cases.py) this runs each tool in its own
process (bench/_hma_workers.py) — wall time of fit, sample and load, peak RSS — then scores
both outputs with `dbclone.report.build_report` (the same code for both) and prints a table
with dbclone's values next to HMA's and their ratios. Run on demand, not a test:

    python bench/hma_vs_dbclone.py --quick                   # small cases, ~10 minutes
    python bench/hma_vs_dbclone.py --out results.json        # every case HMA accepts
    python bench/hma_vs_dbclone.py --bypass --hma-timeout 1800 --cases chinook_full

HMA refuses schemas with more than 5 tables or a chain of more than 2 tables, composite keys
and self-references; each refusal is recorded. `--bypass` skips the table/depth check for the
cases that need it (self-references and composite keys are always left out of HMA's metadata,
and said so). `--hma-timeout` stops an HMA run that takes longer (recorded as a timeout).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _hma_cases import CASES, Case, build_source, by_name, empty_copy  # noqa: E402

TOOLS = ("hma", "dbclone")
#: Report scores shown in the table: (key, column title, higher is better).
SCORES = (("shapes", "shapes", True), ("pair_trends", "pairs", True),
          ("cardinality", "card.", True), ("detection", "detect.", False),
          ("integrity_total", "integ.", False), ("privacy_copies", "copies", False),
          ("privacy_overlap", "overlap", False),
          ("privacy_dcr", "DCR", False))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.table_from:
        saved = json.loads(Path(args.table_from).read_text())
        print(render_table(saved["cases"]))
        print()
        print(render_notes(saved["cases"]))
        return 0
    if importlib.util.find_spec("sdv") is None:
        print("hma_vs_dbclone: needs the sdv extra: pip install torch --index-url "
              "https://download.pytorch.org/whl/cpu && pip install -e '.[sdv]'", file=sys.stderr)
        return 2
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    args.dbclone_path, dbclone_version = dbclone_snapshot(args.dbclone_rev, work)
    if args.dbclone_path:  # the report scores with the same snapshot's code
        sys.path.insert(0, args.dbclone_path)
    if args.rescore:
        return rescore(args, work, dbclone_version)
    cases = _select(args)
    run: dict[str, Any] = {"started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                           "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
                           "machine": _machine(), "dbclone": dbclone_version,
                           "scored_with": dbclone_version,
                           "options": vars(args), "cases": []}
    for case in cases:
        print(f"== {case.name}: {case.about}", flush=True)
        run["cases"].append(run_case(case, work, args))
        _write(args.out, run)
    run["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    _write(args.out, run)
    print()
    print(render_table(run["cases"]))
    print()
    print(render_notes(run["cases"]))
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="small cases only (about 10 minutes on 2 busy cores)")
    p.add_argument("--cases", help="comma-separated case names: " + ", ".join(
        c.name for c in CASES))
    p.add_argument("--out", default="hma_vs_dbclone.json", help="results as JSON")
    p.add_argument("--work", default="/tmp/dbclone-bench-hma",
                   help="folder for the source and output SQLite files")
    p.add_argument("--bypass", action="store_true",
                   help="skip HMA's 5-table / depth-2 refusal where it refuses")
    p.add_argument("--hma-timeout", type=float, default=1800,
                   help="seconds an HMA run may take before it is stopped (default 1800)")
    p.add_argument("--dbclone-timeout", type=float, default=1800)
    p.add_argument("--sample-rows", type=int, default=20000,
                   help="rows per table the report samples (both tools alike)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dbclone-rev", default="HEAD",
                   help="git revision of dbclone to benchmark, extracted into --work so "
                   "edits in the working tree do not leak into a run; 'worktree' runs the "
                   "installed (editable) package instead (default HEAD)")
    p.add_argument("--rescore", action="store_true",
                   help="score the outputs of the run in --out (kept in --work) again and "
                   "rewrite --out; no tool is run")
    p.add_argument("--table-from", metavar="JSON",
                   help="print the table of an earlier run's --out file and exit")
    return p


def _select(args: argparse.Namespace) -> list[Case]:
    if args.cases:
        return by_name([n.strip() for n in args.cases.split(",") if n.strip()])
    if args.quick:
        return [c for c in CASES if c.quick]
    return [c for c in CASES if c.name != "chinook_full" or args.bypass]


def _machine() -> dict[str, Any]:
    import sdv

    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "sdv": sdv.__version__}


def dbclone_snapshot(rev: str, work: Path) -> tuple[str | None, str]:
    """(PYTHONPATH entry for the dbclone worker, description of the dbclone benchmarked)."""
    repo = HERE.parent
    if rev == "worktree":
        return None, "installed package (working tree)"
    sha = subprocess.run(["git", "-C", str(repo), "rev-parse", rev], check=True,
                         capture_output=True, text=True).stdout.strip()
    folder = work / f"dbclone-{sha[:12]}"
    if not folder.exists():
        tmp = work / f"dbclone-{sha[:12]}.tmp"
        tmp.mkdir()
        archive = subprocess.run(["git", "-C", str(repo), "archive", sha, "src"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        tmp.rename(folder)
    return str(folder / "src"), f"git {sha}"


def _write(path: str, run: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(run, indent=2, default=str))


# ---------------------------------------------------------------------------- one case


def run_case(case: Case, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    source = build_source(case, work)
    result: dict[str, Any] = {"case": case.name, "about": case.about,
                              "source_rows": _row_counts(source),
                              "load_average": os.getloadavg()}  # the cores are shared
    for tool in TOOLS:
        target = work / f"{case.name}.{tool}.db"
        target.unlink(missing_ok=True)
        if tool == "hma":
            empty_copy(source, target)
        bypass = args.bypass and case.bypass_only
        outcome = run_tool(tool, source, target, work, args, bypass)
        if outcome.get("status") == "ok":
            outcome["report"] = score(source, target, args)
        result[tool] = outcome
        print(f"   {tool}: {_summary(outcome)}", flush=True)
    return result


def rescore(args: argparse.Namespace, work: Path, version: str) -> int:
    """Score an earlier run's outputs (kept in --work) again, e.g. with a newer report."""
    run = json.loads(Path(args.out).read_text())
    for case in run["cases"]:
        source = work / f"{case['case']}.src.db"
        for tool in TOOLS:
            if case.get(tool, {}).get("status") == "ok":
                case[tool]["report"] = score(source, work / f"{case['case']}.{tool}.db", args)
    run["scored_with"] = version
    _write(args.out, run)
    print(render_table(run["cases"]))
    print()
    print(render_notes(run["cases"]))
    return 0


def _row_counts(path: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        counts = {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    conn.close()
    return counts


def run_tool(tool: str, source: Path, target: Path, work: Path, args: argparse.Namespace,
             bypass: bool) -> dict[str, Any]:
    """Run one tool in a fresh Python process; its JSON result, or why there is none."""
    out = work / f"{target.stem}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(HERE / "_hma_workers.py"), tool, str(source), str(target),
           str(out), "--seed", str(args.seed)] + (["--bypass"] if bypass else [])
    timeout = args.hma_timeout if tool == "hma" else args.dbclone_timeout
    env = dict(os.environ)
    if tool == "dbclone" and args.dbclone_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [args.dbclone_path,
                                                          env.get("PYTHONPATH")]))
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, timeout=timeout, capture_output=True, text=True, env=env)
    except subprocess.TimeoutExpired:
        partial = json.loads(out.read_text()) if out.exists() else {}  # notes written so far
        return {**partial, "status": "timeout", "error": f"stopped after {timeout:.0f} s",
                "wall_seconds": time.perf_counter() - started}
    if not out.exists():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"status": "crashed", "error": " | ".join(tail), "returncode": proc.returncode}
    return json.loads(out.read_text())


def score(source: Path, target: Path, args: argparse.Namespace) -> dict[str, Any]:
    """`dbclone report`'s scores for one output: the same call for both tools."""
    import sqlalchemy as sa

    from dbclone.report import build_report

    src = sa.create_engine(f"sqlite:///{source}")
    tgt = sa.create_engine(f"sqlite:///{target}")
    try:
        report = build_report(src, tgt, sample_rows=args.sample_rows, seed=args.seed)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        src.dispose()
        tgt.dispose()
    data = report.to_dict()
    broken = [c for c in data["integrity"] if c["violations"]]
    return {"scores": data["scores"], "integrity_broken": broken,
            "tables": [_table_summary(t, table) for t, table in
                       zip(data["tables"], report.tables, strict=True)],
            "fk_pairs": [_pair(p) for p in data["fk_pairs"]],
            "foreign_keys": [{"fk": fk.label, "cardinality": fk.cardinality}
                             for fk in report.foreign_keys],
            "notes": data["notes"], "elapsed_seconds": data["elapsed_seconds"]}


def _table_summary(data: dict[str, Any], table: Any) -> dict[str, Any]:
    """Per table: mean scores, detection, and every column's and pair's score (worst first)."""
    columns = sorted(({"column": c["column"], "metric": c["metric"], "score": c["score"]}
                      for c in data["columns"]), key=lambda c: _sort_key(c["score"]))
    return {"table": data["name"], "rows": data["rows_target"], "shapes": table.shape_score,
            "pairs": table.pair_score, "detection": data["detection"],
            "privacy": data["privacy"], "columns": columns,
            "pair_scores": sorted((_pair(p) for p in data["pairs"]),
                                  key=lambda p: _sort_key(p["score"]))}


def _pair(p: dict[str, Any]) -> dict[str, Any]:
    return {"scope": p["scope"], "pair": f"{p['left']} ~ {p['right']}", "metric": p["metric"],
            "score": p["score"], "real": p["real"], "synth": p["synth"]}


def _sort_key(score: float | None) -> float:
    return 2.0 if score is None or math.isnan(score) else score


def _summary(outcome: dict[str, Any]) -> str:
    if outcome.get("status") != "ok":
        return f"{outcome.get('status')}: {outcome.get('error', '')}"
    s = outcome["seconds"]
    text = (f"fit {s['fit']:.1f} s, sample {s['sample']:.1f} s, load {s['load']:.1f} s, "
            f"peak {outcome['peak_rss_mib']:.0f} MiB")
    rejected = sum(outcome.get("rejected", {}).values())
    if rejected:
        text += f", {rejected} rows refused by the database"
    return text


# ------------------------------------------------------------------------------- table


def values(outcome: dict[str, Any] | None) -> dict[str, float | None]:
    """The numbers one table row shows for one tool's outcome (None where there are none)."""
    row: dict[str, float | None] = {k: None for k in
                                    ("fit", "sample", "load", "total", "peak", *_keys())}
    if not outcome or outcome.get("status") != "ok":
        return row
    s = outcome["seconds"]
    row.update(fit=s["fit"], sample=s["sample"], load=s["load"],
               total=s["fit"] + s["sample"] + s["load"], peak=outcome["peak_rss_mib"])
    scores = outcome.get("report", {}).get("scores")
    if scores:
        for key in _keys():
            row[key] = scores.get(key)
        refused = sum(outcome.get("rejected", {}).values())
        row["integrity_total"] = (scores.get("integrity") or 0) + refused
    return row


def _keys() -> list[str]:
    return [k for k, _, _ in SCORES]


def render_table(cases: list[dict[str, Any]]) -> str:
    head = ["case", "tool", "fit s", "sample s", "load s", "peak MiB",
            *[title for _, title, _ in SCORES]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case in cases:
        hma, dbc = values(case.get("hma")), values(case.get("dbclone"))
        status = case.get("hma", {}).get("status", "?")
        hma_label = "HMA" if status == "ok" else f"HMA ({status})"
        for label, row in ((hma_label, hma), ("dbclone", dbc)):
            cells = [case["case"], label, *(_fmt(row[k]) for k in
                                             ("fit", "sample", "load", "peak")),
                     *(_fmt(row[k], score=True) for k in _keys())]
            lines.append("| " + " | ".join(cells) + " |")
        ratio = ["", "dbclone/HMA", _ratio(dbc["fit"], hma["fit"]),
                 _ratio(dbc["sample"], hma["sample"]) + _total_ratio(dbc, hma), "",
                 _ratio(dbc["peak"], hma["peak"]),
                 *(_ratio(dbc[k], hma[k]) for k in _keys())]
        lines.append("| " + " | ".join(ratio) + " |")
    return "\n".join(lines)


def _total_ratio(dbc: dict[str, float | None], hma: dict[str, float | None]) -> str:
    text = _ratio(dbc["total"], hma["total"])
    return f" (all {text})" if text else ""


def _fmt(value: float | None, score: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if score and isinstance(value, int):
        return str(value)
    if score:
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.0f}"
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def _ratio(mine: float | None, theirs: float | None) -> str:
    if mine is None or theirs is None or any(map(math.isnan, (float(mine), float(theirs)))):
        return ""
    if theirs == 0:
        return "=" if mine == 0 else "∞"
    r = mine / theirs
    return f"×{r:.2f}" if r < 10 else f"×{r:.0f}"


def render_notes(cases: list[dict[str, Any]]) -> str:
    """Where HMA refused, what was adapted for it, and each tool's integrity breaks."""
    lines = []
    for case in cases:
        hma = case.get("hma", {})
        for refusal in hma.get("refusals", []):
            lines.append(f"- {case['case']}: HMA refused: {refusal}")
        for note in hma.get("adaptations", []):
            lines.append(f"- {case['case']}: HMA adapted: {note}")
        if hma.get("status") not in (None, "ok"):
            lines.append(f"- {case['case']}: HMA {hma['status']}: {hma.get('error', '')}")
        for tool in TOOLS:
            outcome = case.get(tool, {})
            refused = {t: n for t, n in outcome.get("rejected", {}).items() if n}
            if refused:
                lines.append(f"- {case['case']}: {tool}: rows refused by the database on "
                             f"insert: {refused}")
            for broken in outcome.get("report", {}).get("integrity_broken", []):
                lines.append(f"- {case['case']}: {tool}: {broken['kind']} {broken['table']} "
                             f"{broken['constraint']}: {broken['violations']}")
            if outcome.get("status") not in (None, "ok", "refused") and tool == "dbclone":
                lines.append(f"- {case['case']}: dbclone {outcome['status']}: "
                             f"{outcome.get('error', '')}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
