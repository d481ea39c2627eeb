"""Uniqueness: every PK / UNIQUE column set of a generated table is unique, within a chunk
and against the table's earlier chunks (hashes), by perturbing a non-FK member or dropping
the row.

A chunk is made unique in itself wherever it is made (`enforce_unique` without `seen`), and
brings the hashes of its sets that could meet an earlier chunk's (`across_chunks`,
`chunk_hashes`); the sampler's own process compares them with the earlier chunks'
(`clashes`) and only when one repeats perturbs the chunk again, against them.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dbclone.schema import Column, Table
from dbclone.synth.strgen import Pattern
from dbclone.synth.tables import Columns

# Rounds of perturbing a set's duplicates before the rows still duplicated are dropped.
PERTURB_ROUNDS = 8


def enforce_unique(table: Table, data: Columns, rng: np.random.Generator,
                   patterns: dict[str, Pattern] | None = None,
                   seen: dict[tuple[str, ...], list[np.ndarray]] | None = None,
                   local: set[str] = frozenset(),  # type: ignore[assignment]
                   sets: tuple[tuple[str, ...], ...] | None = None) -> Columns:
    """Make every PK / UNIQUE column set unique: perturb a non-FK member, or drop the row.

    With `seen` (64-bit hashes of the values in earlier chunks of the table, one sorted
    array per chunk, updated here), also unique against those; sets that include all of
    `local` need only be unique in the chunk. The chunks' arrays are searched one by one
    rather than merged: merging (np.union1d) and np.isin copied and sorted everything seen
    so far at every chunk, a transient of several times 8 bytes per earlier row. With
    `sets`, only those sets."""
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
    for cols in (table.unique_sets() if sets is None else sets):
        if not all(c in data for c in cols):
            continue
        before: list[np.ndarray] | None = None
        if seen is not None and not (local and local <= set(cols)):
            before = seen.setdefault(tuple(cols), [])
        free = [c for c in cols if c not in fk_cols]
        for attempt in range(PERTURB_ROUNDS + 1):
            dup = _duplicates(pd.DataFrame({c: data[c] for c in cols}), before)
            if not dup.any():
                break
            # The last round only checks: a row its perturbations left a duplicate (a
            # dense column, such as ids of rows elsewhere, where a moved value lands on a
            # taken one) is dropped, as the load would reject it.
            if not free or attempt == PERTURB_ROUNDS:
                data = {c: v[~dup] for c, v in data.items()}
                break
            target = free[-1]
            data[target] = _perturb(table.column(target), data[target], dup, rng,
                                    (patterns or {}).get(target),
                                    narrow=attempt < PERTURB_ROUNDS // 2)
        if before is not None:
            frame = pd.DataFrame({c: data[c] for c in cols})
            before.append(np.sort(_hashes(frame[frame.notna().all(axis=1).to_numpy()])))
    return data


def across_chunks(table: Table, local: set[str], disjoint: set[str]
                  ) -> tuple[tuple[str, ...], ...]:
    """The UNIQUE sets a chunk's rows may repeat an earlier chunk's in: not those holding
    every column of `local` (the driving FK: a parent's children are all in one chunk), nor
    those holding a column of `disjoint` (keys no two chunks share, `keys.disjoint_keys`)."""
    return tuple(tuple(cols) for cols in table.unique_sets()
                 if not (local and local <= set(cols)) and not disjoint & set(cols))


def chunk_hashes(data: Columns, sets: tuple[tuple[str, ...], ...]
                 ) -> dict[tuple[str, ...], np.ndarray]:
    """Each set's sorted hashes of the chunk's rows without a NULL in it (what `seen` keeps)."""
    out = {}
    for cols in sets:
        if all(c in data for c in cols):
            frame = pd.DataFrame({c: data[c] for c in cols})
            out[cols] = np.sort(_hashes(frame[frame.notna().all(axis=1).to_numpy()]))
    return out


def clashes(hashes: dict[tuple[str, ...], np.ndarray],
            seen: dict[tuple[str, ...], list[np.ndarray]]) -> bool:
    """Whether a chunk's hashes repeat any of the earlier chunks' (`seen`)."""
    return any(is_member(h, run).any() for cols, h in hashes.items()
               for run in seen.get(cols, []))


def _duplicates(frame: pd.DataFrame, before: list[np.ndarray] | None) -> np.ndarray:
    """Rows repeating an earlier row's values in the set (in the chunk or, with `before`,
    in earlier chunks); a row with a NULL in the set repeats nothing."""
    dup = frame.duplicated(keep="first").to_numpy()
    if before:
        hashes = _hashes(frame)
        for run in before:
            dup |= is_member(hashes, run)
    return dup & frame.notna().all(axis=1).to_numpy()


def _hashes(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash per row: what a UNIQUE set remembers of earlier chunks."""
    if frame.empty:
        return np.zeros(0, dtype=np.uint64)
    return np.asarray(pd.util.hash_pandas_object(frame, index=False).to_numpy(), dtype=np.uint64)


