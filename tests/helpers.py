"""SQL checks the tests run in a target database."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from dbclone.connect import engine_for
from dbclone.dialects import dialect_for
from dbclone.introspect import introspect
from dbclone.schema import Schema


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
