"""Columns with a rule of their own but little to it: arrays (lengths and elements held by k
rows), bytes (lengths), UUIDs, JSON (structure kept, values synthetic, `jsongen`), types not
modelled (NULL, a constant, or text), and the strategies whose values come from elsewhere
(FKs, computed columns, parents' copies: NULL until filled).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter

import numpy as np
import pandas as pd

from dbclone.schema import Column
from dbclone.synth import copula
from dbclone.synth.codecs import (
    jsonable,
    normalized,
)
from dbclone.synth.columns import jsongen
from dbclone.synth.columns.keys import random_bits
from dbclone.synth.columns.text import fit_string_fallback
from dbclone.synth.context import FitContext
from dbclone.synth.model import ColumnModel
from dbclone.synth.state import Chunk, SampleState
from dbclone.synth.tables import Columns


def fit_array(ctx: FitContext, col: Column, values: pd.Series,
              null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    """Arrays: their length distribution and the elements used by at least k rows."""
    lists = [list(v) if isinstance(v, list | tuple) else [] for v in values]
    if any(isinstance(x, list | tuple) for items in lists for x in items):
        return ColumnModel(col.name, "array", null_rate=null_rate,
                           reason="multi-dimensional arrays are generated empty"), None
    rows: Counter[object] = Counter()
    for items in lists:
        rows.update({jsonable(x) for x in items if x is not None})
    kept = [(x, c) for x, c in rows.most_common() if c >= ctx.opts.rare_threshold]
    total = float(sum(c for _, c in kept)) or 1.0
    lengths = np.asarray([len(items) for items in lists], dtype=float)
    return ColumnModel(col.name, "array", null_rate=null_rate,
                       values=tuple(x for x, _ in kept), probs=tuple(c / total for _, c in kept),
                       lengths=copula.quantile_grid(lengths) if len(lengths) else (),
                       reason=f"{len(rows) - len(kept)} rare element(s) suppressed"
                       if len(rows) > len(kept) else ""), None


def fit_bytes(ctx: FitContext, col: Column, values: pd.Series,
              null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    lengths = np.asarray([len(bytes(v)) for v in values], dtype=float)
    return ColumnModel(col.name, "bytes", null_rate=null_rate,
                       lengths=copula.quantile_grid(lengths)), None


def fit_uuid(ctx: FitContext, col: Column, values: pd.Series,
             null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    return ColumnModel(col.name, "uuid", null_rate=null_rate), None


def fit_json(ctx: FitContext, col: Column, values: pd.Series,
             null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    docs = [jsongen.parse(v) for v in values.head(5000)]
    shape = jsongen.summarise(docs, ctx.opts.rare_threshold)
    return ColumnModel(col.name, "json", null_rate=null_rate,
                       pattern=(json.dumps(shape, default=str),),
                       reason="structure (keys, types, nesting) kept; values synthetic"), None


def fit_other(ctx: FitContext, col: Column, values: pd.Series,
              null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    if col.nullable:
        return ColumnModel(col.name, "null", null_rate=1.0,
                           reason=f"type {col.sql_type} is not modelled; NULL"), None
    if col.fallback is not None:  # a literal the dialect vouches for; text may not load
        return ColumnModel(col.name, "categorical", values=(col.fallback,), probs=(1.0,),
                           reason=f"type {col.sql_type} is not modelled; "
                                  f"constant {col.fallback!r}"), None
    return fit_string_fallback(ctx, col, values.astype(str), null_rate,
                                f"type {col.sql_type} is not modelled")


def array_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
                 n: int, data: Columns) -> np.ndarray:
    """Lists of distinct elements with the source's length distribution."""
    out = np.empty(n, dtype=object)
    if not cm.values:
        out[:] = [[] for _ in range(n)]
        return out
    lengths = copula.normal_to_numeric(st.rng.standard_normal(n), cm.lengths or (0, 0),
                                       True, ch.spread)
    p = normalized(cm.probs)
    for i, k in enumerate(lengths):
        k = int(min(max(k, 0), len(cm.values)))
        picks = st.rng.choice(len(cm.values), size=k, replace=False, p=p)
        out[i] = [cm.values[j] for j in picks]
    return out


def uuid_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
                n: int, data: Columns) -> np.ndarray:
    return np.asarray([str(uuid.UUID(int=int(x))) for x in random_bits(st, n, 128)],
                      dtype=object)


def bytes_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
                 n: int, data: Columns) -> np.ndarray:
    lengths = copula.normal_to_numeric(st.rng.standard_normal(n), cm.lengths, True,
                                       ch.spread)
    return np.asarray([st.rng.bytes(int(k)) for k in lengths], dtype=object)


def json_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
                n: int, data: Columns) -> np.ndarray:
    shape = json.loads(cm.pattern[0]) if cm.pattern else {"type": "object"}
    return np.asarray([json.dumps(jsongen.generate(shape, st.rng)) for _ in range(n)],
                      dtype=object)


def no_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
              n: int, data: Columns) -> np.ndarray:
    """NULL: an FK, a computed column or a parent's copy is filled later; a column without
    values stays NULL."""
    return np.full(n, None, dtype=object)
