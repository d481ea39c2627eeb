"""Which rule a text column follows: personal data, categories, codes in a pattern, a
quasi-identifier replaced by Faker's, or free text (fit only; each rule generates in its own
module).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from dbclone.schema import Column
from dbclone.synth import pii
from dbclone.synth.columns.categorical import fit_categorical
from dbclone.synth.columns.personal import fit_personal
from dbclone.synth.columns.text import fit_string_fallback
from dbclone.synth.context import FitContext
from dbclone.synth.model import ColumnModel


def fit_string(ctx: FitContext, col: Column, values: pd.Series,
               null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    text = values.astype(str)
    filled = text[text != ""]
    empty = 1.0 - len(filled) / len(text) if len(text) else 0.0
    det = pii.detect(col.name, filled.head(500).tolist())
    if det:
        return fit_personal(ctx, col, filled, null_rate, empty, det), None
    distinct = text.nunique()
    if distinct <= max(30, 0.2 * len(text)) or col.enum_values:
        return fit_categorical(ctx, col, text, null_rate)
    cm, z = fit_string_fallback(ctx, col, filled, null_rate, "many distinct values")
    return dataclasses.replace(cm, empty_rate=empty), z
