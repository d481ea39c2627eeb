"""One self-contained HTML page for a `Report`: inline CSS and SVG, nothing fetched.

The page judges before it shows: score cards coloured by their verdict (`verdicts.py`), then
the tables and columns to look at first with why (`findings.py`), then the detail.
"""

from __future__ import annotations

import math
from html import escape

from dbclone.report import svg
from dbclone.report.findings import findings
from dbclone.report.model import ForeignKeyReport, PersonalColumn, Report, TableReport
from dbclone.report.text import fmt
from dbclone.report.verdicts import (
    BAD,
    COLOURS,
    LOOK,
    NONE,
    THRESHOLDS,
    judged,
    verdict,
)

#: Rows in the "look here first" list (the text summary shows fewer).
FIRST = 15

_CSS = """
body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px}
h3{font-size:15px;margin-bottom:4px}
.banner{padding:12px 16px;font-size:18px;font-weight:bold;border-radius:6px;margin:12px 0}
.ok{background:#e3f4e6;color:#1e6b2e}.bad{background:#fbe0dd;color:#a3261a}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{border:1px solid #ccd;border-radius:6px;padding:8px 12px;width:220px}
.card b{display:block;font-size:22px}.card small{display:block;font-size:11px;color:#444}
.v{display:inline-block;padding:1px 6px;border-radius:4px;font-size:12px;font-weight:bold;
white-space:nowrap}
td.n{white-space:nowrap}
.grid{display:flex;flex-wrap:wrap;gap:8px}
table.t{border-collapse:collapse;font-size:13px;margin:6px 0}
table.t td,table.t th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px}
.muted{color:#777;font-size:12px}
"""


