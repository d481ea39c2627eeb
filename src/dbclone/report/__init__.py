"""Stage 6: compare a source and a clone (integrity, fidelity, privacy).

`build_report` reads both databases (SELECTs only) and returns a `Report`; `render_text` and
`render_html` turn it into a terminal summary or one self-contained HTML page, and
`check_thresholds` applies `--fail-under` rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dbclone.report.model import METRICS, Report

if TYPE_CHECKING:  # pragma: no cover - the real imports are lazy, see __getattr__
    from dbclone.report.build import build_report
    from dbclone.report.html import render_html
    from dbclone.report.text import render_text
    from dbclone.report.thresholds import check_thresholds, parse_thresholds

_LAZY = {
    "build_report": "dbclone.report.build",
    "render_html": "dbclone.report.html",
    "render_text": "dbclone.report.text",
    "check_thresholds": "dbclone.report.thresholds",
    "parse_thresholds": "dbclone.report.thresholds",
}


def __getattr__(name: str) -> Any:
    # Lazy so `import dbclone.report` (done by the CLI at start-up) stays cheap.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'dbclone.report' has no attribute {name!r}")


__all__ = ["METRICS", "Report", "build_report", "check_thresholds", "parse_thresholds",
           "render_html", "render_text"]
