"""The beginnings of formatted values (phone numbers, postcodes, account and case numbers,
IP addresses) that at least k owners share: a Swedish mobile starts 07, a town's postcodes
64, a case number SOC-2019. A beginning keeps at most half a value's digits and leaves at
least three to draw, so the rest is always drawn (letters and separators may all be kept);
generation completes a kept beginning with the value's shape (9 a digit, A and a a
letter, anything else as written). Wired for phones, postcodes and account numbers
(`synth.columns.personal`); not for IP addresses, whose few drawn digits in a small network
land on real addresses held by fewer than k owners (49 of kommun's audit_log in one clone).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def shape_of(value: str) -> str:
    return "".join("9" if c.isdigit() else "A" if c.isupper() and c.isascii() else
                   "a" if c.islower() and c.isascii() else c for c in value)


def fit(values: Sequence[str], k: int, owners: Sequence[Hashable] | None = None
        ) -> tuple[tuple[str, int], ...]:
    """Per value, its longest beginning (at most half its length) held by k owners; the
    beginnings with how many values take them. Values whose beginnings no k owners share
    count towards the empty beginning."""
    who = list(owners) if owners is not None else list(range(len(values)))
    held: dict[str, set[Hashable]] = defaultdict(set)
    for value, owner in zip(values, who, strict=True):
        for i in range(1, longest(value) + 1):
            held[value[:i]].add(owner)
    counts: dict[str, int] = defaultdict(int)
    for value in values:
        best = ""
        for i in range(longest(value), 0, -1):
            if len(held.get(value[:i], ())) >= k:
                best = value[:i]
                break
        counts[best] += 1
    return tuple(sorted(counts.items()))


MIN_DRAWN = 3


def longest(value: str) -> int:
    """The longest beginning of `value` that may be kept: it holds at most half the digits
    and leaves at least MIN_DRAWN of them."""
    digits = sum(c.isdigit() for c in value)
    keep = min(digits // 2, digits - MIN_DRAWN)
    if keep < 0:
        return 0
    seen = 0
    for i, c in enumerate(value):
        if c.isdigit():
            if seen == keep:
                return i
            seen += 1
    return len(value)


def complete(prefix: str, shape: str, rng: np.random.Generator) -> str:
    """`prefix` followed by the rest of `shape`, drawn."""
    out = [prefix]
    for c in shape[len(prefix):]:
        if c == "9":
            out.append(_DIGITS[int(rng.integers(0, 10))])
        elif c == "A":
            out.append(_UPPER[int(rng.integers(0, 26))])
        elif c == "a":
            out.append(_UPPER[int(rng.integers(0, 26))].lower())
        else:
            out.append(c)
    return "".join(out)


def draw(prefixes: tuple[tuple[str, int], ...], shapes: Sequence[str], n: int,
         rng: np.random.Generator) -> list[str]:
    """n values: a kept beginning, completed with a shape it fits (one whose characters
    agree with the beginning's shape), drawn by the beginnings' counts."""
    if not shapes:
        return []
    if not prefixes:
        prefixes = (("", 1),)
    names = [p for p, _ in prefixes]
    p = np.asarray([c for _, c in prefixes], dtype=float)
    picks = rng.choice(len(names), n, p=p / p.sum())
    fitting: dict[str, list[str]] = {}
    out = []
    for i in picks:
        prefix = names[i]
        if prefix not in fitting:
            head = shape_of(prefix)
            fitting[prefix] = [s for s in shapes if s.startswith(head)] or []
        options = fitting[prefix]
        if not options:
            prefix, options = "", list(shapes)
        out.append(complete(prefix, options[int(rng.integers(0, len(options)))], rng))
    return out


def complete_shapes(prefixes: Sequence[Sequence[Any]], shapes: Sequence[str],
                    rng: np.random.Generator) -> list[str]:
    """One value per shape (a row's format, chosen for its length): a kept beginning that
    fits the shape (its own shape starts the row's), drawn by the beginnings' counts among
    those that fit, completed with the rest of the shape drawn; the empty beginning (the
    values no kept one starts) always fits."""
    names = [str(p) for p, _ in prefixes]
    counts = np.asarray([float(c) for _, c in prefixes])
    heads = [shape_of(p) for p in names]
    out: list[str] = [""] * len(shapes)
    by_shape: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(shapes):
        by_shape[s].append(i)
    for shape, rows in by_shape.items():
        fits = [j for j, h in enumerate(heads) if shape.startswith(h)]
        if "" not in names:
            fits.append(-1)
        weights = np.asarray([counts[j] if j >= 0 else 1.0 for j in fits])
        picks = rng.choice(len(fits), len(rows), p=weights / weights.sum())
        for row, pick in zip(rows, picks.tolist(), strict=True):
            j = fits[pick]
            out[row] = complete(names[j] if j >= 0 else "", shape, rng)
    return out
