"""Bit strings: PostgreSQL bit(n) and bit varying(n), MariaDB BIT(n).

Learned: the lengths (bit varying) and the share of ones at each position. Generated: new
bit strings of those lengths; text `0101` for PostgreSQL, the value as bytes for MariaDB
(its BIT columns take a binary string; a number written as text would be read as digits).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from dbclone.synth.types._common import draw, grid

TYPES = (("pg_bit", "postgresql", ("bit", "bit varying", "varbit")),
         ("mysql_bit", "mysql", ("bit",)))


def _declared(sql_type: str) -> int | None:
    m = re.search(r"\((\d+)\)", sql_type)
    return int(m[1]) if m else None


def _as_text(value: Any, width: int) -> str:
    if isinstance(value, bytes | bytearray):
        return format(int.from_bytes(value, "big"), f"0{width}b")[-width:]
    if isinstance(value, int):
        return format(value, f"0{width}b")
    return str(value)


def fit(values: list[Any], sql_type: str, k: int) -> dict[str, Any]:
    declared = _declared(sql_type)
    varying = "varying" in sql_type.lower() or "varbit" in sql_type.lower()
    width = declared or (1 if not varying else 0)
    if isinstance(next(iter(values), None), bytes | bytearray | int):
        width = declared or 1  # MariaDB BIT: BIT alone is BIT(1)
    texts = [_as_text(v, width) for v in values]
    longest = max((len(t) for t in texts), default=width) or 1
    ones = [sum(t[i] == "1" for t in texts if len(t) > i) / max(sum(len(t) > i for t in texts), 1)
            for i in range(longest)]
    return {"fixed": not varying, "width": declared or longest, "lengths": grid(map(len, texts)),
            "ones": ones, "bytes": sql_type.upper().startswith("BIT") and not varying
            and isinstance(next(iter(values), None), bytes | bytearray | int)}


def sample(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    ones = np.asarray(params["ones"] or [0.5], dtype=float)
    width = int(params["width"])
    if params["fixed"]:
        lengths = np.full(n, width)
    else:
        lengths = np.clip(np.round(draw(params["lengths"], n, rng)).astype(int), 0, width)
    probs = np.resize(ones, max(width, 1))
    matrix = rng.random((n, max(width, 1))) < probs
    texts = ["".join("1" if b else "0" for b in row[:m]) for row, m in
             zip(matrix.tolist(), lengths.tolist(), strict=True)]
    if params.get("bytes"):
        size = (width + 7) // 8
        return [int(t or "0", 2).to_bytes(size, "big") for t in texts]
    return texts
