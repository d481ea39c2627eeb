"""Soft keys: integer columns that name another row (``track_id``, ``TrackId``) without a
declared foreign key, and UUID columns holding another table's UUID keys (``agent_uuid``).

Real databases are full of them: ORMs that never declare constraints, a reference into
another database, a subset of tables that leaves the referenced one out. Modelled as a
number (quantiles) or as categories, such a column reproduces the source's ids and, with a
few low-variety columns beside it (a price, a quantity), whole real rows: a sale of track
1234 at 0.99 is a real sale. An id's value means nothing by itself; what a clone should keep
is how it is used: how many rows share one id.

Detection needs both the name and the values: the name ends in an id token (``_id``, ``Id``,
``_key``, ``_ref``) and the values are non-negative integers with more than
`MIN_DISTINCT` distinct values, and either most rows' id is held by fewer than k rows (ids,
not a short code list) or they point into a table of the database (a table named like the
column, or the column's own for ``parent_id`` / ``manager_id``, whose integer primary key
holds nearly all of them).

Generation keeps the source's reuse distribution (the share of ids used by 1, 2, 3... rows)
and takes the ids from:

- the referenced table's synthetic keys, when the database holds it: joins in the clone work
  as in the source (audit rows point at existing caseworkers);
- otherwise a fresh id space above the source's highest id, with the source's average spacing:
  no clone row names a real entity, so no real combination comes back.

The config file overrides the decision per column: ``"id"`` forces a soft key, ``"number"``
models the column as a plain number.

A UUID column is one by its values alone: at least `COVERAGE` of its rows hold keys of a
table's single UUID primary key (UUIDs are unique across tables, so no name is needed). It
takes that table's clone keys, each reused as often as in the source: made already, or, when
the column's table is sampled first (no FK orders the two), the keys the referenced table
will be given, which `keys.uuid_keys` derives from its key seed and row number alone.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dbclone.schema import Column, Schema, Table
from dbclone.synth import copula
from dbclone.synth.codecs import to_python
from dbclone.synth.columns.base import ColumnSynthesizer
from dbclone.synth.columns.keys import random_bits, uuid_keys
from dbclone.synth.model import ColumnModel, TableModel
from dbclone.synth.specs import SoftKeySpec
from dbclone.synth.state import Chunk, SampleState
from dbclone.synth.tables import Columns

if TYPE_CHECKING:
    from dbclone.synth.context import FitContext

#: A soft key has more distinct values than a code list (fit.MAX_INT_CATEGORIES).
MIN_DISTINCT = 20
#: Share of rows whose id is held by fewer than k rows, above which the values are ids.
RARE_SHARE = 0.5
#: Share of the values a table's primary key must hold to be the referenced table.
COVERAGE = 0.9
#: Stems of soft keys that point at a row of their own table (a tree kept without an FK).
_SELF_WORDS = frozenset(("parent", "manager", "supervisor", "boss", "superior", "predecessor",
                         "successor", "previous", "prev", "next", "root", "overordnad",
                         "överordnad", "foralder", "förälder", "chef"))
#: Reuse counts kept in the model, the most frequent first; rarer ones are pooled into the
#: nearest kept count (a handful of heavy ids need not be reproduced one by one).
MAX_REUSE_COUNTS = 200

_ID_NAME = re.compile(r"(?:^|[_\-\s.])(?:id|key|ref)$", re.I)
_CAMEL_ID = re.compile(r"[a-z0-9](?:Id|ID|Key|KEY|Ref|REF)$")  # case matters: not "valid"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class SoftKey:
    """A detected soft key: the table it points into (None: outside the database) and why."""

    target: str | None
    target_column: str | None
    reason: str


def id_named(name: str) -> bool:
    """The column's name ends in an id token: ``track_id``, ``TrackId``, ``user-key``."""
    return bool(_ID_NAME.search(name) or _CAMEL_ID.search(name)) and \
        name.lower() not in ("key", "ref")


def stem(name: str) -> str:
    """The entity a soft key names, normalised: ``TrackId`` and ``track_id`` -> ``track``."""
    words = _CAMEL.sub("_", name).lower().replace("-", "_").replace(" ", "_").split("_")
    words = [w for w in words if w]
    if words and words[-1] in ("id", "key", "ref"):
        words = words[:-1]
    return "".join(words)


