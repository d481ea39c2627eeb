"""CHECK constraints hold by construction: evaluate each CHECK on generated rows (here), repair
what a simple rule can repair (clip to a bound, pick an allowed value, order two columns) and
drop the rows that still fail (`repair`) — so the database is never the first to notice a
violation.

The CHECK's SQL is parsed with sqlglot in the source's dialect and evaluated over the generated
column arrays with SQL's three-valued logic (a CHECK passes when its value is TRUE or NULL).
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from dbclone.schema import Table
from dbclone.synth import strgen
from dbclone.synth.tables import Columns

_READ = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}


class Unsupported(Exception):
    """The CHECK uses SQL this evaluator does not know; it is then left to the database."""


class _V:
    """An evaluated expression: values plus a NULL mask (scalars broadcast)."""

    def __init__(self, values: Any, null: Any) -> None:
        self.values = values
        self.null = null


def parse(sqltext: str, dialect: str) -> Any:
    import sqlglot

    try:
        return sqlglot.parse_one(sqltext, read=_READ.get(dialect, dialect))
    except Exception as exc:  # noqa: BLE001 - sqlglot raises several error types
        raise Unsupported(str(exc)) from None


def satisfied(expr: Any, data: Columns, n: int) -> np.ndarray:
    """True for rows where the CHECK holds (TRUE or NULL)."""
    v = _eval(expr, data, n)
    vals = np.broadcast_to(np.asarray(v.values, dtype=object), (n,))
    null = np.broadcast_to(np.asarray(v.null, dtype=bool), (n,))
    return null | np.asarray([bool(x) if x is not None else True for x in vals], dtype=bool)


def _col(data: Columns, name: str, n: int) -> _V:
    if name not in data:
        match = {k.lower(): k for k in data}.get(name.lower())
        if match is None:
            raise Unsupported(f"unknown column {name}")
        name = match
    arr = data[name]
    null = np.asarray([x is None for x in arr], dtype=bool)
    return _V(arr, null)


def _lit(node: Any) -> Any:
    if node.is_string:
        return node.this
    text = node.this
    return float(text) if any(c in text for c in ".eE") else int(text)


def _eval(node: Any, data: Columns, n: int) -> _V:  # noqa: C901 - one branch per node type
    from sqlglot import exp

    if isinstance(node, exp.Paren):
        return _eval(node.this, data, n)
    if isinstance(node, exp.Column):
        return _col(data, node.name, n)
    if isinstance(node, exp.Literal):
        return _V(_lit(node), False)
    if isinstance(node, exp.Null):
        return _V(None, True)
    if isinstance(node, exp.Boolean):
        return _V(bool(node.this), False)
    if isinstance(node, exp.Cast):
        inner = _eval(node.this, data, n)
        if _numeric_type(node) and isinstance(inner.values, str):
            return _V(_number(inner.values), inner.null)  # '-1000'::integer
        return inner
    if isinstance(node, exp.Neg):
        v = _eval(node.this, data, n)
        return _V(_map1(v.values, lambda x: -x), v.null)
    if isinstance(node, exp.Not):
        v = _eval(node.this, data, n)
        return _V(_map1(v.values, lambda x: not x), v.null)
    if isinstance(node, exp.And | exp.Or):
        return _logic(node, data, n)
    if isinstance(node, exp.Is):
        v = _eval(node.this, data, n)
        if not isinstance(node.expression, exp.Null):
            raise Unsupported("IS with a non-NULL operand")
        is_null = np.asarray(v.null, dtype=bool)
        return _V(~is_null if node.args.get("negate") else is_null, False)
    if isinstance(node, exp.Between):
        low = _compare(operator.ge, _eval(node.this, data, n), _eval(node.args["low"], data, n))
        high = _compare(operator.le, _eval(node.this, data, n),
                        _eval(node.args["high"], data, n))
        return _and(low, high)
    if isinstance(node, exp.In):
        options = [_eval(e, data, n).values for e in node.expressions]
        return _member(_eval(node.this, data, n), options)
    if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
        inner = strip(node.expression.this)
        if not isinstance(inner, exp.Array):
            raise Unsupported("ANY over a non-array")
        return _member(_eval(node.this, data, n),
                       [_eval(e, data, n).values for e in inner.expressions])
    ops: dict[Any, Callable[[Any, Any], Any]] = {
        exp.EQ: operator.eq, exp.NEQ: operator.ne, exp.GT: operator.gt, exp.GTE: operator.ge,
        exp.LT: operator.lt, exp.LTE: operator.le, exp.Add: operator.add,
        exp.Sub: operator.sub, exp.Mul: operator.mul, exp.Div: operator.truediv}
    for cls, op in ops.items():
        if type(node) is cls:
            return _compare(op, _eval(node.this, data, n), _eval(node.expression, data, n))
    pattern = check_pattern(node)
    if pattern is not None:
        v = _eval(node.this, data, n)
        return _V(_map1(v.values, lambda x: pattern.matches(str(x))), v.null)
    if isinstance(node, exp.Length):
        v = _eval(node.this, data, n)
        return _V(_map1(v.values, lambda x: len(str(x))), v.null)
    if isinstance(node, exp.Lower | exp.Upper):
        v = _eval(node.this, data, n)
        fn = str.lower if isinstance(node, exp.Lower) else str.upper
        return _V(_map1(v.values, lambda x: fn(str(x))), v.null)
    raise Unsupported(f"{type(node).__name__} in a CHECK")


def check_pattern(node: Any) -> strgen.Pattern | None:
    """The format demanded by a REGEXP / ~ / GLOB / LIKE node, if it is one."""
    from sqlglot import exp

    if not isinstance(node, exp.RegexpLike | exp.Glob | exp.Like):
        return None
    text = constant(node.expression)
    if not isinstance(text, str):
        raise Unsupported("a pattern that is not a literal")
    try:
        if isinstance(node, exp.Glob):
            return strgen.from_glob(text)
        if isinstance(node, exp.Like):
            return strgen.from_like(text)
        return strgen.Pattern(text)
    except (re.error, ValueError) as exc:
        raise Unsupported(f"pattern {text!r}: {exc}") from None


def column_patterns(table: Table, dialect: str) -> dict[str, strgen.Pattern]:
    """Columns whose CHECK demands a format, with that format (for generating new values)."""
    if not table.checks:
        return {}  # no CHECK: sqlglot (a third of a second to import) is not needed
    from sqlglot import exp

    out: dict[str, strgen.Pattern] = {}
    for check in table.checks:
        try:
            tree = parse(check.sqltext, dialect)
            for node in tree.find_all(exp.RegexpLike, exp.Glob, exp.Like):
                pattern = check_pattern(node)
                if pattern is not None and isinstance(strip(node.this), exp.Column):
                    out[strip(node.this).name] = pattern
        except Unsupported:
            continue
    return out


def _numeric_type(cast: Any) -> bool:
    from sqlglot import exp

    to = cast.args.get("to")
    return isinstance(to, exp.DataType) and to.this in exp.DataType.NUMERIC_TYPES


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise Unsupported(f"{text!r} is not a number") from None


def _map1(values: Any, fn: Callable[[Any], Any]) -> Any:
    if isinstance(values, np.ndarray):
        return np.asarray([None if x is None else fn(x) for x in values], dtype=object)
    return None if values is None else fn(values)


def _coerce(a: Any, b: Any) -> tuple[Any, Any]:
    """Compare dates with date literals, numbers with numeric strings."""
    if isinstance(a, dt.datetime) and isinstance(b, str):
        return a, dt.datetime.fromisoformat(b)
    if isinstance(a, dt.date) and isinstance(b, str):
        return a, dt.date.fromisoformat(b[:10])
    if isinstance(b, dt.date) and isinstance(a, str):
        b2, a2 = _coerce(b, a)
        return a2, b2
    if isinstance(a, dt.datetime) and not isinstance(b, dt.datetime) and isinstance(b, dt.date):
        return a.date(), b
    if isinstance(b, dt.datetime) and not isinstance(a, dt.datetime) and isinstance(a, dt.date):
        return a, b.date()
    return a, b


def _compare(op: Callable[[Any, Any], Any], a: _V, b: _V) -> _V:
    av, bv = a.values, b.values
    null = np.logical_or(a.null, b.null)
    if not isinstance(av, np.ndarray) and not isinstance(bv, np.ndarray):
        return _V(None if null else op(*_coerce(av, bv)), null)
    n = len(av) if isinstance(av, np.ndarray) else len(bv)
    out = np.empty(n, dtype=object)
    try:
        for i in range(n):
            x = av[i] if isinstance(av, np.ndarray) else av
            y = bv[i] if isinstance(bv, np.ndarray) else bv
            out[i] = None if x is None or y is None else op(*_coerce(x, y))
    except TypeError as exc:  # e.g. text compared with a number: leave it to the database
        raise Unsupported(str(exc)) from None
    return _V(out, np.broadcast_to(null, (n,)) if np.ndim(null) == 0 else null)


def _member(v: _V, options: list[Any]) -> _V:
    allowed = set(options)
    return _V(_map1(v.values, lambda x: x in allowed), v.null)


def _truth(v: _V, n: int) -> tuple[np.ndarray, np.ndarray]:
    vals = np.broadcast_to(np.asarray(v.values, dtype=object), (n,))
    null = np.broadcast_to(np.asarray(v.null, dtype=bool), (n,)) | np.asarray(
        [x is None for x in vals], dtype=bool)
    true = np.asarray([bool(x) if x is not None else False for x in vals], dtype=bool) & ~null
    return true, null


def _and(a: _V, b: _V) -> _V:
    n = max(np.size(a.values), np.size(b.values))
    at, an = _truth(a, n)
    bt, bn = _truth(b, n)
    false = (~at & ~an) | (~bt & ~bn)
    null = ~false & (an | bn)
    return _V(np.asarray(np.where(null, None, ~false & at & bt), dtype=object), null)


def _logic(node: Any, data: Columns, n: int) -> _V:
    from sqlglot import exp

    a, b = _eval(node.this, data, n), _eval(node.expression, data, n)
    if isinstance(node, exp.And):
        return _and(a, b)
    at, an = _truth(a, n)
    bt, bn = _truth(b, n)
    true = at | bt
    null = ~true & (an | bn)
    return _V(np.asarray(np.where(null, None, true), dtype=object), null)


# -- repair ------------------------------------------------------------------------------------

def strip(node: Any) -> Any:
    """The expression inside any parentheses and casts (``(status)::text`` is status)."""
    from sqlglot import exp

    while isinstance(node, exp.Paren | exp.Cast):
        node = node.this
    return node


def unparen(node: Any) -> Any:
    from sqlglot import exp

    while isinstance(node, exp.Paren):
        node = node.this
    return node


def constant(node: Any) -> Any:
    from sqlglot import exp

    node = unparen(node)
    numeric = False
    while isinstance(node, exp.Cast):
        numeric = numeric or _numeric_type(node)
        node = unparen(node.this)
    if isinstance(node, exp.Literal):
        value = _lit(node)
        return _number(value) if numeric and isinstance(value, str) else value
    if isinstance(node, exp.Neg):
        inner = constant(node.this)
        return -inner if inner is not None else None
    return None
