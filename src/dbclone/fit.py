"""Stage 3: learn a `Model` from the source, reading it in a read-only transaction.

Per table: a marginal per column (or a generator for keys and personal data), the
children-per-parent distribution of every FK, and one Gaussian-copula correlation over the
table's columns, its children counts and its driving parent's latent scores.

Rare categories (privacy with fidelity). A category singles someone out when fewer than k
(default 5) of the people the rows are about hold it. Those people are the rows themselves
in a table with personal data of its own (customers, whoever their sales rep is), else the
driving parent's rows (an invoice is about its customer: one customer's seven invoices in
Oslo are one person in Oslo); with fewer than k people in all, a value must be held by every
one. Such values are never reproduced: each gets a synthetic stand-in drawn at fit time
among values absent from the source column (a Faker city, country or region for a
quasi-identifier, else a new combination of the common values' words, else a common value's shape
with new characters), with the rare value's share. The clone so keeps the tail's size and
shape (24 countries, the same share of customers outside the common four) without one real
rare value; the report compares that tail as one pooled category (`report.build`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa
from scipy.special import ndtri
from sqlalchemy.engine import Engine

from dbclone import copula, jsongen, pii, softkey
from dbclone.dialects import dialect_for
from dbclone.model import ColumnModel, FKModel, Model, TableModel
from dbclone.plan import Plan
from dbclone.schema import Column, ForeignKey, Schema, Table
from dbclone.strgen import Pattern

Progress = Callable[[str, int], None]
EPOCH = dt.datetime(1970, 1, 1)
#: Columns with at most this many distinct integers are categories, not measurements.
MAX_INT_CATEGORIES = 20
MAX_PARENT_DIMS = 16


@dataclass
class FitOptions:
    seed: int = 0
    locale: str | None = None
    rare_threshold: int = 5
    #: Referenced tables with at most this many rows and no personal data are copied verbatim.
    reference_rows: int = 50
    #: Tables the user asked to copy as they are (config file `verbatim`).
    verbatim: frozenset[str] = frozenset()
    #: (table, column) pairs the config file declares soft keys ("id") or plain numbers
    #: ("number"), whatever `softkey.detect` would say.
    soft_keys: frozenset[tuple[str, str]] = frozenset()
    not_soft_keys: frozenset[tuple[str, str]] = frozenset()
    progress: Progress | None = None


@dataclass
class _Latent:
    """A fitted table's normal scores per source row, for conditioning its children."""

    keys: pd.DataFrame
    z: np.ndarray
    dims: tuple[str, ...]


@dataclass
class _Ctx:
    schema: Schema
    plan: Plan
    frames: dict[str, pd.DataFrame]
    opts: FitOptions
    rng: np.random.Generator
    latents: dict[str, _Latent] = field(default_factory=dict)
    #: Faker values for stand-ins of rare categories (`_stand_ins`).
    fake: pii.Generator | None = None
    #: The driving parent's key per row of the table being fitted: rare categories are
    #: counted in distinct parents (persons), not rows, so one customer's seven invoices do
    #: not make their city common.
    owners: pd.Series | None = None
    #: Tables copied verbatim (lookups): they never drive a child's row count.
    references: set[str] = field(default_factory=set)
    table: Table | None = None  # the table being fitted
    #: (table, column) recomputed from children after sampling: no child may build on them.
    derived: set[tuple[str, str]] = field(default_factory=set)
    #: Numbers drawn per category, on one scale over all rows (normal scores of their ranks,
    #: NULL lowest) for ordering categories: their latent scores are ranks within a group.
    scales: dict[str, np.ndarray] = field(default_factory=dict)


def fit(engine: Engine, schema: Schema, plan: Plan, opts: FitOptions | None = None) -> Model:
    opts = opts or FitOptions()
    frames = read_tables(engine, schema)
    ctx = _Ctx(schema, plan, frames, opts, np.random.default_rng(opts.seed))
    locale = opts.locale or _guess_locale(schema, frames)
    ctx.fake = pii.Generator(locale, opts.seed)
    tables = []
    for name in plan.order:
        tables.append(_fit_table(ctx, schema.table(name)))
        if tables[-1].verbatim:
            ctx.references.add(name)
        if opts.progress:
            opts.progress(name, len(frames[name]))
    by_name = {t.name: t for t in tables}
    ordered = tuple(by_name[t.name] for t in schema.tables)
    return Model(schema=schema, tables=ordered, locale=locale, rare_threshold=opts.rare_threshold)


def read_tables(engine: Engine, schema: Schema) -> dict[str, pd.DataFrame]:
    """Every table, whole, as a DataFrame, inside one read-only transaction (never a write).
    Whole tables keep children-per-parent counts exact; a sampled fit needs those counts from
    SQL aggregates first (open: see the issue notes on bounded memory)."""
    dialect = dialect_for(engine)
    frames = {}
    with engine.connect() as conn:
        dialect.begin_read_only(conn)
        for table in schema.tables:
            cols = ", ".join(dialect.quote(c.name) for c in table.columns)
            sql = f"SELECT {cols} FROM {dialect.qualified(table)}"
            frame = pd.read_sql_query(sa.text(sql), conn)
            frame.columns = list(table.column_names)
            frames[table.name] = frame
        conn.rollback()
    return frames


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


# -- per table -------------------------------------------------------------------------------

def _fit_table(ctx: _Ctx, table: Table) -> TableModel:
    df = ctx.frames[table.name]
    ctx.table = table
    ctx.scales = {}
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
    fks = _lookups_as_categories(ctx, table, _fit_fks(ctx, table, df))
    lookups = {f.columns[0] for f in fks if f.as_category}
    driver = next((f for f in fks if f.driving), None)
    bases = _find_bases(ctx, table, df, driver)
    columns: list[ColumnModel] = []
    dims: list[str] = []
    zs: list[np.ndarray] = []
    ratios = _find_ratios(table, df, set(bases))
    shares = _find_parent_ratios(ctx, table, df, driver, set(bases) | set(ratios))
    copies = _find_copies(ctx, table, df, driver, set(bases) | set(ratios) | set(shares))
    ctx.owners = _entities(table, df, driver, set(copies) | fk_cols)
    for col in table.columns:
        if col.name in bases:
            cm, z = _fit_delta(ctx, col, df[col.name], bases[col.name])
        elif col.name in ratios:
            cm, z = _fit_ratio(ctx, col, df, ratios[col.name])
        elif col.name in shares:
            cm, z = _fit_parent_ratio(ctx, col, df[col.name], shares[col.name])
        elif col.name in lookups:
            cm, z = _fit_lookup(ctx, col, df[col.name])
        elif col.name in copies:
            pname, extra_nulls = copies[col.name]
            cm, z = ColumnModel(col.name, "parent", null_rate=extra_nulls, base=f"^{pname}",
                                reason=f"a copy of the parent's {pname}"), None
        else:
            cm, z = _fit_column(ctx, table, col, df[col.name], fk_cols)
        columns.append(cm)
        if z is not None:
            dims.append(col.name)
            zs.append(z)
    children: dict[str, np.ndarray] = {}
    for child, fk in _child_fks(ctx, table):
        counts = _children_counts(df, ctx.frames[child.name], fk)
        dims.append(f"#{child.name}.{'/'.join(fk.columns)}")
        zs.append(copula.numeric_to_normal(counts, ctx.rng))
        children[dims[-1]] = counts
    columns = _mark_derived(ctx, table, df, columns)
    ctx.derived |= {(table.name, c.name) for c in columns if c.derived}
    columns = _email_styles(ctx, df, columns)
    _group_numbers(ctx, table, df, columns, dims, zs, bases)
    grouped_counts = _group_counts(ctx, table, df, columns, dims, zs, children)
    _merge_associated(ctx, table, df, columns, dims, zs)
    _order_categories(ctx, columns, dims, zs)
    own_dims = tuple(dims)
    own_z = np.column_stack(zs) if zs else np.zeros((len(df), 0))
    ctx.latents[table.name] = _Latent(df, own_z, own_dims)
    parent_dims, parent_z = _parent_scores(ctx, table, df, fks)
    full = np.hstack([own_z, parent_z]) if len(parent_dims) else own_z
    corr = copula.correlation(full) if len(df) else np.eye(full.shape[1])
    rows: tuple[tuple[object, ...], ...] = ()
    latent: tuple[tuple[float, ...], ...] = ()
    if _is_reference(ctx, table, columns):
        rows = tuple(tuple(_jsonable(v) for v in r) for r in
                     df.astype(object).where(df.notna(), None).itertuples(index=False))
        latent = tuple(tuple(round(float(v), 4) for v in r) for r in own_z)
    icc = _icc(df, own_z, driver)
    return TableModel(
        name=table.name, row_count=table.row_count, columns=tuple(columns), fks=tuple(fks),
        copula=own_dims + parent_dims, icc=icc,
        shares=_category_sharing(df, driver, icc, own_dims, columns),
        correlation=tuple(tuple(round(float(v), 6) for v in row) for row in corr),
        rows=rows, latent=latent, counts=grouped_counts)


def _entities(table: Table, df: pd.DataFrame, driver: FKModel | None,
              skip: set[str]) -> pd.Series | None:
    """Who each row is about, for the rare-category rule (None: each row is its own).

    A table with personal data of its own (a customer's name) describes its rows' people,
    whoever drives it (customers served by three sales reps are still 59 customers). A
    table without (invoices, order lines, whose billing address only repeats the customer's)
    describes its driving parent: one customer's seven invoices in Oslo are one person in
    Oslo, not seven."""
    if driver is None or not len(df):
        return None
    for col in table.columns:
        if col.kind in ("string", "text") and col.name not in skip \
                and col.name not in table.primary_key:
            values = df[col.name].dropna().astype(str).head(500).tolist()
            if pii.detect(col.name, values) is not None:
                return None
    return df[list(driver.columns)].astype(str).agg("|".join, axis=1)


