"""Value codecs, written once for both halves: source values to numbers (dates as days,
timestamps as seconds since 1970, times as seconds) for fitting, generated numbers back into
the column's Python type, model-file JSON values back into Python values, and the small
conversions every rule shares (floats with NaN for NULL, probabilities normalised).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from dbclone.schema import Column

EPOCH = dt.datetime(1970, 1, 1)


NUMERIC_KINDS = ("integer", "float", "decimal")


def known_numbers(col: Column, series: pd.Series) -> pd.Series:
    known = series.dropna()
    return pd.Series(source_floats(col, known), index=known.index, dtype=float)


def source_floats(col: Column, values: pd.Series) -> np.ndarray:
    """Numbers as floats; dates as days, timestamps as seconds since 1970, times as seconds."""
    if col.kind == "date":
        try:  # numpy parses date objects and ISO strings in C; past 2262 where pandas cannot
            return np.array(list(values), dtype="datetime64[D]").astype("int64").astype(float)
        except (ValueError, TypeError):
            return np.asarray([(_to_date(v) - EPOCH.date()).days for v in values], dtype=float)
    if col.kind == "datetime" and not col.timezone:
        try:  # microseconds kept: a constant last_update must come back exactly
            stamps = np.array(list(values), dtype="datetime64[us]").astype("int64")
            return stamps.astype(float) / 1e6
        except (ValueError, TypeError):
            pass
    if col.kind == "datetime":
        stamps = pd.to_datetime(values, utc=col.timezone, errors="coerce")
        if col.timezone:
            stamps = stamps.dt.tz_convert(None)
        return np.asarray((stamps - pd.Timestamp(EPOCH)).dt.total_seconds(), dtype=float)
    if col.kind == "time":
        return np.asarray([_time_seconds(v) for v in values], dtype=float)
    if col.kind == "interval":
        return np.asarray(pd.to_timedelta(values).dt.total_seconds(), dtype=float)
    return np.asarray(pd.to_numeric(values, errors="coerce").astype(float))


def _to_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(str(value)).date()


def _time_seconds(value: object) -> float:
    if isinstance(value, dt.timedelta):  # MySQL returns TIME as timedelta
        return value.total_seconds()
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    t = pd.Timestamp(f"1970-01-01 {value}")
    return float(t.hour * 3600 + t.minute * 60 + t.second)


def jsonable(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dt.date | dt.time | dt.datetime):
        return value.isoformat()
    return value


MIN_DAY = (dt.date.min - EPOCH.date()).days


MAX_DAY = (dt.date.max - EPOCH.date()).days


_EPOCH_DAY = EPOCH.date().toordinal()


_SECOND = dt.timedelta(seconds=1)


def to_numbers(col: Column, values: np.ndarray) -> np.ndarray:
    """Dates as days and timestamps as seconds since 1970 (NaN for NULL)."""
    n = len(values)
    try:  # one cheap call per value (numpy parses date objects 20x slower)
        if col.kind == "date":
            return np.fromiter((np.nan if v is None else v.toordinal() - _EPOCH_DAY
                                for v in values), float, n)
        if col.kind == "datetime":
            return np.fromiter((np.nan if v is None else (v.replace(tzinfo=None) - EPOCH)
                                // _SECOND for v in values), float, n)
        return np.fromiter((np.nan if v is None else float(v) for v in values), float, n)
    except (AttributeError, TypeError, ValueError):  # strings, dates in a timestamp column
        pass
    if col.kind == "date":
        vals = [v.date() if isinstance(v, dt.datetime) else v for v in values]
        arr = np.array(vals, dtype="datetime64[D]")
    else:
        vals = [v.replace(tzinfo=None) if isinstance(v, dt.datetime) and v.tzinfo else v
                for v in values]
        arr = np.array(vals, dtype="datetime64[s]")
    out = arr.astype("int64").astype(float)
    out[np.isnat(arr)] = np.nan
    return out


def to_python(col: Column, raw: np.ndarray) -> np.ndarray:
    """Numbers back into the column's Python type (dates, timestamps, decimals...)."""
    kind = col.kind
    if kind == "date":
        days = np.clip(np.round(raw), MIN_DAY, MAX_DAY).astype("int64")
        return np.asarray(days.astype("datetime64[D]").astype(object), dtype=object)
    if kind == "datetime":
        micros = np.round(np.clip(raw, MIN_DAY * 86400, MAX_DAY * 86400) * 1e6)
        out = np.asarray(micros.astype("int64").astype("datetime64[us]").astype(object),
                         dtype=object)
        if col.timezone:
            out = np.asarray([v.replace(tzinfo=dt.UTC) for v in out], dtype=object)
        return out
    if kind == "time":
        return np.asarray([(dt.datetime.min + dt.timedelta(seconds=int(s) % 86400)).time()
                           for s in raw], dtype=object)
    if kind == "interval":
        return np.asarray([dt.timedelta(seconds=float(s)) for s in raw], dtype=object)
    raw = np.asarray(raw, dtype=float)
    if kind == "integer":
        if len(raw) and np.isfinite(raw).all() and np.abs(raw).max() < 2.0**62:
            return raw.astype(np.int64).astype(object)  # truncated, as int() does
        low, high = integer_bounds(col)  # a float near 2**64 rounds past BIGINT UNSIGNED
        return np.asarray([min(max(int(v), low), high) for v in raw], dtype=object)
    if kind == "decimal" and col.scale is not None:
        places = col.scale
        return _objects([round(v, places) for v in raw.tolist()])
    return raw.astype(object)


#: Bytes of each integer type, by the first word of its name.
_INT_BYTES = {"tinyint": 1, "smallint": 2, "int2": 2, "mediumint": 3, "int": 4, "integer": 4,
              "int4": 4, "serial": 4, "bigint": 8, "int8": 8, "bigserial": 8}


def integer_bounds(col: Column) -> tuple[int, int]:
    """The least and greatest value the column's integer type holds (64-bit when unknown)."""
    size = _INT_BYTES.get(col.sql_type.lower().split("(")[0].split()[0], 8) * 8
    if col.unsigned:
        return 0, 2**size - 1
    return -(2 ** (size - 1)), 2 ** (size - 1) - 1


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def as_floats(values: np.ndarray) -> np.ndarray:
    """Numbers (None for NULL) as floats (NaN)."""
    try:
        out = np.array(values, dtype=object)
        out[out == None] = np.nan  # noqa: E711 - elementwise on an object array
        return out.astype(float)
    except (TypeError, ValueError):
        return np.fromiter((np.nan if v is None else float(v) for v in values), float,
                           len(values))


def from_json(col: Column, values: list[Any]) -> np.ndarray:
    """Values stored in the model file back into the column's Python type."""
    parse = {"date": dt.date.fromisoformat, "datetime": dt.datetime.fromisoformat,
             "time": dt.time.fromisoformat}.get(col.kind)
    if col.kind == "integer":  # a nullable integer column was read as floats (14.0)
        return np.asarray([int(v) if isinstance(v, float) and v.is_integer() else v
                           for v in values], dtype=object)
    if parse is None:
        return np.asarray(values, dtype=object)
    return np.asarray([parse(v) if isinstance(v, str) else v for v in values], dtype=object)


def normalized(probs: tuple[float, ...] | np.ndarray) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return p / p.sum()


def py_value(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
