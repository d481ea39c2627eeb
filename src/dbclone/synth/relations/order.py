"""Category order: each category's values ordered by the mean score of the number it explains
best, so the copula's correlations carry "video tracks are large" as a monotone trend (fit
only: the order is the model's).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from dbclone.synth import copula
from dbclone.synth import dims as names
from dbclone.synth.context import FitContext, Step
from dbclone.synth.model import ColumnModel
from dbclone.synth.relations.grouped import eta2


def order_categories(ctx: FitContext, columns: list[ColumnModel], dims: list[str],
                     zs: list[np.ndarray]) -> None:
    """Order each category by the mean score of the numeric column it explains best, so the
    copula's correlations can carry "video tracks are large" as a monotone trend. A number
    drawn per category counts on its scale over all rows (`FitContext.scales`): benefits without
    an amount come first, then the others by their amounts, so neighbouring categories are
    alike (siblings drawn near each other's score stay monetary or not)."""
    scale = [ctx.scales.get(d, z) for d, z in zip(dims, zs, strict=True)]
    numeric = [i for i, d in enumerate(dims) if not names.is_children(d)
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
            eta = eta2(codes, scale[j][mask])
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


#: Categories ordered along the number they explain.
STEP = Step("category order", lambda ctx, tf: order_categories(ctx, tf.columns, tf.dims, tf.zs))
