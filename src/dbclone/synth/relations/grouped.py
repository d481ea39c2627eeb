"""Numbers and children counts drawn per category of the row (an amount per benefit type, a
household's members per household type): fit a NULL rate and quantiles per common category
of the most telling categorical column; sample each row from its category's marginal.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy.special import ndtri

from dbclone.schema import Column, Table
from dbclone.semantic import relations as rel
from dbclone.synth import copula
from dbclone.synth import dims as names
from dbclone.synth.codecs import (
    jsonable,
    known_numbers,
    to_python,
)
from dbclone.synth.context import FitContext, Step, TableFit
from dbclone.synth.model import ColumnModel
from dbclone.synth.relations.dates import Base
from dbclone.synth.relations.ratios import log_ratio
from dbclone.synth.state import Chunk, SampleState
from dbclone.synth.tables import Columns

#: Share of a number's variance (normal scores of its ranks, NULL lowest) a category must
#: explain for the number to be drawn per category: a Gaussian copula's one correlation
#: cannot say "non-monetary benefits have no amount, housing benefits pay thousands".
GROUP_ETA = 0.3


#: Rows a category needs for a marginal of its own; smaller categories share the rest's.
GROUP_ROWS = 50


MAX_GROUP_CATEGORIES = 50


def group_numbers(ctx: FitContext, table: Table, df: pd.DataFrame, columns: list[ColumnModel],
                  dims: list[str], zs: list[np.ndarray], bases: dict[str, Base]) -> None:
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
                or names.is_parent(cm.base) and cm.op in ("ratio", "share"):
            continue  # a sentinel date ("valid until 9999") keeps its own share; a ratio to
            # the parent's number is one log-ratio for all categories
        col = table.column(cm.name)
        if cm.op == "ratio":  # the log-ratio is what is drawn (a bitrate per media type)
            values = log_ratio(df, cm.name, cm.base or "")
        elif cm.base:
            values = bases[cm.name].delta
        else:
            values = known_numbers(col, df[cm.name])
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
        eta = eta2(codes[c.name][known], scores[known]) if known.sum() >= 20 else 0.0
        if eta > best_eta:
            best, best_eta = c, eta
    return best, best_eta


def group_counts(ctx: FitContext, table: Table, df: pd.DataFrame, columns: list[ColumnModel],
                 dims: list[str], zs: list[np.ndarray],
                 children: dict[str, np.ndarray]) -> tuple[ColumnModel, ...]:
    """Children counts drawn per category of the row, as numbers are (`group_numbers`): a
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
    rows, uniques = pd.factorize(series, use_na_sentinel=True)  # each value converted once
    keys = [jsonable(v) for v in uniques]
    if col.kind == "integer":
        keys = [int(v) if isinstance(v, float) and v.is_integer() else v for v in keys]
    found = np.asarray([-1 if v is None or (isinstance(v, float) and np.isnan(v))
                        else index.get(str(v), -1) for v in keys] + [-1], dtype=np.int64)
    return found[rows]  # NULL rows (-1) take the appended -1


def _number_groups(ctx: FitContext, df: pd.DataFrame, values: pd.Series, codes: np.ndarray,
                   cats: tuple[object, ...]
                  ) -> tuple[tuple[tuple[object, float, tuple[float, ...]], ...], np.ndarray]:
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


def eta2(codes: np.ndarray, values: np.ndarray) -> float:
    """Share of the variance of `values` explained by the category (correlation ratio²);
    `codes` are small non-negative integers (category positions)."""
    mean = values.mean()
    total = float(((values - mean) ** 2).sum())
    if total <= 0:
        return 0.0
    sizes = np.bincount(codes)
    seen = sizes > 0
    means = np.bincount(codes, weights=values)[seen] / sizes[seen]
    return float((sizes[seen] * (means - mean) ** 2).sum()) / total


def grouped_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray,
                   by: np.ndarray) -> np.ndarray:
    """A number drawn from its category's own marginal and NULL rate (ranks within the
    group follow the latent scores; NULL takes the group's lowest)."""
    index = {str(g[0]): i for i, g in enumerate(cm.groups) if g[0] is not None}
    rest = len(cm.groups) - 1
    member = np.asarray([rest if v is None else index.get(str(v), rest) for v in by])
    out = np.full(len(z), None, dtype=object)
    for i, (_, null_rate, grid) in enumerate(cm.groups):
        rows = np.flatnonzero(member == i)
        if not len(rows):
            continue
        if col.nullable and null_rate > 0:
            rows = rows[copula.uniform_ranks(z[rows]) >= null_rate]
        if not len(rows):
            continue
        raw = copula.normal_to_numeric(z[rows], grid or cm.quantiles, cm.integer,
                                       ch.spread)
        if cm.grain_steps and len(raw):  # the source's mix of steps, as columns.numeric keeps it
            whole = grid or cm.quantiles
            bounds = (min(whole[0], float(raw.min())), max(whole[-1], float(raw.max())))
            raw = rel.apply_granularity(raw, tuple(zip(cm.grain_steps, cm.grain_shares,
                                                       strict=True)), st.rng, bounds)
        if cm.step:
            raw = np.round(np.round(raw / cm.step) * cm.step, rel.decimals(cm.step))
        out[rows] = raw.tolist() if cm.base else to_python(col, raw)  # see _add_base
    return out


def grouped_counts(cm: ColumnModel, z: np.ndarray, data: Columns, spread: bool) -> np.ndarray:
    """Children per row from its category's own count distribution (ranks in the group
    follow the latent scores)."""
    assert cm.by is not None
    index = {str(g[0]): i for i, g in enumerate(cm.groups) if g[0] is not None}
    rest = len(cm.groups) - 1
    member = np.asarray([rest if v is None else index.get(str(v), rest)
                         for v in data[cm.by]])
    out = np.zeros(len(z), dtype=int)
    for i, (_, _, grid) in enumerate(cm.groups):
        rows = np.flatnonzero(member == i)
        if len(rows):
            counts = copula.normal_to_numeric(z[rows], grid or cm.quantiles, True, spread)
            out[rows] = np.maximum(counts, 0).astype(int)
    return out


def _counts(ctx: FitContext, tf: TableFit) -> None:
    tf.counts = group_counts(ctx, tf.table, tf.df, tf.columns, tf.dims, tf.zs, tf.children)


#: Numbers drawn per category of the row.
NUMBERS_STEP = Step("grouped numbers", lambda ctx, tf: group_numbers(
    ctx, tf.table, tf.df, tf.columns, tf.dims, tf.zs, tf.bases))
#: Children counts drawn per category of the row.
COUNTS_STEP = Step("grouped counts", _counts)
