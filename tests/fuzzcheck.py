"""One schema-fuzzer case against real databases: build the generated source (tests/fuzzgen.py),
clone it, and check the clone: integrity 0 (no orphan FK, no duplicate key), `dbclone diff`
clean, no column silently emptied (all NULL, all '' or one value where the source varies),
and the same database again from the same seed. Returns the problems found, [] when none."""

from __future__ import annotations

import collections
import signal
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests import fuzzgen

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
MY = "mysql+pymysql://root@127.0.0.1:3306"
#: PyMySQL's default (TLS if the server offers it) loads the CA bundle for every connection:
#: 0.13 s of a 0.135 s connect here (the server's TLS is off), some 40 connections per case.
MY_QUERY = "?ssl_disabled=true"


@dataclass
class Result:
    seed: int
    dialect: str
    problems: list[str] = field(default_factory=list)
    shape: str = ""


class Databases:
    """Throwaway databases named <prefix><random> (runs side by side take distinct
    prefixes). `close` empties what `new` handed out; with `reuse`, a PostgreSQL database
    is emptied (its schemas dropped and `public` made anew, a second rather than the
    seconds CREATE and DROP DATABASE take on a loaded machine) and handed out again by the
    next `new`; `finish` drops them all."""

    def __init__(self, folder: Path, pg: str = PG, my: str = MY,
                 prefix: str = "dbclone_test_fuzz_", reuse: bool = False) -> None:
        self.folder, self.pg, self.my, self.prefix = folder, pg, my, prefix
        self.reuse = reuse
        self.made: list[tuple[str, str]] = []
        self.free: list[str] = []  # emptied PostgreSQL databases
        self._admins: dict[str, sa.Engine] = {}

    def new(self, dialect: str) -> str:
        if dialect == "postgresql" and self.free:
            name = self.free.pop()
            self.made.append((dialect, name))
            return f"{self.pg}/{name}"
        name = f"{self.prefix}{uuid.uuid4().hex[:10]}"
        self.made.append((dialect, name))
        if dialect == "sqlite":
            return f"sqlite:///{self.folder / (name + '.db')}"
        if dialect == "postgresql":
            self._admin(dialect, f'CREATE DATABASE "{name}"')
            return f"{self.pg}/{name}"
        self._admin(dialect, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        return f"{self.my}/{name}{MY_QUERY}"

    def _admin(self, dialect: str, sql: str) -> None:
        if dialect not in self._admins:
            url = f"{self.pg}/postgres" if dialect == "postgresql" else f"{self.my}/{MY_QUERY}"
            self._admins[dialect] = sa.create_engine(url, poolclass=sa.pool.NullPool,
                                                     isolation_level="AUTOCOMMIT")
        with self._admins[dialect].connect() as conn:
            conn.exec_driver_sql(sql)

    def close(self) -> None:
        for dialect, name in self.made:
            if dialect == "sqlite":
                (self.folder / f"{name}.db").unlink(missing_ok=True)
            elif dialect == "postgresql":
                if self.reuse and self._emptied(name):
                    self.free.append(name)
                else:
                    self._admin(dialect, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            else:
                self._admin(dialect, f"DROP DATABASE IF EXISTS `{name}`")
        self.made.clear()

    def finish(self) -> None:
        self.close()
        for name in self.free:
            self._admin("postgresql", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.free.clear()

    def _emptied(self, name: str) -> bool:
        """Every schema but the system ones dropped, `public` made anew as CREATE DATABASE
        makes it; False (the database is dropped instead) when anything is in the way."""
        engine = sa.create_engine(f"{self.pg}/{name}", poolclass=sa.pool.NullPool,
                                  isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("SET lock_timeout = '5s'")
                schemas = [r[0] for r in conn.exec_driver_sql(
                    "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%%' "
                    "AND nspname <> 'information_schema'")]
                for schema in schemas:
                    quoted = schema.replace('"', '""').replace("%", "%%")
                    conn.exec_driver_sql(f'DROP SCHEMA "{quoted}" CASCADE')
                conn.exec_driver_sql("CREATE SCHEMA public AUTHORIZATION pg_database_owner")
                left = conn.exec_driver_sql(
                    "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                    "c.relnamespace WHERE n.nspname NOT LIKE 'pg\\_%%' AND n.nspname <> "
                    "'information_schema'").scalar_one()
            return left == 0
        except sa.exc.SQLAlchemyError:
            return False


def build_source(schema: fuzzgen.FuzzSchema, url: str) -> None:
    d = schema.dialect
    creates, lates = fuzzgen.ddl(schema)
    data = fuzzgen.rows(schema)
    mark = "?" if d == "sqlite" else "%s"
    with sa.create_engine(url, poolclass=sa.pool.NullPool).begin() as conn:
        for stmt in creates:
            conn.exec_driver_sql(escape(d, stmt))
        for t in schema.tables:
            if not data[t.name]:
                continue
            cols = [c.name for c in t.columns]
            sql = (f"INSERT INTO {escape(d, fuzzgen.quote(d, t.name))} ("
                   + ", ".join(escape(d, fuzzgen.quote(d, c)) for c in cols) + ") VALUES ("
                   + ", ".join([mark] * len(cols)) + ")")
            conn.exec_driver_sql(sql, [tuple(r[c] for c in cols) for r in data[t.name]])
        for stmt in lates:
            conn.exec_driver_sql(escape(d, stmt))


def escape(dialect: str, sql: str) -> str:
    """'%' in identifiers, for drivers whose placeholders are %s."""
    return sql if dialect == "sqlite" else sql.replace("%", "%%")


def run_case(seed: int, dialect: str, dbs: Databases,
             options: fuzzgen.Options | None = None, determinism: bool = True) -> Result:
    from dbclone.api import clone, fit_source, sample_model
    from dbclone.connect import engine_for
    from dbclone.diff import diff_schemas
    from dbclone.introspect import introspect
    from tests.helpers import duplicates, orphans, table_digest

    schema = fuzzgen.generate(seed, dialect, options or fuzzgen.Options())
    result = Result(seed, dialect, shape=schema.describe())
    try:
        source = dbs.new(dialect)
        build_source(schema, source)
    except Exception as exc:  # noqa: BLE001 - a generator bug, reported as such
        result.problems.append(f"GENERATOR could not build the source: {_line(exc)}")
        return result
    step = "clone"
    try:
        target = dbs.new(dialect)
        model = fit_source(source, seed=seed)  # what `clone` does, keeping the model
        sample_model(model, target, seed=seed)
        step = "integrity"  # the target read once for the checks (what diff_urls reads)
        read = introspect(engine_for(target), count_rows=False)
        bad = {k: v for k, v in {**orphans(target, read), **duplicates(target, read)}.items()
               if v}
        if bad:
            result.problems.append(f"integrity: {bad}")
        step = "diff"
        diff = [line for line in diff_schemas(introspect(engine_for(source), count_rows=False),
                                              read) if not _read_from_values(schema, line)]
        if diff:
            result.problems.append(f"diff: {diff[:3]}")
        step = "columns"
        said = {(t.name, c.name) for t in model.tables for c in t.columns
                if "suppressed" in c.reason}  # rare values left out on purpose, and said so
        said |= _mirrored(schema, said)
        emptied = emptied_columns(schema, source, target, said)
        if emptied:  # a bug empties the column again from another sampling seed; chance
            # (a 95%-NULL column of 150 rows is all NULL once in 1,400 draws) does not
            other = dbs.new(dialect)
            sample_model(model, other, seed=seed + 1_000_003)
            again = {_column_of(p) for p in emptied_columns(schema, source, other, said)}
            emptied = [p for p in emptied if _column_of(p) in again]
        result.problems += emptied
        if determinism:
            step = "determinism"
            again = dbs.new(dialect)
            clone(source, again, seed=seed)
            # the second clone read with the first one's structure (diff checked that), its
            # tables listed to catch one more or less
            if sorted(sa.inspect(engine_for(again)).get_table_names()) != \
                    sorted(sa.inspect(engine_for(target)).get_table_names()) or \
                    table_digest(again, read) != table_digest(target, read):
                result.problems.append("not deterministic: two clones with one seed differ")
    except Exception as exc:  # noqa: BLE001 - every failure is a finding
        result.problems.append(f"{step}: {type(exc).__name__}: {_line(exc)}")
        if step != "clone" or not hasattr(exc, "exit_code"):
            result.problems.append(traceback.format_exc(limit=-3).strip().splitlines()[-3])
    return result


def _read_from_values(schema: fuzzgen.FuzzSchema, line: str) -> bool:
    """A diff line about the kind of a SQLite column declared without a type: SQLite reads
    that kind from the values' storage classes, and a class rarer than k is not reproduced
    (5 values in 150 rows, 2 integers, 2 texts, 1 real: 'mixed' in the source, 'integer' in
    the clone; --exotic seed 20423)."""
    return any(line.startswith(f"table {t.name}: column {c.name}: kind ")
               for t in schema.tables for c in t.columns if c.kind == "untyped")


def _mirrored(schema: fuzzgen.FuzzSchema, said: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """FK columns that repeat a column whose rare values were left out (a composite key's
    first part kept on one value: its children point at that value; PostgreSQL seed 10243)."""
    out: set[tuple[str, str]] = set()
    for _ in schema.tables:  # chains of FKs
        for t in schema.tables:
            for fk in t.fks:
                out |= {(t.name, c) for c, r in zip(fk.columns, fk.ref_columns, strict=True)
                        if (fk.ref_table, r) in said | out}
    return out


def _column_of(problem: str) -> str:
    """The table.column an `emptied_columns` problem names."""
    return problem.split(": ", 1)[1].rsplit(" is all ", 1)[0].rsplit(" holds one value", 1)[0]


def _line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def emptied_columns(schema: fuzzgen.FuzzSchema, source: str, target: str,
                    said: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset()
                    ) -> list[str]:
    """Columns the source fills and varies that the clone leaves all NULL, all '' or on one
    value (tables of at least 20 rows on both sides; categories seen 5 times or more)."""
    d = schema.dialect
    out = []
    src, dst = sa.create_engine(source), sa.create_engine(target)
    with src.connect() as s, dst.connect() as t:
        for table in schema.tables:
            q = escape(d, fuzzgen.quote(d, table.name))
            before, after = _columns(s, q, d, table), _columns(t, q, d, table)
            if len(next(iter(before.values()), [])) < 20 or \
                    len(next(iter(after.values()), [])) < 20:
                continue
            for name, values in before.items():
                if (table.name, name) not in said:
                    out += _compare(table.name, name, values, after[name])
    return out


def _columns(conn: sa.Connection, q: str, d: str, table: fuzzgen.FuzzTable
             ) -> dict[str, list[Any]]:
    cols = [c.name for c in table.columns]
    sql = "SELECT " + ", ".join(escape(d, fuzzgen.quote(d, c)) for c in cols) + f" FROM {q}"
    rows = conn.exec_driver_sql(sql).fetchall()
    return {c: [r[i] for r in rows] for i, c in enumerate(cols)}


def _compare(table: str, column: str, before: list[Any], after: list[Any]) -> list[str]:
    filled = [v for v in before if v is not None]
    counts = collections.Counter(map(repr, filled))
    common = [v for v, n in counts.items() if n >= 5]
    if len(filled) < 5:
        return []
    got = [v for v in after if v is not None]
    where = f"{table}.{column}"
    if not got:
        return [f"emptied: {where} is all NULL in the clone ({len(filled)} values in the source)"]
    if all(v == "" for v in got) and any(v != "" for v in filled):
        return [f"emptied: {where} is all '' in the clone"]
    varies = len(common) >= 2  # rarer values are suppressed on purpose (k-anonymity)
    if varies and len(set(map(repr, got))) == 1:
        return [f"emptied: {where} holds one value ({got[0]!r}) in the clone, "
                f"{len(counts)} in the source"]
    return []


class CaseTimeout(Exception):
    """A case ran past its time limit: a hang is a finding, not a stuck run."""


def _time_up(signum: int, frame: object) -> None:
    raise CaseTimeout("the case ran past its time limit (a loop that does not end?)")


def run_many(seeds: range | list[int], dialect: str, dbs: Databases,
             options: fuzzgen.Options, determinism: bool, report: Callable[[Result], None],
             limit: int = 0) -> list[Result]:
    """Cases one after another; with `limit` (seconds), a case still running then is
    stopped and reported as failed where it was (its step)."""
    failures = []
    old = signal.signal(signal.SIGALRM, _time_up) if limit else None
    for seed in seeds:
        signal.alarm(limit)
        try:
            result = run_case(seed, dialect, dbs, options, determinism)
        except CaseTimeout as exc:  # outside the case's own steps (imports, building)
            result = Result(seed, dialect, [f"{type(exc).__name__}: {exc}"])
        finally:
            signal.alarm(0)
        dbs.close()
        report(result)
        if result.problems:
            failures.append(result)
    if old is not None:
        signal.signal(signal.SIGALRM, old)
    return failures
