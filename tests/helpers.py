"""What the tests share, imported by them and by `conftest`'s fixtures: the environment
(servers, the shared sample databases, what a skip means under DBCLONE_REQUIRE), the sources
several tests build, and the SQL checks the tests run in a target database.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from dbclone.connect import engine_for
from dbclone.dialects import dialect_for
from dbclone.introspect import introspect
from dbclone.schema import Schema

# -- the environment -----------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DBCLONE_SAMPLEDBS") or ROOT.parent / "shared" / "sampledbs")
PG_SERVER = os.environ.get("DBCLONE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
MY_SERVER = os.environ.get("DBCLONE_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306")
DIALECTS = ("postgresql", "mysql", "sqlite")

#: What a skip reason starts with when something the environment should provide is missing.
MISSING = {"samples": "shared sample databases not found",
           "postgresql": "postgresql server not reachable",
           "mysql": "mysql server not reachable",
           "chromium": "chromium not installed"}
REQUIRED = {n.strip() for n in os.environ.get("DBCLONE_REQUIRE", "").split(",") if n.strip()}


def missing(what: str, detail: str) -> None:
    """Skip for want of `what` (a key of MISSING); a failure when DBCLONE_REQUIRE names it."""
    message = f"{MISSING[what]}: {detail}"
    if what in REQUIRED:
        pytest.fail(f"{message} (required by DBCLONE_REQUIRE)", pytrace=False)
    pytest.skip(message)


def _reachable(url: str) -> str | None:
    try:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.connect():
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "skip"
        return str(exc).splitlines()[0]


_REASONS: dict[str, str | None] = {}


def require_server(dialect: str) -> None:
    if dialect == "sqlite":
        return
    url = f"{PG_SERVER}/postgres" if dialect == "postgresql" else f"{MY_SERVER}/"
    if dialect not in _REASONS:
        _REASONS[dialect] = _reachable(url)
    if _REASONS[dialect]:
        missing(dialect, str(_REASONS[dialect]))


def admin(dialect: str, sql: str) -> None:
    url = f"{PG_SERVER}/postgres" if dialect == "postgresql" else f"{MY_SERVER}/"
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(sql)


def create_db(dialect: str, name: str, tmp: Path) -> str:
    """A fresh, empty database; returns its URL."""
    require_server(dialect)
    if dialect == "sqlite":
        return f"sqlite:///{tmp / (name + '.db')}"
    if dialect == "postgresql":
        admin(dialect, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin(dialect, f'CREATE DATABASE "{name}"')
        return f"{PG_SERVER}/{name}"
    admin(dialect, f"DROP DATABASE IF EXISTS `{name}`")
    admin(dialect, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    return f"{MY_SERVER}/{name}"


def drop_db(dialect: str, name: str) -> None:
    if dialect == "postgresql":
        admin(dialect, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    elif dialect == "mysql":
        admin(dialect, f"DROP DATABASE IF EXISTS `{name}`")
        # side databases a killed load left behind (`<name>__dbclone_<token>[_old]`)
        engine = sa.create_engine(f"{MY_SERVER}/", poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            side = [n for (n,) in conn.exec_driver_sql("SHOW DATABASES")
                    if n.startswith(f"{name[:40]}__dbclone_")]
        for db in side:
            admin(dialect, f"DROP DATABASE IF EXISTS `{db}`")


# -- checks in a target database -----------------------------------------------------------


def orphans(url: str, schema: Schema | None = None) -> dict[str, int]:
    """Rows whose non-NULL FK value has no parent, per FK, counted with SQL (`schema`: the
    database's, when the caller has introspected it already)."""
    engine = engine_for(url)
    d = dialect_for(engine)
    schema = schema or introspect(engine)
    out = {}
    with engine.connect() as conn:
        for t in schema.tables:
            for fk in t.foreign_keys:
                parent = schema.table(fk.ref_table)
                on = " AND ".join(f"p.{d.quote(r)} = c.{d.quote(c)}"
                                  for c, r in zip(fk.columns, fk.ref_columns, strict=True))
                notnull = " AND ".join(f"c.{d.quote(c)} IS NOT NULL" for c in fk.columns)
                sql = (f"SELECT COUNT(*) FROM {d.qualified(t)} c LEFT JOIN {d.qualified(parent)} p "
                       f"ON {on} WHERE {notnull} AND p.{d.quote(fk.ref_columns[0])} IS NULL")
                out[f"{t.name}({','.join(fk.columns)})"] = conn.exec_driver_sql(sql).scalar_one()
    return out


def duplicates(url: str, schema: Schema | None = None) -> dict[str, int]:
    """Rows beyond the first for each PK / UNIQUE column set."""
    engine = engine_for(url)
    d = dialect_for(engine)
    schema = schema or introspect(engine)
    out = {}
    with engine.connect() as conn:
        for t in schema.tables:
            for cols in t.unique_sets():
                qc = ", ".join(d.quote(c) for c in cols)
                notnull = " AND ".join(f"{d.quote(c)} IS NOT NULL" for c in cols)
                sql = (f"SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM "
                       f"{d.qualified(t)} WHERE {notnull} GROUP BY {qc}) g")
                out[f"{t.name}({','.join(cols)})"] = int(conn.exec_driver_sql(sql).scalar_one())
    return out


def table_digest(url: str, schema: Schema | None = None) -> str:
    """A checksum of every row of every table, ordered, for determinism tests."""
    engine = engine_for(url)
    d = dialect_for(engine)
    schema = schema or introspect(engine)
    h = hashlib.sha256()
    with engine.connect() as conn:
        for t in schema.tables:
            cols = ", ".join(d.quote(c) for c in t.column_names)
            rows = conn.exec_driver_sql(f"SELECT {cols} FROM {d.qualified(t)}").fetchall()
            for row in sorted(map(repr, rows)):
                h.update(row.encode())
    return h.hexdigest()


def constraint_shape(schema: Schema) -> dict[str, tuple[object, ...]]:
    """Tables with their PK and FKs (names aside), for comparing source and clone."""
    return {t.name: (t.primary_key, sorted((fk.columns, fk.ref_table, fk.ref_columns)
                                           for fk in t.foreign_keys))
            for t in schema.tables}


def kommun_cycle_filled(url: str) -> bool:
    """Both FKs of the kommun sample's unit <-> caseworker cycle hold values in the clone."""
    with engine_for(url).connect() as conn:
        heads = conn.execute(sa.text(
            "SELECT COUNT(*) FROM unit WHERE head_caseworker_id IS NOT NULL")).scalar_one()
        managers = conn.execute(sa.text(
            "SELECT COUNT(*) FROM caseworker WHERE manager_id IS NOT NULL")).scalar_one()
    return bool(heads > 0 and managers > 0)


def mysql_ledger(url: str) -> None:
    """A MariaDB source with what RENAME TABLE cannot move between databases: a trigger
    (entries book into their account's balance) and a view on a view; 3 accounts, 60 entries."""
    with engine_for(url).begin() as conn:
        for stmt in [
            "CREATE TABLE account (id INT PRIMARY KEY, balance INT NOT NULL)",
            "CREATE TABLE entry (id INT PRIMARY KEY, account_id INT NOT NULL, amount INT, "
            "FOREIGN KEY (account_id) REFERENCES account (id))",
            "CREATE TRIGGER entry_book AFTER INSERT ON entry FOR EACH ROW "
            "UPDATE account SET balance = balance + NEW.amount WHERE id = NEW.account_id",
            "CREATE VIEW z_rich AS SELECT id, balance FROM account WHERE balance > 100",
            "CREATE VIEW a_richest AS SELECT MAX(balance) AS top FROM z_rich"]:
            conn.exec_driver_sql(stmt)
        conn.exec_driver_sql("INSERT INTO account VALUES (1, 0), (2, 0), (3, 0)")
        conn.exec_driver_sql("INSERT INTO entry SELECT seq, 1 + MOD(seq, 3), 10 * seq "
                             "FROM seq_1_to_60")


def sqlite_source(new_db: Callable[[str], str], ddl: list[str],
                  rows: dict[str, list[tuple[object, ...]]]) -> str:
    """A new SQLite source: `ddl` run in order, then each table's rows inserted."""
    source = new_db("sqlite")
    with sa.create_engine(source).begin() as conn:
        for statement in ddl:
            conn.exec_driver_sql(statement)
        for table, values in rows.items():
            marks = ", ".join("?" * len(values[0]))
            conn.exec_driver_sql(f"INSERT INTO {table} VALUES ({marks})", values)
    return source


def uuid_owned_source(url: str, seed: int, rows: tuple[int, int],
                      ddl: tuple[str, str]) -> list[str]:
    """A PostgreSQL source of UUID soft keys: ``rows[0]`` owners keyed by UUID (``ddl[0]``:
    key, label) and ``rows[1]`` rows each naming a random owner in a UUID column with no FK
    (``ddl[1]``: id, uuid, state). Returns the owners' UUIDs."""
    import uuid

    rng = np.random.default_rng(seed)
    keys = [str(uuid.UUID(int=int(rng.integers(0, 2**62)) << 64 | 1, version=4))
            for _ in range(rows[0])]
    owner, child = (statement.split(" (")[0].split()[-1] for statement in ddl)
    with sa.create_engine(url).begin() as conn:
        for statement in ddl:
            conn.exec_driver_sql(statement)
        conn.execute(sa.text(f"INSERT INTO {owner} VALUES (CAST(:u AS UUID), :n)"),
                     [{"u": u, "n": f"A{i}"} for i, u in enumerate(keys)])
        conn.execute(sa.text(f"INSERT INTO {child} VALUES (:i, CAST(:u AS UUID), :s)"),
                     [{"i": i + 1, "u": keys[int(rng.integers(0, rows[0]))],
                       "s": ("idle", "busy", "away")[i % 3]} for i in range(rows[1])])
    return keys


def sqlite_clone(new_db: Callable[[str], str], source: str, seed: int) -> sa.Engine:
    """`source` cloned into a new SQLite target with `seed`; the target's engine."""
    from dbclone.api import clone

    target = new_db("sqlite")
    clone(source, target, seed=seed)
    return engine_for(target)


#: Row counts of tables with FKs may differ from the planned ones by this share.
ROW_TOLERANCE = 0.05


def check_clone(source: str, target: str, scale: float, verbatim: tuple[str, ...]) -> None:
    """The clone has the source's tables and constraints, no orphan or duplicate key, and
    the source's row counts (times `scale`; within ROW_TOLERANCE for tables with FKs)."""
    src = introspect(engine_for(source))
    dst = introspect(engine_for(target))
    assert dst.table_names == src.table_names
    assert constraint_shape(dst) == constraint_shape(src)
    assert not {k: v for k, v in orphans(target).items() if v}
    assert not {k: v for k, v in duplicates(target).items() if v}
    for t in src.tables:
        want = t.row_count if t.name in verbatim else round(t.row_count * scale)
        got = dst.table(t.name).row_count
        if not t.foreign_keys:
            assert got == want, t.name
        else:
            assert abs(got - want) <= max(2, ROW_TOLERANCE * want), (t.name, got, want)


def build_kommun(url: str) -> None:
    """The bundled kommun sample (seed 42, scale 0.3) into `url`."""
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "sample_schemas" / "build.py"
    spec = importlib.util.spec_from_file_location("kommun_build", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(url, seed=42, scale=0.3)


def fit_source_model(source: str, seed: int = 0) -> Any:
    """The model of `source` (a `dbclone.synth.model.Model`), read back from its file format,
    so a rule's test sees what a saved model carries."""
    from dbclone.api import fit_source
    from dbclone.synth.model import Model

    model = fit_source(source, seed=seed)
    return Model.from_dict(model.to_dict())


def generate(model: Any, seed: int = 0, scale: float = 1.0) -> dict[str, dict[str, list[Any]]]:
    """Every table's generated columns (chunks joined), without loading them anywhere; the
    derived aggregates' UPDATEs are not applied."""
    from dbclone.plan import make_plan
    from dbclone.synth.sample import Sampler
    from dbclone.synth.tables import TableData

    out: dict[str, dict[str, list[Any]]] = {}
    for item in Sampler(model, make_plan(model.schema), scale=scale, seed=seed).run():
        if isinstance(item, TableData):
            table = out.setdefault(item.table.name, {c: [] for c in item.columns})
            for c in item.columns:
                table[c] += item.data[c].tolist()
    return out


# -- sources several tests build ---------------------------------------------------------

#: Rows per table the report's tests sample.
REPORT_ROWS = 1500


def load_shared(name: str, dialect: str, target: str) -> None:
    """A shared sample database loaded into `target` with its load.sh."""
    subprocess.run(["bash", str(SHARED / "load.sh"), name, dialect, target], check=True,
                   capture_output=True)


#: The tricky schemas (quoted names, partitions, cycles), per dialect.
TRICKY = ROOT / "sample_schemas" / "tricky"


def run_script(url: str, script: str) -> None:
    """Execute a SQL script in the database at `url` (statements end with `;` + newline)."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split("///", 1)[1]) as conn:
            conn.executescript(script)
        return
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            cursor = conn.connection.cursor()
            cursor.execute(script)  # no parameters: psycopg runs the whole script as it is
            cursor.close()
            return
        for stmt in script.split(";\n"):
            body = "\n".join(line for line in stmt.splitlines()
                             if not line.strip().startswith("--")).strip()
            if body:
                conn.exec_driver_sql(body.replace("%", "%%"))


def tricky_postgresql_full_clone(new_db: Callable[[str], str]) -> None:
    """With rows: the load goes through the partitioned parent into every partition, and
    tsvector, inet and arrays load; the two-dimensional `matris`, which no rule generates
    (refused without a config), is copied with "keep"."""
    from dbclone.api import clone
    from dbclone.config import parse_config
    from dbclone.diff import diff_schemas

    source = new_db("postgresql")
    run_script(source, (TRICKY / "postgresql.sql").read_text())
    run_script(source, (TRICKY / "postgresql_data.sql").read_text())
    target = new_db("postgresql")
    keep = parse_config({"tables": {"Kund Register": {"columns": {"matris": "keep"}}}})
    clone(source, target, seed=3, config=keep)
    dst = introspect(engine_for(target))
    assert diff_schemas(introspect(engine_for(source), count_rows=False), dst) == []
    assert dst.table("Kund Register").row_count == 300
    # A cycle of NOT NULL DEFERRABLE FKs: both tables filled, every FK points at a row.
    assert dst.table("hönan").row_count == 50 and dst.table("ägget").row_count == 50
    with engine_for(target).connect() as conn:
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM hönan h LEFT JOIN ägget a ON a.id = h.ägget_id "
            "WHERE a.id IS NULL").scalar() == 0
        filled = conn.exec_driver_sql("SELECT count(DISTINCT tableoid) FROM mätning").scalar()
        kept = conn.exec_driver_sql(
            'SELECT count(*) FROM "Kund Register" WHERE matris = ARRAY[[1,2],[3,4]]').scalar()
    assert kept == 300
    assert filled == 4  # se, no_låg, no_hög, övrigt


_CYCLE_TABLES = [
    "CREATE TABLE store (id INT PRIMARY KEY, manager_id INT NOT NULL UNIQUE, "
    "city VARCHAR(20) NOT NULL)",
    "CREATE TABLE staff (id INT PRIMARY KEY, store_id INT NOT NULL, name VARCHAR(30), "
    "CONSTRAINT fk_staff_store FOREIGN KEY (store_id) REFERENCES store (id))",
]
_CYCLE_CLOSE = ("ALTER TABLE store ADD CONSTRAINT fk_store_manager FOREIGN KEY (manager_id) "
                "REFERENCES staff (id)")


def store_staff_cycle(new_db: Callable[[str], str], dialect: str) -> str:
    """6 stores, 60 staff; store i is managed by staff i, who works at store i. The cycle is
    closed after the rows (SQLite declares it in CREATE TABLE and loads with FKs off)."""
    url = new_db(dialect)
    tables = list(_CYCLE_TABLES)
    if dialect == "sqlite":
        tables[0] = tables[0][:-1] + ", CONSTRAINT fk_store_manager FOREIGN KEY (manager_id) " \
                                     "REFERENCES staff (id))"
    stores = [{"id": i, "m": i, "c": ["Umeå", "Lund", "Kiruna"][i % 3]} for i in range(1, 7)]
    staff = [{"id": i, "s": i if i <= 6 else 1 + i % 6, "n": f"person {i}"} for i in range(1, 61)]
    with engine_for(url, must_exist=False).begin() as conn:
        for stmt in tables:
            conn.exec_driver_sql(stmt)
        conn.execute(sa.text("INSERT INTO store VALUES (:id, :m, :c)"), stores)
        conn.execute(sa.text("INSERT INTO staff VALUES (:id, :s, :n)"), staff)
        if dialect != "sqlite":
            conn.exec_driver_sql(_CYCLE_CLOSE)
    return url


def comments(rng: np.random.Generator, n: int) -> list[str]:
    """Clerks' comments as a benchmark's generator writes them: pieces of 10 to 44
    characters cut at any character from one long text of a few dozen words, so short
    phrases of common words repeat across many rows."""
    words = ["carefully", "regular", "deposits", "sleep", "furiously", "final", "packages",
             "ironic", "accounts", "haggle", "blithely", "even", "requests", "slyly",
             "express", "theodolites", "pinto", "beans", "wake", "quickly", "bold", "the",
             "across", "pending", "foxes", "instructions", "cajole", "silent", "ideas"]
    text = " ".join(str(w) + ("." if rng.random() < 0.15 else "")
                    for w in rng.choice(words, 40 * n))
    starts = rng.integers(0, len(text) - 50, n)
    return [text[s:s + int(size)].strip() for s, size in zip(starts, rng.integers(10, 45, n),
                                                            strict=True)]
