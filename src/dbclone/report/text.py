"""Plain-text summary of a `Report`: scores first, integrity loudly, worst items first."""

from __future__ import annotations

import math

from dbclone.report.model import PersonalColumn, Report, mean
from dbclone.report.verdicts import THRESHOLDS, verdict

#: Rows per "worst first" list in the text summary (the HTML and JSON hold everything).
WORST = 5


def fmt(value: float | int | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def render_text(report: Report) -> str:
    """A terminal-sized summary; plain text (no markup), one section per concern."""
    lines = [f"dbclone report: {report.source} -> {report.target}", ""]
    lines += _integrity(report) + [""] + _scores(report) + [""] + _first(report) + [""]
    lines += _personal(report, quasi=False) + _personal(report, quasi=True) + [""]
    lines += _worst_columns(report) + _worst_tables(report) + _text_realism(report)
    lines += _worst_fks(report)
    lines += _privacy(report)
    lines += ["", *report.notes, f"Finished in {report.elapsed_seconds:.1f} s."]
    return "\n".join(lines)


def _integrity(report: Report) -> list[str]:
    broken = [c for c in report.integrity if c.violations]
    lines = []
    if broken:
        total = sum(c.violations or 0 for c in broken)
        lines.append(f"!!! INTEGRITY FAILED: {total} violation(s) in the target !!!")
        lines += [f"  {c.kind:<12} {c.table}: {c.constraint} -> {c.violations}"
                  f"{' (' + c.note + ')' if c.note else ''}" for c in broken]
    else:
        lines.append(f"Integrity OK: 0 violations in {len(report.integrity)} checks.")
    for c in report.unchecked:
        lines.append(f"  not checked  {c.table}: {c.constraint} ({c.note})")
    return lines


def _scores(report: Report) -> list[str]:
    lines = ["Scores, each judged against its threshold (good / look at it / bad):"]
    for name, limit in THRESHOLDS.items():
        value = report.scores.get(name)
        lines.append(f"  {name:<22} {fmt(value):>8}  {verdict(name, value):<11} "
                     f"{limit.direction()}; {limit.rule()}")
    if report.outside is not None:
        o = report.outside
        lines.append(f"  outside cross-check: {o.name} {fmt(o.score)}"
                     f"{' (' + o.note + ')' if o.note else ''}")
    return lines


def _first(report: Report) -> list[str]:
    """The worst tables, columns and foreign keys, with why."""
    from dbclone.report.findings import findings

    found = findings(report)
    if not found:
        return ["Look here first: nothing; every table, column and foreign key is good."]
    lines = [f"Look here first ({len(found)} item(s) beyond their good limit, worst first):"]
    lines += [f"  {f.verdict:<11} {f.where:<40} {f.score:<24} {f.why}"
              for f in found[:WORST * 2]]
    return lines


def _personal(report: Report, *, quasi: bool) -> list[str]:
    """Columns replaced with Faker values, one line per table, so no score misleads."""
    summary = report.reference_summary if quasi else report.personal_summary
    lines = [summary[:1].upper() + summary[1:] + "."]
    cols = [c for c in report.personal if c.quasi == quasi]
    if not cols:
        return lines
    if not quasi:
        lines.append("  (the synthesizer never reproduces them: their values and categories "
                     "are not compared, and they take no part in pair trends)")
    by_table: dict[str, list[PersonalColumn]] = {}
    for col in cols:
        by_table.setdefault(col.table, []).append(col)
    for table, found in by_table.items():
        names = ", ".join(f"{c.column} ({c.provider})" for c in found)
        lines.append(f"  {table}: {names}; length {fmt(mean([c.score for c in found]))}")
    return lines


def _worst_columns(report: Report) -> list[str]:
    cols = sorted((c for t in report.tables for c in t.columns if math.isfinite(c.score)),
                  key=lambda c: c.score)[:WORST]
    lines = ["Worst columns (shape):"]
    lines += [f"  {c.table + '.' + c.column:<40} {c.metric:<11} {fmt(c.score)}  nulls "
              f"{fmt(c.null_source, 2)} vs {fmt(c.null_target, 2)}" for c in cols]
    pairs = sorted((p for t in report.tables for p in t.pairs if math.isfinite(p.score)),
                   key=lambda p: p.score)[:WORST]
    pairs += sorted((p for p in report.fk_pairs if math.isfinite(p.score)),
                    key=lambda p: p.score)[:WORST]
    lines.append("Worst pair trends:")
    lines += [f"  {p.scope}: {p.left} ~ {p.right}  {p.metric} {fmt(p.score)}"
              for p in sorted(pairs, key=lambda p: p.score)[:WORST]]
    return lines


def _worst_tables(report: Report) -> list[str]:
    found = [t for t in report.tables if t.detection and math.isfinite(t.detection.accuracy)]
    found.sort(key=lambda t: -(t.detection.accuracy if t.detection else 0.0))
    lines = ["Detection per table (accuracy +- standard error; 0.5 = indistinguishable):"]
    for t in found[:WORST * 2]:
        assert t.detection is not None
        lines.append(f"  {t.name:<30} {fmt(t.detection.accuracy)} +- "
                     f"{fmt(t.detection.stderr)}  ({t.detection.rows_per_class} rows/class)")
    return lines


def _text_realism(report: Report) -> list[str]:
    """The text columns a character n-gram classifier tells apart best, per group."""
    lines = ["Text realism (character n-gram classifier accuracy, synthetic vs real values; "
             "0.5 = indistinguishable):"]
    for group, title in (("text", "text"), ("reference", "reference values"),
                         ("personal", "personal data")):
        cols = [t for t in report.text_realism if t.group == group and math.isfinite(t.accuracy)]
        for t in cols[:WORST]:
            what = f" ({t.provider})" if t.provider else ""
            lines.append(f"  {title:<16} {t.table + '.' + t.column:<40} {fmt(t.accuracy)} +- "
                         f"{fmt(t.stderr)}{what}")
    if len(lines) == 1:
        lines.append("  no text column with enough distinct values")
    return lines


def _worst_fks(report: Report) -> list[str]:
    fks = sorted((f for f in report.foreign_keys if math.isfinite(f.cardinality)),
                 key=lambda f: f.cardinality)[:WORST]
    return ["Worst cardinality (children per parent):"] + \
        [f"  {f.label:<50} {fmt(f.cardinality)}" for f in fks]


def _privacy(report: Report) -> list[str]:
    lines = ["Privacy (lower is safer):"]
    copied = sorted((t.privacy for t in report.tables
                     if t.privacy and t.privacy.copies), key=lambda p: -(p.copies or 0.0))
    lines += [f"  copies   {p.table:<30} {fmt(p.copies)} ({p.copied_rows}/{p.compared_rows} rows)"
              for p in copied[:WORST]]
    shared = sorted((o for o in report.overlaps if o.shared and not o.reference),
                    key=lambda o: -o.share)
    lines += [f"  overlap  {o.table + '.' + o.column:<30} {o.shared}/{o.distinct_target} values"
              for o in shared[:WORST]]
    if len(lines) == 1:
        lines.append("  no copied rows and no shared near-unique values")
    public = [o for o in report.overlaps if o.shared and o.reference]
    if public:
        lines.append("  public reference values shared (not personal data, not counted): "
                     + ", ".join(f"{o.table}.{o.column} ({o.reference})" for o in public))
    return lines
