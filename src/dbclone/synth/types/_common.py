"""Small pieces every family uses: quantile grids, draws from them, k-held categories."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from dbclone.synth import copula

_ALNUM = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))


def grid(values: Iterable[float]) -> list[float]:
    arr = np.asarray(list(values), dtype=float)
    return list(copula.quantile_grid(arr)) if len(arr) else []


def draw(qs: Sequence[float], n: int, rng: np.random.Generator) -> np.ndarray:
    """n values whose distribution follows the quantile grid `qs` (linear between knots)."""
    if not qs:
        return np.zeros(n)
    return np.interp(rng.random(n), np.linspace(0.0, 1.0, len(qs)), np.asarray(qs, dtype=float))


def counts(values: Iterable[Any], k: int) -> tuple[list[Any], list[float]]:
    """Values held by at least k rows, with their shares among those values."""
    kept = [(v, c) for v, c in Counter(values).most_common(500) if c >= k]
    total = float(sum(c for _, c in kept)) or 1.0
    return [v for v, _ in kept], [c / total for _, c in kept]


def choose(values: Sequence[Any], probs: Sequence[float], n: int,
           rng: np.random.Generator) -> list[Any]:
    if not values:
        return [None] * n
    p = np.asarray(probs, dtype=float)
    idx = rng.choice(len(values), size=n, p=p / p.sum())
    return [values[i] for i in idx]


def share(flags: Iterable[bool]) -> float:
    items = list(flags)
    return sum(items) / len(items) if items else 0.0


def words(lengths: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Random lower-case alphanumeric words of the given lengths (at least one character),
    generated in one numpy draw, not character by character."""
    sizes = np.maximum(np.round(lengths).astype(int), 1)
    chars = _ALNUM[rng.integers(0, len(_ALNUM), int(sizes.sum()))]
    ends = np.cumsum(sizes)
    text = "".join(chars.tolist())
    return [text[e - s:e] for s, e in zip(sizes.tolist(), ends.tolist(), strict=True)]


def letters(lengths: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Like `words`, letters only (labels that must start with a letter)."""
    out = words(lengths, rng)
    return ["x" + w[1:] if w[0].isdigit() else w for w in out]


def number_text(value: float, integer: bool) -> str:
    return str(int(round(value))) if integer else repr(round(float(value), 6))


def type_name(sql_type: str) -> str:
    """`BIT VARYING(10)` -> `bit varying`, `"public"."ltree"` -> `ltree`."""
    name = re.sub(r"\(.*\)", "", sql_type.lower()).strip()
    name = name.split(".")[-1].strip('"').strip()
    return re.sub(r"\s+", " ", name)
