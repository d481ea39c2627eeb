"""Tiny inline-SVG charts: no JavaScript, no network, a few kilobytes each.

Hand-written rather than plotly because one report holds hundreds of small charts and an
embedded plotly bundle alone is 3-4 MB; these render in any browser and print well.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from html import escape

import networkx as nx

from dbclone.report.model import Chart

REAL = "#3b6ea8"
SYNTH = "#e08a2c"


def chart(data: Chart, title: str, width: int = 300, height: int = 160,
          frame: str | None = None) -> str:
    """Side-by-side real (blue) and synthetic (orange) bars for a histogram or a bar chart.

    `frame`: a border colour (the column's verdict when it is not good). Every bar and label
    carries its full value or text as a tooltip; labels too long to show are shortened."""
    left, bottom, top = (30, 50, 18) if data.kind == "bar" else (6, 22, 18)
    plot_w, plot_h = width - 2 * left, height - bottom - top
    n = max(1, len(data.real))
    peak = max([*data.real, *data.synth, 1e-9])
    slot = plot_w / n
    parts = [_text(width / 2, 12, _short(title, 48), anchor="middle", weight="bold",
                   tip=title)]
    if frame:
        parts.append(f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" '
                     f'fill="none" stroke="{frame}" stroke-width="2"/>')
    for i, (r, s) in enumerate(zip(data.real, data.synth, strict=False)):
        x = left + i * slot
        parts.append(_bar(x + slot * 0.08, top, plot_h, slot * 0.42, r / peak, REAL, r))
        parts.append(_bar(x + slot * 0.5, top, plot_h, slot * 0.42, s / peak, SYNTH, s))
    parts.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - left}" '
                 f'y2="{top + plot_h}" stroke="#999"/>')
    parts += _x_labels(data, left, top + plot_h, slot, width)
    return _svg(width, height, "".join(parts))


def _short(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size - 1] + "\u2026"


def _bar(x: float, top: float, plot_h: float, w: float, frac: float, color: str,
         share: float) -> str:
    h = max(0.0, frac * plot_h)
    return (f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{color}"><title>{share:.3f}</title></rect>')


def _x_labels(data: Chart, left: float, y: float, slot: float, width: int) -> list[str]:
    if data.kind == "bar":
        return [_text(left + (i + 0.5) * slot, y + 10, _short(label, 16), anchor="end", size=8,
                      rotate=-35, tip=label) for i, label in enumerate(data.labels)]
    if not data.edges:
        return []
    lo, hi = data.edges[0], data.edges[-1]
    out = [_text(left, y + 12, _tick(lo, data.x_is_time), size=9),
           _text(width - left, y + 12, _tick(hi, data.x_is_time), anchor="end", size=9)]
    if data.log_x:
        mid = data.edges[len(data.edges) // 2]
        out.append(_text(width / 2, y + 12, f"{_tick(mid, False)} (log scale)",
                         anchor="middle", size=9))
    return out


def _tick(value: float, is_time: bool) -> str:
    if is_time:
        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d")
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-2):
        return f"{value:.2e}"
    return f"{value:.6g}"


def heatmap(names: tuple[str, ...], rows: tuple[tuple[float | None, ...], ...],
            title: str) -> str:
    """Pair-trend loss (1 - similarity) per column pair: white = same trend, red = lost,
    with a colour legend; full column names as tooltips."""
    cell, label_w, label_h = 18, 120, 90
    width = max(label_w + cell * len(names) + 20, 340)
    grid_h = cell * len(names)
    height = 24 + label_h + grid_h + 40
    parts = [_text(6, 12, title, weight="bold")]
    for i, name in enumerate(names):
        y = 24 + label_h + i * cell
        parts.append(_text(label_w - 4, y + 12, _short(name, 20), anchor="end", size=9,
                           tip=name))
        x = label_w + i * cell
        parts.append(_text(x + 12, 24 + label_h - 4, _short(name, 16), size=9, rotate=-50,
                           tip=name))
        for j, value in enumerate(rows[i]):
            parts.append(_cell(label_w + j * cell, y, cell, value,
                               f"{name} ~ {names[j]}"))
    parts.append(_scale(6, 24 + label_h + grid_h + 8))
    return _svg(width, height, "".join(parts))


def _scale(x: float, y: float) -> str:
    """The heat map's legend: loss 0 (trend kept, white) to 0.5 and more (lost, red)."""
    steps = 10
    parts = []
    for k in range(steps):
        parts.append(_cell(x + 40 + k * 12, y, 13, 0.5 * (k + 0.5) / steps, "", border=False))
    parts.append(_text(x, y + 10, "loss 0", size=9))
    parts.append(_text(x + 44 + steps * 12, y + 10, "\u2265 0.5 (trend lost); grey: n/a",
                       size=9))
    return "".join(parts)


def _cell(x: float, y: float, size: int, value: float | None, label: str = "",
          border: bool = True) -> str:
    if value is None or not math.isfinite(value):
        fill, tip = "#ddd", "n/a"
    else:
        strength = min(1.0, math.sqrt(max(0.0, value) / 0.5))  # 0.5 loss is already deep red
        shade = int(255 * (1 - strength))
        fill, tip = f"rgb(255,{shade},{shade})", f"{value:.3f}"
    edge = ' stroke="#eee"' if border else ""
    tip = f"{label}: {tip}" if label else tip
    return (f'<rect x="{x}" y="{y}" width="{size - 1}" height="{size - 1}" fill="{fill}"{edge}>'
            f"<title>{escape(tip)}</title></rect>")


def fk_graph(edges: tuple[tuple[str, str, str], ...], nodes: list[str],
             flagged: set[tuple[str, str]]) -> str:
    """Tables in layers (parents left of children); red edges have orphans."""
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((p, c) for p, c, _ in edges if p != c)
    layer = _layers(graph)
    columns: dict[int, list[str]] = {}
    for name in nodes:
        columns.setdefault(layer[name], []).append(name)
    box_w, box_h, gap_x, gap_y = 150, 24, 60, 12
    pos = {name: (10 + depth * (box_w + gap_x), 10 + i * (box_h + gap_y))
           for depth, names in columns.items() for i, name in enumerate(sorted(names))}
    width = 20 + (max(columns, default=0) + 1) * (box_w + gap_x)
    height = 20 + max((len(v) for v in columns.values()), default=1) * (box_h + gap_y)
    parts = [_arrow_defs()]
    for parent, child, label in edges:
        parts.append(_edge(pos[parent], pos[child], box_w, box_h, label,
                           (parent, child) in flagged))
    for name, (x, y) in pos.items():
        parts.append(f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="4" '
                     f'fill="#f4f6fa" stroke="#3b6ea8"/>')
        parts.append(_text(x + box_w / 2, y + 16, _short(name, 22), anchor="middle", size=11,
                           tip=name))
    return _svg(width, height, "".join(parts))


def _layers(graph: nx.DiGraph) -> dict[str, int]:
    """Depth of each table: longest parent chain above it (cycles collapsed first)."""
    dag = nx.condensation(graph)
    depth: dict[int, int] = {}
    for node in nx.topological_sort(dag):
        depth[node] = max((depth[p] + 1 for p in dag.predecessors(node)), default=0)
    mapping = dag.graph["mapping"]
    return {name: depth[mapping[name]] for name in graph.nodes}


def _edge(a: tuple[int, int], b: tuple[int, int], w: int, h: int, label: str,
          bad: bool) -> str:
    color = "#c0392b" if bad else "#889"
    if a == b:  # self-reference: a loop on the box's right side
        x, y = a[0] + w, a[1]
        path = f"M{x},{y + 6} C{x + 30},{y - 10} {x + 30},{y + h + 10} {x},{y + h - 6}"
    else:
        x1, y1, x2, y2 = a[0] + w, a[1] + h / 2, b[0], b[1] + h / 2
        path = f"M{x1},{y1} C{(x1 + x2) / 2},{y1} {(x1 + x2) / 2},{y2} {x2},{y2}"
    return (f'<path d="{path}" fill="none" stroke="{color}" stroke-width="{2 if bad else 1}" '
            f'marker-end="url(#arrow)"><title>{escape(label)}</title></path>')


def _arrow_defs() -> str:
    return ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
            'markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            'fill="#889"/></marker></defs>')


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 11,
          weight: str = "normal", rotate: float = 0, tip: str = "") -> str:
    turn = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate else ""
    title = f"<title>{escape(tip)}</title>" if tip and tip != text else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}"{turn}>{title}{escape(text)}</text>')


def _svg(width: float, height: float, body: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif">{body}</svg>')
