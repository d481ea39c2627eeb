"""Scale benchmark (run on demand, not a test): does the fit keep up with the database's own
tools as the source grows, and does its memory stay flat?

Sources, loaded into PostgreSQL with COPY, primary and foreign keys added after the rows:

- TPC-H at the scale factors asked for (``--sf 0.01 --sf 0.1 --sf 1``), generated locally by
  ``tpchgen-cli`` (the ``bench`` extra: ``pip install -e .[bench]``);
- ``--case 270k``: a parent of 20,000 rows and two children of 107,000 and 143,000 rows, a
  dozen numeric columns each, from a seeded generator of this script (children counts and
  child values depend on the parent's, so there is structure to learn).

Per source, each stage in a process of its own so that its peak RSS is its own:

  fit         ``dbclone.api.fit_source`` then the model saved (seconds, CPU seconds of the
              fit's process, peak RSS; ``--profile`` profiles on the CPU clock),
  sample+load the saved model sampled into a new database (seconds, rows/s, peak RSS),
  dump        ``pg_dump -Fc`` of the source to a file (the fit's yardstick),
  dump|restore ``pg_dump -Fc src | pg_restore -d new`` (the whole clone's yardstick),

and the ratios fit/dump and (fit + sample+load)/(dump|restore). Usage (project root, venv):

    python bench/scale_bench.py --sf 0.01 --sf 0.1 --case 270k
    python bench/scale_bench.py --sf 1 --keep          # keep the source for the next run
    python bench/scale_bench.py --case 270k --profile /tmp/fit.prof   # cProfile of the fit
    python bench/scale_bench.py --sf 0.1 --fit-only    # no sample+load, no restore

Generated files go to ``$TMPDIR/dbclone_tpch/sf<SF>`` (reused). Databases are named
``dbclone_bench<tag>_*`` (export DBCLONE_BENCH_TAG=_<you> for runs of your own, or
DBCLONE_BENCH_PREFIX=<prefix> for ``<prefix>_*``) and dropped
at the end unless ``--keep``; a kept source is reused as it is by the next run.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PG = "postgresql://postgres@127.0.0.1:5432"
PG_ENV = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": "5432", "PGUSER": "postgres"}
TMP = Path(os.environ.get("TMPDIR", "/tmp"))

TPCH_DDL = """
CREATE TABLE region (r_regionkey integer NOT NULL, r_name char(25) NOT NULL,
  r_comment varchar(152));
CREATE TABLE nation (n_nationkey integer NOT NULL, n_name char(25) NOT NULL,
  n_regionkey integer NOT NULL, n_comment varchar(152));
CREATE TABLE part (p_partkey integer NOT NULL, p_name varchar(55) NOT NULL,
  p_mfgr char(25) NOT NULL, p_brand char(10) NOT NULL, p_type varchar(25) NOT NULL,
  p_size integer NOT NULL, p_container char(10) NOT NULL, p_retailprice numeric(15,2) NOT NULL,
  p_comment varchar(23) NOT NULL);
CREATE TABLE supplier (s_suppkey integer NOT NULL, s_name char(25) NOT NULL,
  s_address varchar(40) NOT NULL, s_nationkey integer NOT NULL, s_phone char(15) NOT NULL,
  s_acctbal numeric(15,2) NOT NULL, s_comment varchar(101) NOT NULL);
CREATE TABLE partsupp (ps_partkey integer NOT NULL, ps_suppkey integer NOT NULL,
  ps_availqty integer NOT NULL, ps_supplycost numeric(15,2) NOT NULL,
  ps_comment varchar(199) NOT NULL);
CREATE TABLE customer (c_custkey integer NOT NULL, c_name varchar(25) NOT NULL,
  c_address varchar(40) NOT NULL, c_nationkey integer NOT NULL, c_phone char(15) NOT NULL,
  c_acctbal numeric(15,2) NOT NULL, c_mktsegment char(10) NOT NULL,
  c_comment varchar(117) NOT NULL);
CREATE TABLE orders (o_orderkey integer NOT NULL, o_custkey integer NOT NULL,
  o_orderstatus char(1) NOT NULL, o_totalprice numeric(15,2) NOT NULL, o_orderdate date NOT NULL,
  o_orderpriority char(15) NOT NULL, o_clerk char(15) NOT NULL, o_shippriority integer NOT NULL,
  o_comment varchar(79) NOT NULL);
