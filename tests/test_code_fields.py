"""Codes made of fields (``CASE-2019-000123``): a year-like field keeps the years the source
has, a zero-padded counter keeps its width, also where uniqueness repair redraws a
duplicate. Before: years 2010-2029 from per-position classes, repaired counters of six
significant digits."""

from __future__ import annotations

import re

import sqlalchemy as sa

from dbclone.synth.columns.shaped import range_pieces
from tests.helpers import sqlite_clone, sqlite_source

YEARS = range(2019, 2023)


def test_a_case_number_keeps_its_years_and_its_counter_width(new_db) -> None:
    rows = []
    for year in YEARS:
        for seq in range(1, 301 + 40 * (year - 2019)):
            rows.append((len(rows) + 1, f"CASE-{year}-{seq:06d}"))
    glob = "CASE-" + "[0-9]" * 4 + "-" + "[0-9]" * 6
    source = sqlite_source(new_db, [
        "CREATE TABLE case_file (id INTEGER PRIMARY KEY, case_number VARCHAR(16) NOT NULL "
        f"UNIQUE CHECK (case_number GLOB '{glob}'))"], {"case_file": rows})
    for seed in (0, 1):
        with sqlite_clone(new_db, source, seed).connect() as conn:
            got = [v for (v,) in conn.execute(sa.text("SELECT case_number FROM case_file"))]
        assert len(got) == len(rows)
        assert len(set(got)) == len(got)
        fields = [re.fullmatch(r"CASE-(\d{4})-(\d{6})", v) for v in got]
        assert all(fields), got[:20]
        years = {int(m.group(1)) for m in fields if m}
        assert years <= set(YEARS), sorted(years)
        wide = [v for v, m in zip(got, fields, strict=True) if m and int(m.group(2)) > 999]
        # The repair's last rounds may use the whole width where three digits had no room.
        assert len(wide) <= 0.01 * len(got), wide[:10]


def test_range_pieces_match_exactly_the_range() -> None:
    for low, high, width in [(19, 24, 2), (1, 547, 6), (2019, 2024, 4), (0, 99, 2),
                             (7, 7, 1), (3, 871, 3), (100, 199, 3)]:
        pattern = re.compile("^(?:" + "|".join(range_pieces(low, high, width)) + ")$")
        held = [n for n in range(10 ** width) if pattern.match(str(n).zfill(width))]
        assert held == list(range(low, high + 1)), (low, high, width)
