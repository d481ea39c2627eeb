"""One tool, one case, one process: `python bench/_hma_workers.py {hma|dbclone} SRC TGT OUT`.

hma_vs_dbclone.py runs each tool in a fresh process so its peak memory (VmHWM of that
process, imports included) is its own. The result is written as JSON to OUT: phase wall times,
peak RSS in MiB, RSS right after the imports (the libraries' own share), and notes.

hma: reads every table of the SQLite source into DataFrames, describes them to SDV with
keys and relationships taken from the database schema (never guessed from column names),
records every refusal, adapts what SDV Community cannot express (self-references and composite
primary keys are dropped from the metadata; with --bypass the 5-table / depth-2 check is
skipped), fits HMASynthesizer, samples at scale 1, and inserts the output into TGT, a copy of
the source schema with no rows. Rows the database refuses (duplicate keys, NULL in NOT NULL,
CHECK) are counted, not hidden.

dbclone: fit, sample (materialised, so the sample time is the sampler's alone) and load.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sqlite3
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import sqlalchemy as sa


def _rss_mib() -> float:
    """Peak RSS of this process in MiB.

    VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork and exec, so a worker started
    by a driver that already holds 470 MiB would report at least 470 MiB whatever it used.
    VmHWM belongs to the process's own address space, which exec replaces."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# --------------------------------------------------------------------------------- schema


def read_schema(path: Path) -> dict[str, dict[str, Any]]:
    """Per table: columns, primary key and foreign keys, read with SQLAlchemy's inspector."""
    engine = sa.create_engine(f"sqlite:///{path}")
    insp = sa.inspect(engine)
    out = {}
    for name in insp.get_table_names():
        out[name] = {
            "columns": [c["name"] for c in insp.get_columns(name)],
            "pk": insp.get_pk_constraint(name)["constrained_columns"],
            "fks": [(fk["constrained_columns"], fk["referred_table"], fk["referred_columns"])
                    for fk in insp.get_foreign_keys(name)],
        }
    engine.dispose()
    return out


def read_tables(path: Path, schema: dict[str, dict[str, Any]]) -> dict[str, Any]:
    import pandas as pd

    with sqlite3.connect(path) as conn:
        data = {t: pd.read_sql_query(f'SELECT * FROM "{t}"', conn) for t in schema}
    conn.close()
    return data


# ----------------------------------------------------------------------------------- hma


def build_metadata(schema: dict[str, dict[str, Any]], data: dict[str, Any], faithful: bool,
                   notes: list[str]) -> Any:
    """SDV metadata from the database schema. `faithful` keeps everything the schema says and
    records what SDV rejects; otherwise self-references and composite keys are left out."""
    from sdv.metadata import Metadata

    md = Metadata.detect_from_dataframes(data, infer_keys=None)
    for table, info in schema.items():
        key_cols = set(info["pk"]) | {c for cols, _, _ in info["fks"] for c in cols}
        for col in key_cols:
            md.update_column(col, table, sdtype="id")
        pk = info["pk"]
        if len(pk) == 1:
            md.set_primary_key(pk[0], table)
        elif len(pk) > 1 and faithful:
            md.set_primary_key(list(pk), table)
        elif len(pk) > 1:
            notes.append(f"{table}: composite primary key ({', '.join(pk)}) left out of the "
                         "metadata (SDV Community refuses composite keys)")
    for table, info in schema.items():
        for cols, parent, ref_cols in info["fks"]:
            _add_relationship(md, table, cols, parent, ref_cols, schema, faithful, notes)
    return md


