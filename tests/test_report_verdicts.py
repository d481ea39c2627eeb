"""A report that judges: verdicts against documented thresholds, the worst items first with
why, log axes for heavy tails, whole labels, a heat-map legend, public reference values apart
from personal data, one direction per metric."""

from __future__ import annotations

import random
import re
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from dbclone.connect import engine_for
from dbclone.report import build_report, render_html, render_text
from dbclone.report.findings import findings
from dbclone.report.model import METRICS, Chart, Report
from dbclone.report.shapes import histogram
from dbclone.report.svg import chart, heatmap
from dbclone.report.verdicts import BAD, GOOD, LOOK, NONE, THRESHOLDS, verdict

#: ISO 3166 alpha-2 codes and their countries (public reference values).
COUNTRIES = {"SE": "Sweden", "NO": "Norway", "DK": "Denmark", "FI": "Finland", "IS": "Iceland",
             "DE": "Germany", "FR": "France", "ES": "Spain", "PT": "Portugal", "IT": "Italy",
             "NL": "Netherlands", "BE": "Belgium", "AT": "Austria", "CH": "Switzerland",
             "PL": "Poland", "CZ": "Czechia", "HU": "Hungary", "GR": "Greece",
             "IE": "Ireland", "EE": "Estonia", "LV": "Latvia", "LT": "Lithuania",
             "US": "United States", "CA": "Canada", "MX": "Mexico", "BR": "Brazil",
             "AR": "Argentina", "CL": "Chile", "JP": "Japan", "CN": "China"}


def test_each_metric_has_one_direction_and_limits() -> None:
    assert set(METRICS) == set(THRESHOLDS)
    for name, (higher, meaning) in METRICS.items():
        limit = THRESHOLDS[name]
        assert limit.higher_is_better == higher and meaning == limit.meaning
        assert (limit.good >= limit.bad) if higher else (limit.good <= limit.bad)
    assert verdict("shapes", 0.95) == GOOD and verdict("shapes", 0.85) == LOOK
    assert verdict("shapes", 0.7) == BAD and verdict("shapes", float("nan")) == NONE
    assert verdict("detection", 0.55) == GOOD and verdict("detection", 0.7) == LOOK
    assert verdict("detection", 0.9) == BAD
    assert verdict("text_realism_personal", 0.79) == LOOK
    assert verdict("integrity", 0) == GOOD and verdict("integrity", 1) == BAD
    assert "lower is better" in THRESHOLDS["privacy_dcr"].direction()


def _db(path: Path, emails: list[str], rows: int = 60) -> None:
    rng = random.Random(1)
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE country (id INTEGER PRIMARY KEY, iso TEXT NOT NULL, name TEXT NOT NULL);"
        "CREATE TABLE person (id INTEGER PRIMARY KEY, country_id INTEGER REFERENCES country (id),"
        " email TEXT, income REAL, label TEXT);")
    con.executemany("INSERT INTO country VALUES (?, ?, ?)",
                    [(i, code, name) for i, (code, name) in enumerate(COUNTRIES.items())])
    long_label = "A rather long category label that must not be cut"
    con.executemany("INSERT INTO person VALUES (?, ?, ?, ?, ?)",
                    [(i, rng.randrange(len(COUNTRIES)), emails[i % len(emails)],
                      10 ** rng.uniform(2, 7), rng.choice([long_label, "short"]))
                     for i in range(rows)])
    con.commit()
    con.close()


