"""Checks that need no data, run before the slow work starts: the scale, the size of the
clone it gives, and the target (reachable, of a dialect the source can go to, empty unless
--replace). A typo in a cron line fails in a second, not after hours of fitting, and never
after the target was touched."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable

from sqlalchemy.engine import Engine

from dbclone.connect import engine_for
from dbclone.dialects.typemap import to_sqlite
from dbclone.errors import UsageError
from dbclone.load import check_target
from dbclone.schema import Schema


def check_scale(scale: float) -> None:
    """A positive, finite --scale."""
    if not isinstance(scale, int | float) or not math.isfinite(scale) or scale <= 0:
        raise UsageError(f"--scale must be a positive number, not {scale}")


def check_size(counts: Iterable[tuple[str, float]], scale: float) -> None:
    """Refuse a scale at which every table that has rows would get none (the clone would
    empty the target): `counts` are (table, rows before scaling) of the modelled tables."""
    check_scale(scale)
    sized = [(n, name) for name, n in counts if n > 0]
    if not sized or any(round(n * scale) >= 1 for n, _ in sized):
        return
    rows, name = max(sized)
    least = 0.5 / rows
    raise UsageError(f"--scale {scale:g} leaves every table empty (the largest, {name}, has "
                     f"{rows:g} rows); use --scale {_round_up(least)} or more")


def _round_up(x: float) -> str:
    digits = max(0, -math.floor(math.log10(x))) + 1
    return f"{math.ceil(x * 10 ** digits) / 10 ** digits:g}"


def check_output(path: str | os.PathLike[str]) -> None:
    """A model file can be written at `path`: its folder exists and is writable."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write the model file {str(path)!r}: folder {folder!r} does "
                         "not exist; create it first")
    if not os.access(folder, os.W_OK) or os.path.isdir(path):
        raise UsageError(f"cannot write the model file {str(path)!r}: not writable here")


def target_for(schema: Schema, target_url: str, replace: bool) -> Engine:
    """The target's engine, once it is known to be reachable, of a dialect `schema` can be
    loaded into (its own, or SQLite by translation) and empty unless `replace`."""
    engine = engine_for(target_url, must_exist=False)
    db = engine.url.database
    if engine.dialect.name == "sqlite" and db and db != ":memory:" and not os.path.exists(db):
        folder = os.path.dirname(os.path.abspath(db))
        if not os.path.isdir(folder):
            raise UsageError(f"cannot create SQLite file {db!r}: folder {folder!r} does not "
                             "exist; create it first")
    if engine.dialect.name == "sqlite" and schema.dialect != "sqlite":
        schema = to_sqlite(schema)
    check_target(engine, schema, replace)
    return engine
