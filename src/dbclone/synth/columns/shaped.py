"""Shaped strings: codes and formats. Fit: the character-class shape of a value
(``99999-9999``), the common shapes of a column, a regular expression per position for
code-like values. Sample: values from a regex, values in the source's formats (resized to a
target length).
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

from dbclone.schema import Column
from dbclone.semantic import prefixes
from dbclone.synth.codecs import normalized
from dbclone.synth.columns.base import ColumnSynthesizer
from dbclone.synth.model import ColumnModel
from dbclone.synth.specs import PatternSpec
from dbclone.synth.state import Chunk, SampleState
from dbclone.synth.strgen import Pattern
from dbclone.synth.tables import Columns

_SHAPE = str.maketrans({**{c: "9" for c in "0123456789"},
                        **{c: "A" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
                        **{c: "a" for c in "abcdefghijklmnopqrstuvwxyz"}})


def shape_of(value: str) -> str:
    """ASCII digits to 9, letters to A or a; anything else (å, -, space) kept."""
    return value.translate(_SHAPE)


def shape_regex(shape: str) -> str:
    classes = {"9": "[0-9]", "A": "[A-Z]", "a": "[a-z]"}
    return "^" + "".join(classes.get(c, re.escape(c)) for c in shape) + "$"


def common_shapes(text: pd.Series, k: int) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Formats (``99999``, ``A9A 9A9``) used by at least k values, with their shares: a
    postcode column of many countries keeps its mix of formats."""
    counts = Counter(text.head(20000).map(shape_of))
    kept = [(s, c) for s, c in counts.most_common(20) if c >= k and len(s) <= 40]
    total = float(sum(c for _, c in kept)) or 1.0
    return tuple(s for s, _ in kept), tuple(c / total for _, c in kept)


def top_shape(text: pd.Series) -> tuple[str, ...]:
    """The dominant character-class shape (``99999999-9999``), if 80% of values share it."""
    sample = text.head(5000)
    if not len(sample):
        return ()
    top, count = Counter(sample.map(shape_of)).most_common(1)[0]
    return (top,) if count >= 0.8 * len(sample) and len(top) <= 40 else ()


def code_patterns(text: pd.Series) -> tuple[str, ...]:
    """A regular expression for code-like values of the dominant shape: per position the
    characters seen there, except that a run of digits whose values span fewer numbers
    than its positions' characters would allow (a year 2019-2024, a zero-padded counter
    000001-000547) keeps its observed range at its width (``SOC-(?:2019|...)-0{3}...``),
    not the decade and digits its positions allow. Empty when no shape dominates."""
    shape = top_shape(text)
    if not shape:
        return ()
    sample = text.head(5000)
    members = sample[sample.map(shape_of) == shape[0]]
    classes = [_char_class({v[i] for v in members}, cls) for i, cls in enumerate(shape[0])]
    out: list[str] = []
    i = 0
    while i < len(classes):
        if shape[0][i] == "9":
            j = i
            while j + 1 < len(classes) and shape[0][j + 1] == "9":
                j += 1
            out.append(_digit_field(members.str.slice(i, j + 1), classes[i:j + 1]))
            i = j + 1
            continue
        j = i
        while j + 1 < len(classes) and classes[j + 1] == classes[i] and shape[0][j + 1] != "9":
            j += 1
        run = j - i + 1
        out.append(classes[i] + (f"{{{run}}}" if run > 1 else ""))
        i = j + 1
    return ("^" + "".join(out) + "$",)


def _digit_field(field: pd.Series, classes: list[str]) -> str:
    """A run of digit positions: its observed numeric range (at its width) when that holds
    fewer numbers than the positions' characters combine to, else the positions' classes."""
    numbers = field.astype(int)
    low, high = int(numbers.min()), int(numbers.max())
    combos = 1
    for c in classes:
        combos *= 1 if len(c) == 1 or c.startswith("\\") else _class_size(c)
    if low == high or high - low + 1 >= combos:
        return "".join(classes)
    return "(?:" + "|".join(range_pieces(low, high, len(classes))) + ")"


def _class_size(cls: str) -> int:
    if cls == "[0-9]":
        return 10
    return len(cls) - 2 if cls.startswith("[") else 1