CREATE TABLE lineitem (l_orderkey integer NOT NULL, l_partkey integer NOT NULL,
  l_suppkey integer NOT NULL, l_linenumber integer NOT NULL, l_quantity numeric(15,2) NOT NULL,
  l_extendedprice numeric(15,2) NOT NULL, l_discount numeric(15,2) NOT NULL,
  l_tax numeric(15,2) NOT NULL, l_returnflag char(1) NOT NULL, l_linestatus char(1) NOT NULL,
  l_shipdate date NOT NULL, l_commitdate date NOT NULL, l_receiptdate date NOT NULL,
  l_shipinstruct char(25) NOT NULL, l_shipmode char(10) NOT NULL,
  l_comment varchar(44) NOT NULL);
"""
TPCH_KEYS = """
ALTER TABLE region ADD PRIMARY KEY (r_regionkey);
ALTER TABLE nation ADD PRIMARY KEY (n_nationkey);
ALTER TABLE part ADD PRIMARY KEY (p_partkey);
ALTER TABLE supplier ADD PRIMARY KEY (s_suppkey);
ALTER TABLE partsupp ADD PRIMARY KEY (ps_partkey, ps_suppkey);
ALTER TABLE customer ADD PRIMARY KEY (c_custkey);
ALTER TABLE orders ADD PRIMARY KEY (o_orderkey);
ALTER TABLE lineitem ADD PRIMARY KEY (l_orderkey, l_linenumber);
ALTER TABLE nation ADD FOREIGN KEY (n_regionkey) REFERENCES region;
ALTER TABLE supplier ADD FOREIGN KEY (s_nationkey) REFERENCES nation;
ALTER TABLE customer ADD FOREIGN KEY (c_nationkey) REFERENCES nation;
ALTER TABLE partsupp ADD FOREIGN KEY (ps_partkey) REFERENCES part;
ALTER TABLE partsupp ADD FOREIGN KEY (ps_suppkey) REFERENCES supplier;
ALTER TABLE orders ADD FOREIGN KEY (o_custkey) REFERENCES customer;
ALTER TABLE lineitem ADD FOREIGN KEY (l_orderkey) REFERENCES orders;
ALTER TABLE lineitem ADD FOREIGN KEY (l_partkey, l_suppkey) REFERENCES partsupp;
ANALYZE;
"""
TPCH_TABLES = ("region", "nation", "part", "supplier", "partsupp", "customer", "orders",
               "lineitem")


def _psql(db: str, sql: str) -> None:
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db], input=sql, text=True,
                   check=True, env=PG_ENV, stdout=subprocess.DEVNULL)


def _sh(cmd: str | list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, shell=isinstance(cmd, str), env=PG_ENV,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _exists(db: str) -> bool:
    out = subprocess.run(["psql", "-X", "-tA", "-d", "postgres", "-c",
                          f"SELECT 1 FROM pg_database WHERE datname = '{db}'"],
                         capture_output=True, text=True, env=PG_ENV, check=True).stdout
    return out.strip() == "1"


def _create(db: str) -> None:
    _drop(db)
    _sh(["createdb", db])


def _drop(db: str) -> None:
    subprocess.run(["dropdb", "--if-exists", "--force", db], check=True, env=PG_ENV,
                   capture_output=True)


# -- sources ---------------------------------------------------------------------------------

def load_tpch(db: str, sf: float) -> None:
    """TPC-H at scale factor `sf`: CSV from tpchgen-cli (reused if present), COPY, then keys."""
    tool = shutil.which("tpchgen-cli") or str(Path(sys.executable).parent / "tpchgen-cli")
    out = TMP / "dbclone_tpch" / f"sf{sf:g}"
    if not (out / "lineitem.csv").exists():
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([tool, "csv", "-s", f"{sf:g}", "-o", str(out)], check=True)
    _create(db)
    copies = "".join(f"\\copy {t} FROM '{out / t}.csv' WITH (FORMAT csv, HEADER true)\n"
                     for t in TPCH_TABLES)
    _psql(db, TPCH_DDL + copies + TPCH_KEYS)


def families_270k(seed: int = 270) -> dict[str, np.ndarray]:
    """A parent of 20,000 rows and two children of 107,000 and 143,000 rows, 12 numeric
    columns each. Parent columns share one latent factor; each parent's number of children
    grows with it, and child values lean on their parent's."""
    rng = np.random.default_rng(seed)
    n = 20_000
    f = rng.normal(size=n)
    parent = {"id": np.arange(1, n + 1)}
    for j in range(11):
        noise = rng.normal(size=n)
        x = 0.6 * f + 0.8 * noise
        parent[f"p{j}"] = (np.round(np.exp(3 + x), 2) if j % 3 == 0 else
                           np.round(100 + 15 * x).astype(int) if j % 3 == 1 else
                           np.clip(np.round(3 + x), 0, 6).astype(int))
    out = {"parent": parent}
    for name, rows, lean in (("child_a", 107_000, 0.5), ("child_b", 143_000, 0.3)):
        weight = np.exp(0.5 * f)
        counts = rng.multinomial(rows, weight / weight.sum())
        pid = np.repeat(parent["id"], counts)
        fp = np.repeat(f, counts)
        child = {"id": np.arange(1, rows + 1), "parent_id": pid}
        for j in range(11):
            x = lean * fp + np.sqrt(1 - lean ** 2) * rng.normal(size=rows)
            child[f"c{j}"] = (np.round(np.exp(2 + x), 2) if j % 3 == 0 else
                              np.round(50 + 10 * x).astype(int) if j % 3 == 1 else
                              np.clip(np.round(2 + x), 0, 4).astype(int))
        out[name] = child
    return out


