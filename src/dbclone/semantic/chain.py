"""A fitted token chain as arrays, and its draws: values of the symbols k owners' steps
take (`ngram.Phrases` holds them), many at a time, a step of all of them per NumPy call;
word slots filled with made-up words and near misses, cuts to a row's length that keep a
made-up word, and the last check against the source values this process fitted (`remember`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from dbclone.semantic.reference import Folded, keys
from dbclone.semantic.symbols import (
    CAPS,
    DIGITS,
    END,
    GLUE,
    LONGEST,
    LOWER,
    ORDER,
    START,
    TABLE_KEYS,
    UPPER,
    WORDS,
    decode,
    is_function,
    is_slot,
    recase,
    slot,
    split_glue,
)

if TYPE_CHECKING:
    from dbclone.semantic.ngram import Phrases

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


_CHAINS: dict[int, Chain] = {}


def chain_of(phrases: Phrases) -> Chain:
    """The chain of a model, built once per model (a sample is drawn chunk by chunk, each
    chunk from a new `Phrases` of the same model: known by its steps, the same tuple)."""
    found = _CHAINS.get(id(phrases.steps))
    if found is None or found.phrases.steps is not phrases.steps or \
            found.phrases.shares is not phrases.shares or \
            found.phrases.public is not phrases.public or \
            found.phrases.variants is not phrases.variants:
        found = _CHAINS[id(phrases.steps)] = Chain(phrases)
    return found


class Chain:
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
            glued, bare = split_glue(sym)
            near = found.get(bare.lower(), ()) if bare[:1].isalpha() else ()
            if near and not (bare.islower() or bare.isupper() or bare.istitle()):
                near = ()  # a word of mixed case (McCartney) has no case to write them in
            form = slot(bare) if near else ""
            rows.append([self._number((GLUE if glued else "") + recase(str(w), form))
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
        pairs = [split_glue(s) for s in self.symbols]
        self.glued = np.asarray([g for g, _ in pairs])
        self.bare = [b for _, b in pairs]
        self.word_slot = np.asarray([is_slot(b) and not b.startswith(DIGITS) for b in self.bare])
        self.digits = np.asarray([int(b[len(DIGITS):-1]) if b.startswith(DIGITS) else 0
                                  for b in self.bare])
        self.text_size = self.digits + np.asarray(
            [0 if is_slot(b) or i < 2 else len(b) for i, b in enumerate(self.bare)])
        word = [i >= 2 and b[:1].isalpha() for i, b in enumerate(self.bare)]
        self.as_slot = np.asarray([
            self.ids[(GLUE if g else "") + slot(b)] if w else -1
            for (g, b), w in zip(pairs, word, strict=True)])
        self.content = np.asarray([w and not is_function(b)
                                   for b, w in zip(self.bare, word, strict=True)])
        self.word_sizes = np.asarray([len(w) for w in self.words])
        self.texts = np.asarray(["" if is_slot(b) or i < 2 else b
                                 for i, b in enumerate(self.bare)], dtype=object)
        self.spaced_texts = np.asarray([" " + t for t in self.texts], dtype=object)
        forms = (UPPER, LOWER, CAPS)
        self.form = np.asarray([forms.index(b) if b in forms else -1 for b in self.bare])
        # each form's words as written, and with the space before them
        self.cased = {i: (np.asarray([recase(w, f) for w in self.words], dtype=object),
                          np.asarray([" " + recase(w, f) for w in self.words], dtype=object))
                      for i, f in enumerate(forms)}
        # the column's kept numbers by width, with their counts (steps with no context)
        numbers: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for count, nxt, *ctx in self.phrases.steps:
            number = split_glue(decode(str(nxt)))[1]
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
        found = WORDS.findall(value)
        long = [w for w in found if len(w) >= 3]
        old = (long or found)[-1] if found else ""
        pool = self.by_size.get(len(old), self.words)
        word = recase(pool[(i * 40503 + len(value)) % len(pool)],
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
