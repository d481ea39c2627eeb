"""Strings that match a pattern: regular expressions (PostgreSQL ``~``, MySQL ``REGEXP``), SQLite
``GLOB`` and SQL ``LIKE`` — for CHECK constraints that demand a format (postcodes, case
numbers, codes). Generation walks Python's own regex parse tree; unbounded repeats are capped.
"""

from __future__ import annotations

import re
import string

# Python 3.11+: the regex parser the re module itself uses.
from re import _constants as sre_c  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import numpy as np

_MAX_REPEAT = 8
_CATEGORIES = {
    sre_c.CATEGORY_DIGIT: string.digits,
    sre_c.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    sre_c.CATEGORY_SPACE: " ",
}
_PRINTABLE = string.ascii_letters + string.digits


class Pattern:
    """A compiled matcher and generator for one pattern."""

    def __init__(self, regex: str) -> None:
        self.regex = regex
        self.compiled = re.compile(regex)
        self.tree = sre_parse.parse(regex)

    def matches(self, value: str) -> bool:
        return self.compiled.search(value) is not None

    def generate(self, rng: np.random.Generator) -> str:
        return "".join(_emit(self.tree, rng))


def from_glob(glob: str) -> Pattern:
    out = ["^"]
    i = 0
    while i < len(glob):
        ch = glob[i]
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[":
            j = glob.index("]", i + 1)
            body = glob[i + 1:j]
            out.append("[" + ("^" + body[1:] if body.startswith("^") else body) + "]")
            i = j
        else:
            out.append(re.escape(ch))
        i += 1
    return Pattern("".join(out) + "$")


def from_like(like: str) -> Pattern:
    body = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in like)
    return Pattern("^" + body + "$")


def _emit(tree: Any, rng: np.random.Generator) -> list[str]:
    out: list[str] = []
    for op, arg in tree:
        out += _emit_one(op, arg, rng)
    return out


def _emit_one(op: Any, arg: Any, rng: np.random.Generator) -> list[str]:
    if op == sre_c.LITERAL:
        return [chr(arg)]
    if op == sre_c.ANY:
        return [_PRINTABLE[int(rng.integers(0, len(_PRINTABLE)))]]
    if op == sre_c.IN:
        return [_pick_in(arg, rng)]
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
        low, high, sub = arg
        high = min(high, max(low, 1) + _MAX_REPEAT) if high == sre_c.MAXREPEAT else high
        count = int(rng.integers(low, high + 1))
        return [c for _ in range(count) for c in _emit(sub, rng)]
    if op == sre_c.SUBPATTERN:
        return _emit(arg[-1], rng)
    if op == sre_c.BRANCH:
        # Each alternative as often as the strings it holds: the blocks of a numeric range
        # (``0[1-9]|1[0-2]``) give every number the same chance.
        options = arg[1]
        sizes = np.asarray([_size(o) for o in options], dtype=float)
        pick = int(np.searchsorted(np.cumsum(sizes), rng.random() * sizes.sum(), side="right"))
        return _emit(options[min(pick, len(options) - 1)], rng)
    if op == sre_c.CATEGORY:
        chars = _CATEGORIES.get(arg, _PRINTABLE)
        return [chars[int(rng.integers(0, len(chars)))]]
    return []  # anchors (AT) and anything zero-width


def _size(tree: Any) -> float:
    """How many strings a parsed pattern holds (a repeat counted at its fewest)."""
    total = 1.0
    for op, arg in tree:
        if op == sre_c.IN:
            total *= max(len(_in_chars(arg)), 1)
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            total *= _size(arg[2]) ** max(arg[0], 1)
        elif op == sre_c.SUBPATTERN:
            total *= _size(arg[-1])
        elif op == sre_c.BRANCH:
            total *= sum(_size(o) for o in arg[1])
        elif op in (sre_c.ANY, sre_c.CATEGORY):
            total *= len(_PRINTABLE)
    return total


def _in_chars(items: Any) -> list[str]:
    chars: list[str] = []
    for op, arg in items:
        if op == sre_c.LITERAL:
            chars.append(chr(arg))
        elif op == sre_c.RANGE:
            chars += [chr(c) for c in range(arg[0], arg[1] + 1)]
        elif op == sre_c.CATEGORY:
            chars += list(_CATEGORIES.get(arg, _PRINTABLE))
    return chars


def _pick_in(items: Any, rng: np.random.Generator) -> str:
    negate = any(op == sre_c.NEGATE for op, _ in items)
    chars = _in_chars(items)
    if negate:
        banned = set(chars)
        chars = [c for c in _PRINTABLE if c not in banned]
    return chars[int(rng.integers(0, len(chars)))] if chars else "x"