def _icc(df: pd.DataFrame, z: np.ndarray, driver: FKModel | None) -> tuple[float, ...]:
    """One-way ANOVA estimate of the intraclass correlation of each latent dimension within
    the driving parent's groups (0 when rows of a parent are no more alike than any rows;
    negative when they are less alike: their means vary less than chance would have them)."""
    if driver is None or z.shape[1] == 0 or len(df) < 20:
        return ()
    groups = df[list(driver.columns)].astype(str).agg("|".join, axis=1).to_numpy()
    codes, sizes = np.unique(groups, return_inverse=True)[1], None
    sizes = np.bincount(codes)
    k, n = len(sizes), len(codes)
    if k < 2 or n <= k:
        return ()
    n0 = (n - float((sizes ** 2).sum()) / n) / (k - 1)
    out = []
    for j in range(z.shape[1]):
        col = z[:, j]
        means = np.bincount(codes, weights=col) / sizes
        msb = float((sizes * (means - col.mean()) ** 2).sum()) / (k - 1)
        msw = float(((col - means[codes]) ** 2).sum()) / (n - k)
        denom = msb + (n0 - 1) * msw
        out.append(round(float(np.clip((msb - msw) / denom, -1.0, 0.95)), 4) if denom > 0 else 0.0)
    return tuple(out)


def _category_sharing(df: pd.DataFrame, driver: FKModel | None, icc: tuple[float, ...],
                      dims: tuple[str, ...], columns: list[ColumnModel]) -> tuple[float, ...]:
    """For each categorical dimension, the share q of rows that take their parent's category
    outright (0 for other dimensions): a caseworker's cases are nearly all in their unit's
    category. The intraclass correlation of normal scores drawn inside a category's slice
    understates that (pure groups score 0.85), so q comes from the categories themselves: two
    siblings agree with probability q² + (1 - q²)·S0, S0 the chance agreement Σ p²."""
    if not icc or driver is None:
        return ()
    by = {c.name: c for c in columns}
    groups = df[list(driver.columns)].astype(str).agg("|".join, axis=1)
    out = [0.0] * len(icc)
    for i, dim in enumerate(dims[:len(icc)]):
        cm = by.get(dim)
        if cm is None or cm.strategy != "categorical" or icc[i] < 0:
            continue  # siblings that spread (six payments of 10..60 each) keep their spread
        # A joint category shares as its head does (a caseworker's cases keep the unit's
        # category; their referral sources, its partner, come along)
        out[i] = round(_sibling_share(groups, df[dim].astype(str)), 4)
    return tuple(out) if any(out) else ()


def _sibling_share(groups: pd.Series, values: pd.Series) -> float:
    sizes = groups.value_counts()
    pairs = float((sizes * (sizes - 1)).sum())
    if pairs <= 0:
        return 0.0
    cells = pd.DataFrame({"g": groups, "v": values}).value_counts()
    same = float((cells * (cells - 1)).sum()) / pairs
    p = values.value_counts(normalize=True)
    chance = float((p ** 2).sum())
    if chance >= 1.0:
        return 0.0
    return float(np.sqrt(np.clip((same - chance) / (1.0 - chance), 0.0, 1.0)))


def _is_reference(ctx: _Ctx, table: Table, columns: list[ColumnModel]) -> bool:
    """A small lookup table (genres, status codes): referenced, no FKs of its own, no
    personal data. Copying it keeps real category names and their shares among children."""
    if table.name in ctx.opts.verbatim:
        return True
    if not 0 < table.row_count <= ctx.opts.reference_rows or table.foreign_keys:
        return False
    if not any(fk.ref_table == table.name for t in ctx.schema.tables for fk in t.foreign_keys):
        return False
    return not any(c.strategy in ("pii", "bytes", "json") for c in columns)


def _email_styles(ctx: _Ctx, df: pd.DataFrame, columns: list[ColumnModel]) -> list[ColumnModel]:
    """How the source builds an email from the row's own names (MARY.SMITH@..., jsmith@...):
    the share of each name style, counting only styles used by at least k rows, and the
    letter case of the local part. Emails are then generated from the clone's names the same
    way, so an email's length and form still follow its row's names."""
    first = next((c.name for c in columns if c.pii == "first_name"), None)
    last = next((c.name for c in columns if c.pii == "last_name"), None)
    if first is None or last is None:
        return columns
    out = []
    for cm in columns:
        if cm.pii != "email":
            out.append(cm)
            continue
        rows = df[[cm.name, first, last]].dropna().astype(str).head(20000)
        rows = rows[rows[cm.name].str.contains("@", regex=False)]
        if len(rows) < ctx.opts.rare_threshold:
            out.append(cm)
            continue
        found = Counter(pii.email_style(e, f, la) for e, f, la in
                        rows.itertuples(index=False, name=None))
        forms = len(pii.email_locals("a", "b"))
        shares = tuple(found[i] / len(rows) if found[i] >= ctx.opts.rare_threshold else 0.0
                       for i in range(forms))
        local = pii.letter_case([e.rsplit("@", 1)[0] for e in rows[cm.name].head(2000)])
        out.append(dataclasses.replace(cm, styles=shares, case=local) if any(shares) else cm)
    return out


# -- numbers per category ------------------------------------------------------------------

#: Share of a number's variance (normal scores of its ranks, NULL lowest) a category must
#: explain for the number to be drawn per category: a Gaussian copula's one correlation
#: cannot say "non-monetary benefits have no amount, housing benefits pay thousands".
GROUP_ETA = 0.3
#: Rows a category needs for a marginal of its own; smaller categories share the rest's.
GROUP_ROWS = 50
MAX_GROUP_CATEGORIES = 50


def _group_numbers(ctx: _Ctx, table: Table, df: pd.DataFrame, columns: list[ColumnModel],
                   dims: list[str], zs: list[np.ndarray], bases: dict[str, _Base]) -> None:
    """Numbers (and their NULLs) drawn per category of the row's most telling categorical
    column: a NULL rate and quantiles per common category, the rest pooled. A date after
    another keeps its base; what is drawn per category is then its delta (a case's closing
    date exists only for closed cases)."""
    cats, codes = _grouping_categories(table, df, columns, dims)
    if not cats:
        return
    for pos, cm in enumerate(columns):
        if cm.strategy != "numeric" or cm.derived or cm.name not in dims \
                or (cm.base and cm.op != "ratio" and (cm.values or cm.name not in bases)) \
                or (cm.base or "").startswith("^") and cm.op in ("ratio", "share"):
            continue  # a sentinel date ("valid until 9999") keeps its own share; a ratio to
            # the parent's number is one log-ratio for all categories
        col = table.column(cm.name)
        if cm.op == "ratio":  # the log-ratio is what is drawn (a bitrate per media type)
            values = _log_ratio(df, cm.name, cm.base or "")
        elif cm.base:
            values = bases[cm.name].delta
        else:
            values = _numbers(col, df[cm.name])
        if values.nunique() < 2:
            continue
        ranks = np.zeros(len(df))  # NULL lowest, then the values' ranks
        ranks[df.index.get_indexer(values.index)] = 1.0 + values.rank(pct=True).to_numpy()
        # Measured on normal scores, the copula's own scale, where a small category far in
        # the tail (video tracks ten times longer than songs) weighs as the copula feels it.
        scores = ndtri((pd.Series(ranks).rank().to_numpy() - 0.5) / len(ranks))
        best, best_eta = _best_category(cats, codes, scores)
        if best is None:
            continue
        groups, z = _number_groups(ctx, df, values, codes[best.name], best.values)
        ctx.scales[cm.name] = scores
        columns[pos] = dataclasses.replace(
            cm, by=best.name, groups=groups,
            reason=f"drawn per {best.name}, which explains {best_eta:.0%} of the variance of "
                   "its normal scores (ranks on the copula's scale, NULL lowest)")
        zs[dims.index(cm.name)] = z


def _grouping_categories(table: Table, df: pd.DataFrame, columns: list[ColumnModel],
                         dims: list[str]) -> tuple[list[ColumnModel], dict[str, np.ndarray]]:
    """The categorical columns a number or a children count may be drawn per, with each
    row's category code; none when the table is too small for groups of its own."""
    cats = [c for c in columns if c.strategy == "categorical" and c.name in dims
            and 1 < len(c.values) <= MAX_GROUP_CATEGORIES and not c.joint]
    if not cats or len(df) < 2 * GROUP_ROWS:
        return [], {}
    return cats, {c.name: _category_codes(table.column(c.name), df[c.name], c.values)
                  for c in cats}


def _best_category(cats: list[ColumnModel], codes: dict[str, np.ndarray],
                   scores: np.ndarray) -> tuple[ColumnModel | None, float]:
    """The category that explains the largest share of `scores`' variance, if it explains
    at least GROUP_ETA of it."""
    best, best_eta = None, GROUP_ETA
    for c in cats:
        known = codes[c.name] >= 0
        eta = _eta2(codes[c.name][known], scores[known]) if known.sum() >= 20 else 0.0
        if eta > best_eta:
            best, best_eta = c, eta
    return best, best_eta