def load_270k(db: str) -> None:
    _create(db)
    tables = families_270k()
    sql = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, cols in tables.items():
            types = [("integer" if np.issubdtype(v.dtype, np.integer) else "numeric(12,2)")
                     for v in cols.values()]
            defs = ", ".join(f"{c} {t} NOT NULL" for c, t in zip(cols, types, strict=True))
            path = Path(tmp) / f"{name}.csv"
            np.savetxt(path, np.column_stack([v.astype(float) for v in cols.values()]),
                       delimiter=",", fmt=["%d" if t == "integer" else "%.2f" for t in types])
            sql.append(f"CREATE TABLE {name} ({defs});\n"
                       f"\\copy {name} FROM '{path}' WITH (FORMAT csv)\n"
                       f"ALTER TABLE {name} ADD PRIMARY KEY (id);\n")
        sql += [f"ALTER TABLE {c} ADD FOREIGN KEY (parent_id) REFERENCES parent;\n"
                for c in ("child_a", "child_b")]
        _psql(db, "".join(sql) + "ANALYZE;\n")


# -- stages, each in a process of its own ----------------------------------------------------

def _fit_child(source: str, model_path: str, profile: str) -> dict[str, float]:
    from dbclone.api import fit_source
    from dbclone.synth import model as model_io

    # CPU time as the profile's clock: on a shared machine the wall clock measures the load
    prof = cProfile.Profile(time.process_time) if profile else None
    t0, c0 = time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    model = fit_source(source, seed=1)
    if prof:
        prof.disable()
        prof.dump_stats(profile)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    model_io.save(model, model_path)
    # rows the fit learned from: a sampled table's sample, else the whole table
    learned = sum(getattr(t, "sample_rows", 0) or t.row_count for t in model.tables)
    return {"fit": seconds, "fit_cpu": cpu, "learned_rows": float(learned)}


def _sample_child(model_path: str, target: str, workers: str) -> dict[str, float]:
    from dbclone.api import sample_model
    from dbclone.synth import model as model_io

    model = model_io.load(model_path)
    kwargs = {"workers": int(workers)} if int(workers) else {}
    t0 = time.perf_counter()
    result = sample_model(model, target, seed=1, **kwargs)  # type: ignore[arg-type]
    return {"sample_load": time.perf_counter() - t0, "rows": float(sum(result.rows.values()))}


CHILDREN = {"--fit-child": _fit_child, "--sample-child": _sample_child}


