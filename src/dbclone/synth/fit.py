"""Stage 3, fitting: learn a `Model` from the source, read in a read-only transaction
through `dbclone.source` (exact counts, a bounded sample of rows), and orchestrate the rules
(see the package map in `dbclone.synth`).

Per table, in this order: the FKs (children counts, the driving parent, lookups as
categories); the relations that claim a column first (dates after a base, numbers an exact
relation recomputes, ratios, shares of the parent's number, copies of the parent's column:
the first to claim a column has it);
every other column by its kind (`columns.registry.fit_column`); then the steps over the
whole table (`STEPS`: children counts, derived aggregates, email styles, grouped numbers and
counts, joint categories, category order), each over what the earlier ones left; last the
latent correlation.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine
from threadpoolctl import threadpool_limits

from dbclone.plan import Plan
from dbclone.schema import Schema, Table
from dbclone.semantic.rows import RowRule
from dbclone.source import read_source
from dbclone.synth import copula, latent, pii
from dbclone.synth.codecs import jsonable
from dbclone.synth.columns import personal
from dbclone.synth.columns.registry import fit_column
from dbclone.synth.context import Claim, FitContext, FitOptions, Latent, Step, TableFit
from dbclone.synth.family import counts, cycles
from dbclone.synth.family.counts import fit_fks
from dbclone.synth.model import ColumnModel, FKModel, Model, TableModel
from dbclone.synth.privacy import entities, holders
from dbclone.synth.relations import (
    copies,
    dates,
    derived,
    grouped,
    joint,
    kin,
    order,
    ratios,
    shares,
)
from dbclone.synth.relations.lookups import fit_lookup, lookups_as_categories
from dbclone.synth.relations.rows import CLAIM as EXACT_CLAIM
from dbclone.synth.relations.rows import fit_rules


def fit(engine: Engine, schema: Schema, plan: Plan, opts: FitOptions | None = None) -> Model:
    # One BLAS thread: the fit's products are tall and thin (a sample's rows by a table's
    # dimensions), and OpenBLAS's second thread spinning on a busy machine made a
    # correlation of 50,000 x 30 scores 10-30 times slower in CPU time, not faster.
    with threadpool_limits(1, user_api="blas"):
        return _fit_all(engine, schema, plan, opts or FitOptions())


def _fit_all(engine: Engine, schema: Schema, plan: Plan, opts: FitOptions) -> Model:
    source = read_source(engine, schema, plan, opts.sample_rows)
    frames = source.frames
    ctx = FitContext(schema, plan, frames, opts, np.random.default_rng(opts.seed),
                     source=source)
    locale = opts.locale or _guess_locale(schema, frames)
    ctx.fake = pii.Generator(locale, opts.seed)
    tables = []
    for name in plan.order:
        tables.append(_fit_table(ctx, schema.table(name)))
        if tables[-1].verbatim:
            ctx.references.add(name)
        if opts.progress:
            opts.progress(name, len(frames[name]), rules_found(tables[-1]))
    by_name = {t.name: t for t in tables}
    ordered = tuple(by_name[t.name] for t in schema.tables)
    return Model(schema=schema, tables=ordered, locale=locale, rare_threshold=opts.rare_threshold)


def rules_found(table: TableModel) -> int:
    """What the fit found beyond each column's own distribution, for the progress display:
    a children-per-parent distribution per FK, and each column made from others (a date after
    a date, a ratio, a sum of children, a shared category, a number per group, a soft key)."""
    tied = sum(1 for c in table.columns
               if c.base or c.derived or c.joint or c.by or c.ref or c.strategy == "parent")
    return len(table.fks) + tied


def _guess_locale(schema: Schema, frames: dict[str, pd.DataFrame]) -> str:
    names = [c.name for t in schema.tables for c in t.columns]
    found = []
    for t in schema.tables:
        for c in t.columns:
            if c.kind in ("string", "text"):
                det = pii.detect(c.name, frames[t.name][c.name].dropna().astype(str).head(200))
                if det:
                    found.append(det.provider)
    return pii.guess_locale(names, found)


#: Relations that claim columns before their own rule, in priority order: a column goes to
#: the first that finds it (a date after a base is never also a ratio; a product recomputed
#: from its operands is no ratio's base).
CLAIMS: tuple[Claim, ...] = (dates.CLAIM, EXACT_CLAIM, ratios.CLAIM, shares.CLAIM,
                             copies.CLAIM)


#: What is fitted over the whole table once each column has its spec, in this order, each
#: step over what the earlier ones left: children counts join the latent dimensions; parent
#: columns aggregating children are marked (no later step builds on them); emails take
#: their styles; numbers, then children counts, are drawn per category; associated
#: categories merge into joint ones; categories are ordered along the number they explain.
STEPS: tuple[Step, ...] = (counts.STEP, derived.STEP, personal.STEP, grouped.NUMBERS_STEP,
                           grouped.COUNTS_STEP, joint.STEP, order.STEP)


def _fit_table(ctx: FitContext, table: Table) -> TableModel:
    df = ctx.frames[table.name]
    ctx.table = table
    ctx.scales = {}
    ctx.exact_used = set()
    fks = lookups_as_categories(ctx, table,
                               cycles.with_returns(ctx, table, df, fit_fks(ctx, table, df)))
    driver = next((f for f in fks if f.driving), None)
    columns, dims, zs, claimed = _fit_columns(ctx, table, df, fks, driver)
    bases = {name: found for name, (claim, found) in claimed.items() if claim is dates.CLAIM}
    tf = TableFit(table, df, columns, dims, zs, bases)
    for step in STEPS:
        step.run(ctx, tf)
    tm = _table_model(ctx, fks, tf)
    if tm.verbatim:
        return tm
    rules = fit_rules(ctx, table, df, tf.columns, tm.fks)
    return dataclasses.replace(tm, rules=rules, shares=_unshared(tm, rules))


def _unshared(tm: TableModel, rules: tuple[RowRule, ...]) -> tuple[float, ...]:
    """The rows' shares of their parent's category, but none for a category kept per family
    (`relations.kin`) whose joint partners vary within it: its rows then draw apart (a
    case's referral source varies as in the source) and the rule settles how many values
    each family keeps."""
    kept = {r.columns[0] for r in rules if r.kind == kin.KIND and kin.partners_vary(r)}
    if not kept or not tm.shares:
        return tm.shares
    out = tuple(0.0 if d in kept else q for d, q in zip(tm.copula, tm.shares, strict=False))
    return out if any(out) else ()


def _fit_columns(ctx: FitContext, table: Table, df: pd.DataFrame, fks: list[FKModel],
                 driver: FKModel | None) -> tuple[list[ColumnModel], list[str],
                                                  list[np.ndarray], dict[str, Any]]:
    """Each column's spec and latent scores: by the relation that claims it (`CLAIMS`), as a
    lookup's category, or by its own rule (`columns.registry.fit_column`)."""
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
    lookups = {f.columns[0] for f in fks if f.as_category}
    claimed: dict[str, tuple[Claim, Any]] = {}
    for claim in CLAIMS:
        for name, found in claim.find(ctx, table, df, driver, set(claimed)).items():
            claimed[name] = (claim, found)
    copied = {name for name, (claim, _) in claimed.items() if claim is copies.CLAIM}
    ctx.owners = entities(table, df, driver, copied | fk_cols)
    ctx.holders = holders(df, driver)
    columns: list[ColumnModel] = []
    dims: list[str] = []
    zs: list[np.ndarray] = []
    for col in table.columns:
        if col.name in claimed:
            claim, found = claimed[col.name]
            cm, z = claim.fit(ctx, col, df, found)
        elif col.name in lookups:
            cm, z = fit_lookup(ctx, col, df[col.name])
        else:
            cm, z = fit_column(ctx, table, col, df[col.name], fk_cols)
        columns.append(cm)
        if z is not None:
            dims.append(col.name)
            zs.append(z)
    return columns, dims, zs, claimed


def _table_model(ctx: FitContext, fks: list[FKModel], tf: TableFit) -> TableModel:
    """The table's model: its specs, the correlation of its own and its parent's latent
    scores, its rows when it is copied as it is."""
    driver = next((f for f in fks if f.driving), None)
    table, df, columns, zs, grouped_counts = tf.table, tf.df, tf.columns, tf.zs, tf.counts
    own_dims = tuple(tf.dims)
    own_z = np.column_stack(zs) if zs else np.zeros((len(df), 0))
    ctx.latents[table.name] = Latent(df, own_z, own_dims)
    parent_dims, parent_z = latent.parent_scores(ctx, table, df, fks)
    full = np.hstack([own_z, parent_z]) if len(parent_dims) else own_z
    corr = copula.correlation(full) if len(df) else np.eye(full.shape[1])
    rows: tuple[tuple[object, ...], ...] = ()
    scores: tuple[tuple[float, ...], ...] = ()
    if _is_reference(ctx, table, columns):
        rows = tuple(tuple(jsonable(v) for v in r) for r in
                     df.astype(object).where(df.notna(), None).itertuples(index=False))
        scores = tuple(tuple(round(float(v), 4) for v in r) for r in own_z)
    icc = latent.icc(df, own_z, driver)
    return TableModel(
        name=table.name, row_count=table.row_count, columns=tuple(columns), fks=tuple(fks),
        copula=own_dims + parent_dims, icc=icc,
        shares=latent.category_sharing(df, driver, icc, own_dims, columns),
        correlation=tuple(tuple(round(float(v), 6) for v in row) for row in corr),
        rows=rows, latent=scores, counts=grouped_counts,
        sample_rows=len(df) if ctx.source is not None and ctx.source.sampled(table.name) else 0,
        exact=tuple(c.name for c in table.columns if c.name in ctx.exact_used))


def _is_reference(ctx: FitContext, table: Table, columns: list[ColumnModel]) -> bool:
    """A small lookup table (genres, status codes): referenced, no FKs of its own, no
    personal data. Copying it keeps real category names and their shares among children."""
    if table.name in ctx.opts.verbatim:
        return True
    if not 0 < table.row_count <= ctx.opts.reference_rows or table.foreign_keys:
        return False
    if not any(fk.ref_table == table.name for t in ctx.schema.tables for fk in t.foreign_keys):
        return False
    if any(c.strategy in ("pii", "bytes", "json") for c in columns):
        return False
    # a small table of people (11 agents: a bare `name` of full names, a birth date) is
    # personal data the name rules miss, never a lookup to copy
    df = ctx.frames[table.name]
    return not any(pii.is_birth_column(c.name) or
                   (c.kind in ("string", "text") and
                    pii.names_people(df[c.name].dropna().astype(str).tolist()))
                   for c in table.columns)
