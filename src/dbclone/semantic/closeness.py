"""How close generated text reads to a column's own values: the Jensen-Shannon divergence
of their character n-gram profiles (1 to 3 characters, each value padded with a space at
both ends, distinct values only), 0 for the same profile, 1 for nothing in common. A fit
uses it to choose between two generators of one column (Faker's street addresses in the
source's locale or the column's own token chain) without asking which database it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np

#: Longest n-gram counted.
ORDER = 3
#: Distinct values read per side at most.
VALUES = 600
#: How much closer (in divergence) a column's own model must read than a public generator
#: (Faker's addresses or companies in the source's locale) to be preferred: the public one
#: stays where it reads as well.
MARGIN = 0.02


def profile(values: Iterable[str]) -> Counter[str]:
    """Shares of the n-grams of the distinct values (each value's counts summed)."""
    found: Counter[str] = Counter()
    for value in sorted(set(values))[:VALUES]:
        padded = f" {value} "
        for size in range(1, ORDER + 1):
            found.update(padded[i:i + size] for i in range(len(padded) - size + 1))
    return found


def divergence(real: Iterable[str], made: Iterable[str]) -> float:
    """Jensen-Shannon divergence (base 2) between the two sides' n-gram profiles."""
    a, b = profile(real), profile(made)
    keys = sorted(set(a) | set(b))
    if not keys:
        return 0.0
    p = np.asarray([a[g] for g in keys], dtype=float)
    q = np.asarray([b[g] for g in keys], dtype=float)
    if not p.sum() or not q.sum():
        return 1.0
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2

    def kl(x: np.ndarray) -> float:
        at = x > 0
        return float(np.sum(x[at] * np.log2(x[at] / m[at])))

    return (kl(p) + kl(q)) / 2


def prefer(real: list[str], ours: Iterable[str], theirs: Iterable[str],
           margin: float = MARGIN) -> bool:
    """Whether `ours` reads closer to `real` than `theirs` by more than `margin`."""
    return divergence(real, ours) + margin < divergence(real, theirs)
