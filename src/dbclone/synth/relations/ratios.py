"""A positive number proportional to another of the row (a file's bytes are its duration times
a bitrate): fit the log-ratio's marginal; sample base x exp(ratio).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dbclone.schema import Column, Table
from dbclone.semantic import relations as rel
from dbclone.synth import copula
from dbclone.synth.codecs import (
    NUMERIC_KINDS,
    as_floats,
    to_python,
)
from dbclone.synth.context import Claim, FitContext
from dbclone.synth.model import ColumnModel
from dbclone.synth.relations.dates import Base, makes_cycle
from dbclone.synth.state import Finish
from dbclone.synth.tables import Columns

#: Correlation of logarithms above which a number is modelled as another times a ratio.
RATIO_CORR = 0.95


#: Or, from a correlation of RATIO_MIN_CORR on, when the log-ratio spreads at most this share
#: of the number's own log spread: the ratio then carries the number better than a copula
#: correlation. Track sizes are their lengths times a bitrate set by the media type (log
#: correlation 0.94; the log-ratio spreads 0.45 of the log size, 0.01-0.28 per media type).
RATIO_SPREAD = 0.5


RATIO_MIN_CORR = 0.9


def find_ratios(table: Table, df: pd.DataFrame, taken: set[str]) -> dict[str, str]:
    """Positive numbers nearly proportional to another NOT NULL positive number of the row."""
    logs = _positive_logs(table, df)
    out: dict[str, str] = {}
    chosen: dict[str, Base] = {}
    for b, lb in logs.items():
        if b in taken:
            continue
        # A column another relation claimed (a product recomputed from its operands) is
        # no base: its drawn value is replaced after the ratio is made.
        best = _best_base(table, logs, b, lb, set(out) | taken)
        if best is not None and not makes_cycle(chosen, b, best):
            out[b] = best
            chosen[b] = Base(best, pd.Series(dtype=float))
    return out


def _positive_logs(table: Table, df: pd.DataFrame) -> dict[str, pd.Series]:
    """Logarithms of the row's own positive numbers with more than 20 distinct values (not
    keys, not FKs)."""
    logs = {}
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
    for c in table.columns:
        if c.kind not in NUMERIC_KINDS or c.name in table.primary_key or not len(df) \
                or c.name in fk_cols:
            continue
        v = pd.to_numeric(df[c.name], errors="coerce").astype(float)
        if (v.dropna() > 0).all() and v.notna().sum() >= 20 and v.nunique() > 20:
            logs[c.name] = np.log(v)
    return logs


def _best_base(table: Table, logs: dict[str, pd.Series], b: str, lb: pd.Series,
               bases: set[str]) -> str | None:
    """The NOT NULL number `b` is most nearly proportional to, if any is near enough."""
    best, best_r = None, RATIO_MIN_CORR
    for a, la in logs.items():
        if a == b or a in bases or table.column(a).nullable:
            continue
        r = float(lb.corr(la))
        if r > best_r and (r > RATIO_CORR
                           or float((lb - la).std()) <= RATIO_SPREAD * float(lb.std())):
            best, best_r = a, r
    return best


def log_ratio(df: pd.DataFrame, name: str, base: str) -> pd.Series:
    return (np.log(pd.to_numeric(df[name], errors="coerce").astype(float))
            - np.log(pd.to_numeric(df[base], errors="coerce").astype(float))).dropna()


def fit_ratio(ctx: FitContext, col: Column, df: pd.DataFrame,
              base: str) -> tuple[ColumnModel, np.ndarray]:
    ratio = log_ratio(df, col.name, base)
    own = pd.to_numeric(df[col.name], errors="coerce").astype(float).dropna().to_numpy()
    cm = ColumnModel(col.name, "numeric", null_rate=float(df[col.name].isna().mean()),
                     quantiles=copula.quantile_grid(ratio.to_numpy()), base=base, op="ratio",
                     reason=f"proportional to {base}", step=_coarser_step(col, own))
    z = np.zeros(len(df))
    z[ratio.index.to_numpy()] = copula.numeric_to_normal(ratio.to_numpy(), ctx.rng)
    return cm, z


def _coarser_step(col: Column, values: np.ndarray) -> float:
    """The step every value sits on when it is coarser than the column's type rounds to
    (quantities in whole units in a NUMERIC(15, 2)), else 0."""
    step = rel.step_of(values)
    finest = 10.0 ** -col.scale if col.kind == "decimal" and col.scale else \
        1.0 if col.kind == "integer" else 0.0
    return step if step > finest else 0.0


def multiply(table: Table, cm: ColumnModel, data: Columns) -> None:
    """base x exp(modelled log-ratio), rounded to the column's type (and to the source's
    coarser step, should it have one)."""
    assert cm.base is not None
    base = as_floats(data[cm.base])
    ratio = as_floats(data[cm.name])
    value = base * np.exp(ratio)
    if cm.step:
        value = np.maximum(np.round(value / cm.step), 1.0) * cm.step
    known = ~np.isnan(value)
    out = np.full(len(value), None, dtype=object)
    if known.any():
        out[known] = to_python(table.column(cm.name), value[known])
    data[cm.name] = out


#: Proportional numbers of the row.
CLAIM = Claim("ratios", lambda ctx, table, df, driver, taken: find_ratios(table, df, taken),
              fit_ratio)


#: A drawn log-ratio becomes a multiple of the row's base number.
FINISH = Finish("ratios", lambda cm: bool(cm.base) and cm.op == "ratio",
                lambda st, ch, cm, data, driver, idx: multiply(ch.table, cm, data))
