"""Privacy: copied rows, shared near-unique values, and distance to the closest real record.

Copies. A target row is a copy when its non-key values (every column but primary and foreign
keys) equal those of a source row that is unique in the source: a combination that many real
rows share (10 units at 14.00 with no discount) singles nobody out, a unique one may. Where the
columns hold few values, independent rows meet unique ones by chance, so the score is the
excess over chance: the target's copy rate minus that of a random 20 % of the source measured
against the other 80 % (which shares no row with it). Tables with fewer than two non-key
columns are left out: a lookup table (genre names, currencies) is *meant* to repeat the
source's vocabulary, and a single identifying value is caught by the overlap measure instead.
Tables whose non-key combinations mostly repeat in the source are left out too.

Overlap. For each string column whose source values are near-unique (>= 90 % distinct over at
least 10 values: names, emails, identity numbers), the share of the target's distinct values
that also occur in the source. Foreign-key columns are left out (they repeat their parent),
and so are columns of public reference values (ISO country codes, currencies, languages,
regions, cities) from the headline score: they are listed apart, as no one's personal data.

DCR (distance to closest record). Distance is Gower's: the mean over non-key columns (soft
keys, ids without a declared FK, count as keys here; `copies` keeps them) of
|a - b| / source range for numbers and dates, and 0/1 mismatch for categories and text (NULL
equals NULL). The source sample is split at random into a holdout (20 %) and the rest.
`dcr_closer` = P(d_target < d_holdout) + 1/2 P(d_target = d_holdout) over random pairs, where
d_target is a target row's distance to the closest *source* row and d_holdout a holdout row's
distance to the closest row of the rest. 0.5: target rows are no closer to the source than
fresh real rows are (ideal); 1.0: every target row sits on a real one (copies); below 0.5:
farther than real data. Comparing with the full source is slightly conservative (a larger
reference set gives smaller distances), so the measure errs towards flagging.
`dcr_median_ratio` = median d_target / median d_holdout (None when the latter is 0).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from dbclone.report.data import Feature, key_columns, numeric_view
from dbclone.report.model import TablePrivacy, ValueOverlap
from dbclone.schema import Table

NEAR_UNIQUE = 0.9
MIN_VALUES = 10
HOLDOUT = 0.2
#: Rows on each side of the DCR comparison; distances cost target x source operations.
DCR_ROWS = 500
_CELLS_PER_CHUNK = 2_000_000


def copies(table: Table, real: pd.DataFrame, synth: pd.DataFrame) -> tuple[float | None, int,
                                                                            int, str]:
    """(share of copied target rows, copied rows, compared rows, note)."""
    keys = key_columns(table)
    cols = [c.name for c in table.columns if c.name not in keys and c.name in real.columns]
    if len(cols) < 2:
        return None, 0, 0, "fewer than two non-key columns: not a row to copy"
    if synth.empty:
        return 0.0, 0, 0, "target is empty"
    hashes = _row_hashes(real[cols])
    values, counts = np.unique(hashes, return_counts=True)
    if len(values) < 0.5 * len(hashes):
        return None, 0, 0, "non-key values mostly repeat (e.g. price, quantity): no row to copy"
    unique_rows = values[counts == 1]
    hits = int(np.isin(_row_hashes(synth[cols]), unique_rows).sum())
    chance = _chance_rate(hashes)
    excess = max(hits / len(synth) - chance, 0.0)
    note = f"{hits} target rows equal a unique source row; by chance {chance:.1%}" \
        if chance > 0 else ""
    return excess, int(round(excess * len(synth))), len(synth), note


def _chance_rate(hashes: np.ndarray, seed: int = 0) -> float:
    """How often a fresh real row equals a row unique among the others."""
    if len(hashes) < 50:
        return 0.0
    order = np.random.default_rng(seed).permutation(len(hashes))
    cut = int(len(hashes) * HOLDOUT)
    hold, rest = hashes[order[:cut]], hashes[order[cut:]]
    values, counts = np.unique(rest, return_counts=True)
    rate = float(np.isin(hold, values[counts == 1]).mean())
    # The target is compared with the whole source, which has more unique rows to meet.
    _, all_counts = np.unique(hashes, return_counts=True)
    unique_rest = int((counts == 1).sum())
    return rate * int((all_counts == 1).sum()) / unique_rest if unique_rest else rate


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    text = frame.astype(object).where(frame.notna(), "\x00null").astype(str)
    return pd.util.hash_pandas_object(text, index=False).to_numpy()


def overlaps(table: Table, real: pd.DataFrame, synth: pd.DataFrame) -> list[ValueOverlap]:
    """Near-unique string columns and how many distinct target values exist in the source."""
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
    found = []
    for col in table.columns:
        if col.kind not in ("string", "text") or col.name in fk_cols:
            continue
        present = real[col.name].dropna() if col.name in real else pd.Series(dtype=object)
        if len(present) < MIN_VALUES or present.nunique() < NEAR_UNIQUE * len(present):
            continue
        values = set(synth[col.name].dropna().unique()) if col.name in synth else set()
        shared = len(values & set(present.unique()))
        found.append(ValueOverlap(table.name, col.name, len(values), shared,
                                  reference_kind(present)))
    return found


#: Distinct values looked at to decide whether a column holds public reference values.
REFERENCE_VALUES = 2000


def reference_kind(values: pd.Series) -> str:
    """The public list a column's values come from (ISO country, currency or language codes
    and names, regions, cities, colours, emoji, URLs), or "" (see `semantic.recognise`).
    Sharing such a value with the source singles nobody out: a countries table's codes are
    near-unique in the table, but every clone of it should hold the same ones."""
    from dbclone.semantic.recognise import from_values

    distinct = [str(v) for v in values.dropna().unique()[:REFERENCE_VALUES]]
    found = from_values(distinct)
    return found.kind if found is not None else ""


def dcr(table: str, features: list[Feature], real: pd.DataFrame, synth: pd.DataFrame,
        seed: int) -> tuple[float | None, float | None, str]:
    """(dcr_closer, dcr_median_ratio, note) as defined in the module docstring."""
    features = [f for f in features if f.family != "reuse"]  # soft keys count as keys here
    if not features:
        return None, None, "no comparable non-key columns"
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(real))
    n_hold = int(len(real) * HOLDOUT)
    if n_hold < MIN_VALUES or len(synth) < MIN_VALUES:
        return None, None, "too few rows for a holdout"
    holdout, rest = order[:n_hold][:DCR_ROWS], order[n_hold:]
    source, target, numeric = _encode(features, real, synth)
    picked = rng.choice(len(synth), min(len(synth), DCR_ROWS), replace=False)
    d_target = _closest(target[picked], source, numeric)
    d_holdout = _closest(source[holdout], source[rest], numeric)
    from scipy.stats import mannwhitneyu

    u = mannwhitneyu(d_holdout, d_target).statistic
    closer = float(u / (len(d_holdout) * len(d_target)))
    median_h = float(np.median(d_holdout))
    ratio = float(np.median(d_target)) / median_h if median_h > 0 else None
    return closer, ratio, ""


def _encode(features: list[Feature], real: pd.DataFrame,
            synth: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source matrix, target matrix, numeric-column mask): numbers scaled by the source
    range, categories and text as codes shared by both sides."""
    cols_r, cols_s = [], []
    for f in features:
        if f.family in ("numeric", "datetime"):
            r = numeric_view(real[f.column], f.family).to_numpy(dtype=float)
            s = numeric_view(synth[f.column], f.family).to_numpy(dtype=float)
            low, span = _range(r)
            cols_r.append((r - low) / span)
            cols_s.append((s - low) / span)
        else:
            cats = pd.Index(pd.concat([real[f.column], synth[f.column]]).dropna().unique())
            cols_r.append(numeric_view(real[f.column], "categorical", cats).to_numpy())
            cols_s.append(numeric_view(synth[f.column], "categorical", cats).to_numpy())
    numeric = np.array([f.family in ("numeric", "datetime") for f in features])
    return np.column_stack(cols_r), np.column_stack(cols_s), numeric


