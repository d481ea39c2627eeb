"""Generated keys: a single-column primary key is numbered 1..n across the table's chunks
(UUIDs hashed from the table's key seed and the row's number, so a table made earlier can
name them in advance, `uuid_keys`; text keys in the source's code pattern, numbered through
`keyspace` so they are unique at any scale, else ``K0001``). Fit: the key's pattern and
lengths; sample: the keys.
"""

from __future__ import annotations

import hashlib
import re
import uuid

import numpy as np
import pandas as pd

from dbclone.schema import Column, Table
from dbclone.synth.columns import keyspace
from dbclone.synth.columns.base import ColumnSynthesizer
from dbclone.synth.columns.shaped import code_patterns, pattern_values
from dbclone.synth.columns.text import length_grid
from dbclone.synth.model import ColumnModel, TableModel
from dbclone.synth.specs import KeySpec
from dbclone.synth.state import Chunk, SampleState
from dbclone.synth.tables import Columns


def fit_key(col: Column, series: pd.Series) -> ColumnModel:
    values = series.dropna()
    if col.kind in ("string", "text") and len(values):
        return ColumnModel(col.name, "key", pattern=code_patterns(values.astype(str)),
                           lengths=length_grid(values.astype(str)))
    return ColumnModel(col.name, "key")


def random_bits(st: SampleState, n: int, bits: int) -> list[int]:
    words = st.rng.integers(0, 2**32, size=(n, bits // 32), dtype=np.uint64)
    out = []
    for row in words:
        v = 0
        for w in row:
            v = (v << 32) | int(w)
        out.append(v)
    return out


def uuid_keys(seed: int, first: int, n: int) -> np.ndarray:
    """The UUID keys of rows first .. first+n-1 of a table whose key seed is `seed`: a hash
    of both, so whoever knows the seed and the row count knows every key before the table
    is made (a UUID soft key sampled before its table, `softkey`), in any process; 122 bits
    of it, as random as drawn ones."""
    base = seed.to_bytes(8, "big")
    return np.asarray([str(uuid.UUID(bytes=hashlib.blake2b(base + i.to_bytes(8, "big"),
                                                           digest_size=16).digest(), version=4))
                       for i in range(first, first + n)], dtype=object)


def key_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
               n: int, data: Columns) -> np.ndarray:
    first = ch.rows_before + 1  # keys continue across a table's chunks
    if col.kind in ("integer", "decimal", "float"):
        first += st.key_bases.get((ch.table.name, col.name), 0)  # `reserve_keys`
        return np.arange(first, first + n, dtype=object)
    if col.kind == "uuid":
        return uuid_keys(st.key_seed(ch.table.name, col.name), ch.rows_before, n)
    found = keyspace.space(cm.pattern[0], ch.rows_planned) if cm.pattern else None
    if found is not None:  # unique by construction, in the format, across chunks
        seed = st.key_seed(ch.table.name, col.name)
        return np.asarray(found.keys(ch.rows_before, n, seed), dtype=object)
    if cm.pattern:
        return pattern_values(st, cm.pattern[0], n)
    width = max(len(str(ch.rows_planned or n)), 1)
    return np.asarray([f"K{i:0{width}d}" for i in range(first, first + n)], dtype=object)


class KeySynthesizer(ColumnSynthesizer):
    """A single-column primary key (chosen by `registry.fit_column` before the kind)."""

    specs = (KeySpec,)
    own_nulls = True
    fit = staticmethod(fit_key)
    generate = staticmethod(key_values)


def disjoint_keys(table: Table, tm: TableModel, planned: int) -> set[str]:
    """Key columns whose values no two chunks of the table share, by construction: numbered
    (integers, ``K0001``), UUIDs (122 random bits), or numbered through a keyspace; not keys
    drawn from a pattern, nor a key a CHECK names (its repair may move it)."""
    out = set()
    for cm in tm.columns:
        col = table.column(cm.name)
        if cm.strategy != "key" or any(re.search(rf"\b{re.escape(col.name)}\b", c.sqltext)
                                       for c in table.checks):
            continue
        if col.kind in ("integer", "decimal", "float", "uuid") or not cm.pattern or \
                keyspace.space(cm.pattern[0], planned) is not None:
            out.add(col.name)
    return out


_NEXTVAL = re.compile(r"nextval\('([^']+)'")


def reserve_keys(st: SampleState, table: Table, tm: TableModel, planned: int) -> None:
    """Before a table's first chunk (in the sampler's own process, so the chunks made by
    workers read it, `dbclone.synth.parallel`): where the integer keys it draws from a
    sequence other tables draw from too start, after the keys of the tables generated
    before it, and the sequence's next free key moved past its planned rows. In the source
    such keys are unique across the tables (`SELECT id FROM parent` over an inheritance
    parent and its children); numbered 1..n each, the children's ids repeated the parent's."""
    for cm in tm.columns:
        col = table.column(cm.name)
        seq = _sequence(col)
        if cm.strategy != "key" or not seq or col.kind not in ("integer", "decimal", "float"):
            continue
        base = st.key_bases.setdefault((table.name, col.name), st.key_next.get(seq, 0))
        st.key_next[seq] = max(st.key_next.get(seq, 0), base + planned)


def _sequence(col: Column) -> str:
    found = _NEXTVAL.search(col.default or "")
    return (col.sequence or (found.group(1) if found else "")).replace('"', "")
