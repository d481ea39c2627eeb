"""CHECK constraints evaluated and repaired on generated rows (no database involved: this is
the generator's own logic; the end-to-end tests load the result into real databases)."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

from dbclone.schema import CheckConstraint, Column, Table
from dbclone.synth.repair import repair


def _table(*checks: str) -> Table:
    cols = (Column("a", "integer", "INT"), Column("o", "date", "DATE"),
            Column("c", "date", "DATE"), Column("g", "text", "TEXT"))
    return Table("t", cols, checks=tuple(CheckConstraint(None, c) for c in checks))


def _data() -> dict[str, np.ndarray]:
    d = dt.date
    return {"a": np.array([0, 3, 9], dtype=object),
            "o": np.array([d(2020, 1, 5)] * 3, dtype=object),
            "c": np.array([d(2020, 1, 1), None, d(2021, 1, 1)], dtype=object),
            "g": np.array(["M", "X", "F"], dtype=object)}


def test_range_is_clipped_per_bound() -> None:
    out, notes = repair(_table("(a >= 1) AND (a <= 5)"), "postgresql", _data(),
                        np.random.default_rng(0))
    assert out["a"].tolist() == [1, 3, 5] and not notes


def test_column_order_is_restored() -> None:
    out, _ = repair(_table("c IS NULL OR c >= o"), "postgresql", _data(),
                    np.random.default_rng(0))
    assert all(c is None or c >= o for c, o in zip(out["c"], out["o"], strict=True))
    assert len(out["c"]) == 3


def test_in_lists_in_each_dialect_spelling() -> None:
    for dialect, sql in [("postgresql", "g = ANY (ARRAY['M'::text, 'F'::text])"),
                         ("mysql", "`g` in ('M','F')"), ("sqlite", "g IN ('M', 'F')")]:
        out, _ = repair(_table(sql), dialect, _data(), np.random.default_rng(0))
        assert set(out["g"]) <= {"M", "F"} and len(out["g"]) == 3, dialect


def test_impossible_rows_are_dropped_and_unknown_sql_is_reported() -> None:
    out, _ = repair(_table("a > 0 AND a < length(g)"), "postgresql", _data(),
                    np.random.default_rng(0))
    assert len(out["a"]) == 0
    _, notes = repair(_table("missing_col > 0"), "postgresql", _data(), np.random.default_rng(0))
    assert notes and "missing_col" in notes[0]


def test_null_link_and_formats_hold() -> None:
    """`(status = 'closed') = (closed_on IS NOT NULL)` and a regex format, as PostgreSQL
    reflects them: failing rows take a passing row's values or a new value in the format."""
    d = dt.date
    table = Table("case_file", (Column("status", "string", "TEXT"),
                                Column("closed_on", "date", "DATE"),
                                Column("code", "string", "TEXT")),
                  checks=(CheckConstraint(None, "(status = 'closed'::case_status) = "
                                                "(closed_on IS NOT NULL)"),
                          CheckConstraint(None, "code::text ~ '^SOC-[0-9]{4}$'::text")))
    data = {"status": np.array(["closed", "open", "closed", "open"], dtype=object),
            "closed_on": np.array([None, d(2020, 1, 1), d(2020, 2, 1), None], dtype=object),
            "code": np.array(["x", "SOC-1234", "SOC-99", "SOC-0001"], dtype=object)}
    out, notes = repair(table, "postgresql", data, np.random.default_rng(1))
    assert not notes and len(out["status"]) == 4
    for status, closed in zip(out["status"], out["closed_on"], strict=True):
        assert (status == "closed") == (closed is not None)
    assert all(re.fullmatch(r"SOC-[0-9]{4}", c) for c in out["code"])