def _add_relationship(md: Any, child: str, cols: list[str], parent: str, ref_cols: list[str],
                      schema: dict[str, dict[str, Any]], faithful: bool,
                      notes: list[str]) -> None:
    label = f"{child}({', '.join(cols)}) -> {parent}"
    if not faithful and (parent == child or len(cols) > 1
                         or len(schema[parent]["pk"]) != 1):
        why = "self-reference" if parent == child else "composite key"
        notes.append(f"{label}: left out of the metadata ({why}); HMA models the column as a "
                     "plain value")
        return
    try:
        md.add_relationship(parent, child, ref_cols[0] if len(ref_cols) == 1 else ref_cols,
                            cols[0] if len(cols) == 1 else cols)
    except Exception as exc:  # SDV's own refusal: record it, the run goes on without it
        notes.append(f"{label}: SDV refused the relationship: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def run_hma(source: Path, target: Path, bypass: bool, result: dict[str, Any],
            checkpoint: Any) -> None:
    t0 = time.perf_counter()
    from sdv.multi_table import HMASynthesizer

    warnings.filterwarnings("ignore")
    result.update(rss_after_import_mib=_rss_mib(), refusals=[], adaptations=[], seconds={})
    schema = read_schema(source)
    data = read_tables(source, schema)
    result["seconds"]["read"] = time.perf_counter() - t0
    # First the schema as it is: every refusal SDV gives is a result.
    try:
        HMASynthesizer(build_metadata(schema, data, True, result["refusals"]), verbose=False)
    except Exception as exc:
        result["refusals"].append(_first_line(exc))
    md = build_metadata(schema, data, False, result["adaptations"])
    try:
        synth = HMASynthesizer(md, verbose=False)
    except Exception as exc:
        if not bypass or "more than 5 tables" not in str(exc):
            result["status"] = "refused"
            result["error"] = _first_line(exc)
            return
        result["adaptations"].append("5-table / depth-2 check bypassed "
                                     "(HMASynthesizer._validate_schema_complexity)")
        HMASynthesizer._validate_schema_complexity = lambda self: None  # type: ignore
        synth = HMASynthesizer(md, verbose=False)
    checkpoint()  # refusals and adaptations survive a timeout during fit or sample
    t1 = time.perf_counter()
    synth.fit(data)
    t2 = time.perf_counter()
    out = synth.sample_scale(scale=1.0)
    t3 = time.perf_counter()
    result["rows"], result["rejected"] = insert_frames(target, schema, out)
    t4 = time.perf_counter()
    result["seconds"].update(fit=t2 - t1, sample=t3 - t2, load=t4 - t3)
    result["status"] = "ok"


def insert_frames(target: Path, schema: dict[str, dict[str, Any]],
                  frames: dict[str, Any]) -> tuple[dict[str, int], dict[str, int]]:
    """Insert each DataFrame; rows the database refuses are skipped and counted per table."""
    rows, rejected = {}, {}
    with sqlite3.connect(target) as conn:
        for table, info in schema.items():
            frame = frames[table]
            cols = [c for c in info["columns"] if c in frame.columns]
            values = [tuple(_plain(v) for v in row)
                      for row in frame[cols].itertuples(index=False, name=None)]
            before = conn.total_changes
            names = ", ".join(f'"{c}"' for c in cols)
            marks = ", ".join("?" for _ in cols)
            conn.executemany(f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({marks})',
                             values)
            rows[table] = conn.total_changes - before
            rejected[table] = len(values) - rows[table]
    conn.close()
    return rows, rejected


def _plain(value: Any) -> Any:
    """A DataFrame cell as a value sqlite3 accepts (NaN/NaT -> NULL, numpy -> Python)."""
    if value is None:
        return None
    if hasattr(value, "isoformat") and hasattr(value, "tzinfo"):
        text = str(value)
        return None if text == "NaT" else text
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# ------------------------------------------------------------------------------- dbclone


def run_dbclone(source: Path, target: Path, seed: int, result: dict[str, Any]) -> None:
    import dbclone
    from dbclone import api
    from dbclone.connect import engine_for
    from dbclone.load import load
    from dbclone.plan import make_plan
    from dbclone.synth.sample import Sampler

    result.update(rss_after_import_mib=_rss_mib(), seconds={}, module=dbclone.__file__)
    t0 = time.perf_counter()
    model = api.fit_source(f"sqlite:///{source}", seed=seed)
    t1 = time.perf_counter()
    items = list(Sampler(model, make_plan(model.schema), scale=1.0, seed=seed).run())
    t2 = time.perf_counter()
    loaded = load(engine_for(f"sqlite:///{target}", must_exist=False), model.schema, items)
    t3 = time.perf_counter()
    result["seconds"].update(fit=t1 - t0, sample=t2 - t1, load=t3 - t2)
    result["rows"] = loaded.rows
    result["rejected"] = {}
    result["status"] = "ok"


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("tool", choices=["hma", "dbclone"])
    p.add_argument("source", type=Path)
    p.add_argument("target", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--bypass", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    started = time.perf_counter()
    result: dict[str, Any] = {"status": "error"}

    def checkpoint() -> None:
        args.out.write_text(json.dumps({**result, "status": "running"}, indent=2))

    try:
        if args.tool == "hma":
            run_hma(args.source, args.target, args.bypass, result, checkpoint)
        else:
            run_dbclone(args.source, args.target, args.seed, result)
    except Exception as exc:  # recorded with whatever was measured before it
        result.update(status="error", error=_first_line(exc))
    result["peak_rss_mib"] = _rss_mib()
    result["wall_seconds"] = time.perf_counter() - started
    args.out.write_text(json.dumps(result, indent=2))
    return 0 if result["status"] in ("ok", "refused") else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