def _group_counts(ctx: _Ctx, table: Table, df: pd.DataFrame, columns: list[ColumnModel],
                  dims: list[str], zs: list[np.ndarray],
                  children: dict[str, np.ndarray]) -> tuple[ColumnModel, ...]:
    """Children counts drawn per category of the row, as numbers are (`_group_numbers`): a
    single household has one member and a couple two, which one correlation over all
    household types cannot say; a decision pays monthly only for monthly benefits."""
    cats, codes = _grouping_categories(table, df, columns, dims)
    if not cats:
        return ()
    out = []
    for dim, counts in children.items():
        if len(np.unique(counts)) < 2:
            continue
        scores = zs[dims.index(dim)]
        best, best_eta = _best_category(cats, codes, scores)
        if best is None:
            continue
        groups, z = _number_groups(ctx, df, pd.Series(counts, index=df.index),
                                   codes[best.name], best.values)
        out.append(ColumnModel(dim, "count", quantiles=copula.quantile_grid(counts),
                               integer=True, by=best.name, groups=groups,
                               reason=f"drawn per {best.name} (explains {best_eta:.0%} of "
                                      f"its ranks)"))
        zs[dims.index(dim)] = z
    return tuple(out)


def _category_codes(col: Column, series: pd.Series, cats: tuple[object, ...]) -> np.ndarray:
    """Each row's position among a categorical model's values (-1: NULL or suppressed)."""
    index = {str(v): i for i, v in enumerate(cats)}
    keys = [_jsonable(v) for v in series]
    if col.kind == "integer":
        keys = [int(v) if isinstance(v, float) and v.is_integer() else v for v in keys]
    return np.asarray([-1 if v is None or (isinstance(v, float) and np.isnan(v))
                       else index.get(str(v), -1) for v in keys])


def _number_groups(ctx: _Ctx, df: pd.DataFrame, values: pd.Series, codes: np.ndarray,
                   cats: tuple[object, ...]) -> tuple[tuple[tuple[object, float,
                                                                  tuple[float, ...]], ...],
                                                      np.ndarray]:
    sizes = np.bincount(codes[codes >= 0], minlength=len(cats))
    big = [i for i in range(len(cats)) if sizes[i] >= GROUP_ROWS]
    member = np.full(len(df), -1)
    for i in big:
        member[codes == i] = i
    at = df.index.get_indexer(values.index)
    z = np.zeros(len(df))
    out = []
    for i in [*big, -1]:
        rows = member == i
        mine = np.flatnonzero(rows[at])
        null_rate = 1.0 - len(mine) / max(int(rows.sum()), 1)
        grid: tuple[float, ...] = ()
        if len(mine) >= ctx.opts.rare_threshold:
            grid = copula.quantile_grid(values.to_numpy()[mine])
            # NULL ranks lowest in its group, so the copula can tie it to the row (a rejected
            # decision has no amount, and no payments either).
            group = np.full(len(df), -np.inf)
            group[at[mine]] = values.to_numpy()[mine]
            z[rows] = copula.numeric_to_normal(group[rows], ctx.rng)
        out.append((cats[i] if i >= 0 else None, round(null_rate, 6), grid))
    return tuple(out), z


# -- ordered dates -------------------------------------------------------------------------

_ORDERED_KINDS = ("date", "datetime")


@dataclass
class _Base:
    name: str  # own column, or "^col" for the driving parent's column
    delta: pd.Series  # value - base, indexed by the source rows where both are known


def _find_bases(ctx: _Ctx, table: Table, df: pd.DataFrame,
                driver: FKModel | None) -> dict[str, _Base]:
    """Columns never earlier than another NOT NULL column of the row (to_date after
    from_date) or of the parent (a payment after its invoice) are modelled as base + delta."""
    if not len(df):
        return {}
    own = {c.name: (c.kind, _numbers(c, df[c.name])) for c in table.columns
           if c.kind in _ORDERED_KINDS and not c.nullable}
    candidates = {**own, **_parent_dates(ctx, table, df, driver)}
    out: dict[str, _Base] = {}
    for col in table.columns:
        if col.kind not in _ORDERED_KINDS or df[col.name].nunique() < 2:
            continue  # a constant (every row's last_update the same) stays a constant
        values = _numbers(col, df[col.name])
        sentinel = _sentinel(values, ctx.opts.rare_threshold)
        if sentinel is not None:
            values = values[values != sentinel]
        best: _Base | None = None
        for name, (kind, base) in candidates.items():
            if name == col.name or kind != col.kind:
                continue
            delta = (values - base).dropna()
            if len(delta) < 5 or (delta < 0).any() or (delta == 0).all():
                continue
            if best is None or delta.median() < best.delta.median():
                best = _Base(name, delta)
        if best is None or best.delta.std() > 0.7 * values.std():
            best = _near_base(col, values, candidates) or best
        if best is not None and not _makes_cycle(out, col.name, best.name):
            out[col.name] = best
    return out


#: A date whose distance to another date of the row (or the parent) varies less than this
#: share of its own spread is that date plus a signed delta (a period starts around its
#: decision, before or after it).
NEAR_SHARE = 0.2


def _near_base(col: Column, values: pd.Series,
               candidates: dict[str, tuple[str, pd.Series]]) -> _Base | None:
    spread = float(values.std())
    best: _Base | None = None
    for name, (kind, base) in candidates.items():
        if name == col.name or kind != col.kind:
            continue
        delta = (values - base).dropna()
        if len(delta) < 20 or not spread > 0 or delta.std() >= NEAR_SHARE * spread:
            continue
        if best is None or delta.std() < best.delta.std():
            best = _Base(name, delta)
    return best


def _sentinel(values: pd.Series, k: int = 5) -> float | None:
    """A far-future marker such as 9999-01-01 ("still valid"): the maximum, held by at least
    5% of the rows and by at least k rows (so no single row's date is ever kept). It is kept
    as a value of its own, not as a date after the base."""
    if not len(values):
        return None
    top = values.max()
    hits = int((values == top).sum())
    return float(top) if hits >= max(k, 0.05 * len(values)) and values.nunique() > 2 else None


def _numbers(col: Column, series: pd.Series) -> pd.Series:
    known = series.dropna()
    return pd.Series(_as_float(col, known), index=known.index, dtype=float)


def _makes_cycle(bases: dict[str, _Base], col: str, base: str) -> bool:
    seen = base
    while seen in bases:
        seen = bases[seen].name
        if seen == col:
            return True
    return False


def _parent_dates(ctx: _Ctx, table: Table, df: pd.DataFrame,
                  driver: FKModel | None) -> dict[str, tuple[str, pd.Series]]:
    """The driving parent's NOT NULL date columns, aligned with this table's rows."""
    if driver is None or driver.null_rate > 0 or driver.ref_table == table.name:
        return {}
    ptable = ctx.schema.table(driver.ref_table)
    pdf = ctx.frames[driver.ref_table]
    cols = [c for c in ptable.columns if c.kind in _ORDERED_KINDS and not c.nullable]
    if not cols or not len(df):
        return {}
    child = df[list(driver.columns)].copy()
    child.columns = list(driver.ref_columns)
    merged = child.merge(pdf[list(driver.ref_columns) + [c.name for c in cols]]
                         .drop_duplicates(list(driver.ref_columns)),
                         how="left", on=list(driver.ref_columns))
    merged.index = df.index
    return {f"^{c.name}": (c.kind, _numbers(c, merged[c.name])) for c in cols}


def _fit_delta(ctx: _Ctx, col: Column, series: pd.Series,
               base: _Base) -> tuple[ColumnModel, np.ndarray | None]:
    """Marginal of (value - base); its normal scores join the copula like any column's.
    A sentinel (9999-01-01) keeps its own share in `values` / `probs`."""
    n = len(series)
    delta = base.delta
    numbers = _numbers(col, series)
    sentinel = _sentinel(numbers, ctx.opts.rare_threshold)
    marker: tuple[object, ...] = ()
    share: tuple[float, ...] = ()
    if sentinel is not None:
        hits = series[numbers.reindex(series.index) == sentinel]
        marker, share = (_jsonable(hits.iloc[0]),), (float(len(hits)) / max(n, 1),)
    where = "the parent's " if base.name.startswith("^") else ""
    reason = f"never before {where}{base.name.lstrip('^')}" if (delta >= 0).all() else \
        f"near {where}{base.name.lstrip('^')}"
    own = numbers[numbers != sentinel] if sentinel is not None else numbers
    if delta.std() > 0.7 * own.std():
        # The base hardly explains the date (a decision and its caseworker's hiring): base +
        # delta would widen the range, so the column keeps its own marginal and only rows
        # drawn before their base are moved after it.
        cm = ColumnModel(col.name, "numeric", null_rate=float(series.isna().mean()),
                         quantiles=copula.quantile_grid(own.to_numpy()),
                         integer=col.kind == "date", base=base.name, op="order",
                         delta=copula.quantile_grid(delta.to_numpy()), values=marker,
                         probs=share, reason=reason)
        z = np.zeros(n)
        z[own.index.to_numpy()] = copula.numeric_to_normal(own.to_numpy(), ctx.rng)
        return cm, z
    cm = ColumnModel(col.name, "numeric", null_rate=float(series.isna().mean()),
                     quantiles=copula.quantile_grid(delta.to_numpy()),
                     integer=col.kind == "date", base=base.name, values=marker, probs=share,
                     reason=reason, bounds=(float(own.min()), float(own.max())))
    z = np.zeros(n)
    z[delta.index.to_numpy()] = copula.numeric_to_normal(delta.to_numpy(), ctx.rng)
    return cm, z


# -- proportional numbers -----------------------------------------------------------------

#: Correlation of logarithms above which a number is modelled as another times a ratio.
RATIO_CORR = 0.95
#: Or, from a correlation of RATIO_MIN_CORR on, when the log-ratio spreads at most this share
#: of the number's own log spread: the ratio then carries the number better than a copula
#: correlation. Track sizes are their lengths times a bitrate set by the media type (log
#: correlation 0.94; the log-ratio spreads 0.45 of the log size, 0.01-0.28 per media type).
RATIO_SPREAD = 0.5
RATIO_MIN_CORR = 0.9


