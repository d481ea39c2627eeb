"""Compare a source database with its clone: integrity, fidelity and privacy in one `Report`.

Reads both databases with SELECTs only (never writes), samples at most `sample_rows` rows per
table, and pushes per-foreign-key aggregates down to the databases so cardinality is exact.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from dbclone.connect import display_url
from dbclone.dialects import Dialect, dialect_for
from dbclone.errors import DbcloneError
from dbclone.introspect import introspect
from dbclone.plan import Plan, make_plan
from dbclone.report import detection, outside, pairs, personal, privacy, realism, relations
from dbclone.report.data import (
    Feature,
    features,
    key_columns,
    normalise,
    read_sample,
    select_sql,
)
from dbclone.report.integrity import check_integrity
from dbclone.report.model import (
    ForeignKeyReport,
    OutsideCheck,
    PairTrend,
    PersonalColumn,
    Report,
    TablePrivacy,
    TableReport,
    TextRealism,
    ValueOverlap,
    mean,
)
from dbclone.report.shapes import column_shape
from dbclone.schema import ForeignKey, Schema, Table

#: Child columns aggregated per parent for detection (per foreign key): bounds the SQL and
#: the classifier's width on very wide child tables.
MAX_CHILD_AGGREGATES = 24
#: How a child column is aggregated per parent, by its kind (see relations.AGGREGATE_SQL).
_AGGREGATE_BY_KIND = {"integer": "mean", "float": "mean", "decimal": "mean",
                      "date": "date_mean", "datetime": "date_mean"}


@dataclass
class Side:
    """One database as the report sees it."""

    engine: Engine
    conn: Connection  # one read connection for the whole report: connecting costs ~0.1 s
    dialect: Dialect
    schema: Schema
    raw: dict[str, pd.DataFrame] = field(default_factory=dict)
    values: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: `values` with rare categories pooled (see `_pool_rare`): what fidelity compares.
    fidelity: dict[str, pd.DataFrame] = field(default_factory=dict)

    def table(self, name: str) -> Table | None:
        for t in self.schema.tables:
            if t.name == name:
                return t
        lowered = [t for t in self.schema.tables if t.name.lower() == name.lower()]
        return lowered[0] if len(lowered) == 1 else None


@dataclass
class Context:
    source: Side
    target: Side
    sample_rows: int
    seed: int
    features: dict[str, list[Feature]] = field(default_factory=dict)
    #: Per table, who each sampled source row is about (None: the row itself).
    owners: dict[str, pd.Series | None] = field(default_factory=dict)
    driving: dict[str, ForeignKey | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    plan: Plan | None = None  # the source's plan: which FK drives each table
    outside: bool = True  # run SDMetrics' QualityReport when it is installed
    #: (table, column) -> the category values common enough to keep (see `_pool_rare`).
    common: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)


def build_report(source_engine: Engine, target_engine: Engine, *, sample_rows: int = 20000,
                 seed: int = 0, outside_check: bool = True) -> Report:
    """Compare `target_engine`'s database (the clone) with `source_engine`'s (the original).

    `outside_check`: also run SDMetrics' QualityReport when SDMetrics is installed."""
    started = time.perf_counter()
    with source_engine.connect() as s_conn, target_engine.connect() as t_conn:
        ctx = Context(_side(source_engine, s_conn), _side(target_engine, t_conn), sample_rows,
                      seed, outside=outside_check)
        report = _build(ctx)
        s_conn.rollback()  # only SELECTs ran; end both read transactions explicitly
        t_conn.rollback()
    return _with_elapsed(report, time.perf_counter() - started)


