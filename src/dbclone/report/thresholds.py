"""`--fail-under METRIC=VALUE`: quality gates for scripts and CI.

A rule fails when the metric is *worse* than VALUE. For higher-is-better metrics (shapes,
pair_trends, ...) that means below VALUE; for lower-is-better ones (detection, privacy_*,
integrity) it means above VALUE: `--fail-under detection=0.75` fails when a classifier tells
the clone apart with more than 75 % accuracy. A metric that could not be measured (no data)
never fails a rule. Integrity violations fail the report whatever the rules say.
"""

from __future__ import annotations

import difflib
import math

from dbclone.errors import UsageError
from dbclone.report.model import METRICS, Report


def parse_thresholds(specs: list[str]) -> dict[str, float]:
    """`["shapes=0.9", "detection=0.75"]` -> `{"shapes": 0.9, "detection": 0.75}`."""
    rules: dict[str, float] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        name = name.strip()
        if not sep:
            raise UsageError(f"--fail-under {spec!r}: write METRIC=VALUE, e.g. shapes=0.9")
        if name not in METRICS:
            raise UsageError(f"--fail-under: unknown metric {name!r}{_did_you_mean(name)}; "
                             f"known: {', '.join(METRICS)}")
        try:
            rules[name] = float(value)
        except ValueError:
            raise UsageError(f"--fail-under {spec!r}: {value!r} is not a number") from None
    return rules


def _did_you_mean(name: str) -> str:
    close = difflib.get_close_matches(name, list(METRICS), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_thresholds(report: Report, rules: dict[str, float]) -> list[str]:
    """One line per failed rule or integrity break; an empty list means the report passes."""
    failures = []
    violations = report.scores.get("integrity") or 0
    if violations:
        failures.append(f"integrity: {violations} constraint violation(s) in the target")
    for name, limit in rules.items():
        value = report.scores.get(name)
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            continue
        higher_is_better = METRICS[name][0]
        worse = value < limit if higher_is_better else value > limit
        if worse and name != "integrity":
            relation = "below" if higher_is_better else "above"
            failures.append(f"{name} = {value:.4g} is {relation} the limit {limit:g}")
    return failures
