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
to JSON.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dbclone.semantic import wordgen
from dbclone.semantic.reference import Folded, fold, keys

#: Slots: forms a token rarer than k owners keeps. No token can be one (a punctuation token
#: is one character, a word has no "<").
UPPER, LOWER, CAPS, DIGITS = "<Aa>", "<a>", "<AA>", "<9:"
START, END = "<s>", "</s>"
#: Marks a token written with no space before it ("Vol" "+." -> "Vol.").
GLUE = "+"
#: Symbols of context the chain looks back on.
ORDER = 2
#: Longest value in tokens.
LONGEST = 60
#: Contexts of a size are found by a table of every possible key up to this many keys (4 MB
#: of int32), by binary search beyond.
TABLE_KEYS = 1 << 20
#: Fewest rare word tokens to learn made-up words from; below it all the column's words.
MIN_RARE = 200
#: Rows whose draws are made at a time (with 8 tries of up to 60 symbols each, a few tens
#: of MB of arrays at most).
BLOCK_ROWS = 4096
_TOKEN = re.compile(r"[^\W\d_]+|\d+|[^\w\s]|_")
_WORDS = re.compile(r"[^\W\d_]+")


def tokens(value: str) -> list[tuple[bool, str]]:
    """(glued to the token before, token) for each token of the value."""
    text = str(value)
    return [(m.start() > 0 and not text[m.start() - 1].isspace(), m.group())
            for m in _TOKEN.finditer(text)]


def words_of(values: Sequence[str]) -> frozenset[str]:
    """Every word of the values, folded (`reference.fold`), read in one pass."""
    return frozenset(fold(w) for w in set(_WORDS.findall("\n".join(map(str, values)))))


def _slot(token: str) -> str:
    if token.isdigit():
        return f"{DIGITS}{len(token)}>"
    if not token[:1].isalpha():
        return ""  # a rare punctuation mark: left out
    if len(token) > 1 and token.isupper():
        return CAPS
    return UPPER if token[:1].isupper() else LOWER


def is_slot(symbol: str) -> bool:
    return symbol.lstrip(GLUE)[:1] == "<" and len(symbol.lstrip(GLUE)) > 1


def _bare(symbol: str) -> tuple[bool, str]:
    """(glued, symbol without its glue mark)."""
    if len(symbol) > 1 and symbol[0] == GLUE:
        return True, symbol[1:]
    return False, symbol


