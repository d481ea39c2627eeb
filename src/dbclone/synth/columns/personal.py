"""Personal data: detected columns (`pii.detect`) are replaced by Faker's values in the
source's locale, with the source's lengths, letter case, formats and beginnings k owners
share (postcodes, phones: `semantic.prefixes`) and email domains and name styles (an email
follows the row's names; a personnummer its birth date). Fit and generate.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from dbclone.schema import Column, Table
from dbclone.semantic import prefixes
from dbclone.synth import pii
from dbclone.synth.columns.base import ColumnSynthesizer
from dbclone.synth.columns.shaped import common_shapes, shaped_values, top_shape
from dbclone.synth.columns.text import fit_length, length_grid, target_lengths
from dbclone.synth.context import FitContext, Step, TableFit
from dbclone.synth.model import ColumnModel
from dbclone.synth.specs import PersonalSpec
from dbclone.synth.state import Chunk, SampleState
from dbclone.synth.tables import Columns


def email_styles(ctx: FitContext, df: pd.DataFrame,
                 columns: list[ColumnModel]) -> list[ColumnModel]:
    """How the source builds an email from the row's own names (MARY.SMITH@..., jsmith@...):
    the share of each name style, counting only styles used by at least k rows, and the
    letter case of the local part. Emails are then generated from the clone's names the same
    way, so an email's length and form still follow its row's names."""
    first = next((c.name for c in columns if c.pii == "first_name"), None)
    last = next((c.name for c in columns if c.pii == "last_name"), None)
    if first is None or last is None:
        return columns
    out = []
    for cm in columns:
        if cm.pii != "email":
            out.append(cm)
            continue
        rows = df[[cm.name, first, last]].dropna().astype(str).head(20000)
        rows = rows[rows[cm.name].str.contains("@", regex=False)]
        if len(rows) < ctx.opts.rare_threshold:
            out.append(cm)
            continue
        found = Counter(pii.email_style(e, f, la) for e, f, la in
                        rows.itertuples(index=False, name=None))
        forms = len(pii.email_locals("a", "b"))
        shares = tuple(found[i] / len(rows) if found[i] >= ctx.opts.rare_threshold else 0.0
                       for i in range(forms))
        local = pii.letter_case([e.rsplit("@", 1)[0] for e in rows[cm.name].head(2000)])
        out.append(dataclasses.replace(cm, styles=shares, case=local) if any(shares) else cm)
    return out


def fit_personal(ctx: FitContext, col: Column, filled: pd.Series, null_rate: float, empty: float,
                 det: pii.Detection) -> ColumnModel:
    """A detected personal-data column: its provider and the source's lengths, formats,
    email domains and letter case (never its values)."""
    domains, shares = pii.common_domains(filled.head(20000).tolist(),
                                         ctx.opts.rare_threshold) \
        if det.provider == "email" else ((), ())
    shapes = top_shape(filled)
    heads: tuple[tuple[str, int], ...] = ()
    if det.provider in pii.SHAPED:
        shapes, shares = common_shapes(filled, ctx.opts.rare_threshold)
        heads = _prefixes(ctx, filled)
    return ColumnModel(col.name, "pii", null_rate=null_rate, pii=det.provider,
                       lengths=length_grid(filled), pattern=shapes,
                       empty_rate=empty, values=domains, probs=shares,
                       case=pii.letter_case(filled.head(2000).tolist()),
                       reason=det.reason, prefixes=heads)


def _prefixes(ctx: FitContext, filled: pd.Series) -> tuple[tuple[str, int], ...]:
    """The beginnings of the values k owners share (a country's calling code, a town's
    postcode district), with their counts; the empty one for the rest."""
    sample = filled.head(20000)
    owners = ctx.owners.reindex(sample.index).tolist() if ctx.owners is not None else None
    if owners is not None and len(set(owners)) < ctx.opts.rare_threshold:
        owners = None  # fewer owners than k: each row its own, as for names of things
    found = prefixes.fit(sample.astype(str).tolist(), ctx.opts.rare_threshold, owners)
    return found if any(p for p, _ in found) else ()


def personal_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
                    n: int, data: Columns) -> np.ndarray:
    table = ch.table
    provider = cm.pii or "word"
    if provider == "email":
        first = by_provider(st, table, data, "first_name")
        last = by_provider(st, table, data, "last_name")
        lengths = target_lengths(st, ch, col, cm, z, n)
        values = st.fake.emails(first, last, n, cm.values, cm.probs, lengths, cm.styles,
                                  cm.case if cm.styles else "")
        if cm.styles:  # the case was the local part's
            return np.asarray([fit_length(str(v), col) for v in values], dtype=object)
    elif provider == "personnummer":
        values = personnummer_values(st, table, cm, n, data)
    elif provider in pii.SHAPED and (cm.pattern or cm.lengths):
        values = shaped_values(st, cm, n, target_lengths(st, ch, col, cm, z, n))
    else:
        values = st.fake.draw(provider, n, target_lengths(st, ch, col, cm, z, n))
    recase = {"upper": str.upper, "lower": str.lower}.get(cm.case, str)
    return np.asarray([fit_length(recase(str(v)), col) for v in values], dtype=object)


def by_provider(st: SampleState, table: Table, data: Columns, provider: str) -> np.ndarray | None:
    """The row's column of this personal-data kind (first_name, fornamn...), if generated."""
    tm = st.model.table(table.name)
    found = next((c.name for c in tm.columns if c.pii == provider and c.name in data), None)
    return data[found] if found is not None else _find(table, data, provider)


def personnummer_values(st: SampleState, table: Table, cm: ColumnModel, n: int,
                        data: Columns) -> np.ndarray:
    template = cm.pattern[0] if cm.pattern else "99999999-9999"
    digits_before = len(template.split("-")[0].split("+")[0])
    births = None
    for c in table.columns:
        if c.kind in ("date", "datetime") and "birth" in c.name.lower() and c.name in data:
            births = [_as_date(v) for v in data[c.name]]
    sep = "-" if "-" in template else ""
    return st.fake.personnummer(births, n, long_form=digits_before >= 8, sep=sep)


def _find(table: Table, data: Columns, provider_hint: str) -> np.ndarray | None:
    for c in table.columns:
        if c.name.lower().replace("_", "") == provider_hint.replace("_", "") and c.name in data:
            return data[c.name]
    return None


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


class PersonalSynthesizer(ColumnSynthesizer):
    """Personal data replaced by Faker's (chosen by `strings`, or by `text` for a rare
    quasi-identifier)."""

    specs = (PersonalSpec,)
    length_scored = True
    fit = staticmethod(fit_personal)
    generate = staticmethod(personal_values)


def _styles(ctx: FitContext, tf: TableFit) -> None:
    tf.columns = email_styles(ctx, tf.df, tf.columns)


#: Emails built from the row's names.
STEP = Step("email styles", _styles)
