"""What a generated table leaves for its children, kept on disk a chunk at a time.

Children need their parents' keys, the columns they copy or build on (dates) and the
parents' latent scores. Held in memory as Python objects that costs a few hundred bytes per
parent row (500k employees: 110 MB, and twice that while the chunks were joined), so peak
memory grew with the scale. A `Spill` writes each chunk to an anonymous temporary file as
soon as it is generated and reads back only what a child chunk asks for. A driving parent's
children come out in parent order, so a child chunk reads a narrow band of parent rows: the
one or two parent chunks decoded last are cached, and memory stays a few chunks whatever
the table's size.

Representation per chunk and column, chosen for size and decoding speed:

- ``range``: integers that continue the rows' numbering (generated keys 1..n): nothing is
  stored, the values are rebuilt;
- ``raw``: numeric numpy arrays (latent scores, counts) and object columns of plain Python
  ints, stored as their bytes;
- ``dates``: dates (NULLs allowed) as 4-byte day numbers (0 for NULL): twenty times faster to
  write than pickling the date objects, twice as fast to read;
- ``pickle``: anything else (strings, timestamps, mixed values), a pickled object array.

A table of one chunk never touches the disk (most tables of most databases).
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from typing import IO, Any

import numpy as np

#: Decoded chunks kept per spill: a child chunk's parents straddle at most two parent chunks.
CACHED_CHUNKS = 2


@dataclass
class _Part:
    """One column of one chunk: where its bytes are, and how to rebuild the values."""

    kind: str  # "range", "raw", "dates", "pickle", "memory"
    offset: int = 0
    size: int = 0
    dtype: str = ""
    shape: tuple[int, ...] = ()
    first: int = 0  # range: the first value
    objects: bool = False  # raw ints that were an object column: return Python ints
    value: Any = None  # memory: the array itself (a table of one chunk)


@dataclass
class Spill:
    """Columns of one table, appended a chunk at a time, read back by rows or positions."""

    n: int = 0
    starts: list[int] = field(default_factory=list)  # first row of each chunk
    parts: list[dict[str, _Part]] = field(default_factory=list)
    _file: IO[bytes] | None = None
    _cache: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    _order: list[int] = field(default_factory=list)

    def append(self, columns: dict[str, np.ndarray]) -> None:
        """Add the next chunk's rows (all columns of equal length)."""
        rows = len(next(iter(columns.values()))) if columns else 0
        if len(self.parts) == 1 and self._file is None:  # a second chunk: go to disk
            self.parts[0] = {c: self._write(p.value) for c, p in self.parts[0].items()}
        self.starts.append(self.n)
        if not self.parts:
            self.parts.append({c: _Part("memory", value=v) for c, v in columns.items()})
        else:
            self.parts.append({c: self._write(v) for c, v in columns.items()})
        self.n += rows

    @property
    def on_disk(self) -> bool:
        """The chunks went to a temporary file (a table of more than one chunk)."""
        return self._file is not None

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (for a Dask worker, `dbclone.synth.cluster`): every chunk in memory, no
        file, since the file is this machine's."""
        parts = [{c: p if p.kind in ("memory", "range") else
                  _Part("memory", value=self._decoded(i, c)) for c, p in chunk.items()}
                 for i, chunk in enumerate(self.parts)]
        return {"n": self.n, "starts": list(self.starts), "parts": parts, "_file": None,
                "_cache": {}, "_order": []}

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._cache.clear()

    def has(self, column: str) -> bool:
        return bool(self.parts) and column in self.parts[0]

    def column(self, name: str) -> np.ndarray:
        """The whole column (for what needs every row at once: counts to calibrate)."""
        return self.rows(name, 0, self.n)

    def rows(self, name: str, lo: int, hi: int) -> np.ndarray:
        """Rows lo..hi of a column."""
        if not self.parts:
            return np.zeros(0)
        first = self._chunk_of(lo)
        last = self._chunk_of(max(hi - 1, lo))
        pieces = [self._decoded(i, name) for i in range(first, last + 1)]
        base = self.starts[first]
        whole = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
        return whole[lo - base:hi - base]

    def take(self, name: str, idx: np.ndarray) -> np.ndarray:
        """The column at row positions `idx` (all valid), decoding only the chunks they hit:
        the band of rows between the smallest and largest position when it is narrow (a
        driving parent's children), chunk by chunk otherwise."""
        idx = np.asarray(idx, dtype=np.int64)
        if not len(idx):
            return self.rows(name, 0, 0)[:0]
        lo, hi = int(idx.min()), int(idx.max()) + 1
        first, last = self._chunk_of(lo), self._chunk_of(hi - 1)
        if last - first < CACHED_CHUNKS:
            return self.rows(name, lo, hi)[idx - lo]
        which = np.searchsorted(np.asarray(self.starts), idx, side="right") - 1
        out: np.ndarray | None = None
        for chunk in np.unique(which):
            at = np.flatnonzero(which == chunk)
            values = self._decoded(int(chunk), name)[idx[at] - self.starts[chunk]]
            if out is None:
                out = np.empty((len(idx), *values.shape[1:]), dtype=values.dtype)
            out[at] = values
        assert out is not None
        return out

    # -- internals ---------------------------------------------------------------------------
    def _chunk_of(self, row: int) -> int:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:  # the last chunk starting at or before `row`
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= row:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def _write(self, values: np.ndarray) -> _Part:
        if self._file is None:
            # closed by close() or with the spill; deleted by the OS even after kill -9
            self._file = tempfile.TemporaryFile(prefix="dbclone-")  # noqa: SIM115
        objects = values.dtype == object
        if objects:
            as_ints = _plain_ints(values)
            if as_ints is not None:
                if len(as_ints) and np.array_equal(as_ints, np.arange(
                        int(as_ints[0]), int(as_ints[0]) + len(as_ints))):
                    return _Part("range", first=int(as_ints[0]), size=len(as_ints),
                                 objects=True)
                values = as_ints
            elif (days := plain_dates(values)) is not None:
                return self._put(days.tobytes(), _Part("dates", shape=days.shape))
            else:
                data = pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)
                return self._put(data, _Part("pickle"))
        part = _Part("raw", dtype=values.dtype.str, shape=values.shape, objects=objects)
        return self._put(np.ascontiguousarray(values).tobytes(), part)

    def _put(self, data: bytes, part: _Part) -> _Part:
        assert self._file is not None
        self._file.seek(0, 2)
        part.offset, part.size = self._file.tell(), len(data)
        self._file.write(data)
        self._file.flush()  # read back with os.pread, past Python's buffer
        return part

    def _decoded(self, chunk: int, name: str) -> np.ndarray:
        part = self.parts[chunk][name]
        if part.kind == "memory":
            return part.value
        cached = self._cache.get(chunk)
        if cached is not None and name in cached:
            return cached[name]
        values = self._read(part)
        if chunk not in self._cache:
            self._cache[chunk] = {}
            self._order.append(chunk)
            while len(self._order) > CACHED_CHUNKS:
                self._cache.pop(self._order.pop(0), None)
        self._cache[chunk][name] = values
        return values

    def _read(self, part: _Part) -> np.ndarray:
        if part.kind == "range":
            out = np.arange(part.first, part.first + part.size, dtype=np.int64)
            return out.astype(object)
        assert self._file is not None
        # pread: forked workers share the file's offset (`dbclone.synth.parallel`).
        data = os.pread(self._file.fileno(), part.size, part.offset)
        if part.kind == "dates":
            return from_days(np.frombuffer(data, dtype=np.int32))
        if part.kind == "pickle":
            return pickle.loads(data)  # our own bytes, written above
        values = np.frombuffer(data, dtype=np.dtype(part.dtype)).reshape(part.shape)
        return values.astype(object) if part.objects else values.copy()


def from_days(days: np.ndarray) -> np.ndarray:
    """The object column of dates (None for 0) that `plain_dates` gave `days` for."""
    distinct, which = np.unique(days, return_inverse=True)
    values = np.empty(len(distinct), dtype=object)  # one date object per distinct day
    values[:] = [None if d == 0 else dt.date.fromordinal(d) for d in distinct.tolist()]
    return values[which]


def plain_dates(values: np.ndarray) -> np.ndarray | None:
    """An object column of dates (not timestamps) and NULLs as day numbers (0: NULL)."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if kinds != {dt.date}:
        return None
    return np.fromiter((0 if v is None else v.toordinal() for v in values), dtype=np.int32,
                       count=len(values))


def _plain_ints(values: np.ndarray) -> np.ndarray | None:
    """An object column of Python ints (no NULL, no bool) as int64, else None."""
    if not len(values) or type(values[0]) is not int:
        return None
    try:
        if not all(type(v) is int for v in values):
            return None
        return np.asarray(values, dtype=np.int64)
    except OverflowError:
        return None
