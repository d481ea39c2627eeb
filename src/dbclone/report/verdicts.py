"""Verdicts: each score against a documented threshold, as good / look at it / bad.

A metric is either higher-is-better (shapes: 1 = the clone's columns have the source's
distributions) or lower-is-better (detection: 0.5 = a classifier cannot tell clone rows from
real ones; privacy: 0 = nothing copied). Each has two limits: at or beyond `good` the verdict
is "good", beyond `bad` it is "bad", in between "look at it". The limits are the project's
targets (issue 13: detection <= 0.75 per table, text realism <= 0.70 for non-personal text and
<= 0.80 for personal data) and, elsewhere, the values dbclone's clones of the shared sample
databases reach today, so "bad" means clearly worse than a typical clone.

The same table judges the headline scores and each table's, column's and foreign key's own
score (`TABLE_METRIC`), so a card and a row of the report never disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Threshold:
    higher_is_better: bool
    good: float
    bad: float
    meaning: str  # one line: what the number says, in the metric's own direction

    def direction(self) -> str:
        return "higher is better" if self.higher_is_better else "lower is better"

    def rule(self) -> str:
        """The limits as text: "good >= 0.90, bad < 0.80"."""
        if self.higher_is_better:
            return f"good \u2265 {self.good:g}, bad < {self.bad:g}"
        return f"good \u2264 {self.good:g}, bad > {self.bad:g}"


#: Per headline metric: the limits and the one-line meaning shown beside the score.
THRESHOLDS: dict[str, Threshold] = {
    "fidelity": Threshold(True, 0.90, 0.80, "mean of shapes, pair trends and cardinality"),
    "shapes": Threshold(True, 0.90, 0.80, "each column's distribution matches the source's "
                                          "(1 - KS or 1 - TVD; 1 = identical)"),
    "null_rates": Threshold(True, 0.98, 0.95, "each column has the source's share of NULLs"),
    "pair_trends": Threshold(True, 0.85, 0.70, "pairs of columns keep their correlation, "
                                               "within tables and across foreign keys"),
    "cardinality": Threshold(True, 0.90, 0.80, "parents have as many children as in the "
                                               "source (1 - KS of children per parent)"),
    "detection": Threshold(False, 0.60, 0.75, "a classifier tells clone rows from real rows "
                                              "(0.5 = cannot, 1 = always); mean of tables"),
    "detection_worst": Threshold(False, 0.65, 0.75, "the table whose clone rows are easiest "
                                                    "to tell from real ones"),
    "text_realism": Threshold(False, 0.60, 0.70, "a character n-gram classifier tells clone "
                                                 "text from real text (0.5 = cannot); mean "
                                                 "of non-personal text columns"),
    "text_realism_worst": Threshold(False, 0.70, 0.85, "the non-personal text column whose "
                                                       "clone values read most synthetic"),
    "text_realism_personal": Threshold(False, 0.70, 0.80, "the same for names, emails, phones "
                                                          "and addresses (Faker values)"),
    "privacy_copies": Threshold(False, 0.001, 0.01, "share of clone rows that copy a unique "
                                                    "real row, beyond chance (0 = none)"),
    "privacy_overlap": Threshold(False, 0.02, 0.10, "share of near-unique clone values (names, "
                                                    "emails) found in the source; public "
                                                    "reference values are not counted"),
    "privacy_dcr": Threshold(False, 0.55, 0.65, "how often a clone row is closer to the "
                                                "source than a fresh real row is (0.5 = as "
                                                "close as real data; above = copying)"),
    "integrity": Threshold(False, 0, 0, "constraint violations in the clone (must be 0)"),
}

#: The headline metric whose limits judge one table's, column's or foreign key's own score.
TABLE_METRIC = {"shape": "shapes", "pairs": "pair_trends", "detection": "detection_worst",
                "text": "text_realism_worst", "text_personal": "text_realism_personal",
                "cardinality": "cardinality"}

GOOD, LOOK, BAD, NONE = "good", "look at it", "bad", "n/a"
#: Background and text colour per verdict (green, amber, red, grey).
COLOURS = {GOOD: ("#e3f4e6", "#1e6b2e"), LOOK: ("#fff3d6", "#8a5a00"),
           BAD: ("#fbe0dd", "#a3261a"), NONE: ("#eeeeee", "#666666")}
#: Worst first when sorting by verdict.
RANK = {BAD: 0, LOOK: 1, GOOD: 2, NONE: 3}


def verdict(metric: str, value: float | int | None) -> str:
    """good / look at it / bad / n/a for `value` of a headline metric."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return NONE
    limit = THRESHOLDS[metric]
    if limit.higher_is_better:
        return GOOD if value >= limit.good else BAD if value < limit.bad else LOOK
    return GOOD if value <= limit.good else BAD if value > limit.bad else LOOK


def judged(kind: str, value: float | int | None) -> str:
    """The verdict for one table's or column's own score (`TABLE_METRIC` kinds)."""
    return verdict(TABLE_METRIC[kind], value)


def badness(metric: str, value: float | int | None) -> float:
    """How far beyond its good limit a score is, in units of the good-to-bad gap (<= 0:
    good; >= 1: bad): comparable across metrics, so mixed lists sort worst first."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return -math.inf
    limit = THRESHOLDS[metric]
    gap = abs(limit.good - limit.bad) or 1.0
    beyond = limit.good - value if limit.higher_is_better else value - limit.good
    return beyond / gap
