"""PostgreSQL's geometric types: point, line, lseg, box, path, polygon, circle.

Learned: the quantiles of x and of y over every vertex, the number of vertices (path,
polygon), the share of closed paths, circle radii, a line's coefficients. Generated: shapes
of the same kind and extent as text literals; no source shape comes back whole.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from dbclone.synth.types._common import draw, grid, number_text, share, type_name

TYPES = (
    ("pg_point", "postgresql", ("point",)), ("pg_line", "postgresql", ("line",)),
    ("pg_lseg", "postgresql", ("lseg",)), ("pg_box", "postgresql", ("box",)),
    ("pg_path", "postgresql", ("path",)), ("pg_polygon", "postgresql", ("polygon",)),
    ("pg_circle", "postgresql", ("circle",)),
)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", re.IGNORECASE)


def _numbers(value: Any) -> list[float]:
    return [float(x) for x in _NUMBER.findall(str(value))]


def fit(values: list[Any], sql_type: str, k: int) -> dict[str, Any]:
    shape = type_name(sql_type)
    nums = [_numbers(v) for v in values]
    if shape.startswith("line"):
        return {"shape": "line", "a": grid(n[0] for n in nums), "b": grid(n[1] for n in nums),
                "c": grid(n[2] for n in nums),
                "integer": all(x.is_integer() for n in nums for x in n)}
    if shape.startswith("circle"):
        return {"shape": "circle", "x": grid(n[0] for n in nums), "y": grid(n[1] for n in nums),
                "r": grid(n[2] for n in nums),
                "integer": all(x.is_integer() for n in nums for x in n)}
    flat = [x for n in nums for x in n]
    return {"shape": shape.split()[0], "x": grid(flat[0::2]), "y": grid(flat[1::2]),
            "vertices": grid(len(n) // 2 for n in nums),
            "closed": share(str(v).startswith("((") or (shape == "path" and str(v)[:1] == "(")
                            for v in values),
            "integer": all(x.is_integer() for x in flat)}


def sample(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    shape, integer = params["shape"], params["integer"]

    def fmt(x: float) -> str:
        return number_text(x, integer)

    if shape == "line":
        a, b, c = (draw(params[key], n, rng) for key in ("a", "b", "c"))
        b = np.where((a == 0) & (b == 0), 1.0, b)  # A and B cannot both be zero
        return [f"{{{fmt(x)},{fmt(y)},{fmt(z)}}}" for x, y, z in zip(a, b, c, strict=True)]
    if shape == "circle":
        x, y, r = (draw(params[key], n, rng) for key in ("x", "y", "r"))
        return [f"<({fmt(p)},{fmt(q)}),{fmt(abs(s))}>" for p, q, s in zip(x, y, r, strict=True)]
    least = {"point": 1, "lseg": 2, "box": 2, "path": 2, "polygon": 3}.get(shape, 1)
    most = {"point": 1, "lseg": 2, "box": 2}.get(shape)
    counts = np.maximum(np.round(draw(params["vertices"], n, rng)).astype(int), least)
    if most:
        counts = np.minimum(counts, most)
    xs = draw(params["x"], int(counts.sum()), rng)
    ys = draw(params["y"], int(counts.sum()), rng)
    closed = rng.random(n) < params["closed"]
    out, at = [], 0
    for i, m in enumerate(counts.tolist()):
        pts = ",".join(f"({fmt(x)},{fmt(y)})" for x, y in zip(xs[at:at + m], ys[at:at + m],
                                                                   strict=True))
        at += m
        out.append(_literal(shape, pts, bool(closed[i])))
    return out


def _literal(shape: str, pts: str, closed: bool) -> str:
    if shape in ("point", "box"):
        return pts
    if shape == "lseg":
        return f"[{pts}]"
    if shape == "path" and not closed:
        return f"[{pts}]"
    return f"({pts})"
