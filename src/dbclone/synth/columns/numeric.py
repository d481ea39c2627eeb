"""Numbers, dates and times by their quantiles: fit the marginal (and its granularity: whole
days, cents) and generate from the latent score; numbers with few distinct values are
categories (`categorical`).
"""

from __future__ import annotations

import decimal

import numpy as np
import pandas as pd

from dbclone.schema import Column
from dbclone.semantic import relations as rel
from dbclone.synth import copula
from dbclone.synth.codecs import (
    source_floats,
    to_python,
)
from dbclone.synth.columns.base import ByKind
from dbclone.synth.columns.categorical import fit_categorical
from dbclone.synth.context import FitContext
from dbclone.synth.model import ColumnModel
from dbclone.synth.relations.grouped import grouped_values
from dbclone.synth.specs import NumericSpec
from dbclone.synth.state import Chunk, SampleState
from dbclone.synth.tables import Columns

#: Columns with at most this many distinct integers are categories, not measurements.
MAX_INT_CATEGORIES = 20


def fit_numeric(ctx: FitContext, col: Column, values: pd.Series,
                null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    offset = _offset(col, values)
    arr = source_floats(col, values) if offset is None else np.asarray(
        [float(decimal.Decimal(v) - offset) for v in values], dtype=float)
    integer = col.kind == "integer" or (col.kind == "decimal" and (col.scale or 0) == 0
                                        and col.precision is not None)
    distinct = np.unique(arr)
    if len(distinct) <= MAX_INT_CATEGORIES and col.kind in ("integer", "decimal", "float") \
            and offset is None:
        cm, z = fit_categorical(ctx, col, values, null_rate)
        if cm.strategy == "categorical" and _tail_kept(values, cm):
            return cm, z
        # every value rarer than k (a handful of rows, or one value among NULLs): a number
        # stays a number, modelled by its quantiles below, never the text fallback meant for
        # strings (which wrote a NULL-read integer as '22477.0' into a SMALLINT)
    exact = "" if offset is None else str(offset)
    if len(distinct) == 1:
        return ColumnModel(col.name, "numeric", null_rate=null_rate,
                           quantiles=(float(distinct[0]),) * 2, integer=integer,
                           offset=exact), None
    quantiles = copula.quantile_grid(arr)
    if offset is None:
        quantiles = _exact_ends(ctx, col, quantiles)
    # Past a float's precision the values are differences from `offset`, too small for the
    # whole-unit test's tolerance: a DECIMAL(65, 30) differing in its 30th place read as whole.
    step = _step(col, arr) if offset is None or not col.scale else 0.0
    steps, shares = rel.coarser_grain(col.kind, arr, step) if offset is None else ((), ())
    cm = ColumnModel(col.name, "numeric", null_rate=null_rate, quantiles=quantiles,
                     integer=integer, step=step, offset=exact, grain_steps=steps,
                     grain_shares=shares)
    return cm, copula.numeric_to_normal(arr, ctx.rng)


#: Share of a number's rows that its categories may drop (values rarer than k) before the
#: column is taken for a measurement with a long tail and modelled by its quantiles.
MAX_DROPPED_SHARE = 0.1


def _tail_kept(values: pd.Series, cm: ColumnModel) -> bool:
    """Whether the categories kept hold the column: a category's rare values are dropped
    and their rows given to the common ones, which for a code loses little but turned a stock
    count that is 0 for 60 of 77 products (10-100 for the rest, each rarer than k) into a
    constant 0, and an employee number held 2-14 times each into one employee."""
    kept = np.asarray([float(v) for v in cm.values], dtype=float)
    dropped = ~np.isin(values.to_numpy(dtype=float), kept)
    share = float(dropped.mean()) if len(dropped) else 0.0
    return share <= MAX_DROPPED_SHARE and (len(kept) > 1 or not dropped.any())


def _exact_ends(ctx: FitContext, col: Column, quantiles: tuple[float, ...]
                ) -> tuple[float, ...]:
    """A sampled table's marginal spans the whole table's least and greatest value (the
    database's MIN and MAX), not only the sample's: the clone's range is the source's."""
    stats = ctx.exact_column(col.name)
    if stats is None or stats.min is None or stats.max is None or len(quantiles) < 2:
        return quantiles
    try:
        lo, hi = source_floats(col, pd.Series([stats.min, stats.max], dtype=object))
    except (TypeError, ValueError, OverflowError):
        return quantiles
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return quantiles
    return (min(float(lo), quantiles[0]), *quantiles[1:-1], max(float(hi), quantiles[-1]))


#: Significant digits a float keeps exactly.
FLOAT_DIGITS = 15


def _offset(col: Column, values: pd.Series) -> decimal.Decimal | None:
    """For a decimal of more digits than a float keeps, or integers beyond a float's 2**53,
    the source's least value: the column is modelled as the distance to it (DECIMAL(65,30)
    values that differ in their last digits stay different, BIGINT UNSIGNED stays below
    2**64), and generated as that exact number plus the distance."""
    wide = col.kind == "decimal" and (col.precision or 0) > FLOAT_DIGITS
    if not len(values) or not (wide or col.kind == "integer"):
        return None
    if not wide and values.dtype.kind in "iuf":  # machine numbers: one vectorised check
        top = float(np.abs(values.to_numpy(dtype=float)).max())
        if np.isfinite(top) and top < 2**53:
            return None
    try:
        exact = [decimal.Decimal(v) for v in values]
    except (decimal.InvalidOperation, TypeError, ValueError):
        return None
    if max(abs(v) for v in exact) < 2**53 and (not wide or all(map(_fits_float, exact))):
        return None
    return min(exact)


def _fits_float(value: decimal.Decimal) -> bool:
    """A float holds the value exactly enough: a DECIMAL(18, 4) of whole quantities (100.0000)
    is an ordinary number, with its categories and its step; as differences from an offset
    it lost both and came out as 24.1810."""
    return len(value.normalize().as_tuple().digits) <= FLOAT_DIGITS


def _step(col: Column, arr: np.ndarray) -> float:
    """The coarsest granularity every value sits on (days for date-only timestamps)."""
    if col.kind in ("datetime", "interval", "time"):  # whole days, hours, minutes, seconds
        for step in (86400.0, 3600.0, 60.0, 1.0):
            if np.all(np.mod(arr, step) == 0):
                return step
        return 0.0
    if col.kind in ("float", "decimal"):
        # A decimal's own scale rounds it anyway: only a coarser step (quantities in whole
        # units in a NUMERIC(15, 2)) is worth keeping.
        for digits in range(col.scale if col.kind == "decimal" and col.scale else 7):
            scaled = arr * 10.0**digits
            if np.all(np.abs(scaled - np.round(scaled)) < 1e-6):
                return 10.0**-digits
    return 0.0


def numeric_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
                   n: int, data: Columns) -> np.ndarray:
    """Quantiles of the marginal at the rows' latent scores (per category where the model
    draws the number so); a delta or log-ratio stays a float for its relation to finish."""
    if cm.groups and cm.by in data:
        zz = z if z is not None else st.rng.standard_normal(n)
        return grouped_values(st, ch, col, cm, zz, data[cm.by])
    zz = z if z is not None else st.rng.standard_normal(n)
    raw = copula.normal_to_numeric(zz, cm.quantiles, cm.integer, ch.spread)
    if cm.grain_steps:
        grain = tuple(zip(cm.grain_steps, cm.grain_shares, strict=True))
        raw = rel.apply_granularity(raw, grain, st.rng, _bounds(cm.quantiles, raw))
    if cm.step:
        raw = np.round(np.round(raw / cm.step) * cm.step, rel.decimals(cm.step))
    if cm.base:
        return np.asarray(raw.tolist(), dtype=object)  # a delta; see dates.add_base
    if cm.offset:
        return _exact(col, cm.offset, raw)
    return to_python(col, raw)