def is_member(values: np.ndarray, sorted_pool: np.ndarray) -> np.ndarray:
    """Which of `values` are in `sorted_pool` (sorted), without copying the pool."""
    if not len(sorted_pool):
        return np.zeros(len(values), dtype=bool)
    pos = np.clip(np.searchsorted(sorted_pool, values), 0, len(sorted_pool) - 1)
    return sorted_pool[pos] == values


def _new_tail(value: str, pattern: Pattern, rng: np.random.Generator,
              significant: int = 0) -> str | None:
    """`value` with its trailing digits redrawn, if that still matches `pattern`; with
    `significant`, only the tail's last that many digits (the rest stay zeros), so a counter
    (``000354``) stays as wide as the column's rather than becoming ``793425``."""
    head = value.rstrip("0123456789")
    width = len(value) - len(head)
    if 0 < significant < width:
        head, width = head + "0" * (width - significant), significant
    if not width:
        return None
    for _ in range(5):
        new = head + "".join(str(d) for d in rng.integers(0, 10, width))
        if new != value and pattern.matches(new):
            return new
    return None


def _counter_width(values: np.ndarray) -> int:
    """The most significant digits a trailing number of the column's text holds
    (3 for ``SOC-2021-000354``), 0 when none ends in digits."""
    widest = 0
    for v in values:
        if isinstance(v, str):
            tail = v[len(v.rstrip("0123456789")):]
            widest = max(widest, len(tail.lstrip("0")))
    return widest


def _perturb(col: Column, values: np.ndarray, dup: np.ndarray, rng: np.random.Generator,
             pattern: Pattern | None = None, narrow: bool = False) -> np.ndarray:
    """The values at `dup` moved a little: a later time or date, a larger number, a string
    with new digits (in the CHECK's format where one demands it)."""
    out = values.copy()
    idx = np.flatnonzero(dup)
    significant = _counter_width(values) if narrow and pattern is not None else 0
    for i in idx:
        v = out[i]
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, str):
            out[i] = _perturb_text(col, v, rng, pattern, significant)
        elif isinstance(v, dt.datetime):
            out[i] = v + dt.timedelta(seconds=int(rng.integers(1, 86400)))
        elif isinstance(v, dt.date):
            out[i] = v + dt.timedelta(days=int(rng.integers(1, 30)))
        elif isinstance(v, int):
            out[i] = v + int(rng.integers(1, 1000))
        elif isinstance(v, float):
            out[i] = v + float(rng.random())
    return out


def _perturb_text(col: Column, v: str, rng: np.random.Generator,
                  pattern: Pattern | None, significant: int = 0) -> str:
    if pattern is not None:
        # A CHECK demands this format: new trailing digits where they keep it (the rest of
        # a personnummer follows the row's birth date, which another CHECK may compare),
        # else a new value in the format. The first rounds stay within the column's
        # counter width (`significant`); later ones, where it had no room left, use all
        # the tail.
        return _new_tail(v, pattern, rng, significant) or _new_tail(v, pattern, rng) \
            or pattern.generate(rng)
    if "@" in v:  # keep an email an email: digits before the @
        local, _, domain = v.rpartition("@")
        return f"{local}{int(rng.integers(0, 10**4))}@{domain}"
    suffix = str(int(rng.integers(0, 10**6)))
    if col.length and len(v) + len(suffix) > col.length:
        v = v[: max(col.length - len(suffix), 0)]
    return (v + suffix)[: col.length] if col.length else v + suffix
