"""CHECK repair: rows a CHECK rejects are repaired where a simple rule can (an allowed value,
a value in the format, clipped to a bound, two columns put in order, another row's values for
a group of columns), and dropped where none can (`repair`). The CHECKs are evaluated by
`constraints`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np

from dbclone.schema import Column, Table
from dbclone.synth.constraints import (
    Columns,
    Unsupported,
    check_pattern,
    constant,
    parse,
    satisfied,
    strip,
    unparen,
)


def repair(table: Table, dialect: str, data: Columns, rng: np.random.Generator, *,
           fix: bool = True) -> tuple[Columns, list[str]]:
    """Make every evaluable CHECK hold: targeted fixes first, then the check's columns copied
    from a random valid synthetic row, and the rows that still fail are dropped. With
    fix=False, only drop. Returns the rows kept and notes on CHECKs that were not evaluable."""
    notes: list[str] = []
    exprs = []
    for check in table.checks:
        try:
            exprs.append(parse(check.sqltext, dialect))
        except Unsupported as why:
            notes.append(f"{table.name}: CHECK {check.sqltext!r} not evaluated ({why})")
    keys = {c for fk in table.foreign_keys for c in fk.columns} | set(table.primary_key)
    live = []
    for expr in exprs:
        n = _rows(data)
        try:
            ok = satisfied(expr, data, n)
            if fix and not ok.all():
                _fix(expr, table, data, ~ok, rng)
                ok = satisfied(expr, data, n)
            if fix and not ok.all():
                _donate(expr, data, ok, keys, rng)
            live.append(expr)
        except Unsupported as why:
            notes.append(f"{table.name}: CHECK {expr.sql()!r} not evaluated ({why})")
    keep = np.ones(_rows(data), dtype=bool)
    for expr in live:  # a later repair may have broken an earlier CHECK: verify all again
        keep &= satisfied(expr, data, len(keep))
    if not keep.all():
        data = {c: v[keep] for c, v in data.items()}
    return data, notes


def _rows(data: Columns) -> int:
    return len(next(iter(data.values()))) if data else 0


def _donate(expr: Any, data: Columns, ok: np.ndarray, keys: set[str],
            rng: np.random.Generator) -> None:
    """Give each failing row the check's columns of a random row that passes."""
    from sqlglot import exp

    donors = np.flatnonzero(ok)
    if not len(donors):
        return
    names = {_name(data, c.name) for c in expr.find_all(exp.Column)}
    cols = [c for c in names if c is not None and c not in keys]
    bad = np.flatnonzero(~ok)
    picks = donors[rng.integers(0, len(donors), len(bad))]
    for c in cols:
        data[c][bad] = data[c][picks]


def _fix(expr: Any, table: Table, data: Columns, bad: np.ndarray,
         rng: np.random.Generator) -> None:
    """Targeted repairs for the common shapes; anything else is dropped by the caller."""
    from sqlglot import exp

    node = unparen(expr)
    if isinstance(node, exp.And):
        _fix(node.this, table, data, bad, rng)
        _fix(node.expression, table, data, bad, rng)
        return
    bad = bad & ~satisfied(node, data, len(bad))  # only rows this part rejects
    if not bad.any():
        return
    if isinstance(node, exp.Or):
        left, right = unparen(node.this), unparen(node.expression)
        _fix(right if isinstance(left, exp.Is) else left, table, data, bad, rng)
        return
    for repair in _REPAIRS:  # the first that knows the node's shape repairs it
        if repair(node, table, data, bad, rng):
            return


def _fix_any(node: Any, table: Table, data: Columns, bad: np.ndarray,
             rng: np.random.Generator) -> bool:
    """``col = ANY (ARRAY[...])``: an allowed value."""
    from sqlglot import exp

    if not (isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any)
            and isinstance(strip(node.this), exp.Column)):
        return False
    inner = strip(node.expression.this)
    if isinstance(inner, exp.Array):
        options = [constant(e) for e in inner.expressions]
        _choose(data, strip(node.this).name, bad, [o for o in options if o is not None], rng)
    return True


def _fix_pattern(node: Any, table: Table, data: Columns, bad: np.ndarray,
                 rng: np.random.Generator) -> bool:
    """A format (regex, GLOB, LIKE): a new value in it."""
    from sqlglot import exp

    pattern = check_pattern(node)
    if pattern is None or not isinstance(strip(node.this), exp.Column):
        return False
    col = _name(data, strip(node.this).name)
    if col is not None:
        column = column_for(table, col)
        width = column.length if column is not None else None
        for i in np.flatnonzero(bad):
            if data[col][i] is not None:
                data[col][i] = pattern.generate(rng)[:width] if width else pattern.generate(rng)
    return True