def _build(ctx: Context) -> Report:
    ctx.plan = _plan(ctx.source.schema)
    integrity = check_integrity(ctx.source.schema, _aligned(ctx), ctx.target.engine,
                                ctx.target.dialect)
    shared = [t for t in ctx.source.schema.tables if ctx.target.table(t.name) is not None]
    for table in shared:
        _load(ctx, table)
    for table in _parents_first(ctx, shared):
        _features(ctx, table)
    for table in shared:
        _pool_rare(ctx, table)
    fks = [_foreign_key(ctx, t, fk) for t in shared for fk in t.foreign_keys
           if ctx.target.table(fk.ref_table) is not None and fk.ref_table in ctx.source.values]
    tables = [_table_report(ctx, t) for t in shared]
    overlaps = [o for t in shared for o in privacy.overlaps(
        t, ctx.source.values[t.name], ctx.target.values[t.name])]
    fk_pairs = [p for _, found in fks for p in found]
    texts = _text_realism(ctx, shared)
    check = _outside(ctx, shared) if ctx.outside else None
    return Report(
        source=display_url(ctx.source.engine), target=display_url(ctx.target.engine),
        sample_rows=ctx.sample_rows, seed=ctx.seed,
        scores=_scores(integrity, tables, [f for f, _ in fks], fk_pairs, overlaps, texts),
        integrity=integrity, tables=tuple(tables), foreign_keys=tuple(f for f, _ in fks),
        fk_pairs=tuple(fk_pairs), overlaps=tuple(overlaps), graph_edges=_edges(ctx.source),
        personal=_personal(ctx, tables), text_realism=tuple(texts), outside=check,
        notes=tuple(_notes(ctx, shared)))


def _text_realism(ctx: Context, shared: list[Table]) -> list[TextRealism]:
    """Text realism of every text column, worst (highest accuracy) first."""
    found = []
    for table in shared:
        kinds = {c.name: c.kind for c in table.columns}
        real, synth = ctx.source.values[table.name], ctx.target.values[table.name]
        for f in realism.text_columns(ctx.features[table.name], kinds, real):
            found.append(realism.score(table.name, f, real[f.column], synth[f.column],
                                       ctx.seed))
    return sorted(found, key=lambda t: -t.accuracy if math.isfinite(t.accuracy) else 1.0)


def _outside(ctx: Context, shared: list[Table]) -> OutsideCheck | None:
    """SDMetrics' QualityReport on the same samples, when SDMetrics is installed."""
    if not outside.available():
        return None
    keys = {}
    for t in shared:
        cols = [c for c in t.columns if c.name in t.primary_key
                or any(c.name in fk.columns for fk in t.foreign_keys)]
        keys[t.name] = tuple(
            pd.DataFrame({c.name: side.raw[t.name][c.name].map(_key_text)
                          for c in cols if c.name in side.raw[t.name]})
            for side in (ctx.source, ctx.target))
    names = {t.name for t in shared}
    return outside.quality_score(
        ctx.source.schema, ctx.features,
        {n: v for n, v in ctx.source.values.items() if n in names},
        {n: v for n, v in ctx.target.values.items() if n in names}, keys)


def _plan(schema: Schema) -> Plan | None:
    try:
        return make_plan(schema)
    except DbcloneError:  # a cycle nothing can break: no deferred FKs to leave out
        return None


def _personal(ctx: Context, tables: list[TableReport]) -> tuple[PersonalColumn, ...]:
    """Every column replaced by Faker values, with its length score, table by table."""
    found = []
    for table in tables:
        scores = {c.column: c.score for c in table.columns}
        found += [PersonalColumn(table.name, f.column, f.provider, f.reason, scores[f.column],
                                 personal.is_quasi(f.provider))
                  for f in ctx.features[table.name] if f.family == "personal"]
    return tuple(found)


def _side(engine: Engine, conn: Connection) -> Side:
    return Side(engine, conn, dialect_for(engine), introspect(engine))


def _aligned(ctx: Context) -> Schema:
    """The target schema with tables renamed to their source names (case may differ)."""
    import dataclasses

    renamed = []
    for table in ctx.source.schema.tables:
        here = ctx.target.table(table.name)
        if here is not None:
            renamed.append(dataclasses.replace(here, name=table.name))
    return dataclasses.replace(ctx.target.schema, tables=tuple(renamed))


