"""Self-references as a forest: the share of rows at each depth (fit) and parents one level
up, roots first (sample).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dbclone.schema import ForeignKey
from dbclone.synth.codecs import (
    normalized,
)
from dbclone.synth.model import FKModel
from dbclone.synth.state import SampleState


def depth_probs(df: pd.DataFrame, fk: ForeignKey) -> tuple[float, ...]:
    """Share of rows at each depth of a self-referencing forest (0 = roots)."""
    if not len(df):
        return ()
    # Keys as tuples, so composite self-references (two columns) are forests too; a key
    # with a NULL part has no parent (an FK holds only when every part is set).
    keys = list(zip(*(df[c] for c in fk.ref_columns), strict=True))
    parents = list(zip(*(df[c] for c in fk.columns), strict=True))
    parent_of = {k: None if any(pd.isna(v) for v in p) else p
                 for k, p in zip(keys, parents, strict=True)}
    depths = []
    for key in keys:
        depth, seen = 0, set()
        node = parent_of.get(key)
        while node is not None and node not in seen and depth < 50:
            seen.add(node)
            depth += 1
            node = parent_of.get(node)
        depths.append(depth)
    counts = np.bincount(depths)
    return tuple(float(c) / len(depths) for c in counts)


def forest(st: SampleState, fk: FKModel, n: int) -> np.ndarray:
    """Parents inside the same table: as many rows at each depth as the source's shares
    make (largest remainders, so 8 employees keep 1 root, 2 managers and 5 staff), roots
    first; a level left empty by the rounding is closed up, so every row below the
    roots has a parent one level up."""
    probs = normalized(tuple(fk.depth_probs or (1.0,)))
    sizes = apportion(probs, n)
    if n and sizes[0] == 0:  # a forest has a root
        sizes[int(np.argmax(sizes))] -= 1
        sizes[0] = 1
    sizes = sizes[sizes > 0]
    depth = np.repeat(np.arange(len(sizes)), sizes)
    idx = np.full(n, -1)
    for level in range(1, len(sizes)):
        above = np.flatnonzero(depth == level - 1)
        here = np.flatnonzero(depth == level)
        fan = st.rng.dirichlet(np.ones(len(above)) * 0.7)
        idx[here] = above[st.rng.choice(len(above), size=len(here), p=fan)]
    return idx


def apportion(probs: np.ndarray, n: int) -> np.ndarray:
    """n split in the proportions `probs` (summing to 1), the rounding remainders going to
    the largest fractions."""
    exact = probs * n
    sizes = np.floor(exact).astype(np.int64)
    short = n - int(sizes.sum())
    if short > 0:
        sizes[np.argsort(-(exact - sizes), kind="stable")[:short]] += 1
    return sizes