def detect(schema: Schema, frames: Mapping[str, pd.DataFrame], table: Table, col: Column,
           values: pd.Series, rare_threshold: int, forced: bool = False) -> SoftKey | None:
    """Whether `col` of `table` is a soft key (`values`: its non-NULL source values; `frames`:
    the source's tables, where a referenced table's keys are looked up).

    `forced` (config ``"id"``) skips the name and cardinality tests, not the integer one."""
    if col.computed or col.name in table.primary_key or \
            any(col.name in fk.columns for fk in table.foreign_keys):
        return None
    if col.kind == "uuid" and len(values):
        return _uuid_target(schema, frames, table, values)
    if not _integral(col) or not len(values):
        return None
    arr = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if len(arr) < len(values) or not len(arr) or np.any(arr != np.round(arr)) or \
            (arr.min() < 0 and not forced):
        return None
    if not forced and not id_named(col.name):
        return None
    ints = arr.astype(np.int64)
    distinct, counts = np.unique(ints, return_counts=True)
    if not forced and len(distinct) <= MIN_DISTINCT:
        return None
    target = _target(schema, frames, table, col, distinct, counts)
    if target is not None:
        tname, tcol, share = target
        return SoftKey(tname, tcol, f"integer ids named like {tname}.{tcol} and {share:.0%} of "
                                    f"them are its keys: drawn from the clone's {tname} keys, "
                                    "each reused as often as in the source")
    rare = float(counts[counts < rare_threshold].sum() / counts.sum())
    if forced or rare >= RARE_SHARE:
        why = "set in the config file" if forced else \
            f"an id name, {len(distinct)} distinct integers, {rare:.0%} of rows carry an " \
            f"id fewer than {rare_threshold} rows share"
        return SoftKey(None, None, f"{why}; no table of the database holds them: fresh ids "
                                   "above the source's, each reused as often as in the source")
    return None


def _integral(col: Column) -> bool:
    return col.kind == "integer" or (col.kind == "decimal" and not col.scale)


def _target(schema: Schema, frames: Mapping[str, pd.DataFrame], table: Table, col: Column,
            distinct: np.ndarray, counts: np.ndarray) -> tuple[str, str, float] | None:
    """The table whose single integer primary key the values point into, chosen by name: the
    table is named like the column's stem (``caseworker_id`` -> caseworker, ``TrackId`` ->
    Track, plural names too), its key column is named like the soft key itself, or the stem
    names a relation between rows of one table (``parent_id``, ``manager_id``) and the table
    is the column's own."""
    want = stem(col.name)
    if want in _SELF_WORDS:  # parent_id, manager_id: a row of the same table
        want = table.name.lower().replace("_", "")
    for other in schema.tables:
        if len(other.primary_key) != 1:
            continue
        pk = other.column(other.primary_key[0])
        if not _integral(pk):
            continue
        name = other.name.lower().replace("_", "")
        named = want and (name in (want, want + "s", want + "es") or
                          (want.endswith("y") and name == want[:-1] + "ies"))
        if not named and not (pk.name.lower() == col.name.lower() and other is not table):
            continue
        if other.name not in frames:
            continue
        keys = pd.to_numeric(frames[other.name][pk.name], errors="coerce").dropna().to_numpy()
        held = float(counts[np.isin(distinct, keys)].sum() / counts.sum())
        if held >= COVERAGE:
            return other.name, pk.name, held
    return None


def _uuid_target(schema: Schema, frames: Mapping[str, pd.DataFrame], table: Table,
                 values: pd.Series) -> SoftKey | None:
    """The table whose single UUID primary key holds the column's values (see the module
    docstring)."""
    held_by = values.astype(str).str.lower()
    for other in schema.tables:
        if len(other.primary_key) != 1 or other.name not in frames:
            continue
        pk = other.column(other.primary_key[0])
        if pk.kind != "uuid":
            continue
        keys = set(frames[other.name][pk.name].dropna().astype(str).str.lower())
        share = float(held_by.isin(keys).mean())
        if share >= COVERAGE:
            return SoftKey(other.name, pk.name,
                           f"UUIDs of {other.name}.{pk.name} ({share:.0%} of rows) without a "
                           f"declared FK: drawn from the clone's {other.name} keys, each "
                           "reused as often as in the source")
    return None


