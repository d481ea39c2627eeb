"""Names of things that read as real where no public list fits (album and product titles,
street names, lists of composers): a chain of the column's tokens under a privacy floor,
its rare words replaced by made-up words in the column's style.

A value is split into tokens (runs of letters, runs of digits, single punctuation marks),
each marked when no space comes before it. A token that at least k distinct owners (rows,
or the people the rows are about) use is kept as written; any other becomes a slot that
keeps its form: a capitalised word, a lower-case one, one in capitals, a number of so many
digits. The chain counts which symbol follows each pair of symbols and keeps a step only
when k owners' values take it; the steps rarer than that are drawn from the shorter context
(one symbol, then none), in the share they had, so the column's word counts, punctuation
and spacing come out as in the source without any rare sequence.

Word slots take made-up words (`wordgen`: a character model of the rare words, every step
shared by k owners, none of them a source word), digit slots random digits. Every value
holds at least one made-up word (a value made only of kept tokens has its last word
replaced), so no generated value is a source value. The fitted state (kept steps with
counts, the share of each context they cover, made-up words) is statistics, serialisable
to JSON. This module fits it; `symbols` holds the tokens and slots, `chain` draws values.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dbclone.semantic import wordgen
from dbclone.semantic.chain import chain_of
from dbclone.semantic.reference import Folded, fold
from dbclone.semantic.symbols import (
    END,
    ORDER,
    START,
    encode,
    is_function,
    to_symbols,
    tokens,
)

#: Fewest rare word tokens to learn made-up words from; below it all the column's words.
MIN_RARE = 200
#: Rows whose draws are made at a time (with 8 tries of up to 60 symbols each, a few tens
#: of MB of arrays at most).
BLOCK_ROWS = 4096


@dataclass(frozen=True)
class Phrases:
    """steps: (count, next symbol, *context symbols) for the steps k owners take; shares:
    (share of the context's continuations the kept steps make up, *context symbols);
    public: made-up words (lower case) for word slots. Symbols as stored (`encode`): a word
    lower-cased behind the slot of its case, each its own string."""

    steps: tuple[tuple[Any, ...], ...]
    shares: tuple[tuple[Any, ...], ...]
    public: tuple[str, ...] = field(default=())
    variants: tuple[tuple[Any, ...], ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        return {"steps": [list(s) for s in self.steps], "shares": [list(s) for s in self.shares],
                "public": list(self.public), "variants": [list(v) for v in self.variants]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Phrases:
        steps = tuple((int(s[0]), *map(str, s[1:])) for s in data["steps"])
        shares = tuple((float(s[0]), *map(str, s[1:])) for s in data["shares"])
        return cls(steps, shares, tuple(str(w) for w in data.get("public", ())),
                   tuple(tuple(map(str, v)) for v in data.get("variants", ())))

    def sample(self, n: int, rng: np.random.Generator,
               lengths: np.ndarray | None = None, tries: int = 8) -> list[str]:
        """n values; with target `lengths`, each the closest in length of `tries` draws,
        lengthened by further whole draws of its row while short of it, then cut at a word
        where long (a value's length is part of the row: the report's detection reads text
        as its length). A cut that drops the value's first made-up word (`chain.Chain.sizes`)
        makes a word of what is left up (`chain.Chain.renewed`), so no value is a source value;
        values are last checked against the column's source values where this process
        fitted it (`remember`). The draws advance together, a step of all of them per NumPy
        call (`chain.Chain`); only the draws taken are joined into strings."""
        if n <= 0:
            return []
        if n > BLOCK_ROWS:  # the draws of a block at a time: memory stays a block's
            return [v for lo in range(0, n, BLOCK_ROWS) for v in self.sample(
                min(BLOCK_ROWS, n - lo), rng,
                None if lengths is None else np.asarray(lengths)[lo:lo + BLOCK_ROWS], tries)]
        chain = chain_of(self)
        k = tries if lengths is not None else 1
        drawn = chain.draw(n * k, rng)
        words = chain.draw_words(drawn, rng)
        if lengths is None:
            return chain.checked(chain.join(drawn, words, rng))
        size, floor = (a.reshape(n, k) for a in chain.sizes(drawn, words))
        want = np.asarray(lengths, dtype=np.int64)[:n]
        # argmin takes the first of equally near draws
        first = np.abs(size - want[:, None]).argmin(axis=1)
        rounds = _further(size, first, want)
        taken = np.concatenate([np.arange(n) * k + first, *(r * k + j for r, j in rounds)])
        picked, at = drawn.take(taken)
        texts = chain.join(picked, words[at], rng)
        out, done = texts[:n], n
        for r, _ in rounds:
            for i, text in zip(r.tolist(), texts[done:done + len(r)], strict=True):
                out[i] += " " + text
            done += len(r)
        rows = np.arange(n)
        lows = floor[rows, first].tolist()
        for i, target in enumerate(want.tolist()):
            value = out[i]
            cut = value.rfind(" ", 0, target + 1)
            if len(value) > target + SLACK and cut >= 0:
                out[i] = _trimmed(value[:cut])
                if len(out[i]) < lows[i]:
                    out[i] = chain.renewed(out[i], i)
        return chain.checked(out)


def _trimmed(value: str) -> str:
    """A value cut at a word, without the marks and short function words a value does not
    end on ("... who must Kill a Car in A")."""
    value = value.rstrip(" ,:;-(&/")
    head, _, last = value.rpartition(" ")
    while head and is_function(last):
        value = head.rstrip(" ,:;-(&/")
        head, _, last = value.rpartition(" ")
    return value


def _further(size: np.ndarray, first: np.ndarray, want: np.ndarray
             ) -> list[tuple[np.ndarray, np.ndarray]]:
    """For the rows whose first draw (`first`, of the draws' `size`s) falls short of their
    target by more than SLACK, further draws of the row, one a round, each the longest
    unused one that fits in what is missing (a draw cut after its first word reads as
    cut): per round, the rows and the draw each takes."""
    n, k = size.shape
    used = np.zeros((n, k), dtype=bool)
    used[np.arange(n), first] = True
    have = size[np.arange(n), first]
    out = []
    for _ in range(k - 1):
        short = np.flatnonzero(want - have > SLACK)
        if not len(short):
            break
        room = (want[short] - have[short] - 1 + SLACK)[:, None]
        fits = np.where(used[short] | (size[short] > room), -1, size[short])
        j = fits.argmax(axis=1)
        short, j = short[fits.max(axis=1) > 0], j[fits.max(axis=1) > 0]
        used[short, j] = True
        have[short] += size[short, j] + 1
        out.append((short, j))
    return out


#: Characters a value may miss its target length by, either way, before it is cut or
#: lengthened.
SLACK = 2
def fit(values: Sequence[str], k: int, owners: Sequence[Hashable] | None = None,
        public: Sequence[str] = (), rng: np.random.Generator | None = None,
        avoid: frozenset[str] | Folded = frozenset()) -> Phrases | None:
    """The values' chain of kept steps and made-up words; None when no step survives.
    `public`: words for slots where none can be made up; `avoid`: more strings (folded)
    no made-up word may be."""
    who: list[Hashable] = list(owners) if owners is not None else list(range(len(values)))
    seqs = [tokens(v) for v in values]
    word_owners: dict[str, set[Hashable]] = defaultdict(set)
    for seq, owner in zip(seqs, who, strict=True):
        for _, tok in seq:
            word_owners[tok].add(owner)
    kept = {w for w, held in word_owners.items() if len(held) >= k}
    counts: Counter[tuple[str, ...]] = Counter()
    holders: Counter[tuple[str, ...]] = Counter()
    pairs: set[tuple[tuple[str, ...], Hashable]] = set()
    for seq, owner in zip(seqs, who, strict=True):
        padded = (START,) * ORDER + tuple(to_symbols(seq, kept)) + (END,)
        # A step: its context (0 to ORDER symbols) and the next symbol, as one tuple.
        steps = [padded[i - size:i + 1] for i in range(ORDER, len(padded))
                 for size in range(ORDER + 1)]
        counts.update(steps)
        if owners is None:  # each value its own owner: count a step once per value
            holders.update(set(steps))
        else:
            pairs.update((step, owner) for step in steps)
    holders.update(step for step, _ in pairs)
    totals: dict[tuple[str, ...], int] = defaultdict(int)
    covered: dict[tuple[str, ...], int] = defaultdict(int)
    kept_steps: list[tuple[Any, ...]] = []
    for step, count in counts.items():
        totals[step[:-1]] += count
        if holders[step] >= k:
            kept_steps.append((count, encode(step[-1]), *map(encode, step[:-1])))
            covered[step[:-1]] += count
    if not kept_steps:
        return None
    rng = rng or np.random.default_rng(0)
    banned = avoid | {fold(w) for w in word_owners}
    made = _made_up(seqs, who, kept, k, rng, banned)
    seen = {w.lower() for w in word_owners}
    shares = sorted((covered[c] / totals[c], *map(encode, c)) for c in covered)
    near = _near_misses(seqs, who, kept, k, rng, banned)
    made = made or tuple(w.lower() for w in dict.fromkeys(public)
                         if w.lower() not in seen and len(w) > 2)
    return Phrases(
        tuple(sorted(kept_steps, key=lambda s: s[1:])), tuple(shares),
        tuple(dict.fromkeys(made + tuple(w for v in near for w in v[1:]))), near)


def _near_misses(seqs: list[list[tuple[bool, str]]], who: list[Hashable], kept: set[str],
                 k: int, rng: np.random.Generator,
                 banned: frozenset[str] | Folded) -> tuple[tuple[str, ...], ...]:
    """Near misses of the kept content words, for a value to take in place of its own
    (`wordgen.variants`), learnt from all the column's words."""
    words = sorted({w.lower() for w in kept if w.isalpha() and not is_function(w)})
    if not words:
        return ()
    pairs = [(w.lower(), o) for seq, o in zip(seqs, who, strict=True) for _, w in seq
             if w.isalpha()]
    found = wordgen.variants(words, [w for w, _ in pairs], [o for _, o in pairs], k, banned,
                             rng)
    return tuple((w, *found[w]) for w in words if w in found)


def _made_up(seqs: list[list[tuple[bool, str]]], who: list[Hashable], kept: set[str], k: int,
             rng: np.random.Generator, banned: frozenset[str] | Folded) -> tuple[str, ...]:
    """Words in the style of the words slots stand for (those not kept), else of all."""
    pairs = [(w, o) for seq, o in zip(seqs, who, strict=True) for _, w in seq if w.isalpha()]
    rare = [(w, o) for w, o in pairs if w not in kept]
    use = rare if len(rare) >= MIN_RARE else pairs
    if not use:
        return ()
    source = [w.lower() for w, _ in use]
    # As many made-up words as the column has distinct words to stand for (at least a few
    # hundred, so a value's words rarely repeat).
    n = min(wordgen.POOL, max(300, len(set(source))))
    return wordgen.words(source, [o for _, o in use], k, banned, rng, n)


def public_words(locale: str) -> list[str]:
    """Faker's word list for the locale's language (English where it has none)."""
    import importlib

    for name in (locale, locale.split("_")[0], "en_US"):
        try:
            module = importlib.import_module(f"faker.providers.lorem.{name}")
        except ImportError:
            continue
        found = getattr(module.Provider, "word_list", None)
        if found:
            return [w for w in found if not is_function(w)]
    return []