def _load(ctx: Context, table: Table) -> None:
    """Sample both sides of a table and normalise their values for comparison."""
    target = ctx.target.table(table.name)
    assert target is not None
    present = {c.name for c in target.columns}
    cols = [c.name for c in table.columns if c.name in present]
    missing = [c.name for c in table.columns if c.name not in present]
    if missing:
        ctx.notes.append(f"{table.name}: columns missing in the target: {', '.join(missing)}")
    for side, here in ((ctx.source, table), (ctx.target, target)):
        raw = read_sample(side.conn, select_sql(side.dialect, here, cols), ctx.sample_rows,
                          ctx.seed)
        raw = raw if len(raw.columns) else pd.DataFrame(columns=cols)
        side.raw[table.name] = raw
        side.values[table.name] = normalise(table, raw)


def _parents_first(ctx: Context, shared: list[Table]) -> list[Table]:
    order = {name: i for i, name in enumerate(ctx.plan.order)} if ctx.plan else {}
    return sorted(shared, key=lambda t: order.get(t.name, len(order)))


def _features(ctx: Context, table: Table) -> None:
    """How each column is compared, deciding as the synthesizer does which rows' people a
    category must be common among, and which columns only repeat the parent's personal data
    (an order's ship-to name is its customer's company name: replaced, so compared by length)."""
    raw, values = ctx.source.raw[table.name], ctx.source.values[table.name]
    copies = {fk: _parent_copies(ctx, table, fk) for fk in table.foreign_keys
              if fk.ref_table in ctx.source.values and fk.ref_table != table.name}
    fk = personal.driving_fk(table, ctx.source.schema, ctx.plan, raw,
                             {f: len(c) for f, c in copies.items()})
    copied = copies.get(fk, {}) if fk is not None else {}
    owners = personal.owners(table, values, raw, fk, set(copied))
    ctx.owners[table.name] = owners
    ctx.driving[table.name] = fk
    parent = {f.column: f for f in ctx.features.get(fk.ref_table, [])} if fk else {}
    found = []
    for f in features(table, values, ctx.source.schema, owners, ctx.source.raw):
        origin = parent.get(copied.get(f.column, ""))
        if f.family != "personal" and origin is not None and origin.family == "personal":
            f = Feature(f.column, "personal", origin.provider,
                        f"a copy of the parent's {origin.column} ({origin.provider})")
        found.append(f)
    ctx.features[table.name] = found


#: Share of rows equal to the parent's column above which the synthesizer copies it.
COPY_SHARE = 0.9


def _parent_copies(ctx: Context, table: Table, fk: ForeignKey) -> dict[str, str]:
    """Columns repeating a parent column of the same type in at least COPY_SHARE of the
    sampled rows where both are known (the synthesizer's rule, on the source sample)."""
    parent = ctx.source.schema.table(fk.ref_table)
    keys = [f"_k{i}" for i in range(len(fk.columns))]
    skip = set(key_columns(table, ctx.source.schema))
    child = pd.concat([_key_frame(ctx.source.raw[table.name], fk.columns),
                       ctx.source.values[table.name]], axis=1)
    pcols = [c.name for c in parent.columns if c.name not in fk.ref_columns
             and c.name in ctx.source.values[parent.name]]
    up = pd.concat([_key_frame(ctx.source.raw[parent.name], fk.ref_columns),
                    ctx.source.values[parent.name][pcols].add_prefix("^")], axis=1)
    joined = child.dropna(subset=keys).merge(up.dropna(subset=keys).drop_duplicates(keys),
                                             on=keys, how="inner")
    out: dict[str, str] = {}
    for col in table.columns:
        if col.name in skip or col.name not in joined or joined[col.name].nunique() < 2:
            continue
        for pname in pcols:
            if parent.column(pname).kind != col.kind:
                continue
            a, b = joined[col.name], joined[f"^{pname}"]
            both = a.notna() & b.notna()
            if both.sum() >= 10 and (a[both] == b[both]).mean() >= COPY_SHARE:
                out[col.name] = pname
                break
    return out


