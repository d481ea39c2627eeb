"""`dbclone report` against real sample databases: exact copies, planted faults, the CLI.

Each perturbation lives in its own table of one copy, so every test can check that the
fault is flagged by exactly the metric meant to catch it and by nothing else.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from dbclone.connect import engine_for
from dbclone.errors import EXIT_VERIFY, DbcloneError
from dbclone.introspect import introspect
from dbclone.report import build_report, render_html, render_text
from dbclone.report.cli import register
from dbclone.report.integrity import check_integrity
from dbclone.report.model import Report
from dbclone.report.thresholds import check_thresholds, parse_thresholds
from tests.helpers import MISSING, REPORT_ROWS, SHARED, load_shared, missing

PG = "postgresql://postgres@127.0.0.1:5432"
MY = "mysql://root@127.0.0.1:3306"
#: Small samples keep the suite quick; the fixtures are far smaller or equal anyway.
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{MISSING['samples']}: {SHARED}")


def server(url: str) -> sa.Engine:
    try:
        return engine_for(url)
    except DbcloneError as exc:
        missing("postgresql" if url.startswith("postgresql") else "mysql", str(exc))


def drop_pg(name: str) -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name],
                   check=False, capture_output=True)


def drop_my(name: str) -> None:
    subprocess.run(["mariadb", "-h127.0.0.1", "-uroot", "-e", f"DROP DATABASE IF EXISTS `{name}`"],
                   check=False, capture_output=True)


# -- fixtures: real databases ------------------------------------------------------------

@pytest.fixture(scope="module")
def chinook_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "chinook.db"
    load_shared("chinook", "sqlite", str(path))
    return path


@pytest.fixture(scope="module")
def sqlite_exact(chinook_sqlite: Path) -> Report:
    copy = chinook_sqlite.with_name("copy.db")
    shutil.copy(chinook_sqlite, copy)
    return build_report(engine_for(str(chinook_sqlite)), engine_for(str(copy)),
                        sample_rows=REPORT_ROWS)


@pytest.fixture(scope="module")
def perturbed_path(chinook_sqlite: Path) -> Path:
    """Chinook with one fault per table (see `_perturb`)."""
    path = chinook_sqlite.with_name("perturbed.db")
    shutil.copy(chinook_sqlite, path)
    _perturb(path)
    return path


@pytest.fixture(scope="module")
def perturbed(chinook_sqlite: Path, perturbed_path: Path) -> Report:
    return build_report(engine_for(str(chinook_sqlite)), engine_for(str(perturbed_path)),
                        sample_rows=REPORT_ROWS)


PLANTED = 5


def _perturb(path: Path) -> None:
    """Track.Milliseconds shuffled; 3 Album orphans; 1 InvoiceLine PK duplicate; Customer
    rewritten to fake values except PLANTED real rows."""
    con = sqlite3.connect(path)
    rows = con.execute("SELECT TrackId, Milliseconds FROM Track").fetchall()
    values = [r[1] for r in rows]
    random.Random(7).shuffle(values)
    con.executemany("UPDATE Track SET Milliseconds = ? WHERE TrackId = ?",
                    [(v, r[0]) for v, r in zip(values, rows, strict=True)])
    con.execute("UPDATE Album SET ArtistId = 99999 WHERE AlbumId IN (1, 2, 3)")
    # SQLite cannot drop a PRIMARY KEY: rebuild the table without one, then collide two keys.
    con.executescript("CREATE TABLE il AS SELECT * FROM InvoiceLine; DROP TABLE InvoiceLine; "
                      "ALTER TABLE il RENAME TO InvoiceLine;")
    con.execute("UPDATE InvoiceLine SET InvoiceLineId = 1 WHERE InvoiceLineId = 2")
    con.execute(
        "UPDATE Customer SET FirstName = 'F' || CustomerId, LastName = 'L' || CustomerId, "
        "Address = CustomerId || ' Fake St', Phone = '+1 555 ' || CustomerId, "
        "Email = 'c' || CustomerId || '@example.com', PostalCode = 'Z' || CustomerId "
        f"WHERE CustomerId > {PLANTED}")
    con.commit()
    con.close()


@pytest.fixture(scope="module")
def pg_exact(shared: Callable[[str, str], str]) -> Iterator[Report]:
    yield from _server_exact(shared, PG, load_dialect="postgresql", drop=drop_pg)


@pytest.fixture(scope="module")
def mysql_exact(shared: Callable[[str, str], str]) -> Iterator[Report]:
    yield from _server_exact(shared, MY, load_dialect="mysql", drop=drop_my)


def _server_exact(shared: Callable[[str, str], str], base: str, *, load_dialect: str,
                  drop: object) -> Iterator[Report]:
    source = server(shared("chinook", load_dialect))  # loaded once per test session
    name = f"dbclone_test_report_exact_{uuid.uuid4().hex[:8]}"
    load_shared("chinook", load_dialect, name)
    try:
        yield build_report(source, engine_for(f"{base}/{name}"), sample_rows=REPORT_ROWS)
    finally:
        drop(name)  # type: ignore[operator]


# -- exact copies: perfect fidelity and integrity, full leakage ----------------------------

@pytest.mark.parametrize("fixture", ["sqlite_exact", "pg_exact", "mysql_exact"])
def test_exact_copy_is_perfect_and_leaks_everything(fixture: str,
                                                    request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(fixture)
    s = report.scores
    assert report.integrity_ok and s["integrity"] == 0 and s["integrity_unchecked"] == 0
    for name in ("shapes", "null_rates", "pair_trends", "cardinality", "fidelity"):
        assert s[name] == pytest.approx(1.0), name
    assert s["detection"] == pytest.approx(0.5, abs=0.02)
    assert s["privacy_copies"] == 1.0 and s["privacy_overlap"] == 1.0
    assert s["privacy_dcr"] > 0.75  # discrete-only tables tie at 0.5, the rest are 1.0
    assert len(report.tables) == 11 and len(report.foreign_keys) == 11
    # Names, emails, addresses (replaced by Faker in a clone) are compared by length: 1.0 here.
    # Employee.City is not among them: Calgary holds 5 employees, so the city is a category.
    assert len(report.personal) == 21
    assert ("Employee", "City") not in {(p.table, p.column) for p in report.personal}
    assert all(p.score == pytest.approx(1.0) for p in report.personal)


def test_report_is_json_with_every_number(sqlite_exact: Report) -> None:
    data = json.loads(json.dumps(sqlite_exact.to_dict()))
    assert set(data["scores"]) >= {"shapes", "detection", "privacy_copies", "integrity"}
    track = next(t for t in data["tables"] if t["name"] == "Track")
    assert {c["column"] for c in track["columns"]} == {"Name", "Composer", "Milliseconds",
                                                      "Bytes", "UnitPrice"}
    assert track["detection"]["stderr"] is not None
    assert data["metrics"]["detection"]["higher_is_better"] is False


# -- each fault caught by its own metric --------------------------------------------------

def test_orphans_and_duplicate_keys_are_counted_where_they_are(perturbed: Report) -> None:
    broken = {(c.kind, c.table): c.violations for c in perturbed.integrity if c.violations}
    assert broken == {("orphans", "Album"): 3, ("primary_key", "InvoiceLine"): 1}
    assert perturbed.scores["integrity"] == 4
    assert "INTEGRITY FAILED: 4" in render_text(perturbed)
    assert "INTEGRITY FAILED" in render_html(perturbed)


def test_shuffled_column_keeps_its_shape_but_loses_its_trends(perturbed: Report) -> None:
    track = perturbed.table("Track")
    ms = next(c for c in track.columns if c.column == "Milliseconds")
    assert ms.score > 0.98  # Track is sampled (1500 of 3503 rows), so not exactly 1
    pair = next(p for p in track.pairs if {p.left, p.right} == {"Milliseconds", "Bytes"})
    assert pair.score < 0.6 and pair.real is not None and pair.real > 0.9
    untouched = [p for p in track.pairs if "Milliseconds" not in (p.left, p.right)]
    assert all(p.score > 0.97 for p in untouched)
    assert track.detection is not None and track.detection.accuracy > 0.7


def test_faults_leave_unrelated_tables_perfect(perturbed: Report) -> None:
    for name in ("Track", "Album", "InvoiceLine", "Invoice", "Artist"):
        assert perturbed.table(name).shape_score > 0.98, name
    for name in ("Invoice", "Artist", "Employee"):
        t = perturbed.table(name)
        assert t.pair_score == pytest.approx(1.0) or t.pair_score != t.pair_score, name


def test_planted_real_rows_are_found(perturbed: Report) -> None:
    customer = perturbed.table("Customer").privacy
    assert customer is not None and customer.copied_rows == PLANTED
    emails = next(o for o in perturbed.overlaps if (o.table, o.column) == ("Customer", "Email"))
    assert emails.shared == PLANTED
    assert perturbed.table("Track").privacy.copies < 0.01  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def employees_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "employees.db"
    load_shared("employees", "sqlite", str(path))
    return path


def test_broken_check_is_counted(employees_sqlite: Path) -> None:
    broken = employees_sqlite.with_name("employees_check.db")
    shutil.copy(employees_sqlite, broken)
    con = sqlite3.connect(broken)
    # Rebuild `employee` without its CHECK (SQLite cannot drop one), then break it once.
    con.executescript("CREATE TABLE e AS SELECT * FROM employee; DROP TABLE employee; "
                      "ALTER TABLE e RENAME TO employee;")
    con.execute("UPDATE employee SET gender = 'X' WHERE emp_no = (SELECT MIN(emp_no) "
                "FROM employee)")
    con.commit()
    con.close()
    report = build_report(engine_for(str(employees_sqlite)), engine_for(str(broken)),
                          sample_rows=REPORT_ROWS)
    assert {(c.kind, c.table, c.violations) for c in report.integrity if c.violations} == {
        ("check", "employee", 1)}
    gender = next(c for c in report.table("employee").columns if c.column == "gender")
    assert gender.score > 0.99


def test_check_text_the_target_cannot_run_is_not_checked(
        employees_sqlite: Path, shared: Callable[[str, str], str]) -> None:
    pg = introspect(server(shared("employees", "postgresql")))
    target = engine_for(str(employees_sqlite))
    from dbclone.dialects import dialect_for

    checks = check_integrity(pg, introspect(target), target, dialect_for(target))
    check = next(c for c in checks if c.kind == "check")
    assert check.violations is None and "not checked" in check.note
    # PostgreSQL's copy has an extra `audit` table, which the SQLite one lacks: loud, counted.
    assert {c.table for c in checks if c.kind == "missing_table"} == {"audit"}
    assert all(c.violations == 0 for c in checks if c.kind not in ("check", "missing_table"))


# -- the CLI -------------------------------------------------------------------------------

def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:  # a callback keeps `report` a sub-command, as in the real app
        """dbclone."""

    return app


def test_cli_writes_files_and_passes_a_good_copy(employees_sqlite: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy(employees_sqlite, copy)
    html, js = tmp_path / "r.html", tmp_path / "r.json"
    result = CliRunner().invoke(cli(), [
        "report", str(employees_sqlite), str(copy), "--html", str(html), "--json", str(js),
        "--fail-under", "shapes=0.9", "--fail-under", "detection=0.75", "--sample-rows", "500"])
    assert result.exit_code == 0, result.output
    assert "Integrity OK" in result.output
    assert json.loads(js.read_text())["sample_rows"] == 500
    assert html.read_text().startswith("<!DOCTYPE html>")


def test_cli_fails_on_privacy_rule_and_integrity(employees_sqlite: Path,
                                                 perturbed_path: Path,
                                                 chinook_sqlite: Path) -> None:
    leak = CliRunner().invoke(cli(), ["report", str(employees_sqlite), str(employees_sqlite),
                                      "--fail-under", "privacy_copies=0.01",
                                      "--sample-rows", "300"])
    assert leak.exit_code == EXIT_VERIFY
    assert "privacy_copies = 0.9" in leak.output and "is above the limit 0.01" in leak.output
    broken = CliRunner().invoke(cli(), ["report", str(chinook_sqlite), str(perturbed_path),
                                        "--sample-rows", "300"])
    assert broken.exit_code == EXIT_VERIFY and "integrity: 4 constraint" in broken.output


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    missing = CliRunner().invoke(cli(), ["report", str(tmp_path / "no.db"), "x.db"])
    assert missing.exit_code == 3 and "does not exist" in missing.output
    bad = CliRunner().invoke(cli(), ["report", "a.db", "b.db", "--fail-under", "shapez=1"])
    assert bad.exit_code == 2 and "did you mean 'shapes'" in bad.output


def test_cli_has_help() -> None:
    result = CliRunner().invoke(cli(), ["report", "--help"])
    assert result.exit_code == 0 and "--fail-under" in result.output


def test_thresholds_compare_each_metric_its_own_way(sqlite_exact: Report) -> None:
    assert check_thresholds(sqlite_exact, parse_thresholds(["shapes=0.99"])) == []
    assert check_thresholds(sqlite_exact, parse_thresholds(["detection=0.6"])) == []
    failed = check_thresholds(sqlite_exact, parse_thresholds(["privacy_overlap=0.5"]))
    assert failed and "above" in failed[0]


# -- HTML ------------------------------------------------------------------------------------

def test_html_is_self_contained(perturbed: Report) -> None:
    page = render_html(perturbed)
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    assert len(page) < 2_000_000
    assert page.count("<svg") > 20  # charts per column, per FK, heatmaps, the FK graph


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_html_renders_in_chromium(perturbed: Report, tmp_path: Path) -> None:
    """The page renders in headless Chromium; set DBCLONE_REPORT_SHOTS=DIR to keep the
    screenshot (report.png) and look at it."""
    import os

    page, shot = tmp_path / "report.html", tmp_path / "report.png"
    html = render_html(perturbed)
    assert "Look here first" in html and "&middot; bad" in html  # verdicts to be seen
    page.write_text(html, encoding="utf-8")
    command = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
               "--virtual-time-budget=5000", f"--screenshot={shot}", "--window-size=1400,2400"]
    # Headless Chromium now and then hangs at start-up on a busy machine (seen once in CI):
    # a fresh profile and a second try; a third silence fails the test.
    for attempt in range(3):
        profile = f"--user-data-dir={tmp_path / f'profile{attempt}'}"
        try:
            subprocess.run([*command, profile, page.as_uri()], check=True, capture_output=True,
                           timeout=90)
            break
        except subprocess.TimeoutExpired:
            continue
    else:
        pytest.fail("chromium did not answer within 90 s, three times")
    assert shot.stat().st_size > 50_000  # a blank page is a few kilobytes
    keep = os.environ.get("DBCLONE_REPORT_SHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "report.png")


# -- a real clone, when the clone stage exists ----------------------------------------------

def test_clone_scores_between_copy_and_garbage(chinook_sqlite: Path, tmp_path: Path) -> None:
    api = pytest.importorskip("dbclone.api")
    target = tmp_path / "clone.db"
    api.clone(f"sqlite:///{chinook_sqlite}", f"sqlite:///{target}", scale=1.0, seed=0)
    report = build_report(engine_for(str(chinook_sqlite)), engine_for(str(target)),
                          sample_rows=REPORT_ROWS)
    s = report.scores
    assert report.integrity_ok
    assert 0.0 < s["shapes"] < 1.0 and 0.0 < s["fidelity"] < 1.0
    assert 0.5 < s["detection"] < 1.0
    assert s["privacy_copies"] < 1.0 and s["privacy_overlap"] < 1.0


def test_chance_coincidences_are_not_copies() -> None:
    """Order lines drawn independently from the same few prices and quantities meet real
    lines by chance; only the excess over what fresh real rows show counts as copying."""
    import numpy as np
    import pandas as pd

    from dbclone.report.privacy import copies
    from dbclone.schema import Column, Table

    rng = np.random.default_rng(0)
    table = Table("line", (Column("id", "integer", "INT"), Column("price", "float", "REAL"),
                           Column("qty", "integer", "INT"), Column("disc", "float", "REAL")),
                  primary_key=("id",))

    def lines(n: int) -> pd.DataFrame:
        return pd.DataFrame({"id": range(n), "price": rng.choice([9.5, 14.0, 18.0, 21.0], n),
                             "qty": rng.integers(1, 500, n), "disc": rng.choice([0, .05, .1], n)})

    real, synth = lines(2000), lines(2000)
    share, _, _, note = copies(table, real, synth)
    assert share is not None and share < 0.01 and "by chance" in note
    leaked, _, _, _ = copies(table, real, pd.concat([synth.head(1800), real.head(200)]))
    assert leaked is not None and leaked > 0.03  # 200 real lines planted among 2000
