"""What to look at first: every table, column and foreign key whose own score is beyond its
good limit (`verdicts.py`), worst first, each with one line saying why.

Scores of different kinds are ordered by `verdicts.badness` (how far past the good limit, in
units of the good-to-bad gap), so a table told apart at 0.95 comes before a column whose
shape is 0.88.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dbclone.report.model import Report
from dbclone.report.verdicts import BAD, GOOD, NONE, TABLE_METRIC, badness, judged


@dataclass(frozen=True)
class Finding:
    verdict: str
    where: str  # table, table.column or child(fk) -> parent
    score: str  # the metric's short name and value, e.g. "detection 0.92"
    why: str
    badness: float


def findings(report: Report, limit: int | None = None) -> list[Finding]:
    """Items judged "look at it" or "bad", worst first (at most `limit`)."""
    found = _tables(report) + _columns(report) + _texts(report) + _foreign_keys(report)
    kept = [f for f in found if f.verdict not in (GOOD, NONE)]
    kept.sort(key=lambda f: -f.badness)
    return kept[:limit] if limit is not None else kept


def _make(kind: str, value: float, where: str, score: str, why: str) -> Finding:
    return Finding(judged(kind, value), where, score, why, badness(TABLE_METRIC[kind], value))


def _tables(report: Report) -> list[Finding]:
    out = []
    for t in report.tables:
        det = t.detection
        if det is not None and math.isfinite(det.accuracy):
            out.append(_make("detection", det.accuracy, t.name, f"detection {det.accuracy:.3f}",
                             f"a classifier tells its clone rows from real ones "
                             f"{det.accuracy:.0%} of the time (own columns and children's "
                             "counts, means and distinct values)"))
    return out


def _columns(report: Report) -> list[Finding]:
    out = []
    for t in report.tables:
        for c in t.columns:
            if math.isfinite(c.score):
                what = "value lengths differ" if c.metric == "KS(length)" else \
                    "distribution differs"
                out.append(_make("shape", c.score, f"{t.name}.{c.column}",
                                 f"shape {c.score:.3f}",
                                 f"its {what} from the source's ({c.metric})"))
    return out


def _texts(report: Report) -> list[Finding]:
    out = []
    for t in report.text_realism:
        if math.isfinite(t.accuracy) and not t.excepted:
            kind = "text_personal" if t.personal else "text"
            out.append(_make(kind, t.accuracy, f"{t.table}.{t.column}",
                             f"text realism {t.accuracy:.3f}",
                             f"its values read as synthetic: a character n-gram classifier "
                             f"is right {t.accuracy:.0%} of the time"
                             + (f" ({t.group}: {t.provider})" if t.provider else "")))
    return out


def _foreign_keys(report: Report) -> list[Finding]:
    return [_make("cardinality", f.cardinality, f.label, f"cardinality {f.cardinality:.3f}",
                  "the number of children per parent differs from the source's")
            for f in report.foreign_keys if math.isfinite(f.cardinality)]


def count_bad(report: Report) -> int:
    return sum(1 for f in findings(report) if f.verdict == BAD)
