"""Stage 2: the foreign-key graph, a load order, and the FKs filled in after the insert."""

from __future__ import annotations

import json
from dataclasses import dataclass

import networkx as nx

from dbclone.schema import ForeignKey, Schema, Table


@dataclass(frozen=True)
class DeferredFK:
    """An FK whose values are written after both tables are in (a cycle or self-reference)."""

    table: str
    fk_name: str | None
    columns: tuple[str, ...]
    ref_table: str
    #: "cycle", "not-null cycle" (values drawn before the load, FK checked after the rows) or
    #: "self-reference"
    reason: str


@dataclass(frozen=True)
class Plan:
    order: tuple[str, ...]
    deferred: tuple[DeferredFK, ...]
    cycles: tuple[tuple[str, ...], ...]
    self_references: tuple[tuple[str, tuple[str, ...]], ...]

    def is_deferred(self, table: str, fk: ForeignKey) -> bool:
        return any(d.table == table and d.columns == fk.columns for d in self.deferred)


def fk_graph(schema: Schema) -> nx.MultiDiGraph:
    """Parent → child edges, one per FK, keyed by the FK's columns."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(schema.table_names)
    names = set(schema.table_names)
    for table in schema.tables:
        for fk in table.foreign_keys:
            if fk.ref_table in names:
                graph.add_edge(fk.ref_table, table.name, key=fk.columns, fk=fk)
    return graph


def _rank(table: Table, fk: ForeignKey) -> int:
    """How cheaply an FK closes a cycle: 0 nullable (NULL, then UPDATE), 1 DEFERRABLE, 2 NOT NULL
    and checked at once. Every dialect loads such an FK too: its values are drawn once the
    parent's rows exist and before this table's rows are loaded, and the constraint is checked
    after the rows (PostgreSQL and MariaDB add FKs after the data; SQLite loads with
    foreign_keys off and counts orphans before the commit)."""
    if all(table.column(c).nullable for c in fk.columns):
        return 0
    return 1 if fk.deferrable else 2


def make_plan(schema: Schema) -> Plan:
    """Topological load order; cycles broken at a nullable FK where there is one, else a
    deferrable one, else a NOT NULL one (see `_rank`)."""
    graph = fk_graph(schema)
    deferred: list[DeferredFK] = []
    self_refs = []
    for parent, child, key, data in list(graph.edges(keys=True, data=True)):
        if parent == child:
            fk = data["fk"]
            self_refs.append((child, fk.columns))
            deferred.append(DeferredFK(child, fk.name, fk.columns, parent, "self-reference"))
            graph.remove_edge(parent, child, key)
    cycles = [tuple(sorted(c)) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    while True:
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            break
        deferred += _break_pair(schema, graph, cycle)
    order = tuple(nx.lexicographical_topological_sort(graph))
    return Plan(order=order, deferred=tuple(deferred), cycles=tuple(sorted(cycles)),
                self_references=tuple(self_refs))


def _break_pair(schema: Schema, graph: nx.MultiDiGraph,
                cycle: list[tuple[str, str, object]]) -> list[DeferredFK]:
    """Break the cycle at one parent -> child link, removing all its FKs: two FKs from firma to
    person, one of them NOT NULL, make a worse link than person's one nullable FK to firma.
    Prefers the link whose worst FK ranks lowest (`_rank`), then fewer NOT NULL FKs, then fewer
    FKs."""
    best = None
    for parent, child in {(p, c) for p, c, _ in cycle}:
        edges = list(graph.get_edge_data(parent, child).items())
        table = schema.table(child)
        ranks = [_rank(table, d["fk"]) for _, d in edges]
        not_null = sum(r > 0 for r in ranks)
        score = (max(ranks), not_null, len(edges), child, parent)
        if best is None or score < best[0]:
            best = (score, parent, child, edges)
    assert best is not None  # a cycle has at least one link
    _, parent, child, edges = best
    table = schema.table(child)
    out = []
    for key, data in edges:
        graph.remove_edge(parent, child, key)
        fk = data["fk"]
        reason = "not-null cycle" if _rank(table, fk) == 2 else "cycle"
        out.append(DeferredFK(child, fk.name, fk.columns, parent, reason))
    return out


def render(plan: Plan, schema: Schema, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps({"order": plan.order, "cycles": plan.cycles,
                           "deferred": [d.__dict__ for d in plan.deferred]}, indent=2)
    if fmt in ("dot", "mermaid"):
        return _render_graph(plan, schema, fmt)
    lines = ["Load order:"]
    lines += [f"  {i + 1:>3}. {t} ({schema.table(t).row_count} rows)"
              for i, t in enumerate(plan.order)]
    lines.append("Cycles: " + ("none" if not plan.cycles else
                               "; ".join(" <-> ".join(c) for c in plan.cycles)))
    if plan.deferred:
        lines.append("Foreign keys filled after insert:")
        lines += [f"  {d.table}({', '.join(d.columns)}) -> {d.ref_table}  [{d.reason}]"
                  for d in plan.deferred]
    return "\n".join(lines)


def _render_graph(plan: Plan, schema: Schema, fmt: str) -> str:
    edges = []
    for table in schema.tables:
        for fk in table.foreign_keys:
            dashed = plan.is_deferred(table.name, fk)
            edges.append((fk.ref_table, table.name, ", ".join(fk.columns), dashed))
    if fmt == "dot":
        out = ["digraph fk {", "  rankdir=LR;"]
        out += [f'  "{t}";' for t in plan.order]
        out += [f'  "{p}" -> "{c}" [label="{label}"{", style=dashed" if d else ""}];'
                for p, c, label, d in edges]
        return "\n".join(out + ["}"])
    ids = {t: f"t{i}" for i, t in enumerate(plan.order)}
    out = ["flowchart LR"]
    out += [f'  {ids[t]}["{t}"]' for t in plan.order]
    out += [f"  {ids[p]} {'-.->' if d else '-->'}|{label}| {ids[c]}"
            for p, c, label, d in edges if p in ids]
    return "\n".join(out)
