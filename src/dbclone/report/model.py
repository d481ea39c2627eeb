"""The report's value types: frozen dataclasses of plain values, JSON-ready through `to_dict`.

Everything `render_html` and `render_text` show lives here, chart data included, so a report
written as JSON can be rendered again later without touching either database.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from dbclone.report.verdicts import THRESHOLDS

#: Every headline metric: name -> (higher_is_better, one-line meaning), from the thresholds
#: in `verdicts.py` (one direction per metric, stated the same everywhere). `--fail-under
#: NAME=V` fails when the metric is *worse* than V: below V for higher-is-better metrics,
#: above V for lower-is-better ones (detection, text realism, privacy, integrity).
METRICS: dict[str, tuple[bool, str]] = {name: (t.higher_is_better, t.meaning)
                                        for name, t in THRESHOLDS.items()}


@dataclass(frozen=True)
class Chart:
    """Data for one real-vs-synthetic chart: a histogram (`edges`) or a bar chart (`labels`).

    `real` and `synth` are shares (each sums to 1 over the bins that hold values)."""

    kind: str  # "hist" or "bar"
    real: tuple[float, ...]
    synth: tuple[float, ...]
    edges: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()
    x_is_time: bool = False
    log_x: bool = False  # `edges` are spaced evenly in log10: the values span decades


@dataclass(frozen=True)
class IntegrityCheck:
    """One constraint counted in the target. `violations` is None when it could not be checked."""

    kind: str  # orphans, primary_key, unique, not_null, check, missing_table
    table: str
    constraint: str
    violations: int | None
    note: str = ""


@dataclass(frozen=True)
class ColumnShape:
    table: str
    column: str
    family: str  # numeric, datetime, categorical; text and personal compared by length
    metric: str  # "KS", "TVD" or "KS(length)"
    score: float  # 1 - statistic; NaN when there is nothing to compare
    null_source: float
    null_target: float
    chart: Chart | None = None

    @property
    def null_score(self) -> float:
        return 1.0 - abs(self.null_source - self.null_target)


@dataclass(frozen=True)
class PairTrend:
    """Similarity of one column pair's trend; `scope` is a table name or `child->parent`."""

    scope: str
    left: str
    right: str
    metric: str  # "correlation" or "contingency"
    score: float
    real: float | None = None  # the correlations, for correlation pairs
    synth: float | None = None


@dataclass(frozen=True)
class Detection:
    """C2ST-Agg / DDA for one table: cross-validated accuracy and its standard error."""

    table: str
    accuracy: float
    stderr: float
    rows_per_class: int
    features: int
    note: str = ""


@dataclass(frozen=True)
class TextRealism:
    """How well a character n-gram classifier tells a text column's synthetic values from its
    real ones (see `realism.py`); 0.5 = indistinguishable, NaN when too few values."""

    table: str
    column: str
    group: str  # "text", "reference" (cities, countries, companies) or "personal"
    provider: str  # the Faker provider when the synthesizer replaces the column, else ""
    accuracy: float
    stderr: float
    values_per_class: int
    note: str = ""
    #: Emails on reserved domains (example.com, .test, ...): meant to read as made up, so
    #: left out of the scores (issue 13's target excepts them).
    excepted: bool = False

    @property
    def personal(self) -> bool:
        return self.group == "personal"


@dataclass(frozen=True)
class ForeignKeyReport:
    child: str
    columns: tuple[str, ...]
    parent: str
    ref_columns: tuple[str, ...]
    cardinality: float  # 1 - KS of children-per-parent counts, zeros included
    chart: Chart | None = None

    @property
    def label(self) -> str:
        return f"{self.child}({', '.join(self.columns)}) -> {self.parent}"


@dataclass(frozen=True)
class TablePrivacy:
    table: str
    copies: float | None  # share of target rows copying a source row's non-key values
    copied_rows: int
    compared_rows: int
    dcr_closer: float | None  # see privacy.py for the definition
    dcr_median_ratio: float | None
    note: str = ""


