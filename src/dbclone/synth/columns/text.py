"""Free text: the source's vocabulary (words held by at least k owners, never a sentence),
its lengths and letter case; generated as words composed to the row's target length (the
length follows the row's latent score), else Faker's sentences.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

from dbclone.schema import Column
from dbclone.synth import copula, pii
from dbclone.synth.codecs import (
    normalized,
)
from dbclone.synth.columns.base import ColumnSynthesizer
from dbclone.synth.columns.shaped import code_patterns
from dbclone.synth.context import FitContext
from dbclone.synth.model import ColumnModel
from dbclone.synth.pii import pool_size
from dbclone.synth.specs import TextSpec
from dbclone.synth.state import Chunk, SampleState
from dbclone.synth.tables import Columns

_SENTENCE_END = re.compile(r"[.!?]\s+")


_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)


#: Share of words capitalised away from a sentence start above which text is in title case
#: (song and product names), where a capital says nothing about a word being a name.
TITLE_SHARE = 0.6


def vocabulary(text: pd.Series, k: int, owners: pd.Series | None = None,
               size: int = 2000) -> tuple[tuple[str, ...], tuple[float, ...], bool]:
    """Words used by at least k different owners (rows, or the people the rows are about),
    with their frequencies, and whether the text is in title case: text in the source's
    language and domain, never a source sentence (words are drawn independently). In
    ordinary text, words mostly capitalised mid-sentence (names) are left out too."""
    held: set[tuple[str, object]] = set()  # (word, owner) pairs
    words: list[str] = []
    capitals: list[str] = []  # capitalised away from a sentence start: a name
    inner = 0
    who_of = owners.to_dict() if owners is not None else {}
    for i, value in zip(text.index[:20000], text.head(20000), strict=True):
        found = []
        for sentence in _SENTENCE_END.split(value):
            here = _WORD.findall(sentence)
            inner += max(len(here) - 1, 0)
            capitals += [w for w in here[1:] if w[:1].isupper()]
            found += here
        lowered = [w.lower() for w in found]
        words += lowered
        who = who_of.get(i, i)
        held.update((w, who) for w in lowered)
    total = Counter(words)
    capital = Counter(w.lower() for w in capitals)
    holders = Counter(w for w, _ in held)
    titled = inner > 0 and len(capitals) >= TITLE_SHARE * inner
    need = min(k, len(set(owners.dropna()))) if owners is not None else k
    kept = [(w, total[w]) for w, h in holders.items()
            if h >= need and h >= 2 and (titled or capital[w] < 0.3 * total[w])]
    kept.sort(key=lambda wc: (-wc[1], wc[0]))
    kept = kept[:size]
    if len(kept) < 20:
        return (), (), False
    norm = float(sum(c for _, c in kept))
    return tuple(w for w, _ in kept), tuple(c / norm for _, c in kept), titled


def length_grid(text: pd.Series) -> tuple[float, ...]:
    return copula.quantile_grid(text.str.len().to_numpy(dtype=float)) if len(text) else ()


def length_scores(series: pd.Series, rng: np.random.Generator) -> np.ndarray:
    """Replaced personal data and free text join the copula through their length, NULL ranked
    lowest: a state is NULL outside the countries that have states, a postcode's length
    follows the country, though every value is Faker's; a case's summary is longer for some
    categories than others."""
    lengths = series.map(lambda v: -1.0 if v is None or v != v else float(len(str(v))))
    return copula.numeric_to_normal(lengths.to_numpy(dtype=float), rng)


def target_lengths(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
                   n: int) -> np.ndarray | None:
    """Target lengths of replaced values; with a copula score, the rows' own (above the
    share of NULLs, which take the lowest scores)."""
    if not cm.lengths:
        return None
    if z is None:
        return copula.normal_to_numeric(st.rng.standard_normal(n), cm.lengths, True,
                                       ch.spread)
    nulls = cm.null_rate if col.nullable else 0.0
    u = np.clip((copula.uniform_ranks(z) - nulls) / max(1.0 - nulls, 1e-9), 0.0, 1.0)
    grid = np.linspace(0.0, 1.0, len(cm.lengths))
    return np.round(np.interp(u, grid, np.asarray(cm.lengths, dtype=float)))


def vocabulary_text(st: SampleState, col: Column, cm: ColumnModel, n: int,
                    lengths: np.ndarray) -> np.ndarray:
    """Text from the source's own vocabulary (words seen in at least k rows)."""
    vocab = np.asarray(cm.values, dtype=object)
    p = normalized(cm.probs)
    sentences = bool(cm.pattern)
    avg = float(np.dot([len(w) for w in cm.values], p)) + 1
    out = []
    if cm.case == "title":  # song and product names: Every Word Capitalised
        vocab = np.asarray([w[:1].upper() + w[1:] for w in cm.values], dtype=object)
    sizes = np.maximum(lengths.astype(int), 1)
    counts = (sizes / avg).astype(int) + 2
    # Every row's words in one draw (a weighted choice per row recomputed the weights'
    # cumulative sum each time).
    picks = np.searchsorted(np.cumsum(p), st.rng.random(int(counts.sum())) * p.sum())
    words = vocab[np.minimum(picks, len(vocab) - 1)]
    ends = np.cumsum(counts)
    for k, end, count in zip(sizes.tolist(), ends.tolist(), counts.tolist(), strict=True):
        out.append(fit_length(compose(list(words[end - count:end]), k, sentences,
                                        st.rng), col))
    return np.asarray(out, dtype=object)