def reuse(values: pd.Series) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """The share of ids used by each count of rows (1, 2, 3...): what the clone keeps."""
    per_id = Counter(Counter(values.tolist()).values())
    common = per_id.most_common(MAX_REUSE_COUNTS)
    kept = np.asarray(sorted(c for c, _ in common))
    pooled: Counter[int] = Counter()
    for count, ids in per_id.items():
        nearest = int(kept[np.argmin(np.abs(kept - count))])
        pooled[nearest] += ids
    total = sum(pooled.values())
    order = sorted(pooled)
    return tuple(order), tuple(pooled[c] / total for c in order)


def assign(n: int, counts: tuple[int, ...], probs: tuple[float, ...],
           rng: np.random.Generator, z: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Rows 0..n-1 grouped into ids following the reuse distribution: (id index per row, and
    the number of ids). Given latent scores `z`, id indexes rise with them (the rows of one id
    are neighbours in rank); else rows are grouped at random."""
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0
    c = np.asarray(counts, dtype=np.int64)
    p = np.asarray(probs, dtype=float)
    mean = float((c * p).sum())
    draws = rng.choice(c, size=max(int(n / max(mean, 1.0) * 1.2) + 8, 1), p=p / p.sum())
    while draws.sum() < n:
        draws = np.concatenate([draws, rng.choice(c, size=len(draws), p=p / p.sum())])
    ends = np.cumsum(draws)
    m = int(np.searchsorted(ends, n) + 1)
    idx = np.repeat(np.arange(m), draws[:m])[:n]
    order = np.argsort(z, kind="stable") if z is not None and len(z) == n else \
        rng.permutation(n)
    out = np.empty(n, dtype=np.int64)
    out[order] = idx
    return out, m


_TYPE_MAX = (("tinyint", 127), ("int1", 127), ("smallint", 2**15 - 1), ("int2", 2**15 - 1),
             ("mediumint", 2**23 - 1), ("bigint", 2**63 - 1), ("int8", 2**63 - 1))


def type_max(col: Column, dialect: str) -> float:
    """The highest value the column's integer type holds (fresh ids must fit in it)."""
    sql = col.sql_type.lower()
    for name, top in _TYPE_MAX:
        if name in sql:
            return float(top * 2 + 1 if col.unsigned else top)
    if col.kind == "decimal" and col.precision:
        return float(10 ** min(col.precision - (col.scale or 0), 18) - 1)
    if dialect == "sqlite":
        return float(2**63 - 1)
    return float(2**32 - 1 if col.unsigned else 2**31 - 1)


# -- the column rule ------------------------------------------------------------------------

def fit_soft_key(ctx: FitContext, table: Table, col: Column, values: pd.Series,
              null_rate: float) -> tuple[ColumnModel, np.ndarray] | None:
    """An id of a row elsewhere without a declared FK (see the module docstring): its reuse
    distribution, where its ids come from, and its ranks in the copula (ids are often
    handed out in batches: Chinook's video tracks have the highest ids and the 1.99 price)."""
    where = (table.name, col.name)
    if where in ctx.opts.not_soft_keys:
        return None
    found = detect(ctx.schema, ctx.frames, table, col, values, ctx.opts.rare_threshold,
                           forced=where in ctx.opts.soft_keys)
    if found is None:
        return None
    if col.kind == "uuid":
        text = values.astype(str).str.lower()
        counts, probs = reuse(text)
        codes = pd.factorize(text)[0].astype(float)
        return ColumnModel(col.name, "softkey", null_rate=null_rate, values=counts,
                           probs=probs, ref=f"{found.target}.{found.target_column}",
                           reason=found.reason), copula.numeric_to_normal(codes, ctx.rng)
    ints = pd.to_numeric(values).to_numpy(dtype=float)
    counts, probs = reuse(pd.Series(ints.astype(np.int64)))
    lo, hi = float(ints.min()), float(ints.max())
    spacing = max((hi - lo + 1) / max(len(np.unique(ints)), 1), 1.0)
    ref = f"{found.target}.{found.target_column}" if found.target else None
    cm = ColumnModel(col.name, "softkey", null_rate=null_rate, quantiles=(lo, hi),
                     integer=True, values=counts, probs=probs, step=round(spacing, 4),
                     ref=ref, reason=found.reason)
    return cm, copula.numeric_to_normal(ints, ctx.rng)


def soft_key_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel,
                    z: np.ndarray | None, n: int, data: Columns) -> np.ndarray:
    """Ids of rows elsewhere, each shared by as many rows as in the source: the clone's
    keys of the referenced table, or fresh ids above the source's (see the module docstring).
    With a latent score, ids rise with it (rows of one id are neighbours in rank)."""
    which, m = assign(n, cm.values, cm.probs, st.rng, z)
    if col.kind == "uuid":
        return _uuids(st, cm, m)[which]
    pool = soft_pool(st, cm) if cm.ref else None
    if pool is not None and len(pool):
        # Every key once before any twice: more ids than keys still reach them all.
        extra = st.rng.choice(pool, size=max(m - len(pool), 0))
        ids = np.sort(np.concatenate([st.rng.choice(pool, size=min(m, len(pool)),
                                                      replace=False), extra]))
    else:
        lo, hi = cm.quantiles[0], cm.quantiles[-1]
        # A chunk of n rows takes at most n ids: the ids of the rows before it are below
        # `first`, whichever process made them (gaps between chunks are ids nobody took).
        first = ch.rows_before
        ids = np.floor(hi + 1 + (first + np.arange(m)) * max(cm.step, 1.0))
        top = type_max(col, st.schema.dialect)
        if len(ids) and ids[-1] > top:  # no room above: spread over the source's range
            ids = np.floor(np.linspace(lo, min(hi, top), m))
    return to_python(col, np.asarray(ids, dtype=float)[which])