@dataclass(frozen=True)
class ValueOverlap:
    """A near-unique source column (names, emails, ids) and how many target values it shares."""

    table: str
    column: str
    distinct_target: int
    shared: int
    #: The public list the source values belong to (country, currency, language, city...),
    #: "" when they are not public reference values: sharing those is no leak.
    reference: str = ""

    @property
    def share(self) -> float:
        return self.shared / self.distinct_target if self.distinct_target else 0.0


@dataclass(frozen=True)
class PersonalColumn:
    """A column the synthesizer replaces with Faker values, compared by value length only."""

    table: str
    column: str
    provider: str  # the Faker provider: first_name, email, street_address, country, ...
    reason: str  # why the detector flagged it
    score: float  # 1 - KS of the value lengths
    #: A quasi-identifier or public reference value (city, country, company, job title),
    #: replaced because its values were rare, rather than a person's own data.
    quasi: bool = False


@dataclass(frozen=True)
class OutsideCheck:
    """A score computed by another project's library on the same samples (see `outside.py`);
    `score` is None when it could not run, and `note` says why."""

    name: str
    score: float | None
    note: str = ""


@dataclass(frozen=True)
class TableReport:
    name: str
    rows_source: int
    rows_target: int
    sampled_source: int
    sampled_target: int
    columns: tuple[ColumnShape, ...] = ()
    pairs: tuple[PairTrend, ...] = ()
    pair_matrix: tuple[tuple[str, ...], tuple[tuple[float | None, ...], ...]] = ((), ())
    detection: Detection | None = None
    privacy: TablePrivacy | None = None

    @property
    def shape_score(self) -> float:
        return mean([c.score for c in self.columns])

    @property
    def pair_score(self) -> float:
        return mean([p.score for p in self.pairs])


@dataclass(frozen=True)
class Report:
    source: str
    target: str
    sample_rows: int
    seed: int
    scores: dict[str, float | int | None]
    integrity: tuple[IntegrityCheck, ...]
    tables: tuple[TableReport, ...]
    foreign_keys: tuple[ForeignKeyReport, ...]
    fk_pairs: tuple[PairTrend, ...]
    overlaps: tuple[ValueOverlap, ...]
    graph_edges: tuple[tuple[str, str, str], ...]  # (parent, child, label) for the FK graph
    personal: tuple[PersonalColumn, ...] = ()
    text_realism: tuple[TextRealism, ...] = ()  # worst first
    outside: OutsideCheck | None = None  # None: the library is not installed
    notes: tuple[str, ...] = ()
    elapsed_seconds: float = 0.0

    @property
    def integrity_ok(self) -> bool:
        return not any(c.violations for c in self.integrity)

    @property
    def unchecked(self) -> tuple[IntegrityCheck, ...]:
        return tuple(c for c in self.integrity if c.violations is None)

    @property
    def personal_summary(self) -> str:
        """The headline of the "personal data replaced" section (people's data only)."""
        n = sum(1 for c in self.personal if not c.quasi)
        return (f"personal data replaced: {n} column{'' if n == 1 else 's'}, "
                "compared by length only")

    @property
    def reference_summary(self) -> str:
        """The headline of the section on replaced quasi-identifiers and reference values."""
        n = sum(1 for c in self.personal if c.quasi)
        return (f"places, organisations and job titles replaced: {n} column"
                f"{'' if n == 1 else 's'}, compared by length only")

    def table(self, name: str) -> TableReport:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-serialisable dict; NaN becomes None (JSON has no NaN)."""
        data = dataclasses.asdict(self)
        data["integrity_ok"] = self.integrity_ok
        data["personal"] = {"summary": self.personal_summary,
                            "reference_summary": self.reference_summary,
                            "columns": data["personal"]}
        data["metrics"] = {k: {"higher_is_better": hib, "meaning": text}
                           for k, (hib, text) in METRICS.items()}
        return _clean(data)


def mean(values: list[float]) -> float:
    """Mean of the finite values; NaN when there are none (a metric with nothing to measure)."""
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value