def _find_ratios(table: Table, df: pd.DataFrame, taken: set[str]) -> dict[str, str]:
    """Positive numbers nearly proportional to another NOT NULL positive number of the row."""
    logs = {}
    for c in table.columns:
        if c.kind not in _NUMERIC or c.name in table.primary_key or not len(df):
            continue
        if any(c.name in fk.columns for fk in table.foreign_keys):
            continue
        v = pd.to_numeric(df[c.name], errors="coerce").astype(float)
        if (v.dropna() > 0).all() and v.notna().sum() >= 20 and v.nunique() > 20:
            logs[c.name] = np.log(v)
    out: dict[str, str] = {}
    chosen: dict[str, _Base] = {}
    for b, lb in logs.items():
        if b in taken:
            continue
        best, best_r = None, RATIO_MIN_CORR
        for a, la in logs.items():
            if a == b or a in out or table.column(a).nullable:
                continue
            r = float(lb.corr(la))
            if r > best_r and (r > RATIO_CORR
                               or float((lb - la).std()) <= RATIO_SPREAD * float(lb.std())):
                best, best_r = a, r
        if best is not None and not _makes_cycle(chosen, b, best):
            out[b] = best
            chosen[b] = _Base(best, pd.Series(dtype=float))
    return out


def _log_ratio(df: pd.DataFrame, name: str, base: str) -> pd.Series:
    return (np.log(pd.to_numeric(df[name], errors="coerce").astype(float))
            - np.log(pd.to_numeric(df[base], errors="coerce").astype(float))).dropna()


def _fit_ratio(ctx: _Ctx, col: Column, df: pd.DataFrame,
               base: str) -> tuple[ColumnModel, np.ndarray]:
    ratio = _log_ratio(df, col.name, base)
    cm = ColumnModel(col.name, "numeric", null_rate=float(df[col.name].isna().mean()),
                     quantiles=copula.quantile_grid(ratio.to_numpy()), base=base, op="ratio",
                     reason=f"proportional to {base}")
    z = np.zeros(len(df))
    z[ratio.index.to_numpy()] = copula.numeric_to_normal(ratio.to_numpy(), ctx.rng)
    return cm, z


# -- numbers following the parent's -------------------------------------------------------

#: Share of a child number's log-variance the driving parent's number must explain for the
#: child to be modelled relative to it.
PARENT_SHARE = 0.5
#: Share of the child's rows whose parent must have a positive value of the column.
PARENT_KNOWN = 0.95


@dataclass
class _ParentRatio:
    column: str  # the parent's column
    op: str  # "ratio": parent value x exp(r); "share": (parent value / its children) x exp(r)
    log_ratio: pd.Series  # r per source row where both are known
    explained: float


def _find_parent_ratios(ctx: _Ctx, table: Table, df: pd.DataFrame, driver: FKModel | None,
                        taken: set[str]) -> dict[str, _ParentRatio]:
    """Positive numbers that follow a positive number of the driving parent: a fee as a share
    of its order's value ("ratio"), or the parent's value split among its children, a monthly
    payment of a decision's total ("share"). Chosen when the log-ratio varies at most
    1 - PARENT_SHARE as much as the number's own logarithm; a copula holds the ratio (and its
    tie to the parent's number of children) where it cannot hold the two raw numbers."""
    if driver is None or driver.ref_table == table.name or not len(df):
        return {}
    joined = _joined_parent(ctx, df, driver)
    if joined is None:
        return {}
    parent = ctx.schema.table(driver.ref_table)
    keys = df[list(driver.columns)].astype(str).agg("|".join, axis=1)
    siblings = keys.map(keys.value_counts()).astype(float)
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
    out: dict[str, _ParentRatio] = {}
    for col in table.columns:
        if col.kind not in _NUMERIC or col.name in taken or col.name in fk_cols \
                or col.name in table.primary_key or col.computed:
            continue
        own = pd.to_numeric(df[col.name], errors="coerce").astype(float).dropna()
        if len(own) < 20 or own.nunique() <= 20 or (own <= 0).any():
            continue
        log_own = np.log(own)
        spread = float(log_own.var())
        if not spread > 0:
            continue
        best: _ParentRatio | None = None
        for pcol in parent.columns:
            if pcol.kind not in _NUMERIC or pcol.name not in joined \
                    or (parent.name, pcol.name) in ctx.derived:
                continue
            up = pd.to_numeric(joined.loc[own.index, pcol.name], errors="coerce").astype(float)
            good = up > 0
            if good.mean() < PARENT_KNOWN:
                continue
            for op, base in (("ratio", up[good]), ("share", up[good] / siblings[own.index][good])):
                r = log_own[good] - np.log(base)
                explained = 1.0 - float(r.var()) / spread
                if explained >= PARENT_SHARE and (best is None or explained > best.explained):
                    best = _ParentRatio(pcol.name, op, r, explained)
        if best is not None:
            out[col.name] = best
    return out


def _fit_parent_ratio(ctx: _Ctx, col: Column, series: pd.Series,
                      found: _ParentRatio) -> tuple[ColumnModel, np.ndarray]:
    """The log-ratio's marginal joins the copula; `delta` keeps the column's own marginal for
    clone rows whose parent has no value."""
    own = pd.to_numeric(series, errors="coerce").astype(float).dropna()
    how = "split among its children" if found.op == "share" else "times a ratio"
    cm = ColumnModel(col.name, "numeric", null_rate=float(series.isna().mean()),
                     quantiles=copula.quantile_grid(found.log_ratio.to_numpy()),
                     base=f"^{found.column}", op=found.op,
                     delta=copula.quantile_grid(own.to_numpy()),
                     reason=f"the parent's {found.column} {how} (explains "
                            f"{found.explained:.0%} of its log-variance)")
    z = np.zeros(len(series))
    z[series.index.get_indexer(found.log_ratio.index)] = copula.numeric_to_normal(
        found.log_ratio.to_numpy(), ctx.rng)
    return cm, z


# -- strongly associated categories ---------------------------------------------------------

#: Cramér's V (bias-corrected, NULL a category) above which two categorical columns are
#: generated as one joint category; a Gaussian copula cannot hold "media type 3 always costs
#: 1.99", or which referral sources each case category gets, through a correlation.
JOINT_V = 0.45
MAX_JOINT_CATEGORIES = 200
#: Share of the rows (with every column of the group set) that the joint categories held
#: by at least k rows must cover. Rows in rarer combinations would get a kept combination
#: instead, and every column of the group would lose that share of its own distribution:
#: Chinook's customers (country, sales rep) keep 53% of the rows in combinations of five or
#: more, and a joint category turned 24 countries into two.
JOINT_MIN_COVER = 0.9


def _merge_associated(ctx: _Ctx, table: Table, df: pd.DataFrame, columns: list[ColumnModel],
                      dims: list[str], zs: list[np.ndarray]) -> None:
    """Groups (up to three) of strongly associated categorical columns become one joint
    category each: media type, genre and price of a track. A column with many values may
    join one with few when its values nest in them (a decision's motivation says whether it
    was granted): each combination held by at least k rows is then one category."""
    cats = [c for c in columns if c.strategy == "categorical" and c.name in dims
            and 1 < len(c.values) <= MAX_JOINT_CATEGORIES]
    pairs = []
    for i, first in enumerate(cats):
        for second in cats[i + 1:]:
            v = _cramers_v(_with_nulls(df[first.name]), _with_nulls(df[second.name]))
            if v >= JOINT_V:
                pairs.append((v, first.name, second.name))
    group_of: dict[str, list[str]] = {}
    for _, a, b in sorted(pairs, reverse=True):
        ga, gb = group_of.get(a, [a]), group_of.get(b, [b])
        if ga is gb or len(ga) + len(gb) > 3:
            continue
        merged = ga + gb
        for name in merged:
            group_of[name] = merged
    seen: list[list[str]] = []
    for group in group_of.values():
        if group not in seen:
            seen.append(group)
            order = [c.name for c in columns if c.name in group]
            _make_joint(ctx, df, columns, dims, zs, order)


#: NULL as a category of its own when judging and making joint categories: a missing
#: referral source says as much about a case's category as any source does.
_NULL = "\0null"


def _with_nulls(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), _NULL)


def _cramers_v(a: pd.Series, b: pd.Series) -> float:
    """Cramér's V with Bergsma's bias correction: a column of 60 values over a few hundred rows
    looks associated with anything by chance alone, and the correction removes that part."""
    both = a.notna() & b.notna()
    if both.sum() < 20:
        return 0.0
    table = pd.crosstab(a[both].astype(str), b[both].astype(str)).to_numpy(dtype=float)
    if min(table.shape) < 2:
        return 0.0
    n = table.sum()
    expected = table.sum(1, keepdims=True) * table.sum(0, keepdims=True) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    r, k = table.shape
    phi2 = max(0.0, chi2 / n - (r - 1) * (k - 1) / (n - 1))
    r_eff, k_eff = r - (r - 1) ** 2 / (n - 1), k - (k - 1) ** 2 / (n - 1)
    scale = min(r_eff, k_eff) - 1
    return float(np.sqrt(min(phi2 / scale, 1.0))) if scale > 0 else 0.0


