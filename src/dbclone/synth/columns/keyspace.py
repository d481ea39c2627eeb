"""Text keys in a pattern's format, unique by construction at any scale and seed.

A key pattern learned from the source (`^[A-Z]{2}$`, `^SE-[0-9]{4}$`) is read as a finite
space: a sequence of positions, each a set of characters (repeats of varying length and
alternatives become several spaces, one after the other). The space's size is the number of
distinct keys the format holds. Row i of a table (counted across its chunks) gets the key
numbered π(i), π a permutation of 0 .. size-1 chosen by the seed (a small Feistel network
over the next power of four, walked until it lands inside the space): distinct rows get
distinct keys without remembering earlier ones, in an order unrelated to the row order.
"""

from __future__ import annotations

import functools
import math
import string
from re import _constants as sre_c  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import numpy as np

from dbclone.errors import SchemaError
from dbclone.synth.model import Model

#: Characters a `.` or a class like \w stands for in a key (printable, unambiguous).
_ANY = string.ascii_letters + string.digits
_CATEGORIES = {sre_c.CATEGORY_DIGIT: string.digits,
               sre_c.CATEGORY_WORD: string.ascii_letters + string.digits + "_"}
#: Spaces larger than this are not enumerated further (length variants beyond are ignored).
_MAX_VARIANTS = 64


class FormatTooSmall(ValueError):
    """The format holds fewer distinct values than there are rows."""


def _char_set(op: Any, arg: Any) -> str | None:
    """The characters one position of the pattern allows (None: not one position)."""
    if op == sre_c.LITERAL:
        return chr(arg)
    if op == sre_c.ANY:
        return _ANY
    if op == sre_c.CATEGORY:
        return _CATEGORIES.get(arg)
    return _class(arg) if op == sre_c.IN else None


def _class(items: Any) -> str:
    """A bracketed class (`[A-Z0-9]`, `[^a]`) as its characters."""
    chars: list[str] = []
    negate = False
    for op, arg in items:
        if op == sre_c.LITERAL:
            chars.append(chr(arg))
        elif op == sre_c.RANGE:
            chars += [chr(c) for c in range(arg[0], arg[1] + 1)]
        elif op == sre_c.CATEGORY:
            chars += list(_CATEGORIES.get(arg, _ANY))
        negate = negate or op == sre_c.NEGATE
    if negate:
        banned = set(chars)
        chars = [c for c in _ANY if c not in banned]
    return "".join(sorted(set(chars)))


def _variants(tree: Any) -> list[list[str]]:
    """Every fixed-length reading of `tree`: lists of per-position character sets."""
    out: list[list[str]] = [[]]
    for op, arg in tree:
        if op == sre_c.AT:
            continue
        chars = _char_set(op, arg)
        if chars is not None:
            options = [[chars]]
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT):
            low, high, sub = arg
            high = low + 4 if high == sre_c.MAXREPEAT else high
            inner = _variants(sub)
            options = []
            for count in range(low, high + 1):
                options += _repeat(inner, count)
        elif op == sre_c.SUBPATTERN:
            options = _variants(arg[-1])
        elif op == sre_c.BRANCH:
            options = [v for alt in arg[1] for v in _variants(alt)]
        else:
            raise ValueError(f"unsupported pattern element {op}")
        out = [a + b for a in out for b in options][:_MAX_VARIANTS]
    return out


def _repeat(inner: list[list[str]], count: int) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for _ in range(count):
        out = [a + b for a in out for b in inner][:_MAX_VARIANTS]
    return out


