"""Real databases for the tests: SQLite files, and throwaway PostgreSQL / MariaDB databases
(fixtures `new_db`, `shared`; the environment they come from is `helpers`').

PostgreSQL (127.0.0.1:5432, user postgres) and MariaDB (127.0.0.1:3306, root) must be running;
tests that need one skip with the reason when it cannot be reached. The shared sample databases
are looked for in `DBCLONE_SAMPLEDBS` (default: ../shared/sampledbs beside the repository); tests
that use them skip when they are absent, as on a user's clone.

`DBCLONE_REQUIRE=samples,postgresql,mysql,chromium` (set by .ci/run) names what must be there:
a skip for a missing one becomes a failure, so a CI run that lost its samples or a server goes
red instead of quietly running a third of the tests.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    MISSING,
    MY_SERVER,
    PG_SERVER,
    REQUIRED,
    SHARED,
    create_db,
    drop_db,
    missing,
    require_server,
)


def _has_sdv() -> bool:
    import importlib.util

    return importlib.util.find_spec("sdv") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `sdv` need the `sdv` extra; without it they are deselected (not skipped:
    the default install runs every test it collects), and a failure if DBCLONE_REQUIRE says sdv."""
    needs = [i for i in items if i.get_closest_marker("sdv")]
    if not needs or _has_sdv():
        return
    if "sdv" in REQUIRED:
        raise pytest.UsageError("DBCLONE_REQUIRE names sdv but the sdv extra is not installed "
                                "(pip install -e '.[sdv]')")
    config.hook.pytest_deselected(items=needs)
    items[:] = [i for i in items if not i.get_closest_marker("sdv")]
    _DESELECTED.extend(needs)


_DESELECTED: list[pytest.Item] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _DESELECTED:
        terminalreporter.write_line(f"{len(_DESELECTED)} tests need the sdv extra and were not "
                                    "run (pip install -e '.[sdv]'; .ci/run runs them)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A skip whose reason says a required thing is missing (a skipif mark in a test module
    as much as `missing()`) is reported as a failure."""
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or not REQUIRED or not isinstance(report.longrepr, tuple):
        return
    reason = str(report.longrepr[2]).removeprefix("Skipped: ")
    needed = [w for w in REQUIRED if w in MISSING and reason.startswith(MISSING[w])]
    if needed:
        report.outcome = "failed"
        report.longrepr = f"{reason} (required by DBCLONE_REQUIRE={','.join(sorted(REQUIRED))})"


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
        missing("samples", f"{SHARED} (set DBCLONE_SAMPLEDBS)")
    if not (SHARED / name / f"{dialect}.sql").exists():
        missing("samples", f"no {dialect} dump of {name} in {SHARED}")
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
