"""The model: statistics learned from a source, enough to generate a clone without it.

It holds the schema, per-column marginals (quantiles, category frequencies with rare values
suppressed), children-per-parent distributions and one correlation matrix per table — never a
source row or a personal-data value. It is saved as JSON so a data-protection officer can read
exactly what leaves the premises. Format: ``{"format": "dbclone-model", "version": 2, ...}``,
column specs tagged with their kind and holding only their own fields (`synth.specs`); see
README "Model file".
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbclone.errors import UsageError
from dbclone.schema import Schema, _build
from dbclone.semantic.columns import TextModel
from dbclone.semantic.rows import RowRule

FORMAT = "dbclone-model"
#: Version 2 (this dbclone): column specs tagged with their kind, holding only their own
#: fields; dimension names as typed objects (`dbclone.synth.specs`). Version 1 files are
#: refused with the command that writes a new one.
VERSION = 2


@dataclass(frozen=True)
class ColumnModel:
    """How one column is generated.

    strategy: ``key`` (generated primary key), ``fk`` (drawn from parent keys), ``numeric``
    (quantile marginal; dates and times as numbers), ``categorical`` (frequencies), ``pii``
    (Faker provider in `pii`), ``text`` (plausible text, lengths from `lengths`), ``pattern``
    (codes following `pattern`), ``semantic`` (text of a recognised kind, or a token
    chain: see `text`), ``softkey`` (ids of a row elsewhere, see `ref`), ``bytes``,
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
    #: Numbers and timestamps: the steps most values sit on and their shares (amounts in
    #: whole hundreds with a few in öre; bookings on the half hour), `columns.numeric`.
    grain_steps: tuple[float, ...] = ()
    grain_shares: tuple[float, ...] = ()
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
    #: A phone number, postcode or account number: the beginnings at least k owners share
    #: (``+46 8``, ``441``), with how many values take each (`semantic.prefixes`).
    prefixes: tuple[tuple[Any, ...], ...] = ()
    #: With `prefixes`: per common format, how often each digit stands at each of its digit
    #: positions (`semantic.prefixes.digit_shares`).
    digits: tuple[tuple[Any, ...], ...] = ()
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
    #: A decimal of more digits than a float holds (DECIMAL(65,30)): the exact number added
    #: to the modelled one, which is then the distance to the source's least value.
    offset: str = ""
    #: Arrays: how elements rarer than k rows are made ("number", "date", "uuid", "text";
    #: "" = not at all) and the share of elements drawn from the kept ones (`values`).
    elements: str = ""
    kept_share: float = 1.0
    #: Text with a meaning (strategy ``semantic``, or a category's stand-ins): a recognised
    #: kind with public values of it, or the column's token chain (`dbclone.semantic`).
    text: TextModel | None = None


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
    #: In a cycle of two tables: the parent's FK columns that name a row of this table, and
    #: the share of this table's rows their parent names back (a store's manager works at
    #: that store: `family.cycles`).
    returns: tuple[str, ...] = ()
    returns_share: float = 0.0


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
    #: With `sample_rows`: the columns whose NULL rate and least and greatest value are the
    #: whole table's (SQL aggregates over every row), the rest of their marginal the sample's.
    exact: tuple[str, ...] = ()
    #: Rules tying the columns of a row together, found in the source's rows and made to
    #: hold in every generated row (`relations.rows`).
    rules: tuple[RowRule, ...] = ()

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
        from dbclone.synth.specs import dim_to_json, spec_to_json, to_spec

        body = dataclasses.asdict(self)
        for table, tm in zip(body["tables"], self.tables, strict=True):
            table["columns"] = [spec_to_json(to_spec(cm)) for cm in tm.columns]
            table["counts"] = [spec_to_json(to_spec(cm)) for cm in tm.counts]
            table["copula"] = [dim_to_json(d) for d in tm.copula]
        return {"format": FORMAT, "version": VERSION, **body}

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: str = "") -> Model:
        from dbclone.synth.specs import dim_from_json, from_spec, spec_from_json

        if data.get("format") != FORMAT:
            raise UsageError("not a dbclone model file (missing format marker)")
        if data.get("version") != VERSION:
            out = path or "MODEL"
            raise UsageError(f"model file {path or ''}{' ' if path else ''}is format version "
                             f"{data.get('version')}; this dbclone reads version {VERSION}: "
                             f"fit the model again with `dbclone fit SOURCE -o {out}`")
        _refuse_unknown(cls, data, "")
        tables = []
        listed = data.get("tables")
        for i, table in enumerate(listed if isinstance(listed, list | tuple) else ()):
            where = f"tables[{i}] {table.get('name')!r}" if isinstance(table, dict) else \
                f"tables[{i}]"
            if not isinstance(table, dict):
                continue  # _build names it below
            table = dict(table)
            specs = {key: tuple(from_spec(spec_from_json(v, f"{where} .{key}[{j}]"))
                                for j, v in enumerate(table.get(key) or []))
                     for key in ("columns", "counts")}
            copula = tuple(dim_from_json(d, f"{where} .copula[{j}]")
                           for j, d in enumerate(table.get("copula") or []))
            table.update(columns=[], counts=[], copula=[])
            tables.append((table, specs, copula))
        if isinstance(listed, list | tuple):
            data = {**data, "tables": [t for t, _, _ in tables]}
        built: Model = _build(cls, data)
        return dataclasses.replace(built, tables=tuple(
            dataclasses.replace(tm, columns=specs["columns"], counts=specs["counts"],
                                copula=copula)
            for tm, (_, specs, copula) in zip(built.tables, tables, strict=True)))


#: Fields holding column specs or dimension names: checked by `dbclone.synth.specs`.
_SPEC_FIELDS = {(TableModel, "columns"), (TableModel, "counts"), (TableModel, "copula")}


def _refuse_unknown(tp: Any, value: Any, where: str) -> None:
    """A field the file's record does not have in this dbclone is refused, not dropped."""
    if dataclasses.is_dataclass(tp) and isinstance(tp, type) and isinstance(value, dict):
        hints = typing.get_type_hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        here = f"{where} {value['name']!r}" if isinstance(value.get("name"), str) else where
        extra = sorted(set(value) - names - ({"format", "version"} if tp is Model else set()))
        if extra:
            raise UsageError(f"the model file is damaged: {here.strip() or 'the top'} has the "
                             f"field {extra[0]!r}, which a {tp.__name__} does not hold; fit "
                             "the model again")
        for f in dataclasses.fields(tp):
            if f.name in value and (tp, f.name) not in _SPEC_FIELDS:
                _refuse_unknown(hints[f.name], value[f.name], f"{here}.{f.name}")
        return
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if arg is not type(None):
                _refuse_unknown(arg, value, where)
    elif origin is tuple and isinstance(value, list):
        for i, item in enumerate(value):
            _refuse_unknown(typing.get_args(tp)[0], item, f"{where}[{i}]")


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
    if not isinstance(data, dict):
        raise UsageError(f"model file {str(path)!r} is not a dbclone model file")
    return Model.from_dict(data, str(path))