def _make_joint(ctx: _Ctx, df: pd.DataFrame, columns: list[ColumnModel], dims: list[str],
                zs: list[np.ndarray], names: list[str]) -> bool:
    """One category per combination held by at least k rows; NULL is part of a combination
    (the columns' own NULL rates then no longer apply)."""
    combos = [tuple(None if pd.isna(v) else _jsonable(v) for v in row)
              for row in df[names].astype(object).itertuples(index=False, name=None)]
    counts = Counter(combos)
    kept = [(c, n) for c, n in counts.most_common() if n >= ctx.opts.rare_threshold]
    if len(kept) < 2 or len(kept) > MAX_JOINT_CATEGORIES:
        return False
    if sum(n for _, n in kept) < JOINT_MIN_COVER * len(combos):
        return False
    total = sum(n for _, n in kept)
    values = tuple(list(c) for c, _ in kept)
    probs = tuple(n / total for _, n in kept)
    index = {c: i for i, (c, _) in enumerate(kept)}
    codes = np.asarray([index.get(c, -1) for c in combos])
    z = np.zeros(len(df))
    known = codes >= 0
    z[known] = copula.categorical_to_normal(codes[known], probs, ctx.rng)
    head, rest = names[0], names[1:]
    pos = {c.name: i for i, c in enumerate(columns)}
    columns[pos[head]] = dataclasses.replace(
        columns[pos[head]], values=values, probs=probs, joint=tuple(rest), null_rate=0.0,
        reason=f"generated jointly with {', '.join(rest)}")
    for other in rest:
        columns[pos[other]] = dataclasses.replace(
            columns[pos[other]], strategy="joint", values=(), probs=(), base=head,
            null_rate=0.0, reason=f"generated jointly with {head}")
        del zs[dims.index(other)]
        dims.remove(other)
    zs[dims.index(head)] = z
    return True


def _order_categories(ctx: _Ctx, columns: list[ColumnModel], dims: list[str],
                      zs: list[np.ndarray]) -> None:
    """Order each category by the mean score of the numeric column it explains best, so the
    copula's correlations can carry "video tracks are large" as a monotone trend. A number
    drawn per category counts on its scale over all rows (`_Ctx.scales`): benefits without
    an amount come first, then the others by their amounts, so neighbouring categories are
    alike (siblings drawn near each other's score stay monetary or not)."""
    scale = [ctx.scales.get(d, z) for d, z in zip(dims, zs, strict=True)]
    numeric = [i for i, d in enumerate(dims) if not d.startswith("#")
               and _strategy(columns, d) in ("numeric", "pii")]
    if not numeric:
        return
    for i, name in enumerate(dims):
        pos = next((k for k, c in enumerate(columns) if c.name == name), None)
        if pos is None or columns[pos].strategy != "categorical" or len(columns[pos].probs) < 3:
            continue
        cm = columns[pos]
        mask = zs[i] != 0
        if mask.sum() < 20:
            continue
        codes = copula.normal_to_codes(zs[i][mask], cm.probs)
        best, best_eta = None, 0.05
        for j in numeric:
            eta = _eta2(codes, scale[j][mask])
            if eta > best_eta:
                best, best_eta = j, eta
        if best is None:
            continue
        means = pd.Series(scale[best][mask]).groupby(codes).mean()
        order = sorted(range(len(cm.probs)), key=lambda c: means.get(c, np.inf))
        rank = np.empty(len(order), dtype=int)
        rank[order] = np.arange(len(order))
        probs = tuple(cm.probs[c] for c in order)
        columns[pos] = dataclasses.replace(cm, values=tuple(cm.values[c] for c in order),
                                           probs=probs)
        zs[i][mask] = copula.categorical_to_normal(rank[codes], probs, ctx.rng)


def _strategy(columns: list[ColumnModel], name: str) -> str | None:
    return next((c.strategy for c in columns if c.name == name), None)


def _eta2(codes: np.ndarray, values: np.ndarray) -> float:
    """Share of the variance of `values` explained by the category (correlation ratio²)."""
    total = float(((values - values.mean()) ** 2).sum())
    if total <= 0:
        return 0.0
    frame = pd.DataFrame({"c": codes, "v": values})
    grouped = frame.groupby("c")["v"]
    between = float((grouped.count() * (grouped.mean() - values.mean()) ** 2).sum())
    return between / total


# -- columns copied from the parent --------------------------------------------------------

def _find_copies(ctx: _Ctx, table: Table, df: pd.DataFrame, driver: FKModel | None,
                 taken: set[str]) -> dict[str, tuple[str, float]]:
    """Columns that repeat a column of the driving parent (an invoice's billing address is
    the customer's address): at least COPY_SHARE equal where both are known. Each maps to
    (parent column, share of rows NULL where the parent's value is known): the copy carries
    the parent's NULLs, so only those extra NULLs are drawn on top."""
    if driver is None or driver.ref_table == table.name or not len(df):
        return {}
    parent = ctx.schema.table(driver.ref_table)
    joined = _joined_parent(ctx, df, driver)
    if joined is None:
        return {}
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns} | set(table.primary_key)
    out: dict[str, tuple[str, float]] = {}
    for col in table.columns:
        if col.name in fk_cols or col.name in taken or col.computed \
                or col.kind in _UNHASHABLE or df[col.name].nunique() < 2:
            continue
        for pname in joined.columns:
            if parent.column(pname).kind != col.kind:
                continue
            both = df[col.name].notna() & joined[pname].notna()
            if both.sum() >= 10 and \
                    (df.loc[both, col.name] == joined.loc[both, pname]).mean() >= COPY_SHARE:
                known = joined[pname].notna()
                extra = float(df.loc[known, col.name].isna().mean()) if known.any() else 0.0
                out[col.name] = (pname, extra)
                break
    return out


#: Kinds whose values (lists, dicts) pandas cannot count or compare: never copies.
_UNHASHABLE = ("array", "json", "binary")

#: Share of rows equal to the parent's column above which a column is a copy of it; the
#: rest (an order shipped to another address) is the price of keeping the parent's values.
COPY_SHARE = 0.9


def _joined_parent(ctx: _Ctx, df: pd.DataFrame, fk: FKModel) -> pd.DataFrame | None:
    """The parent's non-key columns aligned with this table's rows (NaN without a parent)."""
    parent = ctx.schema.table(fk.ref_table)
    pdf = ctx.frames[fk.ref_table]
    keys = list(fk.ref_columns)
    pcols = [c.name for c in parent.columns if c.name not in keys]
    if not pcols:
        return None
    child = df[list(fk.columns)].copy()
    child.columns = keys
    up = pdf[keys + pcols].drop_duplicates(keys)
    if any(child[k].dtype != up[k].dtype for k in keys):  # an all-NULL FK reads as object
        child = child.apply(lambda c: c.map(_key_text))
        up = up.assign(**{k: up[k].map(_key_text) for k in keys})
    joined = child.merge(up, how="left", on=keys)
    joined.index = df.index
    return joined[pcols]


