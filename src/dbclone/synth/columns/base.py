"""What a column synthesizer is: one class per rule, holding the rule's fitting half and its
generating half, declaring the spec types it generates and (for a rule fitted by the column's
kind) the kinds it fits. `registry` builds its dispatch tables from these declarations.

A rule reached through another's routing (text, names of things, personal data, codes: chosen
by `strings`; keys and soft keys: chosen by `registry.fit_column`) keeps a `fit` of its own
shape; only `ByKind` rules share one signature, since the registry calls them blindly.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from dbclone.schema import Column
from dbclone.synth.context import FitContext, Fitted
from dbclone.synth.model import ColumnModel
from dbclone.synth.specs import Spec
from dbclone.synth.state import Chunk, SampleState
from dbclone.synth.tables import Columns


class ColumnSynthesizer:
    """A column rule: `generate` draws the values of a spec whose type is in `specs`."""

    #: The spec types (one per strategy, `specs`) this rule generates.
    specs: ClassVar[tuple[type[Spec], ...]] = ()
    #: The text's length follows a latent score (`text.length_scores` when the fit gave the
    #: column none), and its NULLs take the lowest scores: a short note is one left empty.
    length_scored: ClassVar[bool] = False
    #: Its NULLs are not drawn after its values: a key has none, an FK's come with its
    #: parent (`family.parents`).
    own_nulls: ClassVar[bool] = False

    @staticmethod
    def generate(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
                 n: int, data: Columns) -> np.ndarray:
        """(run state, chunk, column, spec, latent score or None, rows, the row's columns
        generated so far) -> the column's values, before its NULLs and empty strings."""
        raise NotImplementedError(f"{cm.strategy}: no generator")


class ByKind(ColumnSynthesizer):
    """A column rule the registry fits by the column's kind (``integer``, ``json``...)."""

    #: The column kinds (`schema.Column.kind`) this rule fits.
    kinds: ClassVar[tuple[str, ...]] = ()

    @staticmethod
    def fit(ctx: FitContext, col: Column, values: pd.Series, null_rate: float) -> Fitted:
        """(fit context, column, its non-NULL values, its NULL share) -> spec, scores."""
        raise NotImplementedError(f"{col.kind}: no fitter")
