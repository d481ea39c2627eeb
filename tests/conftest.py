"""Real databases for the tests: SQLite files, and throwaway PostgreSQL / MariaDB databases.

PostgreSQL (127.0.0.1:5432, user postgres) and MariaDB (127.0.0.1:3306, root) must be running;
tests that need one skip with the reason when it cannot be reached. Tests that use the shared
sample databases skip when ../shared is absent (as on a user's clone).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "sampledbs"
PG_SERVER = os.environ.get("DBCLONE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
MY_SERVER = os.environ.get("DBCLONE_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306")
DIALECTS = ("postgresql", "mysql", "sqlite")


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
        pytest.skip(f"{dialect} server not reachable: {_REASONS[dialect]}")


def _admin(dialect: str, sql: str) -> None:
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
        _admin(dialect, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(dialect, f'CREATE DATABASE "{name}"')
        return f"{PG_SERVER}/{name}"
    _admin(dialect, f"DROP DATABASE IF EXISTS `{name}`")
    _admin(dialect, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    return f"{MY_SERVER}/{name}"


def drop_db(dialect: str, name: str) -> None:
    if dialect == "postgresql":
        _admin(dialect, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    elif dialect == "mysql":
        _admin(dialect, f"DROP DATABASE IF EXISTS `{name}`")
        # side databases a killed load left behind (`<name>__dbclone_<token>[_old]`)
        engine = sa.create_engine(f"{MY_SERVER}/", poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            side = [n for (n,) in conn.exec_driver_sql("SHOW DATABASES")
                    if n.startswith(f"{name[:40]}__dbclone_")]
        for db in side:
            _admin(dialect, f"DROP DATABASE IF EXISTS `{db}`")


@pytest.fixture
def new_db(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Factory: new_db(dialect) -> URL of an empty database, dropped after the test."""
    made: list[tuple[str, str]] = []

    def make(dialect: str) -> str:
        name = f"dbclone_test_{uuid.uuid4().hex[:10]}"
        made.append((dialect, name))
        return create_db(dialect, name, tmp_path)

    yield make
    for dialect, name in made:
        drop_db(dialect, name)


_LOADED: dict[tuple[str, str], str] = {}
_SESSION = uuid.uuid4().hex[:8]


def shared_db(name: str, dialect: str, tmp_root: Path) -> str:
    """URL of a shared sample database, loaded once per test session with load.sh."""
    if not SHARED.is_dir():
        pytest.skip(f"shared sample databases not found at {SHARED}")
    if not (SHARED / name / f"{dialect}.sql").exists():
        pytest.skip(f"no {dialect} dump of {name}")
    require_server(dialect)
    key = (name, dialect)
    if key in _LOADED:
        return _LOADED[key]
    db = f"dbclone_test_src_{name}_{_SESSION}"  # per test session: parallel runs never collide
    target = str(tmp_root / f"{db}.db") if dialect == "sqlite" else db
    env = dict(os.environ)
    subprocess.run(["bash", str(SHARED / "load.sh"), name, dialect, target], check=True,
                   capture_output=True, env=env)
    url = {"sqlite": f"sqlite:///{target}", "postgresql": f"{PG_SERVER}/{db}",
           "mysql": f"{MY_SERVER}/{db}"}[dialect]
    _LOADED[key] = url
    return url


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str, str], str]]:
    root = tmp_path_factory.mktemp("shared")
    yield lambda name, dialect: shared_db(name, dialect, root)
    for (name, dialect), _url in list(_LOADED.items()):
        drop_db(dialect, f"dbclone_test_src_{name}_{_SESSION}")
        del _LOADED[(name, dialect)]