def _symbols(seq: list[tuple[bool, str]], kept: set[str]) -> list[str]:
    out: list[str] = []
    for glued, tok in seq:
        sym = tok if tok in kept else _slot(tok)
        if sym:
            out.append(GLUE + sym if glued and out else sym)
    return out


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
        as its length). A cut that drops the value's first made-up word (`_Chain.sizes`)
        makes a word of what is left up (`_Chain.renewed`), so no value is a source value;
        values are last checked against the column's source values where this process
        fitted it (`remember`). The draws advance together, a step of all of them per NumPy
        call (`_Chain`); only the draws taken are joined into strings."""
        if n <= 0:
            return []
        if n > BLOCK_ROWS:  # the draws of a block at a time: memory stays a block's
            return [v for lo in range(0, n, BLOCK_ROWS) for v in self.sample(
                min(BLOCK_ROWS, n - lo), rng,
                None if lengths is None else np.asarray(lengths)[lo:lo + BLOCK_ROWS], tries)]
        chain = _chain_of(self)
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
    while head and _is_function(last):
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
#: Columns whose source values this process holds for the last check (`remember`).
REMEMBERED = 256
_SOURCES: dict[int, Folded] = {}


def remember(phrases: Phrases, values: Sequence[str]) -> None:
    """Keep the column's source values (as `Folded`: hashes salted per process, never the
    strings) for this process's samples of `phrases` to be checked against; nothing of them
    reaches the model file. A model read from a file in another process has none: its
    values rest on the made-up word each one keeps."""
    _SOURCES[_content(phrases)] = Folded(keys([str(v) for v in values]))
    while len(_SOURCES) > REMEMBERED:
        del _SOURCES[next(iter(_SOURCES))]


def _content(phrases: Phrases) -> int:
    """A fitted chain known by its content (a model read back from JSON is the same one)."""
    return hash((phrases.steps, phrases.shares, phrases.public, phrases.variants))


_CHAINS: dict[int, _Chain] = {}


def _chain_of(phrases: Phrases) -> _Chain:
    """The chain of a model, built once per model (a sample is drawn chunk by chunk, each
    chunk from a new `Phrases` of the same model: known by its steps, the same tuple)."""
    found = _CHAINS.get(id(phrases.steps))
    if found is None or found.phrases.steps is not phrases.steps or \
            found.phrases.shares is not phrases.shares or \
            found.phrases.public is not phrases.public or \
            found.phrases.variants is not phrases.variants:
        found = _CHAINS[id(phrases.steps)] = _Chain(phrases)
    return found


class _Chain:
    """A fitted chain as arrays. Symbols are numbered (0 the start, 1 the end); per context
    size (ORDER down to 0) the contexts' keys sorted, the share of draws that stay at each,
    and their next symbols with cumulative shares offset by the context's position; the
    sizes folded into one alias table per state (`_states`), which the draws step by."""

    def __init__(self, phrases: Phrases) -> None:
        self.phrases = phrases
        self.symbols: list[str] = [START, END]
        self.ids = {START: 0, END: 1}
        steps = [(int(count), self._number(nxt), [self._number(c) for c in ctx])
                 for count, nxt, *ctx in phrases.steps]
        for form in (UPPER, LOWER, CAPS):  # a kept word may be turned into its slot
            self._number(form)
            self._number(GLUE + form)
        self.base = len(self.symbols)
        nexts: list[dict[int, list[tuple[int, int]]]] = [defaultdict(list)
                                                        for _ in range(ORDER + 1)]
        for count, nxt, ctx in steps:
            nexts[len(ctx)][self._key(ctx)].append((nxt, count))
        shares = {(len(ctx), self._key([self._number(c) for c in ctx])): float(share)
                  for share, *ctx in phrases.shares}
        self.levels = [self._level(nexts[size], shares, size) for size in range(ORDER + 1)]
        self.tables = [self._table(self.levels[size][0], self.base ** size)
                       for size in range(ORDER + 1)]
        self._states()
        self.words = tuple(phrases.public) or ("x",)
        self.source = _SOURCES.get(_content(phrases))
        self._variants(phrases.variants)
        self._classes()

    def _variants(self, stored: tuple[tuple[Any, ...], ...]) -> None:
        """as_variant: per symbol, the symbols of its word's near misses (-1 past them),
        written in the word's case and with its glue; is_variant: the near misses."""
        found = {str(v[0]): v[1:] for v in stored}
        rows: list[list[int]] = []
        for sym in list(self.symbols):
            glued, bare = _bare(sym)
            near = found.get(bare.lower(), ()) if bare[:1].isalpha() else ()
            if near and not (bare.islower() or bare.isupper() or bare.istitle()):
                near = ()  # a word of mixed case (McCartney) has no case to write them in
            form = _slot(bare) if near else ""
            rows.append([self._number((GLUE if glued else "") + _cased(str(w), form))
                         for w in near])
        width = max((len(r) for r in rows), default=0)
        self.as_variant = np.full((len(self.symbols), max(width, 1)), -1, dtype=np.int64)
        for i, r in enumerate(rows):
            self.as_variant[i, :len(r)] = r
        self.n_variants = np.zeros(len(self.symbols), dtype=np.int64)
        self.n_variants[:len(rows)] = [len(r) for r in rows]
        self.is_variant = np.zeros(len(self.symbols), dtype=bool)
        self.is_variant[self.as_variant[self.as_variant >= 0]] = True

    def _number(self, stored: str) -> int:
        sym = decode(stored)
        if sym not in self.ids:
            self.ids[sym] = len(self.symbols)
            self.symbols.append(sym)
        return self.ids[sym]

    def _key(self, ctx: Sequence[int]) -> int:
        key = 0
        for c in ctx:
            key = key * self.base + c
        return key

    @staticmethod
    def _level(found: dict[int, list[tuple[int, int]]], shares: dict[tuple[int, int], float],
               size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        keys = sorted(found)
        nxt: list[int] = []
        cum: list[float] = []
        start: list[int] = []
        for i, key in enumerate(keys):
            pairs = found[key]
            counts = np.asarray([c for _, c in pairs], dtype=float)
            start.append(len(nxt))
            nxt += [s for s, _ in pairs]
            cum += (i + np.cumsum(counts) / counts.sum()).tolist()
        stay = np.asarray([shares.get((size, k), 1.0) for k in keys])
        return (np.asarray(keys, dtype=np.int64), stay, np.asarray(nxt, dtype=np.int64),
                np.asarray(cum), np.asarray([*start, len(nxt)], dtype=np.int64))

    @staticmethod
    def _table(keys: np.ndarray, possible: int) -> np.ndarray | None:
        if possible > TABLE_KEYS:
            return None
        table = np.full(possible, -1, dtype=np.int32)
        table[keys] = np.arange(len(keys), dtype=np.int32)
        return table

    def _classes(self) -> None:
        """Per symbol: its text, whether glued, whether a word slot, a digit slot's width,
        its size in characters, and for a kept word the slot of its case."""
        pairs = [_bare(s) for s in self.symbols]
        self.glued = np.asarray([g for g, _ in pairs])
        self.bare = [b for _, b in pairs]
        self.word_slot = np.asarray([is_slot(b) and not b.startswith(DIGITS) for b in self.bare])
        self.digits = np.asarray([int(b[len(DIGITS):-1]) if b.startswith(DIGITS) else 0
                                  for b in self.bare])
        self.text_size = self.digits + np.asarray(
            [0 if is_slot(b) or i < 2 else len(b) for i, b in enumerate(self.bare)])
        word = [i >= 2 and b[:1].isalpha() for i, b in enumerate(self.bare)]
        self.as_slot = np.asarray([
            self.ids[(GLUE if g else "") + _slot(b)] if w else -1
            for (g, b), w in zip(pairs, word, strict=True)])
        self.content = np.asarray([w and not _is_function(b)
                                   for b, w in zip(self.bare, word, strict=True)])
        self.word_sizes = np.asarray([len(w) for w in self.words])
        self.texts = np.asarray(["" if is_slot(b) or i < 2 else b
                                 for i, b in enumerate(self.bare)], dtype=object)
        self.spaced_texts = np.asarray([" " + t for t in self.texts], dtype=object)
        forms = (UPPER, LOWER, CAPS)
        self.form = np.asarray([forms.index(b) if b in forms else -1 for b in self.bare])
        # each form's words as written, and with the space before them
        self.cased = {i: (np.asarray([_cased(w, f) for w in self.words], dtype=object),
                          np.asarray([" " + _cased(w, f) for w in self.words], dtype=object))
                      for i, f in enumerate(forms)}
        # the column's kept numbers by width, with their counts (steps with no context)
        numbers: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for count, nxt, *ctx in self.phrases.steps:
            number = _bare(decode(str(nxt)))[1]
            if not ctx and number.isdigit() and number.isascii():
                numbers[len(number)].append((number, int(count)))
        self.numbers = {w: (np.asarray([t for t, _ in found], dtype=object),
                            np.cumsum([c for _, c in found], dtype=float))
                        for w, found in numbers.items()}
        by_size: dict[int, list[str]] = defaultdict(list)
        for w in self.words:
            by_size[len(w)].append(w)
        self.by_size = {size: tuple(found) for size, found in by_size.items()}

    def _states(self) -> None:
        """The back-off folded into one choice per step. A state is a draw's last two
        symbols: a kept context of two (its own state), else the last symbol alone (one
        state per symbol). A state's entries are its kept steps (each with the share of
        draws that stay at the context times its own share), then the steps of the shorter
        context in the share left, and last an entry -1 holding the share that falls back to
        no context at all (`s_zero`): the same shares as stepping down the contexts one at a
        time, drawn with one number per step. Each state's entries are an alias table
        (`_alias`), so one draw and two lookups give every draw's next symbol. (Written for
        contexts of ORDER = 2 symbols.)"""
        keys2, stay2, nxt2, cum2, start2 = self.levels[2]
        keys1, stay1, nxt1, cum1, start1 = self.levels[1]
        ones = {int(k): i for i, k in enumerate(keys1)}

        def shares(cum: np.ndarray, start: np.ndarray, i: int) -> np.ndarray:
            c = cum[start[i]:start[i + 1]] - i
            return np.diff(np.concatenate([[0.0], c]))

        def shorter(b: int, left: float) -> tuple[list[int], list[float]]:
            i = ones.get(b)
            if i is None:
                return [-1], [left]
            p = shares(cum1, start1, i) * left * stay1[i]
            return [*nxt1[start1[i]:start1[i + 1]].tolist(), -1], \
                [*p.tolist(), left * (1.0 - stay1[i])]

        nxt: list[int] = []
        share: list[float] = []
        other: list[int] = []
        first: list[int] = []
        for s in range(len(keys2) + self.base):
            if s < len(keys2):
                p = shares(cum2, start2, s) * stay2[s]
                syms, ps = shorter(int(keys2[s]) % self.base, 1.0 - stay2[s])
                syms, ps = [*nxt2[start2[s]:start2[s + 1]].tolist(), *syms], [*p.tolist(), *ps]
            else:
                syms, ps = shorter(s - len(keys2), 1.0)
            keep = [j for j, q in enumerate(ps) if q > 0] or [len(ps) - 1]
            first.append(len(nxt))
            cut, alias = _alias([ps[j] for j in keep])
            nxt += [syms[j] for j in keep]
            share += cut
            other += [first[-1] + a for a in alias]
        self.s_next = np.asarray(nxt, dtype=np.int64)
        self.s_share = np.asarray(share)
        self.s_other = np.asarray(other, dtype=np.int64)
        self.s_first = np.asarray(first, dtype=np.int64)
        self.s_last = np.asarray([*first[1:], len(nxt)], dtype=np.int64) - 1
        self.s_size = (self.s_last + 1 - self.s_first).astype(float)
        # every possible key's state, where there are few enough keys
        keys = np.arange(self.base ** 2 if self.base ** 2 <= TABLE_KEYS else 0)
        found = self._find(2, keys) if len(keys) else keys
        self.s_table = np.where(found >= 0, found, len(keys2) + keys % self.base) \
            .astype(np.int32)
        self.s_keys = keys2
        level0 = self.levels[0]
        self.s_zero = (level0[2], level0[3]) if len(level0[0]) else None

    def _state(self, key: np.ndarray) -> np.ndarray:
        """Each draw's state from its last two symbols (`key`)."""
        if len(self.s_table):
            return self.s_table[key]
        pos = self._find(2, key)
        return np.where(pos >= 0, pos, len(self.s_keys) + key % self.base)

    def draw(self, m: int, rng: np.random.Generator) -> _Drawn:
        """m sequences of symbol ids, each with a word slot. The draws advance a step at a
        time; only those still going are carried (their last two symbols as one key), and
        each step's symbols are written once, row after row, at the end."""
        key = np.zeros(m, dtype=np.int64)  # START, START
        going = np.arange(m, dtype=np.int32)
        steps: list[tuple[np.ndarray, np.ndarray]] = []
        for _ in range(LONGEST):
            if not len(going):
                break
            nxt = self._next(key, rng)
            on = nxt != 1
            going, nxt = going[on], nxt[on]
            key = key[on] % self.base * self.base + nxt
            steps.append((going, nxt))
        lengths = np.zeros(m, dtype=np.int64)
        for i, (rows, _) in enumerate(steps):  # each step's rows are a subset of the last's
            lengths[rows] = i + 1
        drawn = _Drawn(lengths, np.empty(int(lengths.sum()), dtype=np.int64))
        for i, (rows, nxt) in enumerate(steps):
            drawn.vals[drawn.starts[rows] + i] = nxt
        return self._with_word_slot(drawn, rng)

    def _next(self, key: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The next symbol of each draw, from its state's alias table: one uniform number
        picks an entry (its whole part) and whether the entry or its alias is taken (the
        rest); the few draws that fall back to no context draw again from that."""
        state = self._state(key)
        x = rng.random(len(key)) * self.s_size[state]
        whole = x.astype(np.int64)
        at = np.minimum(self.s_first[state] + whole, self.s_last[state])
        at = np.where(x - whole < self.s_share[at], at, self.s_other[at])
        out = self.s_next[at]
        back = np.flatnonzero(out < 0)
        if len(back):
            if self.s_zero is None:
                out[back] = 1
            else:
                nxt0, cum0 = self.s_zero
                found = np.searchsorted(cum0, rng.random(len(back)), side="right")
                out[back] = nxt0[np.minimum(found, len(nxt0) - 1)]
        return out

    def _find(self, size: int, key: np.ndarray) -> np.ndarray:
        """Each key's position among the contexts of that size, -1 where none: by a table
        of every possible key when there are few enough of them, else by binary search."""
        table = self.tables[size]
        if table is not None:
            return table[key]
        level = self.levels[size][0]
        pos = np.minimum(np.searchsorted(level, key), len(level) - 1)
        return np.where(level[pos] == key, pos, -1)

    def _with_word_slot(self, drawn: _Drawn, rng: np.random.Generator) -> _Drawn:
        """Where a sequence has no word slot, one of its words is replaced so that the value
        holds a word the source never has and is no source value: the last word with near
        misses (`wordgen.variants`) by one of them, else its last word (not a short
        function word, if it has one) by a slot of its form (a made-up word); a sequence
        without any word becomes one capitalised word slot."""
        rows, cols, vals = drawn.rows, drawn.cols, drawn.vals
        m = len(drawn.lengths)
        lacking = np.bincount(rows, weights=self.word_slot[vals], minlength=m) == 0
        pick = np.flatnonzero(lacking[rows] & (self.as_slot[vals] >= 0))
        # the last word of each lacking row, one with near misses or else a content word
        # where there is one: rank those above every other word, then take each row's
        # highest (last) rank
        rank = cols[pick] + 1 + LONGEST * (self.content[vals[pick]]
                                           + 2 * (self.n_variants[vals[pick]] > 0))
        best = np.zeros(m, dtype=np.int64)
        np.maximum.at(best, rows[pick], rank)
        where = np.flatnonzero(lacking & (best > 0))
        at = drawn.starts[where] + (best[where] - 1) % LONGEST
        old = vals[at]
        near = self.n_variants[old]
        choice = (rng.random(len(old)) * np.maximum(near, 1)).astype(np.int64)
        vals[at] = np.where(near > 0, self.as_variant[old, choice], self.as_slot[old])
        bare = lacking & (best == 0)
        if not bare.any():
            return drawn
        lengths = np.where(bare, 1, drawn.lengths)
        out = _Drawn(lengths, np.empty(int(lengths.sum()), dtype=np.int64))
        keep = ~bare[rows]
        out.vals[out.starts[rows[keep]] + cols[keep]] = vals[keep]
        out.vals[out.starts[bare]] = self.ids[UPPER]
        return out

    def draw_words(self, drawn: _Drawn, rng: np.random.Generator) -> np.ndarray:
        """A word for each symbol (used where it is a word slot), one draw of them all."""
        return rng.integers(0, len(self.words), len(drawn.vals), dtype=np.int32)

    def sizes(self, drawn: _Drawn, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each sequence's length in characters with the drawn words (one per symbol) in its
        word slots, and the length of its shortest start that holds a whole made-up word
        (through its first word slot or near miss; every sequence has one,
        `_with_word_slot`)."""
        rows, cols, vals = drawn.rows, drawn.cols, drawn.vals
        chars = np.where(self.word_slot[vals], self.word_sizes[words],
                         self.text_size[vals]) + (~self.glued[vals] & (cols > 0))
        slot = self.word_slot[vals] | self.is_variant[vals]
        m = len(drawn.lengths)
        size = np.bincount(rows, weights=chars, minlength=m).astype(np.int64)
        total = np.cumsum(chars)
        slots = np.flatnonzero(slot)
        # each row's first slot: where the row number changes along the slots
        first = slots[np.flatnonzero(np.diff(rows[slots], prepend=-1))]
        floor = size.copy()
        at = rows[first]
        start = drawn.starts[at]
        floor[at] = total[first] - total[start] + chars[start]
        return size, floor

    def checked(self, out: list[str]) -> list[str]:
        """The values, each that equals a source value of the column (where this process
        fitted it: `remember`) renewed (`renewed`): a last check, as every value keeps a
        made-up word, but a made-up word cut short by the column's length could make one."""
        if self.source is None or not out:
            return out
        for _ in range(3):
            hits = np.flatnonzero(self.source.holds(out)).tolist()
            for i in hits:
                out[i] = self.renewed(out[i], i)
            if not hits:
                break
        return out

    def renewed(self, value: str, i: int) -> str:
        """The value with its last word of three letters or more (else its last word) made
        up (a made-up word of its length where there is one, in its case, one of them by
        the row `i`), or with a made-up word added where it has no word."""
        found = _WORDS.findall(value)
        long = [w for w in found if len(w) >= 3]
        old = (long or found)[-1] if found else ""
        pool = self.by_size.get(len(old), self.words)
        word = _cased(pool[(i * 40503 + len(value)) % len(pool)],
                      CAPS if len(old) > 1 and old.isupper() else
                      UPPER if old[:1].isupper() else LOWER)
        if not old:
            return f"{value} {word}".strip()
        # the last run of these letters is the word (any later run is shorter)
        at = value.rfind(old)
        return value[:at] + word + value[at + len(old):]

    def _numbers(self, widths: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Numbers for digit slots of these widths: the column's kept numbers of the width
        in their shares (a year for a year, a round 500 for a round 250), else digits drawn
        one by one (no number of that width is held by k owners)."""
        out = np.empty(len(widths), dtype=object)
        for width in np.unique(widths).tolist():
            at = np.flatnonzero(widths == width)
            found = self.numbers.get(int(width))
            if found is not None:
                texts, cum = found
                out[at] = texts[np.searchsorted(cum, rng.random(len(at)) * cum[-1],
                                                side="right").clip(0, len(texts) - 1)]
                continue
            digits = rng.integers(0, 10, (len(at), int(width))).astype(str)
            out[at] = ["".join(row) for row in digits.tolist()]
        return out

    def join(self, drawn: _Drawn, words: np.ndarray, rng: np.random.Generator) -> list[str]:
        """The sequences as strings: every token's text at once (kept tokens as written,
        word slots the drawn words in the slot's case, digit slots drawn digits, a space
        before each token not glued), then each row's tokens joined."""
        cols, vals = drawn.cols, drawn.vals
        spaced = ~self.glued[vals] & (cols > 0)
        text = np.where(spaced, self.spaced_texts[vals], self.texts[vals])
        form = self.form[vals]
        for f, (cased, spaced_cased) in self.cased.items():
            at = np.flatnonzero(form == f)
            picked = words[at]
            text[at] = np.where(spaced[at], spaced_cased[picked], cased[picked])
        at = np.flatnonzero(self.digits[vals])
        if len(at):
            numbers = self._numbers(self.digits[vals[at]], rng)
            text[at] = np.where(spaced[at], " " + numbers.astype(str), numbers)
        parts = text.tolist()
        ends = np.cumsum(drawn.lengths).tolist()
        return ["".join(parts[a:b]) for a, b in zip(drawn.starts.tolist(), ends, strict=True)]


class _Drawn:
    """Drawn sequences, ragged: each row's symbol ids one after another (`vals`), with the
    rows' `lengths`. `rows`, `cols`: each symbol's row and place in it."""

    def __init__(self, lengths: np.ndarray, vals: np.ndarray) -> None:
        self.lengths, self.vals = lengths, vals
        ends = np.cumsum(lengths)
        self.starts = ends - lengths
        # a row's number steps up at each row's first symbol (rows without any skipped)
        self.rows = np.cumsum(np.bincount(ends[:-1], minlength=len(vals))[:len(vals)])
        self.cols = np.arange(len(vals)) - self.starts[self.rows]

    def take(self, picked: np.ndarray) -> tuple[_Drawn, np.ndarray]:
        """The rows `picked`, in that order, and where their symbols were."""
        lengths = self.lengths[picked]
        offsets = np.cumsum(lengths) - lengths
        at = np.repeat(self.starts[picked] - offsets, lengths) + np.arange(int(lengths.sum()))
        return _Drawn(lengths, self.vals[at]), at


def _alias(shares: list[float]) -> tuple[list[float], list[int]]:
    """Walker's alias table of the shares: entry i is kept with probability cut[i], else
    gives way to alias[i]; each entry then comes out in its share, with one uniform draw."""
    n = len(shares)
    total = sum(shares)
    scaled = [q * n / total for q in shares]
    cut, alias = [1.0] * n, list(range(n))
    small = [i for i, q in enumerate(scaled) if q < 1.0]
    large = [i for i, q in enumerate(scaled) if q >= 1.0]
    while small and large:
        lo, hi = small.pop(), large[-1]
        cut[lo], alias[lo] = scaled[lo], hi
        scaled[hi] -= 1.0 - scaled[lo]
        if scaled[hi] < 1.0:
            small.append(large.pop())
    return cut, alias


def _cased(word: str, slot: str) -> str:
    if slot == CAPS:
        return word.upper()
    return word[:1].upper() + word[1:] if slot == UPPER else word.lower()


#: Short words a value's own word is never replaced by a slot in preference to.
_FUNCTION = frozenset((
    "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "with", "by", "from",
    "de", "la", "le", "el", "och", "i", "på", "av", "med", "till", "för", "en", "ett", "det",
    "som"))


def _is_function(word: str) -> bool:
    return word.lower() in _FUNCTION or len(word) < 2


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
        padded = (START,) * ORDER + tuple(_symbols(seq, kept)) + (END,)
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
    words = sorted({w.lower() for w in kept if w.isalpha() and not _is_function(w)})
    if not words:
        return ()
    pairs = [(w.lower(), o) for seq, o in zip(seqs, who, strict=True) for _, w in seq
             if w.isalpha()]
    found = wordgen.variants(words, [w for w, _ in pairs], [o for _, o in pairs], k, banned,
                             rng)
    return tuple((w, *found[w]) for w in words if w in found)


def encode(symbol: str) -> str:
    """A symbol as the model file stores it: a word in one case lower-cased behind the slot
    of its case (``<Aa>queen``), so no stored string is a value as written."""
    glued, bare = _bare(symbol)
    if bare[:1].isalpha() and (bare.islower() or bare.isupper() or bare.istitle()):
        form = _slot(bare)
        if form != LOWER:
            bare = form + bare.lower()
    return (GLUE if glued else "") + bare


def decode(symbol: str) -> str:
    glued, bare = _bare(symbol)
    for form in (UPPER, CAPS):
        if bare.startswith(form) and len(bare) > len(form):
            bare = _cased(bare[len(form):], form)
    return (GLUE if glued else "") + bare


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
            return [w for w in found if not _is_function(w)]
    return []
