"""Detection: can a classifier tell target rows from source rows? (SyntheRela's DDA/C2ST-Agg)

Per table, each row's features are its own comparable non-key columns (numbers as numbers,
dates as epoch seconds, categories as codes, text and personal data as their length) plus,
for every foreign key pointing at the table, the number of children and the mean of each
numeric non-key child column. Key values (primary keys, foreign keys, referenced columns) are
never features: dbclone generates them anew, so their raw values say nothing.
A gradient-boosted classifier is cross-validated (5 folds) on a class-balanced sample; its
accuracy is reported with the standard error across folds. 0.5 means indistinguishable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dbclone.report.data import Feature, numeric_view
from dbclone.report.model import Detection

FOLDS = 5
#: Rows per class given to the classifier; more buys little precision for a lot of time.
MAX_ROWS = 2500
#: Below this many rows per class, five folds say nothing; the table is skipped with a note.
MIN_ROWS = 20


@dataclass
class Side:
    """One database's view of a table: normalised columns plus child-aggregate features."""

    frame: pd.DataFrame
    extra: pd.DataFrame  # child aggregates, aligned with `frame`'s index


def feature_matrix(features: list[Feature], real: Side, synth: Side) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """Stack real and synthetic rows into one float matrix with the same encoding."""
    columns_r, columns_s = [], []
    for f in features:
        cats = None
        if f.family == "categorical":
            cats = pd.Index(pd.concat([real.frame[f.column], synth.frame[f.column]])
                            .dropna().unique())
        r = numeric_view(real.frame[f.column], f.family, cats).to_numpy()
        s = numeric_view(synth.frame[f.column], f.family, cats).to_numpy()
        if f.family == "reuse":
            # How busy an id is, in powers of two: an exact count (307 rows) names one real
            # id, which the classifier would memorise rather than judge.
            r, s = np.floor(np.log2(r)), np.floor(np.log2(s))
        columns_r.append(r)
        columns_s.append(s)
    for col in real.extra.columns:
        columns_r.append(real.extra[col].to_numpy(dtype=float))
        columns_s.append(synth.extra[col].to_numpy(dtype=float))
    return _stack(columns_r, len(real.frame)), _stack(columns_s, len(synth.frame))


def _stack(columns: list[np.ndarray], rows: int) -> np.ndarray:
    if not columns:
        return np.empty((rows, 0))
    return np.column_stack(columns).astype(float)


def detect(table: str, x_real: np.ndarray, x_synth: np.ndarray, seed: int,
           owners: tuple[np.ndarray, np.ndarray] | None = None) -> Detection:
    """5-fold accuracy of HistGradientBoosting at separating the two balanced samples.

    `owners` (per real row, per synthetic row) names whom each row is about when rows of a
    table repeat their parent's data (an invoice's billing address is its customer's): the
    rows of one owner then stay in one fold. Otherwise the classifier learns the 59 real
    customers' addresses from four folds and recognises their other invoices in the fifth,
    which measures memorising real people, something no clone may do, not realism."""
    n = min(len(x_real), len(x_synth), MAX_ROWS)
    width = x_real.shape[1]
    if width == 0:
        return Detection(table, math.nan, math.nan, n, 0, "no comparable columns")
    if n < MIN_ROWS:
        return Detection(table, math.nan, math.nan, n, width,
                         f"too few rows ({n} per class, need {MIN_ROWS})")
    rng = np.random.default_rng(seed)
    take_r, take_s = _subsample(len(x_real), n, rng), _subsample(len(x_synth), n, rng)
    x = np.vstack([x_real[take_r], x_synth[take_s]])
    y = np.concatenate([np.zeros(n), np.ones(n)])
    who = None
    if owners is not None:
        who = np.concatenate([np.asarray(["r" + str(v) for v in owners[0][take_r]]),
                              np.asarray(["s" + str(v) for v in owners[1][take_s]])])
    scores = _cross_validate(x, y, seed, who)
    stderr = float(np.std(scores, ddof=1) / math.sqrt(len(scores)))
    return Detection(table, float(np.mean(scores)), stderr, n, width)


def _subsample(size: int, n: int, rng: np.random.Generator) -> np.ndarray:
    return np.arange(size) if size == n else rng.choice(size, n, replace=False)


def _cross_validate(x: np.ndarray, y: np.ndarray, seed: int,
                    owners: np.ndarray | None = None) -> np.ndarray:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import cross_val_score
    from threadpoolctl import threadpool_limits

    # Small, fixed-size boosting: detection must stay a few seconds per table.
    model = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=8, max_bins=64,
                                           learning_rate=0.2,
                                           early_stopping=False, random_state=seed)
    folds, groups = _folds(x, y, seed, owners)
    splits = list(folds.split(x, y, groups))
    x = _missing_filled(x, [train for train, _ in splits])
    # One thread: these fits are tiny, and OpenMP workers spinning on a busy machine made
    # them several times slower, not faster.
    with threadpool_limits(1):
        scores = cross_val_score(model, x, y, cv=splits, scoring="accuracy")
    return np.asarray(scores)


def _missing_filled(x: np.ndarray, trains: list[np.ndarray]) -> np.ndarray:
    """A feature missing from every row of some fold's training part gets its NULLs as a
    value below its least one: the boosting's binning fails on a feature with no value at
    all (`window shape cannot be larger than input array shape`: `dbclone report` stopped on
    any table with a column that is always NULL). Other features keep their NULLs."""
    empty = np.zeros(x.shape[1], dtype=bool)
    for train in trains:
        empty |= np.isnan(x[train]).all(axis=0)
    if not empty.any():
        return x
    out = x.copy()
    for j in np.flatnonzero(empty):
        present = out[:, j][~np.isnan(out[:, j])]
        out[np.isnan(out[:, j]), j] = present.min() - 1.0 if len(present) else 0.0
    return out


def _folds(x: np.ndarray, y: np.ndarray, seed: int,
           owners: np.ndarray | None = None) -> tuple[Any, np.ndarray | None]:
    """Folds that keep identical feature rows together, and the rows of one owner.

    Without this, a real row and its exact synthetic twin land in different folds: the model
    learns the twin's label and gets the row wrong, pushing accuracy far *below* 0.5 for a
    perfect copy. Grouping makes a copy score exactly 0.5. When rows take too few distinct
    values to form groups, plain stratified folds are used."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    groups = pd.util.hash_pandas_object(pd.DataFrame(x), index=False).to_numpy()
    if owners is not None:
        groups = _joined_groups(groups, owners)
    if len(np.unique(groups)) >= 4 * FOLDS:
        return StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed), groups
    return StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed), None


def _joined_groups(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Connected groups: rows sharing a value of either labelling end up in one group."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a = pd.factorize(first)[0]
    b = pd.factorize(second)[0] + a.max(initial=-1) + 1
    size = int(b.max(initial=-1)) + 1
    rows = np.arange(len(a))
    graph = coo_matrix((np.ones(2 * len(a)), (np.concatenate([rows, rows]),
                                               np.concatenate([a, b]))),
                       shape=(len(a), size))
    # rows x labels; rows are linked through the labels they share
    links = (graph @ graph.T).tocsr()
    return connected_components(links, directed=False)[1]
