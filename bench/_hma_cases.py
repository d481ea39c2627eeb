"""Benchmark cases for hma_vs_dbclone.py: SQLite source databases, built once per work folder.

Every case is one SQLite file. Subsets of the shared sample databases keep the chosen tables,
their columns, keys, UNIQUE and CHECK constraints, and only the foreign keys between chosen
tables (a foreign key into a dropped table becomes a plain column). The generated pair is a
parent table and a child table whose children-per-parent count and columns depend on the
parent's columns, so cardinality and cross-table trends have something to measure.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa

SAMPLEDBS = Path(os.environ.get("DBCLONE_SAMPLEDBS")
                 or Path(__file__).resolve().parents[2] / "shared" / "sampledbs")


@dataclass(frozen=True)
class Case:
    name: str
    about: str
    sample_db: str | None = None  # shared sample database name, None for a generated pair
    tables: tuple[str, ...] = ()  # subset of the sample database; () = every table
    parents: int = 0  # generated pair size
    quick: bool = False  # part of --quick
    bypass_only: bool = False  # HMA refuses it: only run HMA when --bypass is given


CASES: tuple[Case, ...] = (
    # HMA's "depth" counts tables along a chain: parent -> child is depth 2, so no grandchildren.
    Case("chinook_customers", "Chinook Customer->Invoice (2 tables, depth 2)", "chinook",
         ("Customer", "Invoice"), quick=True),
    Case("chinook_lines", "Chinook Invoice->InvoiceLine<-Track (3 tables, depth 2, two "
         "parents)", "chinook", ("Invoice", "Track", "InvoiceLine"), quick=True),
    Case("chinook_tracks", "Chinook Album->Track, Genre->Track, MediaType->Track (4 tables, "
         "depth 2)", "chinook", ("Album", "Genre", "MediaType", "Track"), quick=True),
    Case("employees_core", "employees employee->salary, employee->title (3 tables, depth 2, "
         "composite PKs)", "employees", ("employee", "salary", "title"), quick=True),
    Case("employees_5", "employees without dept_manager (5 tables, depth 2, dept_emp has two "
         "parents, composite PKs)", "employees",
         ("employee", "department", "dept_emp", "salary", "title")),
    Case("pair_1k", "generated parent/child, 1k parents / ~10k children", parents=1_000,
         quick=True),
    Case("pair_10k", "generated parent/child, 10k parents / ~100k children", parents=10_000),
    # HMA refuses these; with --bypass its check is skipped and it runs anyway.
    Case("chinook_sales", "Chinook Customer->Invoice->InvoiceLine (3 tables, depth 3)",
         "chinook", ("Customer", "Invoice", "InvoiceLine"), quick=True, bypass_only=True),
    Case("chinook_music", "Chinook Artist->Album->Track<-Genre, Track<-MediaType (5 tables, "
         "depth 3)", "chinook", ("Artist", "Album", "Track", "Genre", "MediaType"),
         quick=True, bypass_only=True),
    Case("employees_full", "employees, all 6 tables (depth 2)", "employees", quick=True,
         bypass_only=True),
    Case("chinook_full", "Chinook, all 11 tables (depth 4, self-reference, composite PK)",
         "chinook", bypass_only=True),
)


def by_name(names: list[str]) -> list[Case]:
    known = {c.name: c for c in CASES}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[n] for n in names]


def build_source(case: Case, work: Path) -> Path:
    """The case's source SQLite file in `work` (built on first use, reused after)."""
    path = work / f"{case.name}.src.db"
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    if case.sample_db is None:
        generate_pair(tmp, case.parents, seed=7)
    else:
        full = _sample_db(case.sample_db, work)
        if case.tables:
            subset(full, tmp, case.tables)
        else:
            shutil.copyfile(full, tmp)
    tmp.rename(path)
    return path


def empty_copy(source: Path, target: Path) -> None:
    """`target` gets the source's exact schema and no rows (where HMA's output is inserted)."""
    target.unlink(missing_ok=True)
    shutil.copyfile(source, target)
    with sqlite3.connect(target) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        for name in names:
            conn.execute(f'DELETE FROM "{name}"')
    conn.close()
    with sqlite3.connect(target) as conn:
        conn.execute("VACUUM")
    conn.close()


def _sample_db(name: str, work: Path) -> Path:
    path = work / f"{name}.full.db"
    if not path.exists():
        subprocess.run(["bash", str(SAMPLEDBS / "load.sh"), name, "sqlite", str(path)],
                       check=True, stdout=subprocess.DEVNULL)
    return path