def _run(mode: str, *args: str) -> dict[str, float]:
    proc = subprocess.Popen([sys.executable, __file__, mode, *args], stdout=subprocess.PIPE,
                            text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{mode} {' '.join(args)} failed (status {status})")
    stats = json.loads(out.strip().splitlines()[-1])
    stats["rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
    return stats


def _prefix() -> str:
    """Database names start with this: DBCLONE_BENCH_PREFIX (a helper's own prefix), else
    dbclone_bench plus DBCLONE_BENCH_TAG."""
    return os.environ.get("DBCLONE_BENCH_PREFIX") or \
        "dbclone_bench" + os.environ.get("DBCLONE_BENCH_TAG", "")


def measure(name: str, src: str, args: argparse.Namespace) -> dict[str, object]:
    # named after the source, so runs on other sources never drop this run's targets
    dst = f"{_prefix()}_{name.replace('.', '_')}_dst"
    native = f"{_prefix()}_{name.replace('.', '_')}_native"

    row: dict[str, object] = {"source": name, "load_before": os.getloadavg()[0]}
    rows = subprocess.run(["psql", "-X", "-tA", "-d", src, "-c",
                           "SELECT sum(n_live_tup) FROM pg_stat_user_tables"],
                          capture_output=True, text=True, env=PG_ENV, check=True).stdout
    row["source_rows"] = int(float(rows.strip() or 0))
    with tempfile.TemporaryDirectory() as tmp:
        model = str(Path(tmp) / "model.json")
        fit = _run("--fit-child", f"{PG}/{src}", model, args.profile or "")
        row.update(fit_s=fit["fit"], fit_cpu_s=fit["fit_cpu"], fit_rss_mb=fit["rss_mb"],
                   learned_rows=fit.get("learned_rows", 0.0))
        dump = Path(tmp) / "src.dump"
        row["dump_s"] = _sh(["pg_dump", "-Fc", "-f", str(dump), src])
        row["fit_over_dump"] = fit["fit"] / row["dump_s"]  # type: ignore[operator]
        if args.fit_only:
            return row
        for workers in args.workers or [0]:
            _create(dst)
            s = _run("--sample-child", model, f"{PG}/{dst}", str(workers))
            _drop(dst)
            row[f"sample_load_s@{workers}"] = s["sample_load"]
            row[f"rows_per_s@{workers}"] = s["rows"] / s["sample_load"]
            row[f"sample_rss_mb@{workers}"] = s["rss_mb"]
        _create(native)
        row["dump_restore_s"] = _sh(f"pg_dump -Fc {src} | pg_restore -d {native}")
        _drop(native)
        row["load_after"] = os.getloadavg()[0]
        first = row[f"sample_load_s@{(args.workers or [0])[0]}"]
        row["clone_over_dump_restore"] = (fit["fit"] + first) / row["dump_restore_s"]  # type: ignore
    return row


def _print(row: dict[str, object]) -> None:
    cells = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                      for k, v in row.items())
    print(cells, flush=True)


def _profile_summary(path: str, top: int = 25) -> None:
    buf = io.StringIO()
    pstats.Stats(path, stream=buf).sort_stats("cumulative").print_stats(top)
    print(buf.getvalue(), flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in CHILDREN:
        print(json.dumps(CHILDREN[sys.argv[1]](*sys.argv[2:])))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sf", type=float, action="append", default=[], help="TPC-H scale factor")
    ap.add_argument("--case", action="append", default=[], choices=["270k"])
    ap.add_argument("--workers", type=int, action="append",
                    help="sample+load worker counts (repeatable; needs `--workers` in dbclone)")
    ap.add_argument("--fit-only", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep (and reuse) the source databases")
    ap.add_argument("--profile", help="write a cProfile of the fit here and print its top")
    args = ap.parse_args()
    sources = [(f"tpch_sf{sf:g}", f"{_prefix()}_tpch_sf{str(sf).replace('.', '_')}",
                lambda db, sf=sf: load_tpch(db, sf)) for sf in args.sf]
    sources += [(case, f"{_prefix()}_{case}", load_270k) for case in args.case]
    for name, db, build in sources:
        if not (args.keep and _exists(db)):
            t0 = time.perf_counter()
            build(db)
            print(f"# {name}: source built in {time.perf_counter() - t0:.0f} s", flush=True)
        try:
            _print(measure(name, db, args))
            if args.profile:
                _profile_summary(args.profile)
        finally:
            if not args.keep:
                _drop(db)


if __name__ == "__main__":
    main()
