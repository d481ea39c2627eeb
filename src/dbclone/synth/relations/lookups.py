"""An FK into a copied lookup table (a track's media type) is a category of the row, over
the lookup's real keys, modelled with the row's other columns (fit only: it generates as a
category).
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
from dbclone.synth.context import FitContext
from dbclone.synth.model import ColumnModel, FKModel


def lookups_as_categories(ctx: FitContext, table: Table, fks: list[FKModel]) -> list[FKModel]:
    """FKs into copied lookup tables become categories of the row — unless they are part of a
    composite key, where the distinct-per-parent draw keeps the key unique."""
    in_keys = {c for u in table.unique_sets() if len(u) > 1 for c in u}
    return [dataclasses.replace(f, as_category=True)
            if (f.ref_table in ctx.references and not f.driving and not f.deferred
                and len(f.columns) == 1 and f.ref_table != table.name
                and f.columns[0] not in in_keys) else f
            for f in fks]


def fit_lookup(ctx: FitContext, col: Column,
               series: pd.Series) -> tuple[ColumnModel, np.ndarray | None]:
    """An FK into a copied lookup table, as a category over the lookup's real keys."""
    values = series.dropna()
    if not len(values):
        return ColumnModel(col.name, "null", null_rate=1.0, reason="no values in the source"), None
    keys = [jsonable(v) for v in values]
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