def _key_text(value: object) -> str | None:
    """A key as text, so 7, 7.0 and '7' match."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- aggregates of children ---------------------------------------------------------------

_NUMERIC = ("integer", "float", "decimal")


def _mark_derived(ctx: _Ctx, table: Table, df: pd.DataFrame,
                  columns: list[ColumnModel]) -> list[ColumnModel]:
    """Parent columns that equal an aggregate of their children (an invoice's total is the sum
    of its lines' price x quantity) are recomputed after the children are generated."""
    out = []
    for cm in columns:
        col = table.column(cm.name)
        found = None
        if cm.strategy == "numeric" and col.kind in _NUMERIC and len(df) >= 10:
            found = _derived_from(ctx, table, df, col)
        out.append(dataclasses.replace(cm, derived=found) if found else cm)
    return out


def _derived_from(ctx: _Ctx, table: Table, df: pd.DataFrame,
                  col: Column) -> tuple[str, ...] | None:
    target = pd.to_numeric(df[col.name], errors="coerce").astype(float)
    tol = 0.5 * 10.0 ** -(col.scale or 0) if col.kind == "decimal" else 1e-6
    for child, fk in _child_fks(ctx, table):
        if child.name == table.name:
            continue
        cdf = ctx.frames[child.name]
        nums = [c.name for c in child.columns if c.kind in _NUMERIC
                and c.name not in fk.columns and c.name not in child.primary_key]
        candidates: list[tuple[str, ...]] = [("count",)]
        candidates += [("sum", a) for a in nums]
        candidates += [("sum_product", a, b) for i, a in enumerate(nums) for b in nums[i + 1:]]
        for cand in candidates:
            agg = _aggregate(df, cdf, fk, cand)
            known = target.notna()
            if known.sum() >= 10 and (np.abs(agg[known] - target[known]) <= tol + 1e-9).mean() \
                    >= 0.99:
                return (child.name, "/".join(fk.columns), *cand)
    return None


def _aggregate(parent: pd.DataFrame, child: pd.DataFrame, fk: ForeignKey,
               how: tuple[str, ...]) -> pd.Series:
    keys = child[list(fk.columns)].copy()
    keys.columns = list(fk.ref_columns)
    if how[0] == "count":
        keys["_v"] = 1.0
    elif how[0] == "sum":
        keys["_v"] = pd.to_numeric(child[how[1]], errors="coerce").astype(float)
    else:
        keys["_v"] = (pd.to_numeric(child[how[1]], errors="coerce").astype(float)
                      * pd.to_numeric(child[how[2]], errors="coerce").astype(float))
    sums = keys.groupby(list(fk.ref_columns), dropna=True)["_v"].sum().rename("_agg")
    merged = parent[list(fk.ref_columns)].merge(sums.reset_index(), how="left",
                                                 on=list(fk.ref_columns))
    return pd.Series(merged["_agg"].fillna(0.0).to_numpy(), index=parent.index)


def _child_fks(ctx: _Ctx, table: Table) -> list[tuple[Table, ForeignKey]]:
    out = []
    for child in ctx.schema.tables:
        for fk in child.foreign_keys:
            if fk.ref_table == table.name and not ctx.plan.is_deferred(child.name, fk):
                out.append((child, fk))
    return out


def _children_counts(parent: pd.DataFrame, child: pd.DataFrame, fk: ForeignKey) -> np.ndarray:
    keys = child[list(fk.columns)].dropna()
    keys.columns = list(fk.ref_columns)
    sizes = keys.groupby(list(fk.ref_columns), dropna=True).size().rename("_n").reset_index()
    merged = parent[list(fk.ref_columns)].merge(sizes, how="left", on=list(fk.ref_columns))
    return np.asarray(merged["_n"].fillna(0).to_numpy(), dtype=float)


def _fit_fks(ctx: _Ctx, table: Table, df: pd.DataFrame) -> list[FKModel]:
    models = []
    for fk in table.foreign_keys:
        if fk.ref_table not in ctx.frames:
            continue
        parent = ctx.frames[fk.ref_table]
        null_rate = float(df[list(fk.columns)].isna().any(axis=1).mean()) if len(df) else 0.0
        counts = _children_counts(parent, df, fk).astype(int)
        values, freq = np.unique(counts, return_counts=True)
        deferred = ctx.plan.is_deferred(table.name, fk)
        depth = _depth_probs(df, fk) if fk.ref_table == table.name else ()
        models.append(FKModel(
            columns=fk.columns, ref_table=fk.ref_table, ref_columns=fk.ref_columns,
            null_rate=null_rate, counts=tuple(int(v) for v in values),
            probs=tuple(float(f) / max(len(counts), 1) for f in freq), deferred=deferred,
            depth_probs=depth))
    return _choose_driver(ctx, table, df, models)


def _lookups_as_categories(ctx: _Ctx, table: Table, fks: list[FKModel]) -> list[FKModel]:
    """FKs into copied lookup tables become categories of the row — unless they are part of a
    composite key, where the distinct-per-parent draw keeps the key unique."""
    in_keys = {c for u in table.unique_sets() if len(u) > 1 for c in u}
    return [dataclasses.replace(f, as_category=True)
            if (f.ref_table in ctx.references and not f.driving and not f.deferred
                and len(f.columns) == 1 and f.ref_table != table.name
                and f.columns[0] not in in_keys) else f
            for f in fks]


def _fit_lookup(ctx: _Ctx, col: Column,
                series: pd.Series) -> tuple[ColumnModel, np.ndarray | None]:
    """An FK into a copied lookup table, as a category over the lookup's real keys."""
    values = series.dropna()
    if not len(values):
        return ColumnModel(col.name, "null", null_rate=1.0, reason="no values in the source"), None
    keys = [_jsonable(v) for v in values]
    if col.kind == "integer":
        keys = [int(v) if isinstance(v, float) else v for v in keys]
    counts = Counter(keys).most_common()
    cats = tuple(v for v, _ in counts)
    probs = tuple(c / len(keys) for _, c in counts) if keys else ()
    index = {v: i for i, v in enumerate(cats)}
    z = np.zeros(len(series))
    if len(keys):
        codes = np.asarray([index[v] for v in keys])
        z[series.notna().to_numpy()] = copula.categorical_to_normal(codes, probs, ctx.rng)
    return ColumnModel(col.name, "categorical", null_rate=float(series.isna().mean()),
                       values=cats, probs=probs, reason="key of a copied lookup table"), z


def _choose_driver(ctx: _Ctx, table: Table, df: pd.DataFrame,
                   fks: list[FKModel]) -> list[FKModel]:
    """The FK that drives this table's row count, and whose parent the rows are conditioned
    on: an owner rather than a lookup (a track belongs to its album, not its media type);
    then the parent whose columns the rows repeat (an order's ship-to name and city are its
    customer's, not its shipper's); then the one whose parents have the most children each
    (an order line's price follows its product, so lines go by product, and each order keeps
    its number of lines through the count drawn for it)."""
    best, best_key = None, (False, 0, 0.0)
    owners = [f for f in fks if not f.deferred and f.ref_table != table.name and f.counts
              and f.ref_table not in ctx.references]
    for i, fk in enumerate(fks):
        if fk.deferred or fk.ref_table == table.name or not fk.counts:
            continue
        copied = len(_find_copies(ctx, table, df, fk, set())) \
            if len(owners) > 1 and fk in owners else 0
        key = (fk.ref_table not in ctx.references, copied, float(np.dot(fk.counts, fk.probs)))
        if best is None or key > best_key:
            best, best_key = i, key
    if best is None:
        return fks
    fks[best] = dataclasses.replace(fks[best], driving=True)
    return fks


def _depth_probs(df: pd.DataFrame, fk: ForeignKey) -> tuple[float, ...]:
    """Share of rows at each depth of a self-referencing forest (0 = roots)."""
    if len(fk.columns) != 1 or not len(df):
        return ()
    parent_of = dict(zip(df[fk.ref_columns[0]], df[fk.columns[0]], strict=False))
    depths = []
    for key in df[fk.ref_columns[0]]:
        depth, seen = 0, set()
        node = parent_of.get(key)
        while node is not None and not pd.isna(node) and node not in seen and depth < 50:
            seen.add(node)
            depth += 1
            node = parent_of.get(node)
        depths.append(depth)
    counts = np.bincount(depths)
    return tuple(float(c) / len(depths) for c in counts)


def _parent_scores(ctx: _Ctx, table: Table, df: pd.DataFrame,
                   fks: list[FKModel]) -> tuple[tuple[str, ...], np.ndarray]:
    """The driving parent's latent scores for each row (0 where the FK is NULL)."""
    driver = next((f for f in fks if f.driving), None)
    if driver is None or driver.ref_table not in ctx.latents or not len(df):
        return (), np.zeros((len(df), 0))
    lat = ctx.latents[driver.ref_table]
    take = [i for i, d in enumerate(lat.dims) if not d.startswith("^")][:MAX_PARENT_DIMS]
    if not take:
        return (), np.zeros((len(df), 0))
    keys = lat.keys[list(driver.ref_columns)].reset_index(drop=True)
    scores = pd.DataFrame(lat.z[:, take], columns=[f"^{lat.dims[i]}" for i in take])
    parent = pd.concat([keys, scores], axis=1).drop_duplicates(list(driver.ref_columns))
    child = df[list(driver.columns)].copy()
    child.columns = list(driver.ref_columns)
    merged = child.merge(parent, how="left", on=list(driver.ref_columns))
    z = merged[list(scores.columns)].fillna(0.0).to_numpy(dtype=float)
    return tuple(scores.columns), z


# -- per column ------------------------------------------------------------------------------

def _fit_column(ctx: _Ctx, table: Table, col: Column, series: pd.Series,
                fk_cols: set[str]) -> tuple[ColumnModel, np.ndarray | None]:
    if col.computed:
        return ColumnModel(col.name, "computed", reason="generated by the database"), None
    if col.name in fk_cols:
        return ColumnModel(col.name, "fk"), None
    if col.name in table.primary_key and len(table.primary_key) == 1:
        return _fit_key(col, series), None
    null_rate = float(series.isna().mean()) if len(series) else 0.0
    values = series.dropna()
    if not len(values):
        return ColumnModel(col.name, "null", null_rate=1.0 if col.nullable else 0.0,
                           reason="no values in the source"), None
    cm_soft = _soft_key(ctx, table, col, values, null_rate)
    fitter = _FITTERS.get(col.kind, _fit_other)
    cm, z = cm_soft if cm_soft is not None else fitter(ctx, col, values, null_rate)
    if z is None and cm.strategy in ("pii", "text") and cm.lengths and len(series) >= 20:
        return cm, _length_scores(series, ctx.rng)
    if z is not None and null_rate > 0:
        z = _spread(z, series.notna().to_numpy())
    return cm, z


def _soft_key(ctx: _Ctx, table: Table, col: Column, values: pd.Series,
              null_rate: float) -> tuple[ColumnModel, np.ndarray] | None:
    """An id of a row elsewhere without a declared FK (`dbclone.softkey`): its reuse
    distribution, where its ids come from, and its ranks in the copula (ids are often
    handed out in batches: Chinook's video tracks have the highest ids and the 1.99 price)."""
    where = (table.name, col.name)
    if where in ctx.opts.not_soft_keys:
        return None
    found = softkey.detect(ctx.schema, ctx.frames, table, col, values, ctx.opts.rare_threshold,
                           forced=where in ctx.opts.soft_keys)
    if found is None:
        return None
    ints = pd.to_numeric(values).to_numpy(dtype=float)
    counts, probs = softkey.reuse(pd.Series(ints.astype(np.int64)))
    lo, hi = float(ints.min()), float(ints.max())
    spacing = max((hi - lo + 1) / max(len(np.unique(ints)), 1), 1.0)
    ref = f"{found.target}.{found.target_column}" if found.target else None
    cm = ColumnModel(col.name, "softkey", null_rate=null_rate, quantiles=(lo, hi),
                     integer=True, values=counts, probs=probs, step=round(spacing, 4),
                     ref=ref, reason=found.reason)
    return cm, copula.numeric_to_normal(ints, ctx.rng)


def _length_scores(series: pd.Series, rng: np.random.Generator) -> np.ndarray:
    """Replaced personal data and free text join the copula through their length, NULL ranked
    lowest: a state is NULL outside the countries that have states, a postcode's length
    follows the country, though every value is Faker's; a case's summary is longer for some
    categories than others."""
    lengths = series.map(lambda v: -1.0 if v is None or v != v else float(len(str(v))))
    return copula.numeric_to_normal(lengths.to_numpy(dtype=float), rng)


def _spread(z: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Scores for the non-null rows, 0 (the mean) for NULLs."""
    out = np.zeros(len(mask))
    out[mask] = z
    return out


def _fit_key(col: Column, series: pd.Series) -> ColumnModel:
    values = series.dropna()
    if col.kind in ("string", "text") and len(values):
        return ColumnModel(col.name, "key", pattern=_patterns(values.astype(str)),
                           lengths=_length_grid(values.astype(str)))
    return ColumnModel(col.name, "key")


def _fit_numeric(ctx: _Ctx, col: Column, values: pd.Series,
                 null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    arr = _as_float(col, values)
    integer = col.kind == "integer" or (col.kind == "decimal" and (col.scale or 0) == 0
                                        and col.precision is not None)
    distinct = np.unique(arr)
    if len(distinct) <= MAX_INT_CATEGORIES and col.kind in ("integer", "decimal", "float"):
        cm, z = _fit_categorical(ctx, col, values, null_rate)
        if cm.strategy == "categorical" or len(distinct) == 1:
            return cm, z
        # every value rarer than k (a handful of rows): a number stays a number, modelled by
        # its quantiles below, never the text fallback meant for strings
    if len(distinct) == 1:
        return ColumnModel(col.name, "numeric", null_rate=null_rate,
                           quantiles=(float(distinct[0]),) * 2, integer=integer), None
    cm = ColumnModel(col.name, "numeric", null_rate=null_rate, quantiles=copula.quantile_grid(arr),
                     integer=integer, step=_step(col, arr))
    return cm, copula.numeric_to_normal(arr, ctx.rng)


def _step(col: Column, arr: np.ndarray) -> float:
    """The coarsest granularity every value sits on (days for date-only timestamps)."""
    if col.kind == "datetime":
        for step in (86400.0, 3600.0, 60.0, 1.0):
            if np.all(np.mod(arr, step) == 0):
                return step
        return 0.0
    if col.kind in ("float", "decimal") and not (col.kind == "decimal" and col.scale):
        for digits in range(7):
            scaled = arr * 10.0**digits
            if np.all(np.abs(scaled - np.round(scaled)) < 1e-6):
                return 10.0**-digits
    return 0.0


def _as_float(col: Column, values: pd.Series) -> np.ndarray:
    """Numbers as floats; dates as days, timestamps as seconds since 1970, times as seconds."""
    if col.kind == "date":
        try:  # numpy parses date objects and ISO strings in C; past 2262 where pandas cannot
            return np.array(list(values), dtype="datetime64[D]").astype("int64").astype(float)
        except (ValueError, TypeError):
            return np.asarray([(_to_date(v) - EPOCH.date()).days for v in values], dtype=float)
    if col.kind == "datetime" and not col.timezone:
        try:  # microseconds kept: a constant last_update must come back exactly
            stamps = np.array(list(values), dtype="datetime64[us]").astype("int64")
            return stamps.astype(float) / 1e6
        except (ValueError, TypeError):
            pass
    if col.kind == "datetime":
        stamps = pd.to_datetime(values, utc=col.timezone, errors="coerce")
        if col.timezone:
            stamps = stamps.dt.tz_convert(None)
        return np.asarray((stamps - pd.Timestamp(EPOCH)).dt.total_seconds(), dtype=float)
    if col.kind == "time":
        return np.asarray([_time_seconds(v) for v in values], dtype=float)
    if col.kind == "interval":
        return np.asarray(pd.to_timedelta(values).dt.total_seconds(), dtype=float)
    return np.asarray(pd.to_numeric(values, errors="coerce").astype(float))


def _to_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(str(value)).date()


def _time_seconds(value: object) -> float:
    if isinstance(value, dt.timedelta):  # MySQL returns TIME as timedelta
        return value.total_seconds()
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    t = pd.Timestamp(f"1970-01-01 {value}")
    return float(t.hour * 3600 + t.minute * 60 + t.second)


def _fit_categorical(ctx: _Ctx, col: Column, values: pd.Series,
                     null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    """Frequencies of categories seen at least k times; rarer ones are never reproduced."""
    keys = [_jsonable(v) for v in values]
    if col.kind == "integer":  # a NULL in the column made pandas read floats
        keys = [int(v) if isinstance(v, float) and v.is_integer() else v for v in keys]
    counts = Counter(keys)
    k = ctx.opts.rare_threshold
    people = _distinct_owners(ctx, values, keys)
    # A value must be held by k rows and, in a child table, by k distinct parents (or by
    # every parent when there are fewer than k: customers served by three sales reps).
    owners_k = min(k, ctx.owners.nunique()) if ctx.owners is not None else k
    kept = [(v, c) for v, c in counts.most_common()
            if c >= k and people.get(v, owners_k) >= owners_k]
    if col.enum_values or col.kind == "boolean":
        kept = list(counts.most_common())  # the type itself lists every allowed value
    if not kept:
        return _fit_string_fallback(ctx, col, values, null_rate,
                                    f"every value occurs fewer than {k} times")
    common = {v for v, _ in kept}
    rare = [(v, c) for v, c in counts.most_common() if v not in common]
    slot = _stand_in_slots(ctx, col, rare)
    provider = pii.quasi_provider(col.name, float(np.median([len(str(v)) for v in keys])))
    stand_ins = _stand_ins(ctx, provider, [str(v) for v, _ in kept], set(map(str, keys)),
                           max(slot.values()) + 1 if slot else 0, col.length)
    entries = kept + list(zip(stand_ins, _slot_counts(rare, slot), strict=True))
    total = sum(c for _, c in entries)
    cats = tuple(v for v, _ in entries)
    probs = tuple(c / total for _, c in entries)
    index = {v: i for i, v in enumerate(cats[:len(kept)])}
    index.update({v: len(kept) + j for v, j in slot.items()})
    codes = np.asarray([index.get(v, -1) for v in keys])
    z = np.zeros(len(keys))
    known = codes >= 0
    z[known] = copula.categorical_to_normal(codes[known], probs, ctx.rng)
    reason = ""
    if rare and slot:
        reason = (f"{len(rare)} rare value(s) suppressed (k={k}); their share goes to "
                  f"{len(entries) - len(kept)} synthetic stand-in(s)")
    elif rare:
        reason = f"{len(rare)} rare value(s) suppressed (k={k})"
    return ColumnModel(col.name, "categorical", null_rate=null_rate, values=cats, probs=probs,
                       reason=reason), z


#: Synthetic stand-ins per column at most; rarer values beyond share them.
MAX_STAND_INS = 50
#: Faker values a quasi-identifier's stand-ins are chosen from.
STAND_IN_POOL = 400


def _stand_in_slots(ctx: _Ctx, col: Column, rare: list[tuple[object, int]]) -> dict[object, int]:
    """Rare text categories each get a synthetic stand-in slot (the long tail keeps its
    size and shape, never its values). Not for numbers, nor where a CHECK names the column
    (a stand-in could break it)."""
    if not rare or col.kind not in ("string", "text") or col.enum_values:
        return {}
    table = ctx.table
    checks = " ".join(c.sqltext for c in table.checks).lower() if table is not None else ""
    if col.name.lower() in checks:
        return {}
    return {v: i % MAX_STAND_INS for i, (v, _) in enumerate(rare)}


def _stand_ins(ctx: _Ctx, provider: str | None, common: list[str], source: set[str], n: int,
               length: int | None) -> list[str]:
    """n synthetic values none of which occurs in the source column: Faker's for a
    quasi-identifier (countries, regions), else new combinations of the common values'
    words, else a common value's shape with new characters."""
    taken = set(source)
    pool: list[str] = []
    if provider and n and ctx.fake is not None:
        # A few hundred Faker values hold far more than the MAX_STAND_INS needed (all 50
        # US states, most of the 243 countries).
        pool = [v for v in dict.fromkeys(ctx.fake.pool(provider, STAND_IN_POOL))
                if v not in taken]
    words = sorted({w for v in common for w in v.split()})
    sizes = [len(v.split()) for v in common]
    rng = ctx.rng
    out: list[str] = []
    for _ in range(n):
        value = pool.pop(int(rng.integers(0, len(pool)))) if pool else None
        for _ in range(20):
            if value is not None and value not in taken:
                break
            size = sizes[int(rng.integers(0, len(sizes)))]
            value = " ".join(words[int(rng.integers(0, len(words)))] for _ in range(size))
        while value is None or value in taken:
            shape = shape_of(common[int(rng.integers(0, len(common)))])
            value = Pattern(_shape_regex(shape)).generate(rng)
        value = value[:length] if length else value
        taken.add(value)
        out.append(value)
    return out


def _shape_regex(shape: str) -> str:
    classes = {"9": "[0-9]", "A": "[A-Z]", "a": "[a-z]"}
    return "^" + "".join(classes.get(c, re.escape(c)) for c in shape) + "$"


def _slot_counts(rare: list[tuple[object, int]], slot: dict[object, int]) -> list[int]:
    out = [0] * (max(slot.values()) + 1 if slot else 0)
    for v, c in rare:
        if v in slot:
            out[slot[v]] += c
    return out


def _distinct_owners(ctx: _Ctx, values: pd.Series, keys: list[object]) -> dict[object, int]:
    """Per category, how many distinct driving parents hold it (empty for root tables)."""
    if ctx.owners is None:
        return {}
    owners = ctx.owners.loc[values.index].to_numpy()
    frame = pd.DataFrame({"v": pd.Series(keys, dtype=object).astype(str), "o": owners})
    per = frame.groupby("v")["o"].nunique()
    return {key: int(per.get(str(key), 0)) for key in set(keys)}


def _jsonable(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dt.date | dt.time | dt.datetime):
        return value.isoformat()
    return value


def _fit_string(ctx: _Ctx, col: Column, values: pd.Series,
                null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    text = values.astype(str)
    filled = text[text != ""]
    empty = 1.0 - len(filled) / len(text) if len(text) else 0.0
    det = pii.detect(col.name, filled.head(500).tolist())
    if det:
        domains, shares = pii.common_domains(filled.head(20000).tolist(),
                                             ctx.opts.rare_threshold) \
            if det.provider == "email" else ((), ())
        shapes = _top_shape(filled)
        if det.provider in pii.SHAPED:
            shapes, shares = _shapes(filled, ctx.opts.rare_threshold)
        return ColumnModel(col.name, "pii", null_rate=null_rate, pii=det.provider,
                           lengths=_length_grid(filled), pattern=shapes,
                           empty_rate=empty, values=domains, probs=shares,
                           case=pii.letter_case(filled.head(2000).tolist()),
                           reason=det.reason), None
    distinct = text.nunique()
    if distinct <= max(30, 0.2 * len(text)) or col.enum_values:
        return _fit_categorical(ctx, col, text, null_rate)
    cm, z = _fit_string_fallback(ctx, col, filled, null_rate, "many distinct values")
    return dataclasses.replace(cm, empty_rate=empty), z


def _fit_string_fallback(ctx: _Ctx, col: Column, values: pd.Series, null_rate: float,
                         why: str) -> tuple[ColumnModel, np.ndarray | None]:
    text = values.astype(str)
    provider = pii.quasi_provider(col.name, float(text.str.len().median()) if len(text) else 0)
    if provider:  # rare cities, countries, companies, jobs: Faker's, not the source's
        return ColumnModel(col.name, "pii", null_rate=null_rate, pii=provider,
                           lengths=_length_grid(text), reason=f"{why}; Faker {provider}"), None
    patterns = _patterns(text)
    lengths = _length_grid(text)
    if patterns and not any(" " in v for v in text.head(200)):
        return ColumnModel(col.name, "pattern", null_rate=null_rate, pattern=patterns,
                           lengths=lengths, reason=why), None
    owners = ctx.owners.reindex(text.index) if ctx.owners is not None else None
    words, probs, titled = _vocabulary(text, ctx.opts.rare_threshold, owners)
    sentences = ("sentences",) if text.str.rstrip().str.endswith(".").mean() >= 0.5 else ()
    return ColumnModel(col.name, "text", null_rate=null_rate, lengths=lengths, values=words,
                       probs=probs, pattern=sentences, case="title" if titled else "",
                       reason=why), None


_SENTENCE_END = re.compile(r"[.!?]\s+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
#: Share of words capitalised away from a sentence start above which text is in title case
#: (song and product names), where a capital says nothing about a word being a name.
TITLE_SHARE = 0.6


def _vocabulary(text: pd.Series, k: int, owners: pd.Series | None = None,
                size: int = 2000) -> tuple[tuple[str, ...], tuple[float, ...], bool]:
    """Words used by at least k different owners (rows, or the people the rows are about),
    with their frequencies, and whether the text is in title case: text in the source's
    language and domain, never a source sentence (words are drawn independently). In
    ordinary text, words mostly capitalised mid-sentence (names) are left out too."""
    held: set[tuple[str, object]] = set()  # (word, owner) pairs
    words: list[str] = []
    capitals: list[str] = []  # capitalised away from a sentence start: a name
    inner = 0
    who_of = owners.to_dict() if owners is not None else {}
    for i, value in zip(text.index[:20000], text.head(20000), strict=True):
        found = []
        for sentence in _SENTENCE_END.split(value):
            here = _WORD.findall(sentence)
            inner += max(len(here) - 1, 0)
            capitals += [w for w in here[1:] if w[:1].isupper()]
            found += here
        lowered = [w.lower() for w in found]
        words += lowered
        who = who_of.get(i, i)
        held.update((w, who) for w in lowered)
    total = Counter(words)
    capital = Counter(w.lower() for w in capitals)
    holders = Counter(w for w, _ in held)
    titled = inner > 0 and len(capitals) >= TITLE_SHARE * inner
    need = min(k, len(set(owners.dropna()))) if owners is not None else k
    kept = [(w, total[w]) for w, h in holders.items()
            if h >= need and h >= 2 and (titled or capital[w] < 0.3 * total[w])]
    kept.sort(key=lambda wc: (-wc[1], wc[0]))
    kept = kept[:size]
    if len(kept) < 20:
        return (), (), False
    norm = float(sum(c for _, c in kept))
    return tuple(w for w, _ in kept), tuple(c / norm for _, c in kept), titled


def _length_grid(text: pd.Series) -> tuple[float, ...]:
    return copula.quantile_grid(text.str.len().to_numpy(dtype=float)) if len(text) else ()


_SHAPE = str.maketrans({**{c: "9" for c in "0123456789"},
                        **{c: "A" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
                        **{c: "a" for c in "abcdefghijklmnopqrstuvwxyz"}})


def shape_of(value: str) -> str:
    """ASCII digits to 9, letters to A or a; anything else (å, -, space) kept."""
    return value.translate(_SHAPE)


def _shapes(text: pd.Series, k: int) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Formats (``99999``, ``A9A 9A9``) used by at least k values, with their shares: a
    postcode column of many countries keeps its mix of formats."""
    counts = Counter(text.head(20000).map(shape_of))
    kept = [(s, c) for s, c in counts.most_common(20) if c >= k and len(s) <= 40]
    total = float(sum(c for _, c in kept)) or 1.0
    return tuple(s for s, _ in kept), tuple(c / total for _, c in kept)


def _top_shape(text: pd.Series) -> tuple[str, ...]:
    """The dominant character-class shape (``99999999-9999``), if 80% of values share it."""
    sample = text.head(5000)
    if not len(sample):
        return ()
    top, count = Counter(sample.map(shape_of)).most_common(1)[0]
    return (top,) if count >= 0.8 * len(sample) and len(top) <= 40 else ()


def _patterns(text: pd.Series) -> tuple[str, ...]:
    """A regular expression for code-like values of the dominant shape: per position the
    characters seen there (``SOC-20[12][0-9]-[0-9]{6}``). Empty when no shape dominates."""
    shape = _top_shape(text)
    if not shape:
        return ()
    sample = text.head(5000)
    members = sample[sample.map(shape_of) == shape[0]]
    classes = [_char_class({v[i] for v in members}, cls) for i, cls in enumerate(shape[0])]
    out: list[str] = []
    i = 0
    while i < len(classes):
        j = i
        while j + 1 < len(classes) and classes[j + 1] == classes[i]:
            j += 1
        run = j - i + 1
        out.append(classes[i] + (f"{{{run}}}" if run > 1 else ""))
        i = j + 1
    return ("^" + "".join(out) + "$",)


def _char_class(chars: set[str], cls: str) -> str:
    if len(chars) == 1:
        return re.escape(next(iter(chars)))
    full = {"9": "[0-9]", "A": "[A-Z]", "a": "[a-z]"}.get(cls)
    if full and len(chars) >= {"9": 7, "A": 13, "a": 13}[cls]:
        return full
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


def _fit_array(ctx: _Ctx, col: Column, values: pd.Series,
               null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    """Arrays: their length distribution and the elements used by at least k rows."""
    lists = [list(v) if isinstance(v, list | tuple) else [] for v in values]
    if any(isinstance(x, list | tuple) for items in lists for x in items):
        return ColumnModel(col.name, "array", null_rate=null_rate,
                           reason="multi-dimensional arrays are generated empty"), None
    rows: Counter[object] = Counter()
    for items in lists:
        rows.update({_jsonable(x) for x in items if x is not None})
    kept = [(x, c) for x, c in rows.most_common() if c >= ctx.opts.rare_threshold]
    total = float(sum(c for _, c in kept)) or 1.0
    lengths = np.asarray([len(items) for items in lists], dtype=float)
    return ColumnModel(col.name, "array", null_rate=null_rate,
                       values=tuple(x for x, _ in kept), probs=tuple(c / total for _, c in kept),
                       lengths=copula.quantile_grid(lengths) if len(lengths) else (),
                       reason=f"{len(rows) - len(kept)} rare element(s) suppressed"
                       if len(rows) > len(kept) else ""), None


def _fit_bytes(ctx: _Ctx, col: Column, values: pd.Series,
               null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    lengths = np.asarray([len(bytes(v)) for v in values], dtype=float)
    return ColumnModel(col.name, "bytes", null_rate=null_rate,
                       lengths=copula.quantile_grid(lengths)), None


def _fit_uuid(ctx: _Ctx, col: Column, values: pd.Series,
              null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    return ColumnModel(col.name, "uuid", null_rate=null_rate), None


def _fit_json(ctx: _Ctx, col: Column, values: pd.Series,
              null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    docs = [jsongen.parse(v) for v in values.head(5000)]
    shape = jsongen.summarise(docs, ctx.opts.rare_threshold)
    return ColumnModel(col.name, "json", null_rate=null_rate,
                       pattern=(json.dumps(shape, default=str),),
                       reason="structure (keys, types, nesting) kept; values synthetic"), None


def _fit_other(ctx: _Ctx, col: Column, values: pd.Series,
               null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    if col.nullable:
        return ColumnModel(col.name, "null", null_rate=1.0,
                           reason=f"type {col.sql_type} is not modelled; NULL"), None
    if col.fallback is not None:  # a literal the dialect vouches for; text may not load
        return ColumnModel(col.name, "categorical", values=(col.fallback,), probs=(1.0,),
                           reason=f"type {col.sql_type} is not modelled; "
                                  f"constant {col.fallback!r}"), None
    return _fit_string_fallback(ctx, col, values.astype(str), null_rate,
                                f"type {col.sql_type} is not modelled")


_FITTERS = {
    "integer": _fit_numeric, "float": _fit_numeric, "decimal": _fit_numeric,
    "date": _fit_numeric, "datetime": _fit_numeric, "time": _fit_numeric,
    "interval": _fit_numeric, "boolean": _fit_categorical, "enum": _fit_categorical,
    "string": _fit_string, "text": _fit_string, "binary": _fit_bytes, "uuid": _fit_uuid,
    "json": _fit_json, "array": _fit_array,
}
