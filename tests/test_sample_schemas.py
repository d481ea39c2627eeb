"""Build the ``kommun`` sample database on real SQLite, PostgreSQL and MariaDB and check it.

SQLite always runs (in ``tmp_path``). PostgreSQL and MariaDB/MySQL are used at the URLs below
(override with ``DBCLONE_TEST_PG_URL`` / ``DBCLONE_TEST_MYSQL_URL``, server URLs without a
database); each test database gets a throwaway name ``dbclone_test_kommun_<random>`` and is
dropped afterwards. A server that cannot be reached skips its tests with the reason.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

ROOT = Path(__file__).resolve().parents[1]
BUILD_PY = ROOT / "sample_schemas" / "build.py"

PG_SERVER = os.environ.get("DBCLONE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
MYSQL_SERVER = os.environ.get("DBCLONE_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306")

# Exact sizes at scale 1 for the tables whose size is chosen directly, ranges for the others.
EXACT_AT_SCALE_1 = {"benefit_type": 27, "unit": 8, "caseworker": 60, "household": 1500,
                    "case_file": 2500, "case_note": 5000, "audit_log": 4000}
RANGE_AT_SCALE_1 = {"person": (2700, 3400), "decision": (3000, 4200),
                    "payment": (4500, 7500), "case_participant": (2900, 4200)}


def _load_build_module():
    spec = importlib.util.spec_from_file_location("dbclone_sample_build", BUILD_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


builder = _load_build_module()
kommun = builder.load_sample("kommun")


# ---------------------------------------------------------------------------------------------
# Throwaway targets
# ---------------------------------------------------------------------------------------------


def _server_engine(dialect: str) -> Engine:
    if dialect == "postgresql":
        url = make_url(PG_SERVER).set(database="postgres")
        return sa.create_engine(url, isolation_level="AUTOCOMMIT",
                                connect_args={"connect_timeout": 3})
    return sa.create_engine(make_url(MYSQL_SERVER), isolation_level="AUTOCOMMIT",
                            connect_args={"connect_timeout": 3})


def _require_server(dialect: str) -> None:
    engine = _server_engine(dialect)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # any failure means the server is not usable here
        server = PG_SERVER if dialect == "postgresql" else MYSQL_SERVER
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        pytest.skip(f"{dialect} server not reachable at {server}: {first}")
    finally:
        engine.dispose()


class Target:
    """A database URL for one dialect that the test owns and cleans up."""

    def __init__(self, dialect: str, tmp_path: Path) -> None:
        self.dialect = dialect
        self.tmp_path = tmp_path
        self.created: list[str] = []

    def new_url(self) -> str:
        name = f"dbclone_test_kommun_{uuid.uuid4().hex[:10]}"
        self.created.append(name)
        if self.dialect == "sqlite":
            return f"sqlite:///{self.tmp_path / (name + '.db')}"
        server = PG_SERVER if self.dialect == "postgresql" else MYSQL_SERVER
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    def cleanup(self) -> None:
        if self.dialect == "sqlite" or not self.created:
            return
        engine = _server_engine(self.dialect)
        try:
            with engine.connect() as conn:
                for name in self.created:
                    if self.dialect == "postgresql":
                        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    else:
                        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            engine.dispose()


def _make_target(dialect: str, tmp_path: Path) -> Target:
    if dialect != "sqlite":
        _require_server(dialect)
    return Target(dialect, tmp_path)


DIALECTS = ["sqlite", "postgresql", "mysql"]


class Built:
    def __init__(self, url: str, counts: dict[str, int], engine: Engine, dialect: str) -> None:
        self.url = url
        self.counts = counts
        self.engine = engine
        self.dialect = dialect

    def scalar(self, sql: str):
        with self.engine.connect() as conn:
            return conn.exec_driver_sql(sql).scalar()

    def rows(self, sql: str) -> list[tuple]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]


@pytest.fixture(scope="module", params=DIALECTS)
def built(request, tmp_path_factory) -> Iterator[Built]:
    """The kommun sample at scale 1, seed 42, built once per dialect for this module."""
    target = _make_target(request.param, tmp_path_factory.mktemp(request.param))
    try:
        url = target.new_url()
        counts = builder.build(url, seed=42, scale=1.0)
        engine = sa.create_engine(url)
        try:
            yield Built(url, counts, engine, request.param)
        finally:
            engine.dispose()
    finally:
        target.cleanup()


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _luhn_ok(ten_digits: str) -> bool:
    total = 0
    for i, ch in enumerate(ten_digits):
        value = int(ch) * (2 if i % 2 == 0 else 1)
        total += value // 10 + value % 10
    return total % 10 == 0


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def database_checksum(url: str) -> str:
    """SHA-256 over every row of every kommun table, in a fixed order."""
    engine = sa.create_engine(url)
    digest = hashlib.sha256()
    try:
        with engine.connect() as conn:
            for table in kommun.TABLE_ORDER:
                columns = kommun.COLUMNS[table]
                order = kommun.PRIMARY_KEYS[table] or columns
                sql = (f"SELECT {', '.join(columns)} FROM {table} "
                       f"ORDER BY {', '.join(order)}")
                digest.update(table.encode())
                for row in conn.exec_driver_sql(sql):
                    digest.update(repr(tuple(row)).encode())
    finally:
        engine.dispose()
    return digest.hexdigest()


def dataset_digest(dataset) -> str:
    digest = hashlib.sha256()
    for name, table in dataset.tables.items():
        digest.update(name.encode())
        digest.update(repr(table.columns).encode())
        for row in table.rows:
            digest.update(repr(row).encode())
    digest.update(repr(dataset.updates).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Tests on the built databases
# ---------------------------------------------------------------------------------------------


def test_row_counts(built: Built) -> None:
    assert list(built.counts) == list(kommun.TABLE_ORDER)
    for table, expected in built.counts.items():
        assert built.scalar(f"SELECT COUNT(*) FROM {table}") == expected, table
    for table, expected in EXACT_AT_SCALE_1.items():
        assert built.counts[table] == expected, table
    for table, (low, high) in RANGE_AT_SCALE_1.items():
        assert low <= built.counts[table] <= high, (table, built.counts[table])


def test_declared_keys_match_the_sample(built: Built) -> None:
    inspector = sa.inspect(built.engine)
    assert sorted(inspector.get_table_names()) == sorted(kommun.TABLE_ORDER)
    declared = set()
    for table in kommun.TABLE_ORDER:
        pk = inspector.get_pk_constraint(table)["constrained_columns"]
        assert tuple(pk) == kommun.PRIMARY_KEYS[table], table
        for fk in inspector.get_foreign_keys(table):
            declared.add((table, tuple(fk["constrained_columns"]), fk["referred_table"],
                          tuple(fk["referred_columns"])))
    assert declared == set(kommun.FOREIGN_KEYS)


def test_no_orphans(built: Built) -> None:
    for child, columns, parent, parent_columns in kommun.FOREIGN_KEYS:
        join = " AND ".join(f"c.{a} = p.{b}" for a, b in zip(columns, parent_columns,
                                                                strict=True))
        sql = (f"SELECT COUNT(*) FROM {child} c LEFT JOIN {parent} p ON {join} "
               f"WHERE c.{columns[0]} IS NOT NULL AND p.{parent_columns[0]} IS NULL")
        assert built.scalar(sql) == 0, (child, columns, parent)
    # Every foreign key column is used (nullable ones only partly).
    assert built.scalar("SELECT COUNT(*) FROM person WHERE household_id IS NULL") > 0
    assert built.scalar("SELECT COUNT(*) FROM decision WHERE benefit_code IS NULL") > 0
    assert built.scalar("SELECT COUNT(*) FROM caseworker WHERE manager_id IS NULL") > 0


def test_personnummer_valid_and_consistent(built: Built) -> None:
    rows = built.rows("SELECT personnummer, birth_date, gender FROM person")
    assert rows
    for pnr, birth, gender in rows:
        assert len(pnr) == 13 and pnr[8] == "-", pnr
        assert _luhn_ok(pnr[2:8] + pnr[9:]), pnr
        born = _as_date(birth)
        assert pnr[:8] == born.strftime("%Y%m%d"), (pnr, birth)
        assert date(1930, 1, 1) <= born <= date(2024, 12, 31)
        assert gender == ("M" if int(pnr[11]) % 2 else "F"), (pnr, gender)
    assert len({r[0] for r in rows}) == len(rows)


def test_unit_caseworker_cycle(built: Built) -> None:
    heads = built.scalar("SELECT COUNT(*) FROM unit WHERE head_caseworker_id IS NOT NULL")
    assert 0 < heads < built.counts["unit"]  # one unit has a vacant head post
    own_unit = built.scalar(
        "SELECT COUNT(*) FROM unit u JOIN caseworker c ON c.id = u.head_caseworker_id "
        "WHERE c.unit_id = u.id AND c.manager_id IS NULL"
    )
    assert own_unit == heads
    # Management forest two to three levels deep: someone's manager has a manager.
    depth3 = built.scalar(
        "SELECT COUNT(*) FROM caseworker a JOIN caseworker b ON a.manager_id = b.id "
        "WHERE b.manager_id IS NOT NULL"
    )
    assert depth3 > 0
    depth4 = built.scalar(
        "SELECT COUNT(*) FROM caseworker a JOIN caseworker b ON a.manager_id = b.id "
        "JOIN caseworker c ON b.manager_id = c.id WHERE c.manager_id IS NOT NULL"
    )
    assert depth4 == 0


def test_temporal_and_business_rules(built: Built) -> None:
    def count(sql: str) -> int:
        return built.scalar(sql)

    assert count("SELECT COUNT(*) FROM decision d JOIN case_file c ON c.id = d.case_id "
                 "WHERE d.decided_on < c.opened_on") == 0
    assert count("SELECT COUNT(*) FROM decision d JOIN case_file c ON c.id = d.case_id "
                 "WHERE c.closed_on IS NOT NULL AND d.decided_on > c.closed_on") == 0
    assert count("SELECT COUNT(*) FROM payment p JOIN decision d ON d.id = p.decision_id "
                 "WHERE p.paid_on < d.decided_on") == 0
    assert count("SELECT COUNT(*) FROM case_file c JOIN person p ON p.id = c.person_id "
                 "WHERE c.opened_on < p.birth_date") == 0
    assert count("SELECT COUNT(*) FROM payment p JOIN decision d ON d.id = p.decision_id "
                 "WHERE d.outcome = 'rejected' OR d.amount_sek IS NULL") == 0
    assert count("SELECT COUNT(*) FROM case_participant cp JOIN case_file c ON c.id = cp.case_id "
                 "WHERE cp.person_id = c.person_id") == 0
    # Payments of a decision add up to its amount.
    mismatched = count(
        "SELECT COUNT(*) FROM (SELECT d.id, d.amount_sek, SUM(p.amount_sek) AS paid "
        "FROM decision d JOIN payment p ON p.decision_id = d.id "
        "WHERE p.status IN ('paid', 'scheduled', 'cancelled') "
        "GROUP BY d.id, d.amount_sek) t WHERE ABS(t.paid - t.amount_sek) > 0.005"
    )
    assert mismatched == 0
    statuses = dict(built.rows("SELECT status, COUNT(*) FROM case_file GROUP BY status"))
    assert set(statuses) == {"open", "investigating", "decided", "appealed", "closed"}


def test_distributions_are_skewed_and_seasonal(built: Built) -> None:
    loads = sorted(n for (n,) in built.rows(
        "SELECT COUNT(*) FROM case_file GROUP BY caseworker_id"))
    assert loads[-1] > 3 * loads[len(loads) // 2]
    per_person = [n for (n,) in built.rows("SELECT COUNT(*) FROM case_file GROUP BY person_id")]
    assert per_person.count(1) > len(per_person) / 2
    assert sum(1 for n in per_person if n >= 5) >= 20
    months = Counter(_as_date(d).month for (d,) in built.rows("SELECT opened_on FROM case_file"))
    assert months[7] < 0.7 * months[1] and months[7] < 0.7 * months[9]
    sizes = [n for (n,) in built.rows(
        "SELECT COUNT(*) FROM person WHERE household_id IS NOT NULL GROUP BY household_id")]
    assert sizes.count(1) > sizes.count(2) > sizes.count(4) > sizes.count(6) > 0
    assert built.scalar("SELECT COUNT(*) FROM person WHERE email IS NULL") > 0
    assert built.scalar("SELECT COUNT(*) FROM audit_log") > built.scalar(
        "SELECT COUNT(*) FROM (SELECT DISTINCT * FROM audit_log) t")  # duplicate rows, no PK


# ---------------------------------------------------------------------------------------------
# Determinism, refusal and the command line
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_same_seed_gives_identical_rows(dialect: str, tmp_path: Path) -> None:
    """Building twice with one seed (the second time in place, --replace) gives equal tables."""
    target = _make_target(dialect, tmp_path)
    try:
        url = target.new_url()
        first_counts = builder.build(url, seed=7, scale=0.1)
        before = database_checksum(url)
        assert builder.build(url, seed=7, scale=0.1, replace=True) == first_counts
        assert database_checksum(url) == before
    finally:
        target.cleanup()


def test_generator_is_deterministic_across_processes() -> None:
    expected = dataset_digest(kommun.generate(seed=11, scale=0.2))
    assert dataset_digest(kommun.generate(seed=11, scale=0.2)) == expected
    assert dataset_digest(kommun.generate(seed=12, scale=0.2)) != expected
    code = (
        "import importlib.util, sys, hashlib\n"
        f"spec = importlib.util.spec_from_file_location('b', {str(BUILD_PY)!r})\n"
        "b = importlib.util.module_from_spec(spec); sys.modules['b'] = b\n"
        "spec.loader.exec_module(b)\n"
        "ds = b.load_sample('kommun').generate(seed=11, scale=0.2)\n"
        "h = hashlib.sha256()\n"
        "for name, t in ds.tables.items():\n"
        "    h.update(name.encode()); h.update(repr(t.columns).encode())\n"
        "    for r in t.rows: h.update(repr(r).encode())\n"
        "h.update(repr(ds.updates).encode())\n"
        "print(h.hexdigest())\n"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == expected


def test_refuses_target_with_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE something_else (id INTEGER PRIMARY KEY)")
    engine.dispose()
    with pytest.raises(builder.BuildError, match="--replace"):
        builder.build(url, scale=0.05)
    result = subprocess.run([sys.executable, str(BUILD_PY), "kommun", url, "--scale", "0.05"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "already has 1 table(s)" in result.stderr
    # --replace drops only the sample's tables; others stay.
    counts = builder.build(url, scale=0.05, replace=True)
    engine = sa.create_engine(url)
    try:
        names = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert names == set(kommun.TABLE_ORDER) | {"something_else"}
    assert counts["unit"] == 8


def test_cli_builds_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = subprocess.run(
        [sys.executable, str(BUILD_PY), "kommun", url, "--seed", "3", "--scale", "0.05"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "built kommun (seed 3, scale 0.05): 11 tables" in result.stdout


def test_bad_arguments() -> None:
    with pytest.raises(builder.BuildError, match="unsupported database"):
        builder.build("oracle://scott@localhost/x")
    with pytest.raises(builder.BuildError, match="names no database"):
        builder.build("postgresql+psycopg://postgres@127.0.0.1:5432")
    with pytest.raises(builder.BuildError, match="positive"):
        builder.build("sqlite://", scale=0)


def test_personnummer_helper() -> None:
    assert kommun.personnummer_is_valid("19811218-9876")
    assert not kommun.personnummer_is_valid("19811218-9875")
    assert not kommun.personnummer_is_valid("19811318-9876")
    assert kommun.personnummer_is_valid("19811218-9876", date(1981, 12, 18), "M")
    assert not kommun.personnummer_is_valid("19811218-9876", gender="F")