def subset(full: Path, out: Path, tables: tuple[str, ...]) -> None:
    """Copy `tables` of `full` into a new SQLite file, keeping only FKs among them."""
    src = sa.create_engine(f"sqlite:///{full}")
    insp = sa.inspect(src)
    md = sa.MetaData()
    for name in tables:
        _copy_table_definition(insp, name, set(tables), md)
    dst = sa.create_engine(f"sqlite:///{out}")
    md.create_all(dst)
    src.dispose()
    dst.dispose()
    with sqlite3.connect(out) as conn:
        conn.execute("ATTACH DATABASE ? AS src", (str(full),))
        for name in tables:
            cols = ", ".join(f'"{c.name}"' for c in md.tables[name].columns)
            conn.execute(f'INSERT INTO main."{name}" ({cols}) SELECT {cols} FROM src."{name}"')
    conn.close()


def _copy_table_definition(insp: sa.Inspector, name: str, keep: set[str],
                           md: sa.MetaData) -> sa.Table:
    pk = insp.get_pk_constraint(name)["constrained_columns"]
    columns = [sa.Column(c["name"], c["type"], nullable=c["nullable"]) for c in
               insp.get_columns(name)]
    constraints: list[sa.schema.SchemaItem] = []
    if pk:
        constraints.append(sa.PrimaryKeyConstraint(*pk))
    for fk in insp.get_foreign_keys(name):
        if fk["referred_table"] in keep:
            constraints.append(sa.ForeignKeyConstraint(
                fk["constrained_columns"],
                [f'{fk["referred_table"]}.{c}' for c in fk["referred_columns"]]))
    for uq in insp.get_unique_constraints(name):
        constraints.append(sa.UniqueConstraint(*uq["column_names"]))
    for ck in insp.get_check_constraints(name):
        constraints.append(sa.CheckConstraint(ck["sqltext"]))
    return sa.Table(name, md, *columns, *constraints)


def generate_pair(out: Path, parents: int, seed: int) -> None:
    """A customer table and an orders table with ~10 orders per customer.

    Orders per customer follow a negative binomial whose mean grows with the customer's income
    and depends on the segment (zeros included); an order's amount scales with the customer's
    income, its channel depends on the segment, its date falls after the customer's signup.
    """
    rng = np.random.default_rng(seed)
    segment = rng.choice(["retail", "smb", "enterprise"], parents, p=[0.6, 0.3, 0.1])
    region = rng.choice(["north", "south", "east", "west", "central"], parents,
                        p=[0.3, 0.25, 0.2, 0.15, 0.1])
    seg_factor = np.select([segment == "retail", segment == "smb"], [1.0, 1.6], 3.0)
    income = np.round(rng.lognormal(10.5, 0.5, parents) * seg_factor, 2)
    age = np.clip(rng.normal(45, 12, parents), 18, 90).astype(int)
    signup = np.datetime64("2015-01-01") + rng.integers(0, 3000, parents).astype("timedelta64[D]")
    z = (np.log(income) - np.log(income).mean()) / np.log(income).std()
    mean_orders = 10 * np.exp(0.5 * z - 0.125)
    counts = rng.negative_binomial(3, 3 / (3 + mean_orders))
    owner = np.repeat(np.arange(parents), counts)
    n = len(owner)
    amount = np.round(rng.lognormal(3.5, 0.6, n) * (income[owner] / 40_000) ** 0.7, 2)
    quantity = 1 + rng.poisson(1 + 2 * (segment[owner] == "enterprise"))
    web = np.where(segment[owner] == "retail", 0.7, 0.3)
    channel = np.where(rng.random(n) < web, "web",
                       rng.choice(["phone", "store", "partner"], n, p=[0.5, 0.3, 0.2]))
    lag = rng.exponential(400, n).astype(int).astype("timedelta64[D]")
    ordered = signup[owner] + lag
    with sqlite3.connect(out) as conn:
        conn.executescript("""
            CREATE TABLE customer (
                customer_id INTEGER NOT NULL PRIMARY KEY,
                segment TEXT NOT NULL CHECK (segment IN ('retail', 'smb', 'enterprise')),
                region TEXT NOT NULL,
                income NUMERIC(12, 2) NOT NULL,
                age INTEGER NOT NULL CHECK (age >= 18),
                signup_date DATE NOT NULL);
            CREATE TABLE orders (
                order_id INTEGER NOT NULL PRIMARY KEY,
                customer_id INTEGER NOT NULL REFERENCES customer (customer_id),
                amount NUMERIC(12, 2) NOT NULL CHECK (amount > 0),
                quantity INTEGER NOT NULL CHECK (quantity >= 1),
                channel TEXT NOT NULL,
                order_date DATE NOT NULL);
        """)
        conn.executemany("INSERT INTO customer VALUES (?, ?, ?, ?, ?, ?)", zip(
            range(1, parents + 1), segment.tolist(), region.tolist(), income.tolist(),
            age.tolist(), signup.astype(str).tolist(), strict=True))
        conn.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)", zip(
            range(1, n + 1), (owner + 1).tolist(), amount.tolist(), quantity.tolist(),
            channel.tolist(), ordered.astype(str).tolist(), strict=True))
    conn.close()
