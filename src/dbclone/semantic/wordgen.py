"""Words that read like a column's own rare words without being any of them: a character
model of the column's words under the k-owner floor, for the word slots of a token chain (an
album title's "Vinícius", a film's "DINOSAUR").

The model counts, for every context of up to ORDER characters inside a word, the characters
that follow it, and keeps a (context, next character) pair only when at least k distinct
owners' words contain it. A word is grown character by character from the longest context
that has kept continuations (backing off to shorter ones), so every step is a sequence k
owners share; the kept continuations are drawn flatter than their counts (FLAT), as the
pruning leaves the common ones over-used otherwise. Words that equal any word or value of
the source are dropped: what comes out is never a source word, and the words are made at fit
time, so the model file stores them (made-up words) and no character statistics at all.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterator, Sequence

import numpy as np

from dbclone.semantic.reference import Folded, fold

#: Characters of context looked back on: 3 gives syllables that read as the column's
#: language; longer contexts are rarely held by k owners in a column of a few hundred rows.
ORDER = 3
#: Made-up words per column (a title column of thousands of rows uses a few thousand rare
#: words; fewer would repeat visibly).
POOL = 2000
#: Attempts per word kept (most attempts that fail are source words or too short).
TRIES = 6
#: Words learnt from at most (a sample of more says the same about characters).
TRAIN = 5000
LONGEST = 24
#: Counts are raised to this power before drawing: flatter than the counts, so made-up words
#: use rare continuations more, as real rare words do.
FLAT = 0.6
_START, _END = "\x02", "\x03"


def _grams(word: str) -> list[str]:
    """The word's grams: a context of 0 to ORDER characters and the character after it, as
    one string (the context is all but its last character)."""
    padded = _START * ORDER + word + _END
    return [padded[i - size:i + 1] for i in range(ORDER, len(padded))
            for size in range(ORDER + 1)]


Model = dict[str, tuple[str, list[float], float]]


def fit(words: Sequence[str], owners: Sequence[Hashable], k: int) -> Model:
    """Per context, the next characters k owners' words share, with their cumulative
    counts, and the share of the context's continuations they make up (the rest, rarer
    than k owners, is drawn from the shorter context: a word's rare turns are kept as
    rare turns of its own, not turned into common ones)."""
    counts: Counter[str] = Counter()
    pairs: set[tuple[str, Hashable]] = set()
    cache: dict[str, list[str]] = {}
    for word, owner in zip(words, owners, strict=True):
        grams = cache.get(word)
        if grams is None:
            grams = cache[word] = _grams(word)
        counts.update(grams)
        pairs.update((g, owner) for g in grams)
    holders = Counter(g for g, _ in pairs)
    table: dict[str, dict[str, int]] = defaultdict(dict)
    totals: dict[str, int] = defaultdict(int)
    for gram, count in counts.items():
        totals[gram[:-1]] += count
        if holders[gram] >= k:
            table[gram[:-1]][gram[-1]] = count
    out = {}
    for ctx, nxt in sorted(table.items()):
        seen = np.asarray(list(nxt.values()), dtype=float)
        cum = np.cumsum(seen ** FLAT).tolist()
        out[ctx] = ("".join(nxt), cum, float(seen.sum()) / totals[ctx])
    return out


def _uniforms(rng: np.random.Generator) -> Iterator[float]:
    while True:  # drawn in blocks: one NumPy call per character would cost more than the word
        yield from rng.random(1 << 15).tolist()


def _grow(model: Model, u: Iterator[float]) -> str:
    text = _START * ORDER
    for _ in range(LONGEST):
        found = None
        for size in range(ORDER, -1, -1):
            found = model.get(text[len(text) - size:] if size else "")
            if found is not None and (size == 0 or next(u) < found[2]):
                break
        if found is None:
            return ""
        chars, cum, _ = found
        c = chars[min(bisect.bisect_right(cum, next(u) * cum[-1]), len(chars) - 1)]
        if c == _END:
            return text[ORDER:]
        text += c
    return ""  # no end within LONGEST characters: a run-on, not a word


def words(source: Sequence[str], owners: Sequence[Hashable], k: int,
          banned: frozenset[str] | Folded, rng: np.random.Generator, n: int = POOL
          ) -> tuple[str, ...]:
    """Up to n distinct made-up words (lower case) in the style of `source`, none of them in
    `banned` (every word and value of the source, folded: `reference.fold`) nor shorter
    than 3 letters."""
    if len(source) > TRAIN:
        pick = rng.choice(len(source), TRAIN, replace=False)
        source, owners = [source[i] for i in pick], [owners[i] for i in pick]
    model = fit(source, owners, k)
    if not model:
        return ()
    out: dict[str, None] = {}
    u = _uniforms(rng)
    for _ in range(TRIES * n):
        word = _grow(model, u)
        if len(word) >= 3 and word.isalpha() and fold(word) not in banned:
            out[word] = None
            if len(out) >= n:
                break
    return tuple(out)
