"""MariaDB's spatial types: GEOMETRY, POINT, LINESTRING, POLYGON, their MULTI forms and
GEOMETRYCOLLECTION.

The driver returns MariaDB's internal form: a 4-byte SRID, then well-known binary (WKB).
Learned: the SRIDs, the share of each geometry type, the quantiles of x and of y over every
vertex, vertices per line. Generated: new geometries of those types in the same form, which
MariaDB stores as they are (a text form would need ST_GeomFromText in the INSERT).
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from dbclone.synth.types._common import choose, counts, draw, grid, type_name

_NAMES = ("geometry", "point", "linestring", "polygon", "multipoint", "multilinestring",
          "multipolygon", "geometrycollection")
TYPES = (("spatial", "mysql", _NAMES),)
_CODE = {name: i for i, name in enumerate(_NAMES)}  # WKB type codes 1..7


def _read(data: bytes, at: int, coords: list[tuple[float, float]],
          lines: list[int]) -> tuple[int, int]:
    """Walk one WKB geometry from `at`; returns (its type code, the offset after it)."""
    order = "<" if data[at] == 1 else ">"
    (code,) = struct.unpack_from(order + "I", data, at + 1)
    at += 5
    if code == 1:
        coords.append(struct.unpack_from(order + "dd", data, at))
        return code, at + 16
    if code == 2:
        (count,) = struct.unpack_from(order + "I", data, at)
        coords += [struct.unpack_from(order + "dd", data, at + 4 + 16 * i) for i in range(count)]
        lines.append(count)
        return code, at + 4 + 16 * count
    if code == 3:
        (rings,) = struct.unpack_from(order + "I", data, at)
        at += 4
        for _ in range(rings):
            (count,) = struct.unpack_from(order + "I", data, at)
            coords += [struct.unpack_from(order + "dd", data, at + 4 + 16 * i)
                       for i in range(count)]
            at += 4 + 16 * count
        return code, at
    (parts,) = struct.unpack_from(order + "I", data, at)
    at += 4
    for _ in range(parts):
        _, at = _read(data, at, coords, lines)
    return code, at


def fit(values: list[Any], sql_type: str, k: int) -> dict[str, Any]:
    coords: list[tuple[float, float]] = []
    lines: list[int] = []
    codes, srids = [], []
    for v in values:
        data = bytes(v)
        srids.append(struct.unpack_from("<I", data, 0)[0])
        code, _ = _read(data, 4, coords, lines)
        codes.append(code)
    kinds, probs = counts(codes, 1)
    srid_values, srid_probs = counts(srids, 1)
    return {"declared": type_name(sql_type), "codes": kinds, "probs": probs,
            "srids": srid_values, "sprobs": srid_probs,
            "x": grid(c[0] for c in coords), "y": grid(c[1] for c in coords),
            "vertices": grid(lines) if lines else [2.0, 4.0]}


def sample(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    codes = choose(params["codes"] or [max(_CODE.get(params["declared"], 1), 1)],
                   params["probs"] or [1.0], n, rng)
    srids = choose(params["srids"] or [0], params["sprobs"] or [1.0], n, rng)
    return [struct.pack("<I", int(s)) + _geometry(params, int(c), rng)
            for c, s in zip(codes, srids, strict=True)]


def _points(params: dict[str, Any], m: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    return list(zip(draw(params["x"], m, rng).tolist(), draw(params["y"], m, rng).tolist(),
                    strict=True))


def _geometry(params: dict[str, Any], code: int, rng: np.random.Generator) -> bytes:
    head = struct.pack("<BI", 1, code)
    if code == 1:
        return head + struct.pack("<dd", *_points(params, 1, rng)[0])
    if code == 2:
        m = max(int(round(draw(params["vertices"], 1, rng)[0])), 2)
        pts = _points(params, m, rng)
        return head + struct.pack("<I", m) + b"".join(struct.pack("<dd", *p) for p in pts)
    if code == 3:
        (x, y), (x2, y2) = _points(params, 2, rng)
        w, h = abs(x2 - x) or 1.0, abs(y2 - y) or 1.0
        ring = [(x, y), (x + w, y), (x, y + h), (x, y)]  # a triangle, closed
        return head + struct.pack("<II", 1, 4) + b"".join(struct.pack("<dd", *p) for p in ring)
    member = {4: 1, 5: 2, 6: 3, 7: 1}[code]
    parts = 1 + int(rng.integers(0, 2))
    return head + struct.pack("<I", parts) + b"".join(
        _geometry(params, member, rng) for _ in range(parts))
