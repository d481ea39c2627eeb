"""The model: statistics learned from a source, enough to generate a clone without it.

It holds the schema, per-column marginals (quantiles, category frequencies with rare values
suppressed), children-per-parent distributions and one correlation matrix per table — never a
source row or a personal-data value. It is saved as JSON so a data-protection officer can read
exactly what leaves the premises. Format: ``{"format": "dbclone-model", "version": 1, ...}``;
see README "Model file".
"""

from __future__ import annotations

import dataclasses
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbclone.errors import UsageError
from dbclone.schema import Schema, _build

FORMAT = "dbclone-model"
VERSION = 1


@dataclass(frozen=True)
class ColumnModel:
    """How one column is generated.

    strategy: ``key`` (generated primary key), ``fk`` (drawn from parent keys), ``numeric``
    (quantile marginal; dates and times as numbers), ``categorical`` (frequencies), ``pii``
    (Faker provider in `pii`), ``text`` (plausible text, lengths from `lengths`), ``pattern``
    (codes following `pattern`), ``softkey`` (ids of a row elsewhere, see `ref`), ``bytes``,
    ``json``, ``constant``, ``null``.
    """

    name: str
    strategy: str
    null_rate: float = 0.0
    quantiles: tuple[float, ...] = ()
    integer: bool = False
    values: tuple[Any, ...] = ()
    probs: tuple[float, ...] = ()
    pii: str | None = None
    lengths: tuple[float, ...] = ()
    pattern: tuple[str, ...] = ()
    reason: str = ""
    #: When set, the column is ``base + delta`` and the marginal describes delta: the source
    #: never had this column before `base` (a column of the row, or ``^col`` of the parent).
    base: str | None = None
    #: How `base` combines with the modelled number: "" adds it (dates), "ratio" multiplies by
    #: exp of it (a file's bytes are its duration times a bitrate), "share" divides a parent's
    #: number (``^col``) among its children first, then multiplies (a monthly payment of a
    #: decision's total), "order" keeps the column's own marginal and moves only rows that
    #: would fall before the base.
    op: str = ""
    #: With op "order": quantiles of (value - base), used only for rows drawn before their
    #: base (the column keeps its own marginal, the order still holds). With a parent's
    #: number as base ("ratio" or "share" on ``^col``): the column's own quantiles, for rows
    #: whose parent has no value.
    delta: tuple[float, ...] = ()
    #: Granularity of a number in its own unit: timestamps that are always midnight (86400),
    #: prices in whole cents of a FLOAT column (0.01). 0 = none seen.
    step: float = 0.0
    #: Share of empty strings among the non-NULL values of a generated text column (an
    #: unused address line is often '' rather than NULL).
    empty_rate: float = 0.0
    #: Letter case of generated personal data when the source writes it so ("upper", "lower").
    case: str = ""
    #: When set, the column is recomputed from the children once they exist:
    #: (child table, FK columns joined by "/", "count" | "sum" | "sum_product", columns...).
    derived: tuple[str, ...] = ()
    #: Columns generated together with this one: each category is then a list of values,
    #: this column's first (a media type and its price). Those columns have strategy
    #: ``joint`` and `base` naming this column.
    joint: tuple[str, ...] = ()
    #: An email column: the share of each of `pii.email_locals`' name styles (first.last,
    #: flast...) among the source's local parts; the rest are free. `case` then applies to the
    #: local part.
    styles: tuple[float, ...] = ()
    #: A number drawn per category of another column of the row (an amount per benefit
    #: type): `groups` holds [category, NULL rate, quantiles] per common category of `by`,
    #: then [None, NULL rate, quantiles] for the rest; the latent score is the rank within
    #: the group.
    by: str | None = None
    #: A date modelled as base + delta: its own lowest and highest value (a sentinel apart);
    #: rows that would land after the highest draw a shorter delta (cases opened late in the
    #: data closed soon, not after the data ends).
    bounds: tuple[float, ...] = ()
    groups: tuple[tuple[Any, float, tuple[float, ...]], ...] = ()
    #: A soft key (strategy ``softkey``, see `dbclone.softkey`): "table.column" whose clone
    #: keys it takes; None: fresh ids above ``quantiles[1]`` (the source's highest), ``step``
    #: apart. `values`/`probs`: how many rows share one id, and the share of ids that do.
    ref: str | None = None


