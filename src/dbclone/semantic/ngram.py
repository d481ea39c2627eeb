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
        the row: the report's detection reads text as its length)."""
        counts = np.asarray([c for _, c, _ in self.templates], dtype=float)
        p = counts / counts.sum()
        own = [w for w, _ in self.kept if not _is_function(w)]
        own_p = np.asarray([c for w, c in self.kept if not _is_function(w)], dtype=float)
        out = []
        for i in range(n):
            draws = [self._one(int(rng.choice(len(p), p=p)), rng, own, own_p)
                     for _ in range(tries if lengths is not None else 1)]
            if lengths is None:
                out.append(draws[0])
                continue
            want = int(lengths[i])
            best = min(draws, key=lambda d: abs(len(d) - want))
            out.append(self._to_length(best, want, rng, own))
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

    def _one(self, t: int, rng: np.random.Generator, own: list[str],
             own_p: np.ndarray) -> str:
        template, _, own_ok = self.templates[t]
        out = []
        for w in template:
            if not _is_slot(w):
                out.append(w)
                continue
            if w[0] == DIGITS:
                out.append("".join(str(int(d)) for d in rng.integers(0, 10, int(w[1:]))))
                continue
            use_own = own_ok and own and (not self.public or rng.random() < OWN_SHARE)
            if use_own:
                word = own[int(rng.choice(len(own), p=own_p / own_p.sum()))]
            elif self.public:
                word = self.public[int(rng.integers(0, len(self.public)))]
            else:
                word = "x"
            out.append(_cased(word, w))
        return join(out)


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
