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
#: Near misses per kept word (`variants`), attempts per near miss, and the shortest stem
#: kept of a word.
VARIANTS = 3
VARIANT_TRIES = 6
MIN_STEM = 3
#: Candidates made per word kept, for `calibrated` to choose from.
CANDIDATES = 5
#: Iterative scaling: rounds, step, and the largest log-weight a word may get (so a few
#: words cannot take all the weight).
ROUNDS = 30
STEP = 1.0
CLIP = 4.0
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


def _grow(model: Model, u: Iterator[float], prefix: str = "") -> str:
    """A word grown from the model character by character, starting with `prefix`."""
    text = _START * ORDER + prefix
    for _ in range(LONGEST - len(prefix)):
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


def variants(kept: Sequence[str], source: Sequence[str], owners: Sequence[Hashable], k: int,
             banned: frozenset[str] | Folded, rng: np.random.Generator,
             per: int = VARIANTS) -> dict[str, tuple[str, ...]]:
    """Per kept word (lower case, more than MIN_STEM letters), up to `per` near misses: the
    word with its last one to three letters grown again by the character model of the
    source's words (``factory`` -> ``factorial``, ``hembesök`` -> ``hembesöket``), none a
    word or value of the source (`banned`, folded), within two letters of its length. A
    value that must hold a word the source never has takes one of these in place of one of
    its own words: a reader of character n-grams sees the word's own sequences and a common
    ending, where a word made up whole shows sequences the text never has."""
    if len(source) > TRAIN:
        pick = rng.choice(len(source), TRAIN, replace=False)
        source, owners = [source[i] for i in pick], [owners[i] for i in pick]
    model = fit(source, owners, k)
    out: dict[str, tuple[str, ...]] = {}
    if not model:
        return out
    u = _uniforms(rng)
    for word in kept:
        if len(word) <= MIN_STEM or not word.isalpha():
            continue
        found: dict[str, None] = {}
        for _ in range(VARIANT_TRIES * per):
            cut = 1 + int(next(u) * min(3, len(word) - MIN_STEM))
            made = _grow(model, u, word[:len(word) - cut])
            if made and made != word and abs(len(made) - len(word)) <= 2 and \
                    fold(made) not in banned:
                found[made] = None
                if len(found) >= per:
                    break
        if found:
            out[word] = tuple(found)
    return out


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
    want = CANDIDATES * n
    out: dict[str, None] = {}
    u = _uniforms(rng)
    for _ in range(TRIES * want):
        word = _grow(model, u)
        if len(word) >= 3 and word.isalpha() and fold(word) not in banned:
            out[word] = None
            if len(out) >= want:
                break
    return calibrated(list(out), source, owners, k, rng, n)


def _features(word: str) -> list[str]:
    """What a reader of character n-grams sees of a word: its 1- to 4-grams with a space
    on either side, and its length."""
    padded = f" {word} "
    return [padded[i:i + size] for size in range(1, 5)
            for i in range(len(padded) - size + 1) if padded[i:i + size] != " "] + \
        [f"#len{min(len(word), 14)}"]


def calibrated(candidates: list[str], source: Sequence[str], owners: Sequence[Hashable],
               k: int, rng: np.random.Generator, n: int) -> tuple[str, ...]:
    """n of the candidates, chosen so that the rate of each n-gram k owners' words share
    (and of each word length) comes out as in the source's words: a character model held
    to k owners' steps over-uses the common sequences and makes run-on words, which a
    reader of n-grams sees at once. Weights by iterative scaling (each gram's rate pulled
    towards the source's), then n words drawn without replacement in proportion."""
    if len(candidates) <= n:
        return tuple(candidates)
    from scipy import sparse

    held: dict[str, set[Hashable]] = defaultdict(set)
    count: Counter[str] = Counter()
    for word, owner in zip(source, owners, strict=True):
        for g in _features(word):
            held[g].add(owner)
            count[g] += 1
    grams = sorted(g for g, who in held.items() if len(who) >= k)
    index = {g: i for i, g in enumerate(grams)}
    target = np.asarray([count[g] for g in grams], dtype=float) / len(source)
    rows, cols = [], []
    for i, word in enumerate(candidates):
        for g in _features(word):
            j = index.get(g)
            if j is not None:
                rows.append(i)
                cols.append(j)
    x = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)),
                          shape=(len(candidates), len(grams)))
    per = np.maximum(np.asarray(x.sum(axis=1)).ravel(), 1.0)
    log_w = np.zeros(len(candidates))
    for _ in range(ROUNDS):
        w = np.exp(log_w - log_w.max())
        rate = (x.T @ w) / w.sum()
        ratio = np.log(np.maximum(target, 1e-9) / np.maximum(rate, 1e-9))
        log_w = np.clip(log_w + STEP * (x @ ratio) / per, -CLIP, CLIP)
    w = np.exp(log_w - log_w.max())
    pick = rng.choice(len(candidates), n, replace=False, p=w / w.sum())
    return tuple(candidates[i] for i in np.sort(pick))
