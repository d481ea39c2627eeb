"""Joint categories: strongly associated categorical columns (bias-corrected Cramér's V,
NULL a category) become one category of combinations held by k rows; the head column's
categories carry the partners' values (`categorical_values` fills them, `joint_values` hands
them out).
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pandas as pd

from dbclone.schema import Column, Table
from dbclone.synth import copula
from dbclone.synth.codecs import (
    jsonable,
)
from dbclone.synth.columns.base import ColumnSynthesizer
from dbclone.synth.context import FitContext, Step
from dbclone.synth.model import ColumnModel
from dbclone.synth.specs import JointSpec
from dbclone.synth.state import Chunk, SampleState
from dbclone.synth.tables import Columns

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


def merge_associated(ctx: FitContext, table: Table, df: pd.DataFrame, columns: list[ColumnModel],
                     dims: list[str], zs: list[np.ndarray]) -> None:
    """Groups (up to three) of strongly associated categorical columns become one joint
    category each: media type, genre and price of a track. A column with many values may
    join one with few when its values nest in them (a decision's motivation says whether it
    was granted): each combination held by at least k rows is then one category."""
    cats = [c for c in columns if c.strategy == "categorical" and c.name in dims
            and 1 < len(c.values) <= MAX_JOINT_CATEGORIES]
    pairs = []
    codes = {c.name: pd.factorize(_with_nulls(df[c.name]).astype(str))[0] for c in cats}
    for i, first in enumerate(cats):
        for second in cats[i + 1:]:
            v = _cramers_v(codes[first.name], codes[second.name])
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
            _make_joint(ctx, table, df, columns, dims, zs, order)


#: NULL as a category of its own when judging and making joint categories: a missing
#: referral source says as much about a case's category as any source does.
_NULL = "\0null"


def _with_nulls(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), _NULL)


def _cramers_v(a: np.ndarray, b: np.ndarray) -> float:
    """Cramér's V with Bergsma's bias correction: a column of 60 values over a few hundred rows
    looks associated with anything by chance alone, and the correction removes that part.
    `a`, `b`: category codes per row (NULL a category of its own, `_with_nulls`), counted
    into the contingency table by one bincount (a crosstab over text per pair was slow)."""
    if len(a) < 20:
        return 0.0
    ka, kb = int(a.max()) + 1, int(b.max()) + 1
    table = np.bincount(a * kb + b, minlength=ka * kb).reshape(ka, kb).astype(float)
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


def _combo_value(value: object, integer: bool) -> object:
    """A value of a combination as the model keeps it: a nullable integer column that pandas
    read as floats gives its integers back (an INTEGER column refuses "3.0")."""
    if pd.isna(value):
        return None
    out = jsonable(value)
    return int(out) if integer and isinstance(out, float) and out.is_integer() else out


def _kept_values(columns: list[ColumnModel], name: str) -> set[object] | None:
    """The values a categorical column's own model holds (None: not a categorical model)."""
    cm = next(c for c in columns if c.name == name)
    if cm.strategy != "categorical" or not cm.values or cm.joint:
        return None
    try:
        return set(cm.values)
    except TypeError:  # values that are lists (a JSON column's arrays): no such check
        return None


def _make_joint(ctx: FitContext, table: Table, df: pd.DataFrame, columns: list[ColumnModel],
                dims: list[str], zs: list[np.ndarray], names: list[str]) -> bool:
    """One category per combination held by at least k rows; NULL is part of a combination
    (the columns' own NULL rates then no longer apply)."""
    integer = [table.column(n).kind == "integer" for n in names]
    combos = [tuple(_combo_value(v, i) for v, i in zip(row, integer, strict=True))
              for row in df[names].astype(object).itertuples(index=False, name=None)]
    counts = Counter(combos)
    # a value its own column's rule left out (held by too few owners) stays out of every
    # combination too, however many rows the combination has
    allowed = [_kept_values(columns, name) for name in names]
    kept = [(c, n) for c, n in counts.most_common() if n >= ctx.opts.rare_threshold
            and all(a is None or v is None or v in a
                    for v, a in zip(c, allowed, strict=True))]
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


def joint_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
                 n: int, data: Columns) -> np.ndarray:
    """A partner column's values, drawn with its head's category."""
    return ch.joint.pop(cm.name)


class JointPartner(ColumnSynthesizer):
    """A partner column of a joint category (fitted by `merge_associated`)."""

    specs = (JointSpec,)
    fit = staticmethod(merge_associated)
    generate = staticmethod(joint_values)


#: Strongly associated categories merged into joint ones.
STEP = Step("joint categories", lambda ctx, tf: merge_associated(
    ctx, tf.table, tf.df, tf.columns, tf.dims, tf.zs))
