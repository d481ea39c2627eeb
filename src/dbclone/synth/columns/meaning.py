"""Text with a meaning (a city, a country code, a job title, an album title): fitted by
`dbclone.semantic.columns` into a `TextModel` (public values of the recognised kind, none
the source holds, or the column's phrase templates under the k-owner floor) and generated
from it at the row's target length. Fit and generate; the routing is `strings`'.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dbclone.schema import Column
from dbclone.semantic import columns as meaning
from dbclone.semantic import generate
from dbclone.semantic import reference as ref
from dbclone.semantic.recognise import Semantic
from dbclone.semantic.reference import Folded
from dbclone.synth.columns.base import ColumnSynthesizer
from dbclone.synth.columns.text import fit_length, length_grid, target_lengths
from dbclone.synth.context import FitContext
from dbclone.synth.model import ColumnModel
from dbclone.synth.specs import SemanticSpec
from dbclone.synth.state import Chunk, SampleState
from dbclone.synth.tables import Columns


def text_model(ctx: FitContext, col: Column, values: pd.Series,
               sem: Semantic | None) -> meaning.TextModel | None:
    """The column's meaning model, or None (no kind recognised and not a name)."""
    table = ctx.table.name if ctx.table is not None else ""
    owners = ctx.owners.reindex(values.index).tolist() if ctx.owners is not None else None
    if owners is not None and len(set(owners)) < ctx.opts.rare_threshold:
        # Fewer owners than k (films all about one language): no word could be held by k
        # of them, and holding by all of them would keep every word; each row is its own.
        owners = None
    countries = None
    if sem is not None and sem.kind in generate.FAKER_KINDS and table in ctx.frames:
        df = ctx.frames[table].head(20000)
        countries = ref.row_countries({c: df[c].tolist() for c in df.columns
                                       if c != col.name and df[c].dtype == object},
                                      ctx.opts.rare_threshold)
    return meaning.fit(col.name, table, values.astype(str).tolist(), ctx.opts.rare_threshold,
                       ctx.fake.locale if ctx.fake is not None else "en_US", ctx.rng,
                       owners=owners, sem=sem, avoid=source_strings(ctx), countries=countries)


def source_strings(ctx: FitContext) -> Folded:
    """Every text value of the source, folded (once per fit), as a `reference.Folded`."""
    if ctx.strings is None:
        hashes: list[np.ndarray] = []
        for frame in ctx.frames.values():
            for name in frame.columns:
                if frame[name].dtype == object:  # arrays and JSON hold no name
                    # strings picked before unique: a column of lists (an inet[] read as
                    # Python lists) is unhashable for pd.unique
                    values = frame[name].dropna().to_numpy()
                    try:
                        values = pd.unique(values)
                    except TypeError:
                        values = np.asarray(list(dict.fromkeys(
                            v for v in values if isinstance(v, str))), dtype=object)
                    texts = [v for v in values if isinstance(v, str)]
                    hashes.append(Folded(ref.keys(texts)).hashes)
        ctx.strings = Folded(hashes=np.concatenate(hashes) if hashes else None)
    return ctx.strings


def fit_meaning(col: Column, values: pd.Series, null_rate: float, empty: float,
                tm: meaning.TextModel, why: str) -> ColumnModel:
    return ColumnModel(col.name, "semantic", null_rate=null_rate, empty_rate=empty,
                       lengths=length_grid(values.astype(str)), text=tm,
                       reason=f"{why}; {tm.kind}: {tm.reason}")


def meaning_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel,
                   z: np.ndarray | None, n: int, data: Columns) -> np.ndarray:
    assert cm.text is not None
    values = meaning.sample(cm.text, n, st.rng, target_lengths(st, ch, col, cm, z, n))
    return np.asarray([fit_length(str(v), col) for v in values], dtype=object)


class MeaningSynthesizer(ColumnSynthesizer):
    """Text of a recognised kind, or names of things (chosen by `strings`)."""

    specs = (SemanticSpec,)
    fit = staticmethod(fit_meaning)
    generate = staticmethod(meaning_values)
