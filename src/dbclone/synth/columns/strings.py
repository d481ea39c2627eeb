"""Which rule a text column follows: personal data, categories, text with a recognised
meaning or names of things (`meaning`), codes in a pattern, a quasi-identifier replaced by
Faker's, or free text (fit only; each rule generates in its own module).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from dbclone.schema import Column
from dbclone.semantic.recognise import recognise
from dbclone.synth import pii
from dbclone.synth.columns.categorical import fit_categorical
from dbclone.synth.columns.meaning import fit_meaning, text_model
from dbclone.synth.columns.personal import fit_personal
from dbclone.synth.columns.text import fit_string_fallback
from dbclone.synth.context import FitContext
from dbclone.synth.model import ColumnModel

#: Share of values holding a space above which unrecognised text is names of things.
WORDY = 0.3


def fit_string(ctx: FitContext, col: Column, values: pd.Series,
               null_rate: float) -> tuple[ColumnModel, np.ndarray | None]:
    text = values.astype(str)
    filled = text[text != ""]
    empty = 1.0 - len(filled) / len(text) if len(text) else 0.0
    det = pii.detect(col.name, filled.head(500).tolist())
    table = ctx.table.name if ctx.table is not None else ""
    sem = recognise(col.name, table, filled.head(5000).tolist()) if not det else None
    if sem is not None and sem.kind == "person":  # head_of_state, composer: a person's name
        det = pii.Detection("full_name", sem.reason)
    if det:
        return fit_personal(ctx, col, filled, null_rate, empty, det), None
    distinct = text.nunique()
    # Names of things (several words) get phrase templates; single codes keep their pattern.
    wordy = bool(len(filled)) and filled.head(2000).str.contains(" ").mean() >= WORDY
    few = distinct <= max(30, 0.2 * len(text)) or bool(col.enum_values)
    # Categories without a recognised kind keep their own stand-ins (phrase templates would
    # cost a fit for the few rare ones).
    tm = text_model(ctx, col, filled, sem) \
        if not col.enum_values and (sem is not None or (wordy and not few)) else None
    if few:
        cm, z = fit_categorical(ctx, col, text, null_rate, tm)
        if cm.strategy == "categorical" or tm is None:
            return cm, z
        return fit_meaning(col, filled, null_rate, empty, tm, cm.reason), None
    if tm is not None:
        return fit_meaning(col, filled, null_rate, empty, tm, "many distinct values"), None
    cm, z = fit_string_fallback(ctx, col, filled, null_rate, "many distinct values")
    return dataclasses.replace(cm, empty_rate=empty), z