class KeySpace:
    """The distinct values of a key format, numbered 0 .. size-1."""

    def __init__(self, regex: str, parts: list[list[str]] | None = None) -> None:
        self.regex = regex
        seen: set[tuple[str, ...]] = set()
        self.parts: list[list[str]] = []
        for v in parts if parts is not None else _variants(sre_parse.parse(regex)):
            if tuple(v) not in seen and v:
                seen.add(tuple(v))
                self.parts.append(v)
        self.sizes = [math.prod(len(c) for c in part) for part in self.parts]
        self.size = sum(self.sizes)

    def widened(self, classes: tuple[str, ...]) -> KeySpace:
        """The same shape with every position that holds only characters of one of
        `classes` allowed all of that class: d001..d009 (`^d0{2}[0-9]$`, 10 values) read as
        d[0-9]{3} (1,000) when the clone needs more keys than the source showed."""
        def widen(chars: str) -> str:
            return next((c for c in classes if set(chars) <= set(c)), chars)
        parts = [[widen(c) for c in part] for part in self.parts]
        if parts == self.parts:
            return self
        shape = "".join("9" if c == string.digits else "A" if c == string.ascii_uppercase
                        else "a" if c == string.ascii_lowercase else c if len(c) == 1 else "?"
                        for c in parts[0]) if parts else ""
        learned = self.regex.split(" (widened")[0]
        return KeySpace(f"{learned} (widened to the shape {shape})", parts)

    def key(self, number: int) -> str:
        """The key numbered `number` (0 <= number < size)."""
        for part, size in zip(self.parts, self.sizes, strict=True):
            if number < size:
                chars = []
                for charset in reversed(part):
                    number, digit = divmod(number, len(charset))
                    chars.append(charset[digit])
                return "".join(reversed(chars))
            number -= size
        raise IndexError(number)

    def keys(self, first: int, n: int, seed: int) -> list[str]:
        """Keys of rows first .. first+n-1, distinct for distinct rows below `size`."""
        if first + n > self.size:
            raise FormatTooSmall(f"the format {self.regex} holds {self.size} distinct values, "
                                 f"{first + n} are needed")
        shuffle = _Permutation(self.size, seed)
        return [self.key(shuffle(i)) for i in range(first, first + n)]


class _Permutation:
    """A seeded bijection of 0 .. size-1: four Feistel rounds on 2·half bits, repeated on
    values that land outside the range (cycle walking; at most 4 tries on average)."""

    _ROUNDS = 4

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.half = max(1, (max(size - 1, 1).bit_length() + 1) // 2)
        self.mask = (1 << self.half) - 1
        rng = np.random.default_rng(seed)
        self.keys = [int(k) for k in rng.integers(0, 2**62, self._ROUNDS)]

    def _round(self, value: int, key: int) -> int:
        x = ((value ^ key) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 29
        return x & self.mask

    def _once(self, value: int) -> int:
        left, right = value >> self.half, value & self.mask
        for key in self.keys:
            left, right = right, left ^ self._round(right, key)
        return (left << self.half) | right

    def __call__(self, value: int) -> int:
        value = self._once(value)
        while value >= self.size:
            value = self._once(value)
        return value


#: Widening steps when the learned format holds too few keys: digits first, then letters.
_WIDENINGS = ((string.digits,),
              (string.digits, string.ascii_uppercase, string.ascii_lowercase))


@functools.cache
def space(regex: str, rows: int = 0) -> KeySpace | None:
    """The key space of `regex` for `rows` keys: the learned format, else the format with its
    digits (then letters) widened to their class, the first that holds `rows` values (the
    widest when none does). None when `regex` is not a format dbclone can count."""
    try:
        found = KeySpace(regex)
    except (ValueError, IndexError, OverflowError):
        return None
    for classes in _WIDENINGS:
        if found.size >= rows:
            break
        found = found.widened(classes)
    return found


def check_capacity(model: Model, scale: float) -> None:
    """Refuse, before anything is loaded, a clone with more rows than a text key's format
    holds distinct values."""
    for tm in model.tables:
        rows = int(round(tm.row_count * scale)) if tm.row_count else 0
        for cm in tm.columns:
            found = space(cm.pattern[0], rows) if cm.strategy == "key" and cm.pattern else None
            if found is not None and rows > found.size:
                raise SchemaError(
                    f"{tm.name}.{cm.name}: its keys follow the format {found.regex}, which "
                    f"holds {found.size} distinct values; the clone needs {rows} rows "
                    f"(--scale {scale:g}); use a smaller --scale or set [tables.{tm.name}] "
                    f"rows = {found.size} or fewer in the config")


__all__ = ["FormatTooSmall", "KeySpace", "check_capacity", "space"]
