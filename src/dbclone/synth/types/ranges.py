"""PostgreSQL ranges and multiranges over integers, numerics, dates and timestamps.

Learned: the share of empty ranges and of unbounded ends, the bounds' brackets, the lower
bound's quantiles, the width's quantiles, the bounds' granularity (whole days, hours, cents);
for multiranges the number of ranges and the gaps between them. Generated: new ranges with
those shapes, as text literals (`[3,7)`, `{[2020-01-01,2020-01-05)}`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

import numpy as np

from dbclone.synth.types._common import choose, counts, draw, grid, share, type_name

_BASES = {"int4range": "int", "int8range": "int", "numrange": "num", "daterange": "date",
          "tsrange": "ts", "tstzrange": "tstz"}
TYPES = (("range", "postgresql", tuple(_BASES)),
         ("multirange", "postgresql", tuple(b.replace("range", "multirange") for b in _BASES)))
_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_TZ = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_TEXT = re.compile(r'^([\[(])"?([^,"]*)"?,"?([^,"]*)"?([\])])$')


class _Bounds:
    """One range as numbers: lower, upper (None when unbounded), brackets, emptiness."""

    def __init__(self, value: Any) -> None:
        self.empty = bool(getattr(value, "isempty", False)) or str(value) == "empty"
        if hasattr(value, "lower"):
            self.lower, self.upper = value.lower, value.upper
            self.brackets = value.bounds if not self.empty else "[)"
        else:
            m = _TEXT.match(str(value).strip())
            self.lower = m[2] or None if m else None
            self.upper = m[3] or None if m else None
            self.brackets = (m[1] + m[4]) if m else "[)"


def _number(value: Any, base: str) -> float:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return (value - _EPOCH_TZ).total_seconds()
        return (value - _EPOCH).total_seconds()
    if isinstance(value, dt.date):
        return float((value - _EPOCH.date()).days)
    if base == "date":
        return float((dt.date.fromisoformat(str(value)) - _EPOCH.date()).days)
    if base in ("ts", "tstz"):
        return _number(dt.datetime.fromisoformat(str(value).replace(" ", "T")), base)
    return float(decimal.Decimal(str(value)))


def _step(numbers: list[float], base: str) -> float:
    steps = {"ts": (86400.0, 3600.0, 60.0, 1.0), "tstz": (86400.0, 3600.0, 60.0, 1.0),
             "date": (1.0,), "int": (1.0,), "num": (1.0, 0.1, 0.01, 0.001, 0.0001)}[base]
    arr = np.asarray(numbers, dtype=float)
    for s in steps:
        if np.all(np.abs(arr / s - np.round(arr / s)) < 1e-6):
            return s
    return 0.0


def _fit_ranges(items: list[_Bounds], base: str, k: int) -> dict[str, Any]:
    full = [b for b in items if not b.empty]
    lows = [_number(b.lower, base) for b in full if b.lower is not None]
    pairs = [(_number(b.lower, base), _number(b.upper, base)) for b in full
             if b.lower is not None and b.upper is not None]
    brackets, probs = counts((b.brackets for b in full), 1)
    return {"base": base, "empty": share(b.empty for b in items),
            "no_lower": share(b.lower is None for b in full),
            "no_upper": share(b.upper is None for b in full),
            "brackets": brackets, "bprobs": probs, "lower": grid(lows),
            "width": grid(u - lo for lo, u in pairs),
            "step": _step(lows + [u for _, u in pairs], base)}


def fit(values: list[Any], sql_type: str, k: int) -> dict[str, Any]:
    name = type_name(sql_type)
    base = _BASES.get(name.replace("multirange", "range"), "num")
    if "multirange" not in name:
        return _fit_ranges([_Bounds(v) for v in values], base, k)
    groups = [list(v) if not isinstance(v, str) else _split_multi(v) for v in values]
    params = _fit_ranges([_Bounds(r) for g in groups for r in g], base, k)
    gaps = [_number(b.lower, base) - _number(a.upper, base)
            for g in groups for a, b in zip(map(_Bounds, g), map(_Bounds, g[1:]), strict=False)
            if a.upper is not None and b.lower is not None]
    params.update(multi=True, count=grid(len(g) for g in groups), gap=grid(gaps))
    return params


def _split_multi(text: str) -> list[str]:
    return re.findall(r"[\[(][^\])]*[\])]", text)


def sample(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    if not params.get("multi"):
        return [_literal(params, lo, hi, br) for lo, hi, br in _draw_ranges(params, n, rng)]
    sizes = np.maximum(np.round(draw(params["count"], n, rng)).astype(int), 0)
    out = []
    for size in sizes.tolist():
        parts = []
        at = None
        for lo, hi, br in _draw_ranges(params, size, rng, empty=False):
            if at is not None and lo is not None:  # ranges follow each other, gaps apart
                shift = at + abs(float(draw(params["gap"], 1, rng)[0])) + params["step"] - lo
                lo, hi = lo + shift, (hi + shift if hi is not None else None)
            at = hi if hi is not None else at
            parts.append(_literal(params, lo, hi, br))
        out.append("{" + ",".join(p for p in parts if p != "empty") + "}")
    return out


def _draw_ranges(params: dict[str, Any], n: int, rng: np.random.Generator,
                 empty: bool = True) -> list[tuple[float | None, float | None, str]]:
    lows = draw(params["lower"], n, rng)
    widths = np.abs(draw(params["width"], n, rng))
    step = params["step"]
    if step:
        lows = np.round(lows / step) * step
        widths = np.maximum(np.round(widths / step) * step, step)
    brackets = choose(params["brackets"] or ["[)"], params["bprobs"] or [1.0], n, rng)
    is_empty = rng.random(n) < (params["empty"] if empty else 0.0)
    no_lower = rng.random(n) < params["no_lower"]
    no_upper = rng.random(n) < params["no_upper"]
    out: list[tuple[float | None, float | None, str]] = []
    for i in range(n):
        if is_empty[i]:
            out.append((float("nan"), None, "empty"))
            continue
        lo = None if no_lower[i] else float(lows[i])
        hi = None if no_upper[i] else float(lows[i] + widths[i])
        out.append((lo, hi, brackets[i]))
    return out


def _literal(params: dict[str, Any], lo: float | None, hi: float | None, br: str) -> str:
    if br == "empty":
        return "empty"
    left, right = ("(" if lo is None else br[0]), (")" if hi is None else br[1])
    return f"{left}{_format(params, lo)},{_format(params, hi)}{right}"


def _format(params: dict[str, Any], x: float | None) -> str:
    if x is None:
        return ""
    base = params["base"]
    if base == "int":
        return str(int(round(x)))
    if base == "date":
        return (_EPOCH.date() + dt.timedelta(days=int(round(x)))).isoformat()
    if base == "ts":
        return f'"{_EPOCH + dt.timedelta(seconds=round(x, 6))}"'
    if base == "tstz":
        return f'"{_EPOCH_TZ + dt.timedelta(seconds=round(x, 6))}"'
    digits = max(0, -int(np.floor(np.log10(params["step"])))) if params["step"] else 6
    return f"{x:.{digits}f}"