def text_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
                n: int, data: Columns) -> np.ndarray:
    """Free text of the lengths the row's latent score gives (a case's summary is as long
    as its category's), from the source's vocabulary or else Faker's sentences."""
    lengths = target_lengths(st, ch, col, cm, z, n)
    if lengths is None:
        lengths = np.ones(n)
    if cm.values:
        return vocabulary_text(st, col, cm, n, lengths)
    pool = st.fake.pool("sentence", min(2000, pool_size(n)))
    picks = st.rng.integers(0, len(pool), n)
    out = []
    for k, p in zip(lengths, picks, strict=True):
        text = sentences_to_length(pool, int(p), k)
        out.append(fit_length(text[: max(int(k), 1)].rstrip() or "x", col))
    return np.asarray(out, dtype=object)


def sentences_to_length(pool: list[str], first: int, length: float) -> str:
    """Sentences of `pool` from `first` on, joined until `length` characters (the next one
    chosen by the length so far), in one join: growing the text a sentence at a time copied
    it each time, a 10 MB value took minutes."""
    parts = [pool[first]]
    size = len(pool[first])
    while size < length:
        nxt = pool[(first + size) % len(pool)]
        parts.append(nxt)
        size += 1 + len(nxt)
    return " ".join(parts)


def compose(words: list[str], length: int, sentences: bool, rng: np.random.Generator) -> str:
    """Words into text of about `length` characters, in sentences when the source has them."""
    parts: list[str] = []
    size = 0
    start = True
    until_stop = int(rng.integers(6, 15))
    for w in words:
        # stop before the word that would overshoot more than stopping falls short
        if parts and size + len(w) > length and size + len(w) - length > length - size + 1:
            break
        parts.append(w.capitalize() if start and sentences else w)
        size += len(w) + 1
        start = False
        until_stop -= 1
        if sentences and until_stop == 0:
            parts[-1] += "."
            start, until_stop = True, int(rng.integers(6, 15))
    text = " ".join(parts) or words[0][:length]
    if sentences and not text.endswith("."):
        text += "."
    return text


def fit_length(text: str, col: Column) -> str:
    return text[: col.length] if col.length else text


def fit_string_fallback(ctx: FitContext, col: Column, values: pd.Series, null_rate: float,
                        why: str) -> tuple[ColumnModel, np.ndarray | None]:
    text = values.astype(str)
    provider = pii.quasi_provider(col.name, float(text.str.len().median()) if len(text) else 0)
    if provider:  # rare cities, countries, companies, jobs: Faker's, not the source's
        return ColumnModel(col.name, "pii", null_rate=null_rate, pii=provider,
                           lengths=length_grid(text), reason=f"{why}; Faker {provider}"), None
    patterns = code_patterns(text)
    lengths = length_grid(text)
    if patterns and not any(" " in v for v in text.head(200)):
        return ColumnModel(col.name, "pattern", null_rate=null_rate, pattern=patterns,
                           lengths=lengths, reason=why), None
    owners = ctx.owners.reindex(text.index) if ctx.owners is not None else None
    words, probs, titled = vocabulary(text, ctx.opts.rare_threshold, owners)
    sentences = ("sentences",) if text.str.rstrip().str.endswith(".").mean() >= 0.5 else ()
    return ColumnModel(col.name, "text", null_rate=null_rate, lengths=lengths, values=words,
                       probs=probs, pattern=sentences, case="title" if titled else "",
                       reason=why), None


class TextSynthesizer(ColumnSynthesizer):
    """Free text from the source's vocabulary (chosen by `strings`; its fit also hands
    codes to `shaped` and rare quasi-identifiers to `personal`)."""

    specs = (TextSpec,)
    length_scored = True
    fit = staticmethod(fit_string_fallback)
    generate = staticmethod(text_values)