def render_html(report: Report) -> str:
    """The whole report as one HTML document (no scripts, no external resources)."""
    body = [
        f"<h1>dbclone report</h1><p>{escape(report.source)} &rarr; {escape(report.target)}</p>",
        _banner(report), _cards(report), _first(report), _legend(), _integrity(report),
        _text_realism(report), _personal(report, quasi=False), _personal(report, quasi=True),
        _cross_check(report), "<h2>Foreign-key graph</h2>", _graph(report),
        "<h2>Tables (worst first)</h2>",
        *[_table(report, t) for t in sorted(report.tables, key=_badness, reverse=True)],
        _privacy(report),
        "<h2>Notes</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in report.notes) + "</ul>",
        f'<p class="muted">Built in {report.elapsed_seconds:.1f} s.</p>',
    ]
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>dbclone report</title><style>{_CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>")


def badge(word: str) -> str:
    """A verdict as a coloured word."""
    back, ink = COLOURS[word]
    return f'<span class="v" style="background:{back};color:{ink}">{escape(word)}</span>'


def _banner(report: Report) -> str:
    total = report.scores.get("integrity") or 0
    unchecked = len(report.unchecked)
    extra = f" ({unchecked} constraint(s) not checked)" if unchecked else ""
    if total:
        return (f'<div class="banner bad">INTEGRITY FAILED: {total} constraint violation(s) '
                f"in the target{extra}</div>")
    return f'<div class="banner ok">Integrity OK: no constraint violations{extra}</div>'


def _cards(report: Report) -> str:
    cards = []
    for name, limit in THRESHOLDS.items():
        value = report.scores.get(name)
        word = verdict(name, value)
        back, ink = COLOURS[word]
        cards.append(f'<div class="card" style="background:{back}">'
                     f'<span style="color:{ink}">{escape(name)} &middot; {escape(word)}</span>'
                     f'<b style="color:{ink}">{fmt(value)}</b>'
                     f"<small>{escape(limit.direction())}; {escape(limit.rule())}</small>"
                     f"<small>{escape(limit.meaning)}</small></div>")
    outside = ""
    if report.outside is not None and report.outside.score is not None:
        outside = (f"<p>Outside cross-check: {escape(report.outside.name)} "
                   f"<b>{fmt(report.outside.score)}</b> (higher is better; see below).</p>")
    return ("<h2>Scores</h2><p class='muted'>Each score is judged against a documented "
            "threshold: good, look at it, or bad (see the README's <i>dbclone report</i> "
            "section).</p><div class='cards'>" + "".join(cards) + "</div>" + outside)


def _first(report: Report) -> str:
    found = findings(report)
    if not found:
        return "<h2>Look here first</h2><p>Every table, column and foreign key is good.</p>"
    bad = sum(1 for f in found if f.verdict == BAD)
    rows = "".join(f"<tr><td>{badge(f.verdict)}</td><td>{escape(f.where)}</td>"
                   f"<td class='n'>{escape(f.score)}</td><td>{escape(f.why)}</td></tr>"
                   for f in found[:FIRST])
    more = (f"<p class='muted'>{len(found) - FIRST} more beyond their good limit; every score "
            "is in the sections below.</p>") if len(found) > FIRST else ""
    return (f"<h2>Look here first ({bad} bad, {len(found) - bad} to look at)</h2>"
            "<table class='t'><tr><th>verdict</th><th>where</th><th>score</th><th>why</th></tr>"
            f"{rows}</table>{more}")


def _legend() -> str:
    return (f'<p class="legend">Charts:<span style="background:{svg.REAL}"></span>source'
            f'<span style="background:{svg.SYNTH}"></span>target '
            "(hover a bar or a label for its value; axes marked log are logarithmic)</p>")


def _integrity(report: Report) -> str:
    rows = sorted(report.integrity, key=lambda c: (c.violations == 0, c.table, c.kind))
    shown = [c for c in rows if c.violations != 0]
    body = "".join(
        f"<tr><td>{escape(c.kind)}</td><td>{escape(c.table)}</td><td>{escape(c.constraint)}</td>"
        f"<td>{'not checked' if c.violations is None else c.violations}</td>"
        f"<td>{escape(c.note)}</td></tr>" for c in shown)
    passed = len(rows) - len(shown)
    head = "<tr><th>kind</th><th>table</th><th>constraint</th><th>violations</th><th></th></tr>"
    table = f'<table class="t">{head}{body}</table>' if shown else ""
    return f"<h2>Integrity</h2>{table}<p>{passed} check(s) passed with 0 violations.</p>"


_GROUP_TITLES = (("text", "Text"), ("reference", "Places, organisations and job titles"),
                 ("personal", "Personal data (Faker values)"))


def _text_realism(report: Report) -> str:
    """Every text column's realism score, worst first, one table per group."""
    parts = ["<h2>Text realism (worst first)</h2><p>Per text column, a classifier on character "
             "1- to 4-grams (TF-IDF, logistic regression, 5-fold) tells the clone's distinct "
             "values from the source's; its accuracy is shown (lower is better). 0.5: "
             "indistinguishable; 1.0: every value reads as synthetic. Limits: "
             f"{escape(THRESHOLDS['text_realism_worst'].rule())} per non-personal column, "
             f"{escape(THRESHOLDS['text_realism_personal'].rule())} per personal column.</p>"]
    for group, title in _GROUP_TITLES:
        cols = [t for t in report.text_realism if t.group == group]
        if not cols:
            continue
        kind = "text_personal" if group == "personal" else "text"
        rows = "".join(
            f"<tr><td>{badge(NONE if t.excepted else judged(kind, t.accuracy))}</td>"
            f"<td>{escape(t.table)}.{escape(t.column)}</td><td>{escape(t.provider)}</td>"
            f"<td>{fmt(t.accuracy)}</td><td>{fmt(t.stderr)}</td><td>{t.values_per_class}</td>"
            f"<td>{escape(t.note)}</td></tr>" for t in cols)
        parts.append(f"<h3>{escape(title)}</h3><table class='t'><tr><th>verdict</th>"
                     "<th>column</th><th>replaced with</th><th>accuracy</th><th>&plusmn;</th>"
                     f"<th>values per side</th><th></th></tr>{rows}</table>")
    return "".join(parts)


def _personal(report: Report, *, quasi: bool) -> str:
    """Columns replaced with Faker values: people's data, or places and organisations."""
    summary = report.reference_summary if quasi else report.personal_summary
    head = f"<h2>{escape(summary[:1].upper() + summary[1:])}</h2>"
    cols: list[PersonalColumn] = [c for c in report.personal if c.quasi == quasi]
    if not cols:
        return head
    rows = "".join(
        f"<tr><td>{escape(c.table)}.{escape(c.column)}</td><td>{escape(c.provider)}</td>"
        f"<td>{fmt(c.score)}</td><td>{escape(c.reason)}</td></tr>" for c in cols)
    what = ("Cities, countries, regions, companies and job titles are not personal data on "
            "their own; dbclone replaces them because their values were rare enough to help "
            "single someone out." if quasi else
            "dbclone never reproduces these columns: it fills them with Faker values.")
    return (f"{head}<p>{what} Their values and categories are not compared; shapes and "
            "detection use the length of their values, and pair trends leave them out.</p>"
            "<table class='t'><tr><th>column</th><th>replaced with</th><th>length (1-KS)</th>"
            f"<th>detected by</th></tr>{rows}</table>")


def _cross_check(report: Report) -> str:
    if report.outside is None:
        return ""
    o = report.outside
    if o.score is None:
        return f"<h2>Outside cross-check</h2><p class='muted'>{escape(o.note)}</p>"
    return (f"<h2>Outside cross-check</h2><p>{escape(o.name)}: <b>{fmt(o.score)}</b> "
            f"(higher is better, 1 = identical). {escape(o.note)}</p>")


def _graph(report: Report) -> str:
    nodes = [t.name for t in report.tables]
    nodes += sorted({n for p, c, _ in report.graph_edges for n in (p, c)} - set(nodes))
    flagged = {(c.table, c.constraint) for c in report.integrity if c.kind == "orphans"
               and c.violations}
    bad = {(p, ch) for p, ch, label in report.graph_edges
           if (ch, f"({label}) -> {p}") in flagged}
    return svg.fk_graph(report.graph_edges, nodes, bad)


def _badness(table: TableReport) -> float:
    """Sort key: the larger, the worse (low shapes, high detection)."""
    shape = table.shape_score
    acc = table.detection.accuracy if table.detection else math.nan
    return max(1 - shape if math.isfinite(shape) else 0.0,
               (acc - 0.5) * 2 if math.isfinite(acc) else 0.0)


def _table(report: Report, table: TableReport) -> str:
    det = table.detection
    priv = table.privacy
    det_word = judged("detection", det.accuracy if det else None)
    shape_word = judged("shape", table.shape_score)
    facts = (f"rows {table.rows_source} &rarr; {table.rows_target} (compared "
             f"{table.sampled_source} / {table.sampled_target}); shapes {fmt(table.shape_score)} "
             f"{badge(shape_word)}; pair trends {fmt(table.pair_score)}; detection "
             f"{fmt(det.accuracy) if det else 'n/a'}"
             f"{' &plusmn; ' + fmt(det.stderr) if det and math.isfinite(det.stderr) else ''} "
             f"{badge(det_word)}"
             f"{' (' + escape(det.note) + ')' if det and det.note else ''}; copies "
             f"{fmt(priv.copies) if priv else 'n/a'}; DCR closer "
             f"{fmt(priv.dcr_closer) if priv else 'n/a'} (lower is safer)")
    charts = [svg.chart(c.chart, f"{c.column} {c.metric} {fmt(c.score, 2)}",
                        frame=COLOURS[judged("shape", c.score)][1]
                        if judged("shape", c.score) in (BAD, LOOK) else None)
              for c in table.columns if c.chart]
    charts += [svg.chart(f.chart, f"children per {f.parent} ({', '.join(f.columns)}) "
                                  f"{fmt(f.cardinality, 2)}")
               for f in _fks_of(report, table.name) if f.chart]
    names, matrix = table.pair_matrix
    heat = svg.heatmap(names, matrix, "pair-trend loss") if len(names) > 1 else ""
    return (f'<h3 id="t-{escape(table.name)}">{escape(table.name)}</h3><p>{facts}</p>'
            f'<div class="grid">{"".join(charts)}{heat}</div>')


def _fks_of(report: Report, child: str) -> list[ForeignKeyReport]:
    return [f for f in report.foreign_keys if f.child == child]


def _privacy(report: Report) -> str:
    copies = sorted((t.privacy for t in report.tables if t.privacy), key=lambda p: p.table)
    cbody = "".join(
        f"<tr><td>{escape(p.table)}</td><td>{fmt(p.copies)}</td><td>{p.copied_rows}</td>"
        f"<td>{fmt(p.dcr_closer)} {badge(verdict('privacy_dcr', p.dcr_closer))}</td>"
        f"<td>{fmt(p.dcr_median_ratio)}</td><td>{escape(p.note)}</td></tr>" for p in copies)
    dcr = THRESHOLDS["privacy_dcr"]
    return ("<h2>Privacy</h2><h3>Rows and distances</h3>"
            f"<p class='muted'>DCR closer: {escape(dcr.meaning)}; {escape(dcr.direction())} "
            f"({escape(dcr.rule())}).</p><table class='t'><tr><th>table</th>"
            "<th>copied share</th><th>copied rows</th><th>DCR closer (lower is safer)</th>"
            f"<th>DCR median ratio</th><th></th></tr>{cbody}</table>"
            + _overlaps(report, reference=False) + _overlaps(report, reference=True))


def _overlaps(report: Report, *, reference: bool) -> str:
    rows = sorted((o for o in report.overlaps if bool(o.reference) == reference),
                  key=lambda o: -o.share)
    if reference:
        title = ("Public reference values shared with the source (ISO codes, countries, "
                 "currencies, languages, regions, cities: not personal data, not counted)")
    else:
        title = "Near-unique values shared with the source (names, emails, identifiers)"
    if not rows:
        return f"<h3>{escape(title)}</h3><p>None.</p>"
    body = "".join(f"<tr><td>{escape(o.table)}.{escape(o.column)}</td><td>{o.shared}</td>"
                   f"<td>{o.distinct_target}</td><td>{fmt(o.share)}</td>"
                   f"<td>{escape(o.reference) if reference else ''}</td></tr>" for o in rows)
    return (f"<h3>{escape(title)}</h3><table class='t'><tr><th>column</th><th>shared</th>"
            f"<th>distinct in target</th><th>share</th><th>list</th></tr>{body}</table>")