def range_pieces(low: int, high: int, width: int) -> list[str]:
    """Regular expressions, one per block, matching exactly the numbers low..high written
    with `width` digits (zero-padded): 19..24 -> 19, 2[0-4]."""
    if width == 0:
        return [""]
    size = 10 ** (width - 1)
    first, last = low // size, high // size
    if first == last:
        return [f"{first}{p}" for p in range_pieces(low % size, high % size, width - 1)]
    pieces: list[str] = []
    if low % size:  # the first block is partial
        pieces += [f"{first}{p}" for p in range_pieces(low % size, size - 1, width - 1)]
        first += 1
    full_last = last if high % size == size - 1 else last - 1
    if full_last >= first:
        head = str(first) if full_last == first else f"[{first}-{full_last}]"
        tail = f"[0-9]{{{width - 1}}}" if width > 2 else "[0-9]" if width == 2 else ""
        pieces.append(head + tail)
    if full_last < last:
        pieces += [f"{last}{p}" for p in range_pieces(0, high % size, width - 1)]
    return pieces


def _char_class(chars: set[str], cls: str) -> str:
    if len(chars) == 1:
        return re.escape(next(iter(chars)))
    full = {"9": "[0-9]", "A": "[A-Z]", "a": "[a-z]"}.get(cls)
    if full and len(chars) >= {"9": 7, "A": 13, "a": 13}[cls]:
        return full
    return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"


def pattern_values(st: SampleState, regex: str, n: int) -> np.ndarray:
    pattern = Pattern(regex)
    return np.asarray([pattern.generate(st.rng) for _ in range(n)], dtype=object)


def pattern_column(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
                   n: int, data: Columns) -> np.ndarray:
    """Codes following the column's pattern (a regular expression)."""
    return pattern_values(st, cm.pattern[0], n)


def shaped_values(st: SampleState, cm: ColumnModel, n: int,
                  lengths: np.ndarray | None = None) -> np.ndarray:
    """Values in the source's formats, in their shares (Faker's formats when no source
    format is used by k values). With target lengths, each row takes a format of its
    length (by share among them); a length no kept format has (the formats rarer than
    k, a small table's foreign numbers) takes the nearest format with its longest digit
    run stretched or shortened to fit, so the column keeps the source's length mix, not
    only its common formats'."""
    formats, probs = tuple(cm.pattern), np.asarray(cm.probs, dtype=float)
    if not formats:
        counts = Counter(shape_of(v) for v in st.fake.pool(cm.pii or "phone"))
        formats = tuple(counts)
        probs = np.asarray([counts[f] for f in formats], dtype=float)
    probs = normalized(probs) if len(probs) == len(formats) else \
        np.full(len(formats), 1.0 / len(formats))
    if lengths is None:
        which = st.rng.choice(len(formats), size=n, p=probs)
        shapes = [formats[w] for w in which]
    else:
        sizes = np.asarray([len(s) for s in formats])
        shapes = []
        for k in lengths:
            gap = np.abs(sizes - int(k))
            near = np.flatnonzero(gap == gap.min())
            w = int(st.rng.choice(near, p=normalized(probs[near])))
            shapes.append(resize_shape(formats[w], int(k)))
    if cm.prefixes:  # the source's beginnings k owners share, each in a format it fits
        return np.asarray(prefixes.complete_shapes(
            cm.prefixes, shapes, st.rng, prefixes.digit_table(cm.digits),
            prefixes.VALID.get(cm.pii or "")), dtype=object)
    patterns: dict[str, Pattern] = {}
    out = []
    for s in shapes:
        if s not in patterns:
            patterns[s] = Pattern(shape_regex(s))
        out.append(patterns[s].generate(st.rng))
    return np.asarray(out, dtype=object)


def resize_shape(shape: str, length: int) -> str:
    """`shape` (``(999) 999-9999``) made `length` long by growing or shrinking its longest
    run of one class; shrinking stops at groups of two, then drops separators."""
    length = max(length, 1)
    out = list(shape)
    while len(out) != length:
        runs = [(m.end() - m.start(), m.start(), m.end())
                for m in re.finditer(r"9+|A+|a+", "".join(out))]
        if not runs:
            return ("9" * length) if len(out) < length else "".join(out)[:length]
        size, start, end = max(runs)
        separators = [i for i, c in enumerate(out) if c not in "9Aa"]
        if len(out) < length:
            out.insert(end, out[start])
        elif size > 2 or (size > 1 and not separators):
            del out[start]
        elif separators:  # groups of two left: drop a separator (``99.99.99`` -> ``99.9999``)
            del out[separators[0]]
        else:
            return "".join(out)[:length]
    return "".join(out)


class ShapedSynthesizer(ColumnSynthesizer):
    """Codes following the column's pattern; the pattern is fitted by `code_patterns`
    (for text keys, `keys`, and codes, `text.fit_string_fallback`)."""

    specs = (PatternSpec,)
    fit = staticmethod(code_patterns)
    generate = staticmethod(pattern_column)
