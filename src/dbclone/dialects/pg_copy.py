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
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
