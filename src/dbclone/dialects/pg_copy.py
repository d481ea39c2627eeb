"""Rows to PostgreSQL COPY text format, a column at a time.

Encoding cell by cell in Python (type tests, four `replace` calls) cost more than the COPY
itself. Here each column is converted with one `map(str, ...)` when its values are of types
whose `str()` is already valid COPY text (numbers, dates, times, strings without special
characters); only the columns that need it go through the per-cell encoder.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Sequence
from typing import Any

NULL = "\\N"
#: Types whose str() is valid COPY text (never containing a tab, newline or backslash).
_PLAIN = frozenset({int, float, decimal.Decimal, dt.date, dt.datetime, dt.time, dt.timedelta,
                    uuid.UUID})
_SPECIAL = ("\\", "\t", "\n", "\r")


#: Rows per write inside one COPY: small enough for encoding and sending to overlap.
CHUNK_ROWS = 5000


def encode_rows(rows: Sequence[tuple[Any, ...]]) -> str:
    """The rows as one block of COPY text (tab-separated, newline-terminated)."""
    return encode_columns([list(col) for col in zip(*rows, strict=True)]) if rows else ""


def encode_columns(values: Sequence[list[Any]]) -> str:
    """Rows given column by column, as one block of COPY text."""
    if not values or not values[0]:
        return ""
    columns = [_encode_column(col) for col in values]
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


def _encode_column(values: list[Any]) -> list[str]:
    kinds = set(map(type, values))
    has_null = type(None) in kinds
    kinds.discard(type(None))
    if kinds <= _PLAIN:
        if not kinds <= {int, float}:  # str() of dates, times, decimals is slow: once each
            distinct = set(values)
            if len(distinct) * 4 < len(values):
                once = {v: NULL if v is None else str(v) for v in distinct}
                return list(map(once.__getitem__, values))
        return [NULL if v is None else str(v) for v in values] if has_null \
            else list(map(str, values))
    if kinds == {str}:
        text = [NULL if v is None else v for v in values] if has_null else values
        joined = "".join(v for v in values if v is not None) if has_null else "".join(values)
        if not any(ch in joined for ch in _SPECIAL):
            return text
    return [encode_value(v) for v in values]


def encode_value(value: Any) -> str:
    """One field in COPY's text format."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\\\x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        value = "{" + ",".join(_array_item(v) for v in value) + "}"
    text = str(value)
    return (text.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r"))


def _array_item(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, list | tuple):  # a multi-dimensional array's row, as braces
        return "{" + ",".join(_array_item(v) for v in value) + "}"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


# -- binary COPY ---------------------------------------------------------------------------------
# psycopg writes binary rows in C, about four times faster than the text encoding above. It is
# used when every column is of a base type below and every value of the batch has the Python
# type that type's binary dumper takes; anything else (enums, domains, arrays, a float headed for
# a numeric column...) goes through the text format, which accepts any value's str().

_BINARY_TYPES: dict[str, frozenset[type]] = {
    "int2": frozenset({int}), "int4": frozenset({int}), "int8": frozenset({int}),
    "float4": frozenset({float}), "float8": frozenset({float}),
    "numeric": frozenset({decimal.Decimal}), "bool": frozenset({bool}),
    "text": frozenset({str}), "varchar": frozenset({str}),
    "date": frozenset({dt.date}), "timestamp": frozenset({dt.datetime}),
    "timestamptz": frozenset({dt.datetime}), "time": frozenset({dt.time}),
    "bytea": frozenset({bytes}),
}

_TYPES_SQL = """
SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped"""


def column_types(cursor: Any, qualified: str, columns: Sequence[str]) -> list[str] | None:
    """The columns' type names in the target, when all of them can be written in binary."""
    found: dict[str, str] = dict(cursor.execute(_TYPES_SQL, (qualified,)).fetchall())
    types = [found.get(c, "") for c in columns]
    return types if all(t in _BINARY_TYPES for t in types) else None


def binary_ok(types: Sequence[str], values: Sequence[list[Any]]) -> bool:
    """Every value has the Python type its column's binary dumper expects."""
    for typ, col in zip(types, values, strict=True):
        kinds = set(map(type, col))
        kinds.discard(type(None))
        if not kinds <= _BINARY_TYPES[typ]:
            return False
        if typ in ("timestamp", "timestamptz"):
            aware = {v.tzinfo is not None for v in col if v is not None}
            if aware and aware != {typ == "timestamptz"}:
                return False
    return True
