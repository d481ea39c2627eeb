"""Columns with a rule of their own but little to it: arrays (lengths and elements held by k
rows), bytes (lengths), UUIDs, JSON (structure kept, values synthetic, `jsongen`), types not
modelled (NULL, a constant, or text), and the strategies whose values come from elsewhere
(FKs, computed columns, parents' copies: NULL until filled).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
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
from dbclone.synth.columns.base import ByKind, ColumnSynthesizer
from dbclone.synth.columns.keys import random_bits
from dbclone.synth.columns.text import fit_string_fallback
from dbclone.synth.context import FitContext
from dbclone.synth.model import ColumnModel
from dbclone.synth.specs import (
    ArraySpec,
    BytesSpec,
    ComputedSpec,
    FKSpec,
    JSONSpec,
    NullSpec,
    ParentCopySpec,
    UUIDSpec,
)
from dbclone.synth.state import Chunk, SampleState
from dbclone.synth.tables import Columns

#: A column model's reason starting so is refused after the fit, unless the config sets the
#: column (`capability.require_model`): a shape only the rows show, never emptied silently.
REFUSED_MARK = "refused: "


def fit_array(ctx: FitContext, col: Column, values: pd.Series,
               null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    """Arrays: their length distribution, the elements used by at least k rows, and how the
    rarer elements are made anew (numbers and dates from their quantiles, new UUIDs, words
    of their lengths): an int[] of ids never repeats one id in k rows, yet is not emptied."""
    lists = [_as_list(v) for v in values]
    if any(isinstance(x, list | tuple) for items in lists for x in items):
        return ColumnModel(col.name, "array", null_rate=null_rate,
                           reason=REFUSED_MARK + "it holds multi-dimensional arrays, which "
                           "are not generated"), None
    rows: Counter[object] = Counter()
    for items in lists:
        rows.update({jsonable(x) for x in items if x is not None})
    kept = [(x, c) for x, c in rows.most_common() if c >= ctx.opts.rare_threshold]
    total = float(sum(c for _, c in kept)) or 1.0
    lengths = np.asarray([len(items) for items in lists], dtype=float)
    elements = [x for items in lists for x in items if x is not None]
    kind, grid, integer = _element_model(elements)
    common = {x for x, _ in kept}
    share = (sum(jsonable(x) in common for x in elements) / len(elements)) if elements else 1.0
    return ColumnModel(col.name, "array", null_rate=null_rate,
                       values=tuple(x for x, _ in kept), probs=tuple(c / total for _, c in kept),
                       lengths=copula.quantile_grid(lengths) if len(lengths) else (),
                       elements=kind if share < 1.0 else "", kept_share=share,
                       quantiles=grid, integer=integer,
                       reason=f"{len(rows) - len(kept)} rare element(s) made anew ({kind})"
                       if len(rows) > len(kept) else ""), None


def _as_list(value: object) -> list[object]:
    """A list, also from PostgreSQL's text form of an array the driver did not parse (arrays
    of an enum arrive as '{sad,ok}')."""
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        body = value[1:-1]
        if not body:
            return []
        items = re.findall(r'"((?:[^"\\]|\\.)*)"|([^,]+)', body)
        return [None if (q == "" and b == "NULL") else (q.replace('\\"', '"') or b)
                for q, b in items]
    return []


def _element_model(elements: list[object]) -> tuple[str, tuple[float, ...], bool]:
    """How a rare element is made anew: its kind, a quantile grid, whether integer."""
    if not elements:
        return "", (), False
    numbers = [x for x in elements
               if isinstance(x, int | float | decimal.Decimal) and not isinstance(x, bool)]
    if len(numbers) == len(elements):
        nums = np.fromiter((float(x) for x in numbers), float, len(numbers))
        return "number", copula.quantile_grid(nums), all(isinstance(x, int) for x in numbers)
    dates = [x for x in elements if isinstance(x, dt.date) and not isinstance(x, dt.datetime)]
    if len(dates) == len(elements):
        days = np.fromiter((x.toordinal() for x in dates), float, len(dates))
        return "date", copula.quantile_grid(days), True
    if all(isinstance(x, uuid.UUID) for x in elements):
        return "uuid", (), False
    if all(isinstance(x, str) for x in elements):
        sizes = np.asarray([len(str(x)) for x in elements], dtype=float)
        return "text", copula.quantile_grid(sizes), True
    return "", (), False


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
    """Lists of distinct elements with the source's length distribution: kept elements in
    their share, rare ones made anew (`cm.elements`)."""
    out = np.empty(n, dtype=object)
    if not cm.values and not cm.elements:
        out[:] = [[] for _ in range(n)]
        return out
    lengths = copula.normal_to_numeric(st.rng.standard_normal(n), cm.lengths or (0, 0),
                                       True, ch.spread)
    sizes = np.maximum(np.asarray(lengths, dtype=float), 0).astype(int)
    if not cm.elements:
        sizes = np.minimum(sizes, len(cm.values))
    fresh = _fresh_elements(st, cm, int(sizes.sum()))
    use_kept = st.rng.random(int(sizes.sum())) < (cm.kept_share if cm.values else 0.0) \
        if cm.elements else np.zeros(0, dtype=bool)
    p = normalized(cm.probs) if cm.values else None
    at = 0
    for i, k in enumerate(sizes.tolist()):
        kept_here = int(use_kept[at:at + k].sum()) if cm.elements else k
        kept_here = min(kept_here, len(cm.values))
        picks = st.rng.choice(len(cm.values), size=kept_here, replace=False, p=p).tolist() \
            if kept_here else []
        out[i] = [cm.values[j] for j in picks] + fresh[at:at + k - kept_here]
        at += k
    return out


def _fresh_elements(st: SampleState, cm: ColumnModel, n: int) -> list[object]:
    if not cm.elements or not n:
        return []
    if cm.elements == "uuid":
        return [str(uuid.UUID(int=int(x), version=4)) for x in random_bits(st, n, 128)]
    drawn = copula.normal_to_numeric(st.rng.standard_normal(n), cm.quantiles, cm.integer, False)
    if cm.elements == "number":
        return [int(v) if cm.integer else float(v) for v in drawn]
    if cm.elements == "date":
        return [dt.date.fromordinal(max(int(v), 1)) for v in drawn]
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(letters[j] for j in st.rng.integers(0, 26, max(int(v), 1))) for v in drawn]


def uuid_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
                n: int, data: Columns) -> np.ndarray:
    # version 4 (random) with its variant bits: MariaDB's UUID type rejects other bit patterns
    return np.asarray([str(uuid.UUID(int=int(x), version=4)) for x in random_bits(st, n, 128)],
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


class ArraySynthesizer(ByKind):
    """Arrays: lengths and the elements k rows hold, rare elements made anew."""

    kinds = ("array",)
    specs = (ArraySpec,)
    fit = staticmethod(fit_array)
    generate = staticmethod(array_values)


class BytesSynthesizer(ByKind):
    """Random bytes of the source's lengths."""

    kinds = ("binary",)
    specs = (BytesSpec,)
    fit = staticmethod(fit_bytes)
    generate = staticmethod(bytes_values)


class UUIDSynthesizer(ByKind):
    """Random version-4 UUIDs."""

    kinds = ("uuid",)
    specs = (UUIDSpec,)
    fit = staticmethod(fit_uuid)
    generate = staticmethod(uuid_values)


class JSONSynthesizer(ByKind):
    """JSON documents of the source's structure, values synthetic (`jsongen`)."""

    kinds = ("json",)
    specs = (JSONSpec,)
    fit = staticmethod(fit_json)
    generate = staticmethod(json_values)


class UnmodelledSynthesizer(ByKind):
    """A kind no other rule fits (the registry's default): NULL, a constant or text."""

    fit = staticmethod(fit_other)


class FilledElsewhere(ColumnSynthesizer):
    """NULL for now: a computed column (the database), a parent's copy
    (`relations.copies`); a column without values stays NULL."""

    specs = (ComputedSpec, NullSpec, ParentCopySpec)
    generate = staticmethod(no_values)


class ForeignKeys(ColumnSynthesizer):
    """An FK column: NULL until `family.parents` assigns the parents (and their NULLs)."""

    specs = (FKSpec,)
    own_nulls = True
    generate = staticmethod(no_values)