def _uuids(st: SampleState, cm: ColumnModel, m: int) -> np.ndarray:
    """m UUIDs: the referenced table's clone keys (every key once before any twice), made
    already or as they will be (`_uuid_pool`), or fresh ones where the model lacks it."""
    pool = _uuid_pool(st, cm)
    if pool is not None and len(pool):
        first = st.rng.choice(pool, size=min(m, len(pool)), replace=False)
        extra = st.rng.choice(pool, size=max(m - len(pool), 0))
        return np.concatenate([first, extra])
    return np.asarray([str(uuid.UUID(int=int(x), version=4)) for x in random_bits(st, m, 128)],
                      dtype=object)


def _referenced(st: SampleState, cm: ColumnModel
                ) -> tuple[str, str, Sequence[object] | None, TableModel | None]:
    """The referenced table and column, the keys it holds already (generated, or copied
    as it is; None when it is still to come) and its model (None where the model lacks it)."""
    assert cm.ref is not None
    name, column = cm.ref.rsplit(".", 1)
    done = st.done.get(name)
    if done is not None and done.has(column):  # read whole for each chunk, then freed
        return name, column, list(done.column(column)), None
    try:
        tm = st.model.table(name)
    except KeyError:
        return name, column, None, None
    if tm.verbatim:
        i = st.schema.table(name).column_names.index(column)
        return name, column, [r[i] for r in tm.rows], tm
    return name, column, None, tm


def _uuid_pool(st: SampleState, cm: ColumnModel) -> np.ndarray | None:
    """The referenced table's clone keys: generated already, or hashed from its key seed and
    its planned rows as `keys.uuid_keys` will make them (a table sampled before the one it
    names, with no FK to order them)."""
    name, column, held, tm = _referenced(st, cm)
    if held is not None:
        return np.asarray([str(v) for v in held if v is not None], dtype=object)
    return uuid_keys(st.key_seed(name, column), 0, st.row_count(tm)) if tm is not None else None


def soft_pool(st: SampleState, cm: ColumnModel) -> np.ndarray | None:
    """The referenced table's clone keys: generated already, or 1..n as they will be."""
    _, _, held, tm = _referenced(st, cm)
    if held is not None:
        keys = pd.to_numeric(pd.Series(held, dtype=object), errors="coerce").dropna()
        return keys.to_numpy(dtype=float)
    return np.arange(1, st.row_count(tm) + 1, dtype=float) if tm is not None else None


class SoftKeySynthesizer(ColumnSynthesizer):
    """Ids of rows elsewhere without a declared FK (tried by `registry.fit_column` before
    the kind; `fit` is None for a column that is not one)."""

    specs = (SoftKeySpec,)
    fit = staticmethod(fit_soft_key)
    generate = staticmethod(soft_key_values)
