"""What the fitting rules share while a model is fitted: the options (`FitOptions`), the
source frames, the fitted tables' latent scores (`Latent`) and the table being fitted
(`FitContext`); how a relation plugs into the fit (`Claim` before the columns' own rules,
`Step` after them, over the table's fit so far, `TableFit`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dbclone.plan import Plan
from dbclone.schema import Column, Schema, Table
from dbclone.semantic.reference import Folded
from dbclone.source import DEFAULT_BUDGET, ColumnStats, SourceData
from dbclone.synth import pii
from dbclone.synth.model import ColumnModel, FKModel

#: After each table's fit: its name, the rows read and the rules found (`fit.rules_found`).
Progress = Callable[[str, int, int], None]


@dataclass
class FitOptions:
    seed: int = 0
    locale: str | None = None
    rare_threshold: int = 5
    #: Referenced tables with at most this many rows and no personal data are copied verbatim.
    reference_rows: int = 50
    #: Tables the user asked to copy as they are (config file `verbatim`).
    verbatim: frozenset[str] = frozenset()
    #: (table, column) pairs the config file declares soft keys ("id") or plain numbers
    #: ("number"), whatever `softkey.detect` would say.
    soft_keys: frozenset[tuple[str, str]] = frozenset()
    not_soft_keys: frozenset[tuple[str, str]] = frozenset()
    progress: Progress | None = None
    #: Rows per table the fit learns from (expected; see `dbclone.source`): bigger tables
    #: are sampled by whole families, their counts still exact.
    sample_rows: int = DEFAULT_BUDGET


@dataclass
class Latent:
    """A fitted table's normal scores per source row, for conditioning its children."""

    keys: pd.DataFrame
    z: np.ndarray
    dims: tuple[str, ...]


@dataclass
class FitContext:
    schema: Schema
    plan: Plan
    frames: dict[str, pd.DataFrame]
    opts: FitOptions
    rng: np.random.Generator
    latents: dict[str, Latent] = field(default_factory=dict)
    #: Faker values for stand-ins of rare categories (`draw_stand_ins`).
    fake: pii.Generator | None = None
    #: The driving parent's key per row of the table being fitted: rare categories are
    #: counted in distinct parents (persons), not rows, so one customer's seven invoices do
    #: not make their city common.
    owners: pd.Series | None = None
    #: Who holds each row's personal values (`privacy.holders`): the driving parent's key,
    #: None where each row is its own.
    holders: pd.Series | None = None
    #: Tables copied verbatim (lookups): they never drive a child's row count.
    references: set[str] = field(default_factory=set)
    table: Table | None = None  # the table being fitted
    #: Every text value of the source, folded: kept out of the public values a column's
    #: meaning model stores (`columns.meaning`), made on first use.
    strings: Folded | None = None
    #: (table, column) recomputed from children after sampling: no child may build on them.
    derived: set[tuple[str, str]] = field(default_factory=set)
    #: Numbers drawn per category, on one scale over all rows (normal scores of their ranks,
    #: NULL lowest) for ordering categories: their latent scores are ranks within a group.
    scales: dict[str, np.ndarray] = field(default_factory=dict)
    #: Exact counts from the database for FKs touching a sampled table (None: every table
    #: read whole, counts taken from the frames).
    source: SourceData | None = None
    #: The fitted table's columns that took exact figures from `source` (`exact_column`).
    exact_used: set[str] = field(default_factory=set)

    def exact_column(self, column: str) -> ColumnStats | None:
        """The fitted table's column's exact NULL count and min/max when the table was
        sampled (`source.read_source`; None: read whole, the frame is exact)."""
        if self.source is None or self.table is None:
            return None
        found = self.source.column(self.table.name, column)
        if found is not None:
            self.exact_used.add(column)
        return found

    def exact_counts(self, child: str, columns: tuple[str, ...]) -> np.ndarray | None:
        """Each row of the parent's frame's exact number of children through the FK, when
        the database counted them (`source.read_source`)."""
        return None if self.source is None else self.source.per_parent.get((child, columns))


Fitted = tuple[ColumnModel, "np.ndarray | None"]


@dataclass(frozen=True)
class Claim:
    """A relation that claims columns before their own rule does (`fit.CLAIMS` holds them in
    priority order). `find`: the columns it explains, given the driving FK and the columns
    already claimed, each with what it found; `fit`: one claimed column's spec and latent
    scores."""

    name: str
    find: Callable[[FitContext, Table, pd.DataFrame, FKModel | None, set[str]], Mapping[str, Any]]
    fit: Callable[[FitContext, Column, pd.DataFrame, Any], Fitted]


@dataclass
class TableFit:
    """One table's fit once every column has its spec: what the steps of `fit.STEPS` read and
    rewrite, in their order."""

    table: Table
    df: pd.DataFrame
    columns: list[ColumnModel]
    #: The table's own latent dimensions and their scores, in step.
    dims: list[str]
    zs: list[np.ndarray]
    #: The columns `relations.dates` claimed, each with its base.
    bases: dict[str, Any]
    #: Each row's children per child FK (``#child.fk`` dimension -> counts).
    children: dict[str, np.ndarray] = field(default_factory=dict)
    #: Children counts drawn per category of the row.
    counts: tuple[ColumnModel, ...] = ()


@dataclass(frozen=True)
class Step:
    """A rule fitted over the whole table after the columns' own rules (`fit.STEPS` holds
    them in order): `run` reads and rewrites the `TableFit`."""

    name: str
    run: Callable[[FitContext, TableFit], None]
