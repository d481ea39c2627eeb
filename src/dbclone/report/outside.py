"""An outside cross-check: SDMetrics' multi-table QualityReport on the report's own samples.

SDMetrics (the SDV project's metrics library) comes with the optional `sdv` extra. When it is
installed, its overall quality score (the mean of its column shapes, column pair trends,
cardinality and intertable trends; 1 = identical) is shown beside dbclone's own scores, so a
user can check dbclone's numbers against an implementation it did not write. When it is not
installed the check is left out without a word; when it fails, the report says why and goes on.

It sees what dbclone's shapes see: numbers and dates (as epoch seconds) as numerical columns,
categories as categorical ones; key columns as ids; text and replaced personal data are left
out (SDMetrics would compare their values as categories, which no clone may reproduce).
Only single-column foreign keys to a single-column primary key are given as relationships.
"""

from __future__ import annotations

import importlib.util
import time
import warnings
from collections.abc import Mapping

import pandas as pd

from dbclone.report.data import Feature
from dbclone.report.model import OutsideCheck
from dbclone.schema import Schema, Table

NAME = "SDMetrics QualityReport (multi-table)"
#: Rows per table handed to SDMetrics: its pair trends cost rows x column pairs.
OUTSIDE_ROWS = 2000
_SDTYPE = {"numeric": "numerical", "datetime": "numerical", "categorical": "categorical"}


def available() -> bool:
    return importlib.util.find_spec("sdmetrics") is not None


def quality_score(schema: Schema, features: Mapping[str, list[Feature]],
                  real: Mapping[str, pd.DataFrame], synth: Mapping[str, pd.DataFrame],
                  keys: Mapping[str, tuple[pd.DataFrame, pd.DataFrame]]) -> OutsideCheck | None:
    """SDMetrics' score, None when SDMetrics is not installed.

    `real` / `synth`: normalised sampled values per table; `keys`: per table, the key
    columns as text (source, target), aligned with those samples."""
    if not available():
        return None
    started = time.perf_counter()
    try:
        try:  # the unified report (SDMetrics >= 0.2x); the multi-table one is deprecated
            from sdmetrics.reports import QualityReport
        except ImportError:
            from sdmetrics.reports.multi_table import QualityReport

        tables = [t for t in schema.tables if t.name in real and t.name in synth]
        metadata = _metadata(schema, tables, features)
        frames = [{t.name: _frame(t, features[t.name], side[t.name], key[t.name][i])
                   for t in tables}
                  for i, (side, key) in enumerate(((real, keys), (synth, keys)))]
        report = QualityReport()
        with warnings.catch_warnings():  # scipy's notes on its own KS method, per column
            warnings.simplefilter("ignore")
            report.generate(frames[0], frames[1], metadata, verbose=False)
        score = float(report.get_score())
    except Exception as exc:  # noqa: BLE001 - an outside library's failure is a note
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        return OutsideCheck(NAME, None, f"could not run: {type(exc).__name__}: {first}")
    return OutsideCheck(NAME, score, f"on at most {OUTSIDE_ROWS} sampled rows per table, "
                                     f"{time.perf_counter() - started:.1f} s")


def _key_columns(table: Table) -> list[str]:
    cols = list(table.primary_key)
    for fk in table.foreign_keys:
        cols += [c for c in fk.columns if c not in cols]
    return cols


def _metadata(schema: Schema, tables: list[Table],
              features: Mapping[str, list[Feature]]) -> dict[str, object]:
    names = {t.name for t in tables}
    out: dict[str, dict[str, object]] = {}
    for t in tables:
        columns: dict[str, dict[str, str]] = {c: {"sdtype": "id"} for c in _key_columns(t)}
        for f in features[t.name]:
            if f.family in _SDTYPE and f.column not in columns:
                columns[f.column] = {"sdtype": _SDTYPE[f.family]}
        entry: dict[str, object] = {"columns": columns}
        if len(t.primary_key) == 1:
            entry["primary_key"] = t.primary_key[0]
        out[t.name] = entry
    relationships = [
        {"parent_table_name": fk.ref_table, "parent_primary_key": fk.ref_columns[0],
         "child_table_name": t.name, "child_foreign_key": fk.columns[0]}
        for t in tables for fk in t.foreign_keys
        if len(fk.columns) == 1 and fk.ref_table in names and fk.ref_table != t.name
        and schema.table(fk.ref_table).primary_key == fk.ref_columns]
    return {"tables": out, "relationships": relationships}


def _frame(table: Table, features: list[Feature], values: pd.DataFrame,
           keys: pd.DataFrame) -> pd.DataFrame:
    """Keys as text and compared columns, at most OUTSIDE_ROWS rows."""
    cols = {c: keys[c] for c in _key_columns(table) if c in keys}
    for f in features:
        if f.family in _SDTYPE and f.column not in cols:
            cols[f.column] = values[f.column]
    return pd.DataFrame(cols).head(OUTSIDE_ROWS).reset_index(drop=True)
