"""PostgreSQL arrays whose elements are of a type a family generates (inet[], point[],
macaddr[], tsrange[]...) or of a composite type (address[]): the elements of all rows are
pooled and fitted by the element's family, the arrays' lengths and NULL elements by their
shares; an array is written as an array literal with every element quoted.

Arrays of the copula's kinds (int[], text[], uuid[], enum arrays) are not here: the array
rule of `synth.columns` generates them. A declared multi-dimensional array is not generated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from dbclone.synth.types._common import draw, grid, share, type_name

#: Element types whose array literal separates elements with ';' (a box holds commas).
_SEMICOLON = {"box"}


def element_type(sql_type: str) -> str | None:
    """`inet[]` -> `inet`; None for a type that is not a one-dimensional array."""
    text = sql_type.strip()
    found = re.fullmatch(r"(.+?)\s*\[\d*\]", text)
    if found is None or found.group(1).rstrip().endswith("]"):
        return None
    return found.group(1)


def _delimiter(element: str) -> str:
    return ";" if type_name(element) in _SEMICOLON else ","


def parse(value: Any, delim: str = ",") -> list[Any]:
    """An array's elements: a list the driver built as it is, else the array literal's
    top-level elements as text (quoted ones unescaped; an unquoted NULL is None)."""
    if isinstance(value, list | tuple):
        return list(value)
    text = str(value).strip()
    if text.startswith("["):  # explicit bounds: [0:1]={...}
        text = text[text.index("=") + 1:]
    body, i = text[1:-1], 0
    out: list[Any] = []
    if not body:
        return []
    while i <= len(body):
        if i < len(body) and body[i] == '"':
            buf, i = [], i + 1
            while i < len(body) and body[i] != '"':
                if body[i] == "\\":
                    i += 1
                buf.append(body[i])
                i += 1
            out.append("".join(buf))
            i = body.find(delim, i)
        else:
            end = body.find(delim, i)
            raw = (body[i:] if end < 0 else body[i:end]).strip()
            out.append(None if raw.upper() == "NULL" else raw)
            i = end
        if i < 0:
            break
        i += 1
    return out


def literal(items: list[Any], delim: str = ",") -> str:
    return "{" + delim.join(
        "NULL" if v is None else
        '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in items) + "}"


def fit(values: list[Any], element: str, k: int,
        element_fit: Callable[[list[Any]], dict[str, Any]]) -> dict[str, Any]:
    delim = _delimiter(element)
    arrays = [parse(v, delim) for v in values]
    items = [x for a in arrays for x in a]
    present = [x for x in items if x is not None]
    return {"delim": delim, "lengths": grid(len(a) for a in arrays),
            "null": share(x is None for x in items),
            "element": element_fit(present) if present else None}


def sample(params: dict[str, Any], n: int, rng: np.random.Generator,
           element_sample: Callable[[dict[str, Any], int, np.random.Generator], list[Any]]
           ) -> list[str]:
    lengths = np.maximum(np.round(draw(params["lengths"], n, rng)), 0).astype(int)
    total = int(lengths.sum())
    if params["element"] is None or not total:
        pool: list[Any] = [None] * total
    else:
        pool = element_sample(params["element"], total, rng)
    nulls = rng.random(total) < params["null"]
    pool = [None if dropped else v for v, dropped in zip(pool, nulls.tolist(), strict=True)]
    out, at = [], 0
    for size in lengths.tolist():
        out.append(literal(pool[at:at + size], params["delim"]))
        at += size
    return out