@pytest.fixture(scope="module")
def copied(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """A copy whose countries are the source's and whose emails are half the source's."""
    folder = tmp_path_factory.mktemp("verdicts")
    source, copy = folder / "source.db", folder / "copy.db"
    real = [f"person{i}@mail{i % 7}.se" for i in range(60)]
    _db(source, real)
    _db(copy, real[:30] + [f"other{i}@mail{i % 7}.se" for i in range(30)])
    return build_report(engine_for(str(source)), engine_for(str(copy)), sample_rows=1000)


def test_public_reference_values_are_not_a_leak(copied: Report) -> None:
    by_column = {o.column: o for o in copied.overlaps}
    assert by_column["iso"].reference == "country" and by_column["iso"].share == 1.0
    assert by_column["email"].reference == "" and by_column["email"].share == 0.5
    assert copied.scores["privacy_overlap"] == pytest.approx(0.5)  # the emails alone
    page, text = render_html(copied), render_text(copied)
    assert "Public reference values shared with the source" in page
    assert "person.email" in page and "country.iso" in page
    assert "country.iso (country)" in text and "not counted" in text


def test_heavy_tails_get_a_log_axis_and_labels_stay_whole(copied: Report) -> None:
    rng = np.random.default_rng(0)
    tail = histogram(10 ** rng.uniform(2, 7, 500), 10 ** rng.uniform(2, 7, 500))
    flat = histogram(rng.uniform(0, 100, 500), rng.uniform(0, 100, 500))
    assert tail is not None and tail.log_x and flat is not None and not flat.log_x
    assert "log scale" in chart(tail, "income")
    income = next(c for c in copied.table("person").columns if c.column == "income")
    assert income.chart is not None and income.chart.log_x
    label = "A rather long category label that must not be cut"
    bars = chart(Chart("bar", (0.5, 0.5), (0.5, 0.5), labels=(label, "short")), "label")
    assert f"<title>{label}</title>" in bars  # whole on hover, shortened on the axis
    assert label in render_html(copied)
    legend = heatmap(("a column with a long name", "b"), ((0.0, 0.3), (0.3, 0.0)), "loss")
    assert "trend lost" in legend and "<title>a column with a long name</title>" in legend


def test_the_page_judges_and_states_one_direction(copied: Report) -> None:
    page = render_html(copied)
    assert "0.5 ideal" not in page  # the old DCR header contradicted "lower is better"
    assert page.count("DCR closer (lower is safer)") == 1
    assert "privacy_overlap &middot; bad" in page  # half the emails are real: 0.5 > 0.10
    assert "integrity &middot; good" in page
    assert re.search(r'<span class="v" style="background:#fbe0dd;[^"]+">bad</span>', page)
    for name, limit in THRESHOLDS.items():
        assert f"{name} &middot; " in page and limit.direction() in page
    text = render_text(copied)
    assert "judged against its threshold" in text


def test_worst_items_come_first_with_why(tmp_path: Path) -> None:
    """A copy of Chinook with Album titles scrambled and InvoiceLine prices multiplied: both
    are listed as bad, each with its reason, before anything merely to look at."""
    from tests.helpers import SHARED, missing

    if not SHARED.is_dir():
        missing("samples", str(SHARED))
    import subprocess

    source = tmp_path / "chinook.db"
    subprocess.run(["bash", str(SHARED / "load.sh"), "chinook", "sqlite", str(source)],
                   check=True, capture_output=True)
    copy = tmp_path / "bad.db"
    shutil.copy(source, copy)
    con = sqlite3.connect(copy)
    rng = random.Random(2)
    rows = con.execute("SELECT AlbumId, Title FROM Album").fetchall()
    con.executemany("UPDATE Album SET Title = ? WHERE AlbumId = ?",
                    [("".join(rng.sample(t, len(t))), k) for k, t in rows])
    con.execute("UPDATE InvoiceLine SET UnitPrice = UnitPrice * 7")
    con.commit()
    con.close()
    report = build_report(engine_for(str(source)), engine_for(str(copy)), sample_rows=1500)
    found = findings(report)
    where = {f.where: f for f in found}
    assert where["Album.Title"].verdict == BAD and "read as synthetic" in where["Album.Title"].why
    assert where["InvoiceLine.UnitPrice"].verdict == BAD
    assert "distribution differ" in where["InvoiceLine.UnitPrice"].why
    ranks = [0 if f.verdict == BAD else 1 for f in found]
    assert ranks == sorted(ranks)
    assert "Look here first" in render_html(report) and "Album.Title" in render_text(report)


@pytest.mark.sdv  # sdmetrics comes with the sdv extra: run by .ci/run's second step
def test_sdmetrics_cross_check_when_installed(copied: Report) -> None:
    pytest.importorskip("sdmetrics")
    assert copied.outside is not None and copied.outside.score is not None
    assert 0.0 < copied.outside.score <= 1.0
    assert "Outside cross-check" in render_html(copied)
    assert "outside cross-check: SDMetrics" in render_text(copied)


def test_sdmetrics_absent_is_skipped_cleanly(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from dbclone.report import outside

    monkeypatch.setattr(outside, "available", lambda: False)  # as on the default install
    source = tmp_path / "source.db"
    _db(source, [f"p{i}@mail.se" for i in range(60)])
    report = build_report(engine_for(str(source)), engine_for(str(source)), sample_rows=500)
    assert report.outside is None
    assert "Outside cross-check" not in render_html(report)
    assert "outside cross-check" not in render_text(report)


def test_readme_states_the_same_thresholds() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Judging a clone: `dbclone report`"):]
    for name, limit in THRESHOLDS.items():
        higher = "higher" if limit.higher_is_better else "lower"
        good, bad = ("\u2265", "<") if limit.higher_is_better else ("\u2264", ">")
        row = (f"| `{name}` | {higher} | {good} {limit.good:g} | {bad} {limit.bad:g} | "
               f"{limit.meaning} |")
        assert row in section, row
    assert "--fail-under" in section and (Path(__file__).resolve().parents[1] / "docs" /
                                          "report.png").stat().st_size < 300_000
