"""Which source columns the synthesizer replaces with Faker values ("replaced personal data").

dbclone never reproduces personal data: names, emails, phones, street addresses, postcodes and
identity numbers are drawn from Faker, and so are quasi-identifiers (cities, countries, states,
companies, job titles) when none of their values is common enough to keep. Comparing such a
column's values (or its categories) with the source's would score every clone 0 on it and let a
classifier separate real from fake by category code alone, which says nothing about fidelity.
Such columns are compared by the length of their values only, and listed in their own report
section.

The decision uses the synthesizer's own detector (`dbclone.synth.pii.detect` and
`dbclone.synth.pii.quasi_identifier`) and its own rule for quasi-identifiers (see `fit.py`): a
quasi-identifying column is replaced when it has many distinct values, or when no value is
held by `RARE_ROWS` rows and by `RARE_ROWS` distinct owners (or by every owner when there are
fewer). The owners are the rows' people: the rows themselves in a table with personal data of
its own, else the driving parent (an invoice is about its customer). Counted on the report's
source sample, so on tables larger than the sample a borderline category can be judged rarer
than the synthesizer judged it. A column that repeats its driving parent's replaced column
(an order's ship-to name) is replaced with it (`build._features`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dbclone.plan import Plan
from dbclone.schema import Column, ForeignKey, Schema, Table
from dbclone.synth import pii

#: The synthesizer's default rare-category threshold (`FitOptions.rare_threshold`).
RARE_ROWS = 5
#: The synthesizer's default size limit of lookup tables (`FitOptions.reference_rows`).
LOOKUP_ROWS = 50
#: Rows of a string column the detector looks at, as in the synthesizer.
DETECT_VALUES = 500
_STRING_KINDS = ("string", "text")
#: Providers of quasi-identifiers and public reference values (`pii.quasi_provider`): a
#: city, country, region, company or job title is not personal data on its own.
QUASI_PROVIDERS = frozenset({"city", "country", "state", "state_abbr", "company", "job"})


@dataclass(frozen=True)
class Replacement:
    """The Faker provider the synthesizer uses for a column, and why."""

    provider: str
    reason: str


def replacement(column: Column, values: pd.Series,
                owners: pd.Series | None = None) -> Replacement | None:
    """How the synthesizer replaces this source column, or None when it models its values.

    `values` are the column's normalised source values (strings); `owners` the driving
    parent's key per row (see `owners`), None when each row is its own."""
    if column.kind not in _STRING_KINDS:
        return None
    text = values.dropna().astype(str)
    found = pii.detect(column.name, text.head(DETECT_VALUES).tolist())
    if found is not None:
        return Replacement(found.provider, found.reason)
    provider = pii.quasi_identifier(column.name)
    if provider is None or column.enum_values or text.empty:
        return None
    if text.nunique() > max(30, 0.2 * len(text)):
        return Replacement(provider, f"quasi-identifier ({provider}) with many distinct values")
    if not _has_common_value(text, owners):
        return Replacement(provider, f"quasi-identifier ({provider}): every value held by "
                                     f"fewer than {RARE_ROWS} rows or parents")
    return None


def is_quasi(provider: str) -> bool:
    """Whether a replaced column holds quasi-identifiers or public reference values rather
    than personal data."""
    return provider in QUASI_PROVIDERS


def _has_common_value(text: pd.Series, owners: pd.Series | None) -> bool:
    return bool(common_values(text, owners))


def driving_fk(table: Table, schema: Schema, plan: Plan | None, raw: pd.DataFrame,
               copies: dict[ForeignKey, int] | None = None) -> ForeignKey | None:
    """The FK the synthesizer conditions a table's rows on: among FKs neither deferred nor
    self-referencing, an owner before a small lookup table, then the parent whose columns the
    rows repeat most (`copies`: columns copied per FK), then the one whose parents have the
    most children each."""
    best, best_key = None, (False, 0, 0.0)
    for fk in table.foreign_keys:
        mean = _children_per_parent(table, fk, schema, plan, raw)
        key = (not _is_lookup(schema, fk.ref_table), (copies or {}).get(fk, 0), mean)
        if mean > 0 and (best is None or key > best_key):
            best, best_key = fk, key
    return None if raw.empty else best


def owners(table: Table, values: pd.DataFrame, raw: pd.DataFrame, fk: ForeignKey | None,
           skip: set[str]) -> pd.Series | None:
    """Who each sampled row is about, for the rare-category rule, as the synthesizer decides
    it: None (each row is its own) when the table has personal data of its own (outside
    `skip`: copies of the parent's), else the driving parent's key as text."""
    if fk is None:
        return None
    for col in table.columns:
        if col.kind in _STRING_KINDS and col.name not in skip and col.name in values \
                and col.name not in table.primary_key and not any(
                    col.name in f.columns for f in table.foreign_keys):
            text = values[col.name].dropna().astype(str).head(DETECT_VALUES).tolist()
            if pii.detect(col.name, text) is not None:
                return None
    return raw[list(fk.columns)].astype(str).agg("|".join, axis=1)


def common_values(text: pd.Series, owners: pd.Series | None) -> set[str]:
    """Values held by at least `RARE_ROWS` rows and (with owners) `RARE_ROWS` distinct owners
    (or every owner when there are fewer): the synthesizer keeps only these."""
    counts = text.value_counts()
    common = set(counts[counts >= RARE_ROWS].index)
    if not common or owners is None:
        return common
    held = owners.loc[text.index]
    needed = min(RARE_ROWS, owners.nunique())
    per_value = pd.DataFrame({"v": text, "o": held}).groupby("v")["o"].nunique()
    return {v for v in common if per_value.get(v, 0) >= needed}


def _is_lookup(schema: Schema, name: str) -> bool:
    """A small table without FKs of its own, which the synthesizer copies verbatim."""
    table = next((t for t in schema.tables if t.name == name), None)
    return table is not None and 0 < table.row_count <= LOOKUP_ROWS and not table.foreign_keys


def _children_per_parent(table: Table, fk: ForeignKey, schema: Schema, plan: Plan | None,
                         raw: pd.DataFrame) -> float:
    if fk.ref_table == table.name or (plan is not None and plan.is_deferred(table.name, fk)):
        return 0.0
    parent = next((t for t in schema.tables if t.name == fk.ref_table), None)
    if parent is None or not parent.row_count or raw.empty \
            or not set(fk.columns) <= set(raw.columns):
        return 0.0
    present = float(raw[list(fk.columns)].notna().all(axis=1).mean())
    return table.row_count * present / parent.row_count
