"""Names of things that read as real where no public list fits (album and product titles,
street names): the column's phrase templates, filled with words, under a privacy floor.

A word is kept when at least k distinct owners (rows, or the people the rows are about) use
it. A value's template is its words with every word not kept replaced by a slot that keeps
its letter case (``The Best Of *``, ``* *``, ``Live At *``); a template is kept when k owners
share it. Slots are filled with public words (Faker's word list for the locale) that the
source never uses, or with kept words where no source value held by fewer than k owners
could come out of that: a generated value is never a rare source value. The fitted state
(kept templates and words with counts) is statistics, serialisable to JSON.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np

#: A slot in a template: "*" for a capitalised word, "_" for a lower-case one, "#" for a
#: number (filled with digits of the same count), "^" for a word in capitals.
UPPER, LOWER, DIGITS, CAPS = "*", "_", "#", "^"
SLOTS = (UPPER, LOWER, DIGITS, CAPS)
#: Share of slots filled with the column's own kept words where both kinds are allowed.
OWN_SHARE = 0.8
#: Fewest kept templates for the model to be worth using.
MIN_TEMPLATES = 2
#: Words, and punctuation apart from them, so "(Live)" keeps its brackets as kept tokens.
_TOKEN = re.compile(r"\w+(?:['’.]\w+)*\.?|[^\w\s]")


def words(value: str) -> list[str]:
    return _TOKEN.findall(str(value))


def _slot(word: str) -> str:
    if word.isdigit():
        return DIGITS + str(len(word))
    if len(word) > 1 and word.isupper():
        return CAPS
    return UPPER if word[:1].isupper() else LOWER


def _is_slot(token: str) -> bool:
    # A digit slot carries its count ("#4"): a bare "#" is the source's own punctuation
    # ("Order # 12"; read as a slot of no length, sampling failed on AdventureWorks).
    if token[:1] == DIGITS:
        return token[1:].isdigit()
    return token in SLOTS


#: Punctuation written without a space before it, or after it.
_NO_SPACE_BEFORE = frozenset(")],.!?:;'’")
_NO_SPACE_AFTER = frozenset("([")


def join(tokens: list[str]) -> str:
    out = ""
    for i, t in enumerate(tokens):
        if i and t not in _NO_SPACE_BEFORE and tokens[i - 1] not in _NO_SPACE_AFTER:
            out += " "
        out += t
    return out


@dataclass(frozen=True)
class Phrases:
    """templates: (template words, count, whether its slots may take kept words);
    kept: kept words and counts; public: words from outside the source for slots."""

    templates: tuple[tuple[tuple[str, ...], int, bool], ...]
    kept: tuple[tuple[str, int], ...]
    public: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        return {"templates": [[list(t), c, own] for t, c, own in self.templates],
                "kept": [list(w) for w in self.kept], "public": list(self.public)}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Phrases:
        templates = tuple((tuple(str(w) for w in t), int(c), bool(own))
                          for t, c, own in data["templates"])  # type: ignore[attr-defined]
        kept = tuple((str(w), int(c)) for w, c in data["kept"])  # type: ignore[attr-defined]
        return cls(templates, kept, tuple(str(w) for w in data.get("public", ())))  # type: ignore[attr-defined]

    def sample(self, n: int, rng: np.random.Generator,
               lengths: np.ndarray | None = None, tries: int = 12) -> list[str]:
        """n values; with target `lengths`, each the closest in length of `tries` draws,
        then cut at a word or lengthened by a word towards it (a value's length is part of
        the row: the report's detection reads text as its length).

        Vectorised over the draws: per template, its slots' words are drawn for all its
        draws at once and the draws' lengths summed from the words' lengths, so only the
        chosen draw of each row is ever joined into a string (a loop per draw and slot
        generated 650 rows/s of TPC-H lineitem comments)."""
        if n <= 0:
            return []
        k = tries if lengths is not None else 1
        picks = _Picker.of([c for _, c, _ in self.templates]).draw((n, k), rng)
        words = _Words.of(self)
        size = np.zeros((n, k), dtype=np.int64)
        drawn: dict[int, tuple[np.ndarray, list[np.ndarray | int]]] = {}
        for t, at in _groups(picks.ravel()):
            slots, total = self._fill(t, len(at), rng, words)
            size.ravel()[at] = total
            drawn[t] = (at, slots)
        if lengths is None:
            best = np.arange(n) * k
        else:
            want = np.asarray(lengths, dtype=np.int64)[:n]
            # argmin takes the first of equally near draws, as min() over the draws did
            best = np.arange(n) * k + np.abs(size - want[:, None]).argmin(axis=1)
        out = np.empty(n, dtype=object)
        for t, rows in _groups(picks.ravel()[best]):
            at, slots = drawn[t]
            out[rows] = self._join(t, slots, np.searchsorted(at, best[rows]), words, rng)
        if lengths is None:
            return out.tolist()
        far = np.flatnonzero(np.abs(size.ravel()[best] - want) > 2)
        for i in far.tolist():
            out[i] = self._to_length(out[i], int(want[i]), rng, list(words.own_words))
        return out.tolist()

    def _fill(self, t: int, m: int, rng: np.random.Generator,
              words: _Words) -> tuple[list[np.ndarray | int], np.ndarray]:
        """Words for `m` draws of template `t`: per slot, the drawn words' positions in
        `words` (a digit slot: its digit count, drawn when joined), and each draw's
        length."""
        template, _, own_ok = self.templates[t]
        total = np.full(m, sum(len(s) for s in _segments(template)), dtype=np.int64)
        slots: list[np.ndarray | int] = []
        for w in template:
            if not _is_slot(w):
                continue
            if w[0] == DIGITS:
                slots.append(int(w[1:]))
                total += int(w[1:])
                continue
            chosen = words.draw(m, own_ok, rng)
            slots.append(chosen)
            total += words.sizes[w][chosen]
        return slots, total

    def _join(self, t: int, slots: list[np.ndarray | int], which: np.ndarray,
              words: _Words, rng: np.random.Generator) -> np.ndarray:
        """The draws `which` of template `t` as strings: literal segments and slot words
        concatenated column-wise (object arrays add element by element in C)."""
        template = self.templates[t][0]
        segments = _segments(template)
        cases = [w for w in template if _is_slot(w)]
        out = np.full(len(which), segments[0], dtype=object)
        for slot, case, segment in zip(slots, cases, segments[1:], strict=True):
            if isinstance(slot, int):
                out = out + np.asarray(_digits(slot, len(which), rng), dtype=object)
            else:
                out = out + words.cased[case][slot[which]]
            if segment:
                out = out + segment
        return out

    def _to_length(self, value: str, want: int, rng: np.random.Generator,
                   own: list[str]) -> str:
        words = (self.public or tuple(own)) if own or self.public else ()
        while words and len(value) < want - 2:
            word = words[int(rng.integers(0, len(words)))]
            value = f"{value} {word[:1].upper() + word[1:] if value[:1].isupper() else word}"
        if len(value) > want + 2 and " " in value[:want + 1]:
            value = value[:want + 1].rsplit(" ", 1)[0].rstrip(" ,:;-(&/")
        return value


def _groups(values: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """Each distinct value with its positions in `values` (ascending), by one sort."""
    small = values.astype(np.int16) if len(values) and values.max() < 2 ** 15 else values
    order = np.argsort(small, kind="stable")  # a radix sort for 16 bits
    cuts = np.flatnonzero(np.diff(values[order])) + 1
    return [(int(values[part[0]]), part) for part in np.split(order, cuts)]


@dataclass(frozen=True)
class _Picker:
    """Draws indices in proportion to integer counts: a gather from every index repeated by
    its count (exact, one integer per draw), or by cumulative shares where the counts sum
    past TABLE_MAX."""

    table: np.ndarray | None
    cumulative: np.ndarray

    TABLE_MAX = 1 << 22

    @classmethod
    def of(cls, counts: Sequence[int]) -> _Picker:
        c = np.maximum(np.asarray(counts, dtype=np.int64), 0)
        total = int(c.sum())
        table = np.repeat(np.arange(len(c), dtype=np.int32), c) if 0 < total <= cls.TABLE_MAX \
            else None
        return cls(table, np.cumsum(c / max(total, 1)))

    def draw(self, size: int | tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        if self.table is not None:
            return self.table[rng.integers(0, len(self.table), size)]
        at = np.searchsorted(self.cumulative, rng.random(size), side="right")
        return np.minimum(at, len(self.cumulative) - 1)


def _segments(template: tuple[str, ...]) -> list[str]:
    """The template's literal text between its slots, spaces as `join` writes them: a slot
    word is never punctuation, so where spaces go depends on the template alone."""
    out = [""]
    for i, t in enumerate(template):
        if i and t not in _NO_SPACE_BEFORE and template[i - 1] not in _NO_SPACE_AFTER:
            out[-1] += " "
        if _is_slot(t):
            out.append("")
        else:
            out[-1] += t
    return out


def _digits(count: int, m: int, rng: np.random.Generator) -> list[str]:
    """m strings of `count` uniform digits each."""
    if count <= 18:
        return [f"{v:0{count}d}" for v in rng.integers(0, 10 ** count, m).tolist()]
    parts = rng.integers(0, 10, (m, count)).astype(str)
    return ["".join(r) for r in parts.tolist()]


@dataclass(frozen=True)
class _Words:
    """A model's slot words: per word slot, the column's own kept words (function words
    apart) then the public words, in the slot's letter case, with their lengths; draws are
    positions in those arrays, so a draw's length is a gather and only chosen draws become
    strings."""

    own_words: tuple[str, ...]  # at positions [0, len(own_words)), public ones after
    public: int  # 0: no public words ("x" stands in)
    own_picker: _Picker
    cased: dict[str, np.ndarray]
    sizes: dict[str, np.ndarray]

    @classmethod
    def of(cls, phrases: Phrases) -> _Words:
        kept = [(w, c) for w, c in phrases.kept if not _is_function(w)]
        words = [w for w, _ in kept] + (list(phrases.public) or ["x"])
        cased = {slot: np.asarray([_cased(w, slot) for w in words], dtype=object)
                 for slot in (UPPER, LOWER, CAPS)}
        sizes = {slot: np.asarray([len(w) for w in v], dtype=np.int64)
                 for slot, v in cased.items()}
        return cls(tuple(w for w, _ in kept), len(phrases.public),
                   _Picker.of([c for _, c in kept]), cased, sizes)

    def draw(self, m: int, own_ok: bool, rng: np.random.Generator) -> np.ndarray:
        """m words' positions for a word slot: the column's own words where the template
        allows them (OWN_SHARE of them when public words exist too), else public words."""
        public = len(self.own_words) + (rng.integers(0, self.public, m) if self.public else
                             np.zeros(m, dtype=np.int64))
        if not (own_ok and self.own_words):
            return public
        own = self.own_picker.draw(m, rng)
        if not self.public:
            return own
        return np.where(rng.random(m) < OWN_SHARE, own, public)


def _cased(word: str, slot: str) -> str:
    if slot == CAPS:
        return word.upper()
    return word[:1].upper() + word[1:] if slot == UPPER else word.lower()


#: Short words that fill no slot by themselves (a title of "The The" reads as a glitch).
_FUNCTION = frozenset((
    "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "with", "by", "from",
    "de", "la", "le", "el", "och", "i", "på", "av", "med", "till", "för", "en", "ett", "det",
    "som"))


def _is_function(word: str) -> bool:
    return word.lower() in _FUNCTION or len(word) < 2


def fit(values: Sequence[str], k: int, owners: Sequence[Hashable] | None = None,
        public: Sequence[str] = ()) -> Phrases | None:
    """The values' kept templates and words; None when fewer than MIN_TEMPLATES survive."""
    who = list(owners) if owners is not None else list(range(len(values)))
    tokens = [words(v) for v in values]
    word_owners: dict[str, set[Hashable]] = defaultdict(set)
    value_owners: dict[tuple[str, ...], set[Hashable]] = defaultdict(set)
    for seq, owner in zip(tokens, who, strict=True):
        value_owners[tuple(seq)].add(owner)
        for w in seq:
            word_owners[w].add(owner)
    kept_words = {w for w, held in word_owners.items() if len(held) >= k}
    # Each value's templates from the most literal to the barest: its kept words, the same
    # with its last word drawn, only its short function words and punctuation, its letter
    # cases alone. A value counts towards the first of them that k owners share and that
    # draws a word at least (a template of kept words alone would be a whole source value).
    levels = [[_template(seq, kept_words, level) for seq in tokens] for level in range(4)]
    held_by: dict[tuple[str, ...], set[Hashable]] = defaultdict(set)
    for level in levels:
        for t, owner in zip(level, who, strict=True):
            held_by[t].add(owner)
    template_rows: dict[tuple[str, ...], int] = defaultdict(int)
    for i in range(len(tokens)):
        first = next((lv[i] for lv in levels if len(held_by[lv[i]]) >= k
                      and any(_is_slot(w) for w in lv[i])), None)
        if first:
            template_rows[first] += 1
    template_owners = {t: held_by[t] for t in template_rows}
    templates = [t for t, held in template_owners.items() if len(held) >= k and t]
    if len(templates) < MIN_TEMPLATES:
        return None
    # Rare source values made of kept words alone: a template whose slots could spell one
    # of them takes public words only.
    seen = {w.lower() for w in word_owners}
    counts: dict[str, int] = defaultdict(int)
    for seq in tokens:
        for w in seq:
            if w in kept_words and w[:1].isalpha():
                counts[w.lower()] += 1
    # A rare source value a template could spell: through digit slots alone the template is
    # dropped; through the column's own words too, its slots take public words only.
    rare: dict[int, list[tuple[str, ...]]] = defaultdict(list)
    for value, held in value_owners.items():
        if len(held) < k and value:
            rare[len(value)].append(value)
    kept_templates = []
    # Rare values indexed by their words at a template's literal positions: only those can
    # be spelt by it (a template's literals must match exactly).
    index: dict[tuple[int, tuple[int, ...]], dict[tuple[str, ...], list[tuple[str, ...]]]] = {}
    for t in sorted(templates):
        at = tuple(i for i, w in enumerate(t) if not _is_slot(w))
        key = (len(t), at)
        if key not in index:
            by: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
            for r in rare.get(len(t), ()):
                by[tuple(r[i] for i in at)].append(r)
            index[key] = by
        near = index[key].get(tuple(t[i] for i in at), [])
        reach = [_reach(t, r, counts) for r in near]
        if "digits" in reach:
            continue
        kept_templates.append((t, template_rows[t], "own" not in reach))
    if len(kept_templates) < MIN_TEMPLATES:
        return None
    return Phrases(
        tuple(kept_templates), tuple(sorted(counts.items())),
        tuple(w for w in dict.fromkeys(public) if w.lower() not in seen and len(w) > 2))


def _reach(template: tuple[str, ...], value: tuple[str, ...], own: dict[str, int]) -> str:
    """How the template could spell the value: "" not at all, "digits" with digit slots
    alone, "own" only with the column's own words in its word slots."""
    needs_own = False
    for t, v in zip(template, value, strict=True):
        if not _is_slot(t):
            if t != v:
                return ""
        elif _slot(v) != t:
            return ""
        elif t[0] != DIGITS:
            if v.lower() not in own:
                return ""  # a word only public words could give, and they are never the source's
            needs_own = True
    return "own" if needs_own else "digits"


def _template(seq: list[str], kept: set[str], level: int) -> tuple[str, ...]:
    if level == 0:
        return tuple(w if w in kept else _slot(w) for w in seq)
    if level == 1:  # the last word drawn: "Greatest Hits *" from "Greatest Hits Love"
        last = max((i for i, w in enumerate(seq) if w[:1].isalnum()), default=-1)
        return tuple(_slot(w) if i == last or w not in kept else w for i, w in enumerate(seq))
    if level == 2:
        return tuple(w if w in kept and (_is_function(w) or not w[:1].isalnum()) else _slot(w)
                     for w in seq)
    return tuple(w if not w[:1].isalnum() and w in kept else _slot(w) for w in seq)


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