def _pool_rare(ctx: Context, table: Table) -> None:
    """Categories the synthesizer must never reproduce (held by fewer than k rows or
    owners) are pooled on both sides into one RARE category, and so is every target value
    outside the source's common ones: the tail's share is compared, not its values (the
    raw values still go to the privacy checks). A text column without any common value is
    compared by length, as the synthesizer can keep none of its categories."""
    real, synth = ctx.source.values[table.name].copy(), ctx.target.values[table.name].copy()
    found = []
    for f in ctx.features[table.name]:
        col = table.column(f.column)
        if f.family == "categorical" and col.kind in ("string", "text") \
                and not col.enum_values:
            text = real[f.column].dropna().astype(str)
            common = personal.common_values(text, ctx.owners.get(table.name))
            ctx.common[(table.name, f.column)] = frozenset(common)
            if not common and len(text):
                f = Feature(f.column, "text", reason="no value common enough to keep")
            else:
                for frame in (real, synth):
                    known = frame[f.column].notna()
                    frame.loc[known & ~frame[f.column].isin(common), f.column] = RARE
        found.append(f)
    ctx.features[table.name] = found
    ctx.source.fidelity[table.name], ctx.target.fidelity[table.name] = real, synth


#: The pooled category of values too rare to reproduce.
RARE = "(rare)"


def _table_report(ctx: Context, table: Table) -> TableReport:
    real, synth = ctx.source.fidelity[table.name], ctx.target.fidelity[table.name]
    found = ctx.features[table.name]
    shapes = [column_shape(table.name, f, real[f.column], synth[f.column]) for f in found]
    within = pairs.within(table.name, found, real, synth)
    target = ctx.target.table(table.name)
    return TableReport(
        name=table.name, rows_source=table.row_count,
        rows_target=target.row_count if target else 0,
        sampled_source=len(real), sampled_target=len(synth),
        columns=tuple(sorted(shapes, key=_worst_first)), pairs=tuple(within),
        pair_matrix=pairs.matrix(found, within),
        detection=_detection(ctx, table), privacy=_privacy(ctx, table))


def _worst_first(shape: object) -> float:
    score = getattr(shape, "score", math.nan)
    return score if math.isfinite(score) else 2.0


def _foreign_key(ctx: Context, child: Table,
                 fk: ForeignKey) -> tuple[ForeignKeyReport, list[PairTrend]]:
    """Cardinality of one FK, and pair trends across its join."""
    counts = []
    for side in (ctx.source, ctx.target):
        here, parent = side.table(child.name), side.table(fk.ref_table)
        assert here is not None and parent is not None
        counts.append(relations.children_per_parent(side.conn, side.dialect, here, fk, parent))
    score, chart = relations.cardinality(counts[0], counts[1])
    report = ForeignKeyReport(child.name, fk.columns, fk.ref_table, fk.ref_columns, score, chart)
    return report, _join_pairs(ctx, child, fk, report.label)


def _join_pairs(ctx: Context, child: Table, fk: ForeignKey, scope: str) -> list[PairTrend]:
    parent = ctx.source.schema.table(fk.ref_table)
    left = pairs.paired(ctx.features[child.name])
    right = pairs.paired(ctx.features[parent.name])
    if not left or not right:
        return []
    p_prefix = f"{parent.name}(parent)" if parent.name == child.name else parent.name
    frames = [_joined(side, child, fk, left, right, p_prefix)
              for side in (ctx.source, ctx.target)]
    lf = [Feature(f"{child.name}.{f.column}", f.family) for f in left]
    rf = [Feature(f"{p_prefix}.{f.column}", f.family) for f in right]
    return pairs.across(scope, lf, rf, frames[0], frames[1])


