"""Text realism: can a character n-gram classifier tell a column's synthetic values from real?

Shapes compare text by length only, so a clone whose city column reads "Serve b" and "Proces"
scores well there although anyone sees at a glance it is not real. This measure looks at the
characters. Per text column (string or text type, not a key, not a column of numbers written
as text), the distinct real values and the distinct synthetic values of the report's samples
are drawn to the same number (at most MAX_VALUES each, values cut to MAX_CHARS characters);
a scikit-learn pipeline of TfidfVectorizer (char_wb, 1- to 4-grams, case kept) and
LogisticRegression (liblinear) is cross-validated over FOLDS folds; the mean accuracy is the
score.
A value present on both sides is kept in one fold (a grouped split), so reproducing a real
value counts as indistinguishable, not as a mistake. 0.5 means indistinguishable (ideal);
1.0 means every value is recognisably synthetic.

Synthetic emails on reserved domains (example.com, .test, ...) are meant to read as made up:
such a column is scored but left out of the headline scores. Columns the synthesizer fills
with Faker values are marked: personal data (names, emails,
phones, addresses, identity numbers) and public reference values or quasi-identifiers (cities,
countries, companies, job titles) have their own thresholds in `verdicts.py`.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from dbclone.report.data import Feature
from dbclone.report.model import TextRealism
from dbclone.report.personal import is_quasi

#: Distinct values per side given to the classifier: enough for a stable score (standard
#: error across folds ~0.015), bounded so a column costs about half a second.
MAX_VALUES = 600
#: Below this many distinct values on either side, the score says nothing.
MIN_VALUES = 20
#: Characters of a value looked at: a long description's first sentences show its style.
MAX_CHARS = 200
FOLDS = 5
#: A column whose values are numbers in this share or more is a number, not text.
NUMERIC_SHARE = 0.9
_STRING_KINDS = ("string", "text")
_TEXT_FAMILIES = ("categorical", "text", "personal")


def text_columns(features: list[Feature], kinds: dict[str, str],
                 values: pd.DataFrame) -> list[Feature]:
    """The features of a table that are text: string-typed, not numbers written as text."""
    found = []
    for f in features:
        if f.family not in _TEXT_FAMILIES or kinds.get(f.column) not in _STRING_KINDS:
            continue
        present = values[f.column].dropna().astype(str) if f.column in values else pd.Series()
        if present.empty:
            continue
        numeric = pd.to_numeric(present.str.replace(",", ".", regex=False), errors="coerce")
        if numeric.notna().mean() >= NUMERIC_SHARE:
            continue
        found.append(f)
    return found


def score(table: str, feature: Feature, real: pd.Series, synth: pd.Series,
          seed: int) -> TextRealism:
    """The classifier's cross-validated accuracy on one column's distinct values."""
    group = _group(feature)
    provider = feature.provider
    r, s = _distinct(real), _distinct(synth)
    n = min(len(r), len(s), MAX_VALUES)
    if n < MIN_VALUES:
        return TextRealism(table, feature.column, group, provider, math.nan, math.nan, n,
                           f"too few distinct values ({len(r)} real, {len(s)} synthetic; "
                           f"need {MIN_VALUES})")
    r, s = _bottom(r, n, seed), _bottom(s, n, seed)
    scores = _cross_validate(r + s, np.r_[np.zeros(n), np.ones(n)], seed)
    stderr = float(np.std(scores, ddof=1) / math.sqrt(len(scores)))
    shared = len(set(r) & set(s))
    note = f"{shared} of {n} sampled values appear on both sides" if shared else ""
    reserved = provider == "email" and _reserved_share(s) >= RESERVED_SHARE
    if reserved:
        note = "emails on reserved domains (example.com, .test): left out of the scores"
    return TextRealism(table, feature.column, group, provider, float(np.mean(scores)), stderr,
                       n, note, reserved)


#: Domains reserved for examples (RFC 2606, RFC 6761): an email there is meant to be fake.
_RESERVED = re.compile(r"@(.+\.)?(example\.(com|net|org)|[^@]+\.(test|example|invalid|"
                       r"localhost))$", re.IGNORECASE)
RESERVED_SHARE = 0.9


def _reserved_share(values: list[str]) -> float:
    return sum(1 for v in values if _RESERVED.search(v)) / len(values) if values else 0.0


def _group(feature: Feature) -> str:
    """"personal", "reference" (quasi-identifiers and public lists) or "text"."""
    if feature.family != "personal":
        return "text"
    return "reference" if is_quasi(feature.provider) else "personal"


def _distinct(values: pd.Series) -> list[str]:
    text = values.dropna().astype(str).str.slice(0, MAX_CHARS)
    return sorted(set(text[text.str.strip() != ""]))


def _bottom(values: list[str], n: int, seed: int) -> list[str]:
    """The n values with the smallest seeded hash: a uniform sample that takes a value shared
    by both sides on both sides or on neither (an exact copy then scores exactly 0.5)."""
    key = f"dbclone{seed:09d}"[-16:]
    hashes = pd.util.hash_pandas_object(pd.Series(values, dtype=object), index=False,
                                        hash_key=key).to_numpy()
    return [values[i] for i in np.argsort(hashes, kind="stable")[:n]]


def _cross_validate(texts: list[str], y: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import PredefinedSplit, cross_val_score
    from sklearn.pipeline import make_pipeline
    from threadpoolctl import threadpool_limits

    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), lowercase=False,
                        sublinear_tf=True),
        LogisticRegression(solver="liblinear", C=1.0))
    # One value, one fold, whichever side holds it: each distinct text gets a fold at random
    # (scikit-learn's StratifiedGroupKFold does the same but took longer than the fits).
    codes, uniques = pd.factorize(pd.Series(texts))
    fold_of = np.random.default_rng(seed).permutation(len(uniques)) % FOLDS
    with threadpool_limits(1):
        return np.asarray(cross_val_score(model, np.asarray(texts, dtype=object), y,
                                          cv=PredefinedSplit(fold_of[codes]),
                                          scoring="accuracy"))
