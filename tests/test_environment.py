"""The test set-up itself: the shared samples are found through DBCLONE_SAMPLEDBS, and what
DBCLONE_REQUIRE names turns a skip for its absence into a failure (as .ci/run sets it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: A test that needs the samples and nothing else (SQLite), quick to fail or skip.
NEEDS_SAMPLES = "tests/test_cli.py::test_inspect_and_plan"


def _pytest(test: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("DBCLONE_")}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                           test], cwd=ROOT, env=full, capture_output=True, text=True, timeout=300)


def test_samples_elsewhere_skip_with_the_path(tmp_path: Path) -> None:
    nowhere = tmp_path / "no-samples-here"
    res = _pytest(NEEDS_SAMPLES, DBCLONE_SAMPLEDBS=str(nowhere))
    assert res.returncode == 0, res.stdout
    assert "1 skipped" in res.stdout
    assert f"shared sample databases not found: {nowhere}" in res.stdout


def test_required_samples_absent_fail(tmp_path: Path) -> None:
    nowhere = tmp_path / "no-samples-here"
    res = _pytest(NEEDS_SAMPLES, DBCLONE_SAMPLEDBS=str(nowhere), DBCLONE_REQUIRE="samples")
    assert res.returncode == 1, res.stdout
    assert "1 failed" in res.stdout and "skipped" not in res.stdout
    assert "required by DBCLONE_REQUIRE" in res.stdout


def test_skipif_mark_for_required_samples_fails(tmp_path: Path) -> None:
    """A module-level skipif on the samples (the report tests) fails too when they are
    required."""
    nowhere = tmp_path / "no-samples-here"
    res = _pytest("tests/test_report_personal.py", DBCLONE_SAMPLEDBS=str(nowhere),
                  DBCLONE_REQUIRE="samples")
    assert res.returncode == 1, res.stdout
    last = res.stdout.splitlines()[-1]  # a failure in set-up counts as an error
    assert "skipped" not in last and ("failed" in last or "error" in last), last


def test_required_server_unreachable_fails() -> None:
    # Port 9 (discard) has no PostgreSQL: the server test fails instead of skipping.
    res = _pytest("tests/test_load.py::test_verify_checks_sequences",
                  DBCLONE_TEST_PG="postgresql+psycopg://postgres@127.0.0.1:9",
                  DBCLONE_REQUIRE="postgresql")
    assert res.returncode == 1, res.stdout
    assert "postgresql server not reachable" in res.stdout
    assert "1 failed" in res.stdout