def _fix_between(node: Any, table: Table, data: Columns, bad: np.ndarray,
                 rng: np.random.Generator) -> bool:
    from sqlglot import exp

    if not (isinstance(node, exp.Between) and isinstance(node.this, exp.Column)):
        return False
    lo, hi = constant(node.args["low"]), constant(node.args["high"])
    if lo is not None and hi is not None:
        _clip(data, table, node.this.name, bad, lo, hi)
    return True


def _fix_in(node: Any, table: Table, data: Columns, bad: np.ndarray,
            rng: np.random.Generator) -> bool:
    from sqlglot import exp

    if not (isinstance(node, exp.In) and isinstance(strip(node.this), exp.Column)):
        return False
    options = [constant(e) for e in node.expressions]
    _choose(data, strip(node.this).name, bad, [o for o in options if o is not None], rng)
    return True


def _fix_comparison(node: Any, table: Table, data: Columns, bad: np.ndarray,
                    rng: np.random.Generator) -> bool:
    from sqlglot import exp

    if not isinstance(node, exp.GT | exp.GTE | exp.LT | exp.LTE):
        return False
    _fix_compare(node, table, data, bad)
    return True


_REPAIRS: tuple[Callable[[Any, Table, Columns, np.ndarray, np.random.Generator], bool], ...] = (
    _fix_any, _fix_pattern, _fix_between, _fix_in, _fix_comparison)


def _name(data: Columns, name: str) -> str | None:
    return {k.lower(): k for k in data}.get(name.lower())


def _clip(data: Columns, table: Table, name: str, bad: np.ndarray, lo: Any, hi: Any) -> None:
    col = _name(data, name)
    if col is None:
        return
    arr = data[col]
    for i in np.flatnonzero(bad):
        x = arr[i]
        if isinstance(x, int | float) and not isinstance(x, bool):
            arr[i] = type(x)(min(max(x, lo), hi))


def _choose(data: Columns, name: str, bad: np.ndarray, options: list[Any],
            rng: np.random.Generator) -> None:
    col = _name(data, name)
    if col is None or not options:
        return
    arr = data[col]
    for i in np.flatnonzero(bad):
        if arr[i] is not None:
            arr[i] = options[int(rng.integers(0, len(options)))]


def _fix_compare(node: Any, table: Table, data: Columns, bad: np.ndarray) -> None:
    from sqlglot import exp

    left, right = strip(node.this), strip(node.expression)
    strict = isinstance(node, exp.GT | exp.LT)
    # Normalise to "big >= small".
    if isinstance(node, exp.LT | exp.LTE):
        left, right = right, left
    if isinstance(left, exp.Column) and isinstance(right, exp.Column):
        big, small = _name(data, left.name), _name(data, right.name)
        if big is not None and small is not None:
            _order(data, big, small, bad, strict)
        return
    bound = constant(right) if isinstance(left, exp.Column) else constant(left)
    column = left if isinstance(left, exp.Column) else right
    if bound is None or not isinstance(column, exp.Column):
        return
    col = _name(data, column.name)
    if col is None:
        return
    is_lower = isinstance(left, exp.Column)  # column >= bound
    for i in np.flatnonzero(bad):
        x = data[col][i]
        if isinstance(x, int | float) and not isinstance(x, bool):
            target = bound if not strict else (_step(bound) if is_lower else _step(bound, -1))
            data[col][i] = type(x)(target)


def _order(data: Columns, big: str, small: str, bad: np.ndarray, strict: bool) -> None:
    """Swap the two columns where `small` exceeds `big` (and step `big` up where they must
    differ)."""
    for i in np.flatnonzero(bad):
        a, b = data[big][i], data[small][i]
        if a is None or b is None:
            continue
        if b > a:
            data[big][i], data[small][i] = b, a
        if strict and data[big][i] == data[small][i]:
            data[big][i] = _step(data[big][i])


def _step(value: Any, sign: int = 1) -> Any:
    if isinstance(value, dt.datetime):
        return value + sign * dt.timedelta(seconds=1)
    if isinstance(value, dt.date):
        return value + sign * dt.timedelta(days=1)
    if isinstance(value, int):
        return value + sign
    if isinstance(value, float):
        return value + sign * max(abs(value) * 1e-6, 0.01)
    return value


def column_for(table: Table, name: str) -> Column | None:
    for c in table.columns:
        if c.name.lower() == name.lower():
            return c
    return None