def _joined(side: Side, child: Table, fk: ForeignKey, left: list[Feature],
            right: list[Feature], p_prefix: str) -> pd.DataFrame:
    """Sampled child rows joined to their sampled parent rows, columns named `table.column`.

    Joined in pandas from the samples already read: when the parent is sampled too, this
    keeps all children of a uniform sample of parents, which leaves pair trends unbiased."""
    keys = [f"_k{i}" for i in range(len(fk.columns))]
    c_vals = side.fidelity[child.name][[f.column for f in left]].add_prefix(f"{child.name}.")
    p_vals = side.fidelity[fk.ref_table][[f.column for f in right]].add_prefix(f"{p_prefix}.")
    c_frame = pd.concat([_key_frame(side.raw[child.name], fk.columns), c_vals], axis=1)
    p_frame = pd.concat([_key_frame(side.raw[fk.ref_table], fk.ref_columns), p_vals], axis=1)
    c_frame = c_frame.dropna(subset=keys)
    p_frame = p_frame.dropna(subset=keys).drop_duplicates(subset=keys)
    return c_frame.merge(p_frame, on=keys, how="inner").drop(columns=keys)


def _key_frame(raw: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Key columns as text (`_k0`, `_k1`, ...), so 7, 7.0 and Decimal('7') all match."""
    return pd.DataFrame({f"_k{i}": raw[c].map(_key_text) if c in raw else None
                         for i, c in enumerate(columns)}, index=raw.index)


def _key_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _detection(ctx: Context, table: Table) -> detection.Detection:
    sides = []
    for side in (ctx.source, ctx.target):
        extra = _child_features(ctx, side, table)
        sides.append(detection.Side(side.fidelity[table.name], extra))
    x_real, x_synth = detection.feature_matrix(ctx.features[table.name], sides[0], sides[1])
    return detection.detect(table.name, x_real, x_synth, ctx.seed, _owner_pairs(ctx, table))


def _owner_pairs(ctx: Context, table: Table) -> tuple[Any, Any] | None:
    """Whom each row is about on both sides, when rows repeat their driving parent's data."""
    fk = ctx.driving.get(table.name)
    if fk is None or ctx.owners.get(table.name) is None:
        return None
    found = []
    for side in (ctx.source, ctx.target):
        raw = side.raw[table.name]
        if not set(fk.columns) <= set(raw.columns):
            return None
        found.append(_key_frame(raw, fk.columns).astype(str).agg("|".join, axis=1).to_numpy())
    return found[0], found[1]


def _child_features(ctx: Context, side: Side, table: Table) -> pd.DataFrame:
    """For each FK pointing at `table`, per sampled row: the number of children, the mean of
    each numeric and date child column, and the number of distinct values of each categorical
    child column (SyntheRela's C2ST-Agg; dates as epoch seconds)."""
    raw = side.raw[table.name]
    extra = pd.DataFrame(index=raw.index)
    for child in ctx.source.schema.tables:
        here = side.table(child.name)
        if here is None or child.name not in side.values:
            continue
        for n, fk in enumerate(f for f in child.foreign_keys if f.ref_table == table.name):
            aggregates = _child_aggregates(ctx, child)
            agg = relations.child_aggregates(side.conn, side.dialect, here, fk, aggregates)
            merged = _merge_keys(raw, fk, agg)
            prefix = f"{child.name}.{n}"
            extra[f"{prefix}.count"] = merged["_n"].fillna(0.0).to_numpy()
            for i, a in enumerate(aggregates):
                extra[f"{prefix}.{a.column}.{a.how}"] = merged[f"_m{i}"].to_numpy()
    return extra


#: Category values listed one by one in a pooled distinct count; beyond, all are counted.
MAX_LISTED = 500


def _child_aggregates(ctx: Context, child: Table) -> list[relations.ChildAggregate]:
    """The child columns whose per-parent aggregate says something: numbers and dates (mean),
    categories (distinct count, values too rare to keep pooled into one as for shapes);
    never keys or soft keys (ids)."""
    found = ctx.features.get(child.name, [])
    keys = key_columns(child, ctx.source.schema) | {f.column for f in found
                                                    if f.family == "reuse"}
    categorical = {f.column for f in found if f.family == "categorical"}
    out = []
    for col in child.columns:
        if col.name in keys:
            continue
        if col.name in categorical:
            common = sorted(ctx.common.get((child.name, col.name), frozenset()))
            listed = tuple(common) if 0 < len(common) <= MAX_LISTED else ()
            out.append(relations.ChildAggregate(col.name, "distinct", listed))
        elif col.kind in _AGGREGATE_BY_KIND:
            out.append(relations.ChildAggregate(col.name, _AGGREGATE_BY_KIND[col.kind]))
    return out[:MAX_CHILD_AGGREGATES]


def _merge_keys(raw: pd.DataFrame, fk: ForeignKey, agg: pd.DataFrame) -> pd.DataFrame:
    """Aggregates aligned with the sampled parent rows (left join on key text)."""
    keys = _key_frame(raw, fk.ref_columns)
    for col in keys.columns:
        agg[col] = agg[col].map(_key_text)
    return keys.merge(agg, how="left", on=list(keys.columns)).set_index(raw.index)


def _privacy(ctx: Context, table: Table) -> TablePrivacy:
    real, synth = ctx.source.values[table.name], ctx.target.values[table.name]
    share, copied, compared, note = privacy.copies(table, real, synth)
    closer, ratio, dcr_note = privacy.dcr(table.name, ctx.features[table.name], real, synth,
                                          ctx.seed)
    return TablePrivacy(table.name, share, copied, compared, closer, ratio,
                        "; ".join(n for n in (note, dcr_note) if n))


def _scores(integrity: tuple, tables: list[TableReport], fks: list[ForeignKeyReport],
            fk_pairs: list[PairTrend], overlaps: list[ValueOverlap],
            texts: list[TextRealism]) -> dict[str, float | int | None]:
    shapes = mean([c.score for t in tables for c in t.columns])
    trends = mean([p.score for t in tables for p in t.pairs] + [p.score for p in fk_pairs])
    card = mean([f.cardinality for f in fks])
    accuracies = [t.detection.accuracy for t in tables if t.detection is not None]
    finite = [a for a in accuracies if math.isfinite(a)]
    privs = [t.privacy for t in tables if t.privacy is not None]
    return {
        "fidelity": mean([shapes, trends, card]),
        "shapes": shapes,
        "null_rates": mean([c.null_score for t in tables for c in t.columns]),
        "pair_trends": trends,
        "cardinality": card,
        "detection": mean(finite),
        "detection_worst": max(finite) if finite else math.nan,
        "text_realism": mean([t.accuracy for t in texts if not t.personal]),
        "text_realism_worst": max([t.accuracy for t in texts if not t.personal
                                   and math.isfinite(t.accuracy)], default=math.nan),
        "text_realism_personal": mean([t.accuracy for t in texts
                                       if t.personal and not t.excepted]),
        "privacy_copies": privacy.overall_copies(privs),
        "privacy_overlap": privacy.overall_overlap(overlaps),
        "privacy_dcr": mean([p.dcr_closer for p in privs if p.dcr_closer is not None]),
        "integrity": sum(c.violations or 0 for c in integrity),
        "integrity_unchecked": sum(1 for c in integrity if c.violations is None),
    }


def _edges(side: Side) -> tuple[tuple[str, str, str], ...]:
    from dbclone.plan import fk_graph

    graph = fk_graph(side.schema)
    return tuple((p, c, ", ".join(key)) for p, c, key in graph.edges(keys=True))


def _notes(ctx: Context, shared: list[Table]) -> list[str]:
    notes = [f"At most {ctx.sample_rows} rows per table were compared (seeded uniform sample, "
             f"seed {ctx.seed}); integrity and cardinality are counted on all rows in SQL."]
    sampled = [t.name for t in shared if t.row_count > ctx.sample_rows]
    if sampled:
        notes.append(f"Sampled tables: {', '.join(sampled)}.")
    missing = [t.name for t in ctx.source.schema.tables if ctx.target.table(t.name) is None]
    if missing:
        notes.append(f"Tables missing in the target: {', '.join(missing)}.")
    return notes + ctx.notes


def _with_elapsed(report: Report, seconds: float) -> Report:
    import dataclasses

    return dataclasses.replace(report, elapsed_seconds=round(seconds, 3))