def _bounds(quantiles: tuple[float, ...], raw: np.ndarray) -> tuple[float, float] | None:
    """The least and greatest a value may be rounded to: the marginal's ends, or the drawn
    values' own where they reach further."""
    finite = np.asarray(raw, dtype=float)
    finite = finite[np.isfinite(finite)]
    if not quantiles or not len(finite):
        return None
    return min(quantiles[0], float(finite.min())), max(quantiles[-1], float(finite.max()))


def _exact(col: Column, offset: str, raw: np.ndarray) -> np.ndarray:
    """The exact offset plus each modelled distance, at the column's scale."""
    base = decimal.Decimal(offset)
    if col.kind == "integer":
        out = np.empty(len(raw), dtype=object)
        out[:] = [int(base) + int(round(float(v))) for v in raw]
        return out
    unit = decimal.Decimal(1).scaleb(-(col.scale or 0))
    out = np.empty(len(raw), dtype=object)
    with decimal.localcontext() as ctx:
        ctx.prec = 100  # DECIMAL(65,30) and more: the default 28 digits cannot hold them
        out[:] = [(base + decimal.Decimal(repr(float(v)))).quantize(unit, decimal.ROUND_HALF_EVEN)
                  for v in raw]
    return out


class NumericSynthesizer(ByKind):
    """Numbers, dates, times and intervals by their quantiles."""

    kinds = ("integer", "float", "decimal", "date", "datetime", "time", "interval")
    specs = (NumericSpec,)
    fit = staticmethod(fit_numeric)
    generate = staticmethod(numeric_values)