@dataclass(frozen=True)
class FKModel:
    """Children-per-parent distribution of one FK (zeros included) and its NULL rate."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    null_rate: float
    counts: tuple[int, ...]
    probs: tuple[float, ...]
    driving: bool = False
    deferred: bool = False
    #: For self-references: share of rows at each depth of the forest (roots first).
    depth_probs: tuple[float, ...] = ()
    #: An FK to a copied lookup table: its values are a category of the row, modelled with the
    #: row's other columns (a track's media type goes with its price and size).
    as_category: bool = False


@dataclass(frozen=True)
class TableModel:
    name: str
    row_count: int
    columns: tuple[ColumnModel, ...]
    fks: tuple[FKModel, ...] = ()
    #: Latent Gaussian dimensions: own columns, then ``#child.fkcols`` child counts, then
    #: ``^col`` parent dimensions the rows are conditioned on (through the driving FK).
    copula: tuple[str, ...] = ()
    correlation: tuple[tuple[float, ...], ...] = ()
    #: Small reference tables without personal data are copied as they are: their rows (JSON
    #: values, in column order) and their latent scores, so children keep their real shares.
    rows: tuple[tuple[Any, ...], ...] = ()
    latent: tuple[tuple[float, ...], ...] = ()
    #: Per own latent dimension, the share of its variance shared by siblings (intraclass
    #: correlation within the driving parent): the tracks of one album are alike. Below 0,
    #: siblings spread over the range more evenly than chance (each customer's invoices cover
    #: small and large totals alike), down to -1 / (siblings - 1) for a perfect spread.
    icc: tuple[float, ...] = ()
    #: Per own latent dimension, for categories: the share of rows that take their parent's
    #: category outright, on top of `icc` (a caseworker's cases keep the unit's category).
    shares: tuple[float, ...] = ()
    #: Children counts drawn per category of the row (a household's members per household
    #: type): one entry per such ``#child.fkcols`` dimension, named after it, with `by` and
    #: `groups` as a grouped number's (the quantiles are of counts; the latent score is the
    #: rank within the group).
    counts: tuple[ColumnModel, ...] = ()
    #: Rows the fit learned this table's columns from when it sampled the table by families
    #: (`dbclone.source`; its counts stay exact); 0: every row was read.
    sample_rows: int = 0

    @property
    def verbatim(self) -> bool:
        return bool(self.rows)

    def column(self, name: str) -> ColumnModel:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


@dataclass(frozen=True)
class Model:
    schema: Schema
    tables: tuple[TableModel, ...]
    locale: str = "en_US"
    rare_threshold: int = 5

    def table(self, name: str) -> TableModel:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        body = dataclasses.asdict(self)
        return {"format": FORMAT, "version": VERSION, **body}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        if data.get("format") != FORMAT:
            raise UsageError("not a dbclone model file (missing format marker)")
        if data.get("version") != VERSION:
            raise UsageError(f"model file version {data.get('version')} is not supported by this "
                             f"dbclone (it reads version {VERSION}); fit the model again")
        built: Model = _build(cls, data)
        return built


def save(model: Model, path: str | Path) -> None:
    text = json.dumps(model.to_dict(), separators=(",", ":"), default=str)
    path = Path(path)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")


def load(path: str | Path) -> Model:
    path = Path(path)
    if not path.exists():
        raise UsageError(f"model file {str(path)!r} does not exist; create it with `dbclone fit`")
    raw = path.read_bytes()
    try:
        text = gzip.decompress(raw).decode() if raw[:2] == b"\x1f\x8b" else raw.decode()
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise UsageError(f"model file {str(path)!r} is not readable JSON: {exc}") from None
    return Model.from_dict(data)
