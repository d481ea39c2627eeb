"""SQLite columns holding several storage classes at once ('12', 12, 12.5, x'00').

Learned: the share of each class, the quantiles of the integers and of the reals, the lengths
of the texts and blobs. Generated: values of the same classes in the same shares; texts that
looked like numbers ('12') stay digits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dbclone.synth.types._common import choose, counts, draw, grid, share, words

TYPES: tuple[tuple[str, str, tuple[str, ...]], ...] = (("mixed", "sqlite", ()),)
_CLASS = {bool: "integer", int: "integer", float: "real", str: "text", bytes: "blob"}


def fit(values: list[Any], sql_type: str, k: int) -> dict[str, Any]:
    classes = [_CLASS.get(type(v), "text") for v in values]
    kinds, probs = counts(classes, 1)
    texts = [v for v in values if isinstance(v, str)]
    return {"classes": kinds, "probs": probs,
            "integer": grid(v for v in values if type(v) in (int, bool)),
            "real": grid(v for v in values if isinstance(v, float)),
            "text": grid(map(len, texts)), "digits": share(t.isdigit() for t in texts),
            "blob": grid(len(v) for v in values if isinstance(v, bytes))}


def sample(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    classes = choose(params["classes"], params["probs"], n, rng)
    ints = np.round(draw(params["integer"], n, rng)).astype(np.int64).tolist()
    reals = draw(params["real"], n, rng).tolist()
    texts = words(draw(params["text"] or [3.0], n, rng), rng)
    digit = rng.random(n) < params["digits"]
    sizes = np.maximum(np.round(draw(params["blob"] or [1.0], n, rng)).astype(int), 0)
    out: list[Any] = []
    for i, cls in enumerate(classes):
        if cls == "integer":
            out.append(int(ints[i]))
        elif cls == "real":
            out.append(float(reals[i]))
        elif cls == "blob":
            out.append(rng.bytes(int(sizes[i])))
        else:
            out.append(str(int(ints[i] if params["integer"] else i)) if digit[i] else texts[i])
    return out