def _range(values: np.ndarray) -> tuple[float, float]:
    present = values[~np.isnan(values)]
    if len(present) == 0:
        return 0.0, 1.0
    low, high = float(present.min()), float(present.max())
    return low, (high - low) or 1.0


def _closest(queries: np.ndarray, reference: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """Gower distance from each query row to its closest reference row, in bounded chunks."""
    width = queries.shape[1]
    chunk = max(1, _CELLS_PER_CHUNK // max(1, len(reference) * width))
    out = np.empty(len(queries))
    for start in range(0, len(queries), chunk):
        block = queries[start:start + chunk]
        dist = np.zeros((len(block), len(reference)))
        for j in range(width):
            dist += _column_distance(block[:, j], reference[:, j], bool(numeric[j]))
        out[start:start + chunk] = dist.min(axis=1) / width
    return out


def _column_distance(a: np.ndarray, b: np.ndarray, numeric: bool) -> np.ndarray:
    a2, b2 = a[:, None], b[None, :]
    nan_a, nan_b = np.isnan(a2), np.isnan(b2)
    d = np.minimum(np.abs(a2 - b2), 1.0) if numeric else (a2 != b2).astype(float)
    d = np.where(nan_a | nan_b, 1.0, d)
    return np.where(nan_a & nan_b, 0.0, d)


def overall_copies(tables: list[TablePrivacy]) -> float:
    compared = sum(t.compared_rows for t in tables if t.copies is not None)
    copied = sum(t.copied_rows for t in tables if t.copies is not None)
    return copied / compared if compared else math.nan


def overall_overlap(found: list[ValueOverlap]) -> float:
    """Share of near-unique target values found in the source, public reference values
    (`ValueOverlap.reference`) left out."""
    found = [o for o in found if not o.reference]
    distinct = sum(o.distinct_target for o in found)
    return sum(o.shared for o in found) / distinct if distinct else math.nan
