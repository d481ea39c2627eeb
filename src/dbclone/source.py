"""Read the source with bounded memory: exact aggregates from SQL, rows from a bounded,
parent-consistent sample.

What must be exact is counted by the database: row counts, the distribution of children per
parent (GROUP BY over the child, zeros from the parent's row count), each sampled parent's
own number of children, NULL counts and min/max per column. Everything learned from rows
(marginals, correlations, rules between columns) comes from a sample of at most `budget`
rows per table (expected), drawn in SQL and streamed through a server-side cursor in chunks,
so memory follows the budget, never the source.

The sample keeps families whole. Each table has one family FK (to its largest parent that
comes earlier in the plan); a table over budget keeps the rows whose family key hashes below
a threshold, so a kept parent keeps all its children; and a child of a sampled parent keeps
only rows whose parent is in the parent's sample (a semi-join), so every sampled row's
family parent is there to condition on. The hash is the same function of the key's text in
every table (`Dialect.key_hash`), so the same seedless sample comes back on every run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from dbclone.dialects import dialect_for
from dbclone.dialects.base import Dialect
from dbclone.plan import Plan
from dbclone.schema import ForeignKey, Schema, Table

#: Expected rows per table in the sample; tables at most this big (with whole parents) are
#: read whole, so fits of small databases see every row.
DEFAULT_BUDGET = 200_000
#: Rows fetched per round trip from the server-side cursor.
CHUNK_ROWS = 50_000
HASH_SPACE = 2 ** 32
#: Parents this small are lookups (copied verbatim by the fit), never a family's head.
LOOKUP_ROWS = 50
#: Kinds min/max mean something for (and every engine orders).
_ORDERED = ("integer", "float", "decimal", "date", "datetime", "time")


@dataclass(frozen=True)
class Sampling:
    """How one table is read. `threshold` < HASH_SPACE: rows whose key hashes below it;
    `parent` set: only rows whose family FK is in that parent's sample (or NULL)."""

    table: str
    rows: int
    key: tuple[str, ...] = ()
    #: Hashed instead where a key column is NULL (the row's own key): rows without a
    #: family are sampled one by one, not all or none together.
    own_key: tuple[str, ...] = ()
    threshold: int = HASH_SPACE
    fk: ForeignKey | None = None
    parent: str | None = None
    #: Expected share of the table's rows in the sample.
    fraction: float = 1.0

    @property
    def whole(self) -> bool:
        return self.threshold >= HASH_SPACE and self.parent is None


@dataclass(frozen=True)
class ColumnStats:
    name: str
    nulls: int
    min: object = None
    max: object = None


@dataclass(frozen=True)
class ChildCounts:
    """Children per parent for one FK, exact: `values[i]` children for `parents[i]` parents
    (zeros included)."""

    child: str
    columns: tuple[str, ...]
    parent: str
    values: tuple[int, ...]
    parents: tuple[int, ...]


def plan_samples(schema: Schema, plan: Plan, budget: int = DEFAULT_BUDGET
                 ) -> dict[str, Sampling]:
    """A `Sampling` per table, parents before children (plan order)."""
    out: dict[str, Sampling] = {}
    for name in plan.order:
        table = schema.table(name)
        fk = _family_fk(schema, table, out)
        parent = out.get(fk.ref_table) if fk else None
        via = parent if parent is not None and not parent.whole else None
        share = via.fraction if via else 1.0
        expected = table.row_count * share
        if expected <= budget:
            out[name] = Sampling(name, table.row_count, fk=fk,
                                 parent=via.table if via else None, fraction=share)
            continue
        keep = budget / expected
        own = tuple(table.primary_key or table.column_names)
        out[name] = Sampling(name, table.row_count, key=fk.columns if fk else own, own_key=own,
                             threshold=int(keep * HASH_SPACE), fk=fk,
                             parent=via.table if via else None, fraction=share * keep)
    return out


def _family_fk(schema: Schema, table: Table, planned: dict[str, Sampling]) -> ForeignKey | None:
    """The FK the fit will likely let drive the table (`fit._choose_driver`): to an owner
    rather than a small lookup, then to the parent with the most children each, i.e. the
    fewest rows (an order line's part-supplier pair rather than its order)."""
    fks = [fk for fk in table.foreign_keys
           if fk.ref_table != table.name and fk.ref_table in planned]
    if not fks:
        return None
    rows = {fk.ref_table: schema.table(fk.ref_table).row_count for fk in fks}
    return min(fks, key=lambda fk: (rows[fk.ref_table] <= LOOKUP_ROWS, rows[fk.ref_table]))


class SourceReader:
    """Reads one source inside one read-only transaction (one snapshot for every query)."""

    def __init__(self, engine: Engine, schema: Schema, plan: Plan,
                 budget: int = DEFAULT_BUDGET) -> None:
        self.schema = schema
        self.dialect: Dialect = dialect_for(engine)
        self.samplings = plan_samples(schema, plan, budget)
        self.engine = engine

    # -- the sample -------------------------------------------------------------------------
    def read(self, conn: Connection) -> dict[str, pd.DataFrame]:
        """Every table's sample as a DataFrame (whole tables as they are)."""
        frames: dict[str, pd.DataFrame] = {}
        for name, s in self.samplings.items():
            table = self.schema.table(name)
            frames[name] = self._read_one(conn, table, s, frames)
        return {t.name: frames[t.name] for t in self.schema.tables if t.name in frames}

    def _read_one(self, conn: Connection, table: Table, s: Sampling,
                  frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
        where = self.where(s, "s0")
        pushed = where is not None or s.whole
        sql = (f"SELECT {self._cols(table, 's0')} FROM {self.dialect.qualified(table)} s0"
               + (f" WHERE {where}" if where else ""))
        frame = _fetch(conn, sql, list(table.column_names))
        if pushed:
            return frame
        # No hash function in this engine: the whole table streamed, kept by hashing here
        keep = np.ones(len(frame), dtype=bool)
        if s.threshold < HASH_SPACE:
            hashed = key_hash(frame, s.key)
            if s.own_key != s.key:
                orphan = frame[list(s.key)].isna().any(axis=1).to_numpy()
                hashed = np.where(orphan, key_hash(frame, s.own_key), hashed)
            keep &= hashed < s.threshold
        if s.parent is not None and s.fk is not None:
            keep &= _in_parent(frame, s.fk, frames[s.parent])
        return frame[keep].reset_index(drop=True)

    def where(self, s: Sampling, alias: str, depth: int = 0) -> str | None:
        """The SQL condition selecting `s`'s sample (None: every row, or not expressible)."""
        conds = []
        if s.threshold < HASH_SPACE:
            expr = self._hash(s, alias)
            if expr is None:
                return None
            conds.append(f"{expr} < {s.threshold}")
        if s.parent is not None and s.fk is not None:
            parent = self.samplings[s.parent]
            inner = f"p{depth}"
            cond = self.where(parent, inner, depth + 1)
            if cond is None:
                return None
            cols = ", ".join(f"{alias}.{self.dialect.quote(c)}" for c in s.fk.columns)
            refs = ", ".join(f"{inner}.{self.dialect.quote(c)}" for c in s.fk.ref_columns)
            nulls = " OR ".join(f"{alias}.{self.dialect.quote(c)} IS NULL"
                                for c in s.fk.columns)
            ptable = self.dialect.qualified(self.schema.table(parent.table))
            conds.append(f"({nulls} OR ({cols}) IN (SELECT {refs} FROM {ptable} {inner} "
                         f"WHERE {cond}))")
        return " AND ".join(conds) if conds else None

    def _hash(self, s: Sampling, alias: str) -> str | None:
        q = self.dialect.quote
        expr = self.dialect.key_hash([f"{alias}.{q(c)}" for c in s.key])
        if expr is None or s.key == s.own_key:
            return expr
        nulls = " OR ".join(f"{alias}.{q(c)} IS NULL" for c in s.key)
        own = self.dialect.key_hash([f"{alias}.{q(c)}" for c in s.own_key])
        return f"(CASE WHEN {nulls} THEN {own} ELSE {expr} END)"

    def _cols(self, table: Table, alias: str) -> str:
        return ", ".join(f"{alias}.{self.dialect.quote(c.name)}" for c in table.columns)

    # -- exact aggregates -------------------------------------------------------------------
    def child_counts(self, conn: Connection, child: Table, fk: ForeignKey) -> ChildCounts:
        """The exact distribution of children per parent for `fk`, by GROUP BY over the child
        alone; parents without children are the parent's row count minus those with."""
        q = self.dialect.quote
        cols = ", ".join(q(c) for c in fk.columns)
        notnull = " AND ".join(f"{q(c)} IS NOT NULL" for c in fk.columns)
        sql = (f"SELECT n, COUNT(*) FROM (SELECT COUNT(*) AS n FROM "
               f"{self.dialect.qualified(child)} WHERE {notnull} GROUP BY {cols}) g GROUP BY n")
        found = {int(n): int(k) for n, k in conn.execute(sa.text(sql))}
        zeros = self.schema.table(fk.ref_table).row_count - sum(found.values())
        if zeros > 0:
            found[0] = found.get(0, 0) + zeros
        values = tuple(sorted(found))
        return ChildCounts(child.name, fk.columns, fk.ref_table, values,
                           tuple(found[v] for v in values))

    def children_of_sample(self, conn: Connection, child: Table, fk: ForeignKey,
                           parent_frame: pd.DataFrame) -> np.ndarray:
        """Each sampled parent row's exact number of children through `fk` (in the order of
        `parent_frame`), counted in the database over the whole child table."""
        q = self.dialect.quote
        s = self.samplings[fk.ref_table]
        cols = ", ".join(f"c.{q(c)}" for c in fk.columns)
        sql = f"SELECT {cols}, COUNT(*) FROM {self.dialect.qualified(child)} c"
        where = self.where(s, "p0", 1)
        if where is not None and not s.whole:
            refs = ", ".join(f"p0.{q(c)}" for c in fk.ref_columns)
            ptable = self.dialect.qualified(self.schema.table(fk.ref_table))
            sql += f" WHERE ({cols}) IN (SELECT {refs} FROM {ptable} p0 WHERE {where})"
        sql += f" GROUP BY {cols}"
        counts = _fetch(conn, sql, [*fk.ref_columns, "_n"])
        keys = parent_frame[list(fk.ref_columns)]
        if not len(counts):
            return np.zeros(len(keys))
        codes = key_codes(pd.concat([keys, counts[list(fk.ref_columns)]], ignore_index=True),
                          list(fk.ref_columns))
        lookup = pd.Series(counts["_n"].to_numpy(dtype=float),
                           index=codes[len(keys):]).groupby(level=0).sum()
        return lookup.reindex(codes[:len(keys)]).fillna(0.0).to_numpy()

    def column_stats(self, conn: Connection, table: Table) -> tuple[ColumnStats, ...]:
        """NULL counts and min/max of orderable columns over the whole table, one scan."""
        q = self.dialect.quote
        parts, names = [], []
        for col in table.columns:
            parts.append(f"COUNT({q(col.name)})")
            names.append((col.name, "count"))
            if col.kind in _ORDERED:
                parts += [f"MIN({q(col.name)})", f"MAX({q(col.name)})"]
                names += [(col.name, "min"), (col.name, "max")]
        row = conn.execute(sa.text(f"SELECT {', '.join(parts)} FROM "
                                   f"{self.dialect.qualified(table)}")).one()
        got: dict[str, dict[str, object]] = {}
        for (name, what), value in zip(names, row, strict=True):
            got.setdefault(name, {})[what] = value
        return tuple(ColumnStats(c.name, table.row_count - int(got[c.name]["count"] or 0),  # type: ignore[call-overload]
                                 got[c.name].get("min"), got[c.name].get("max"))
                     for c in table.columns)


def _fetch(conn: Connection, sql: str, columns: list[str]) -> pd.DataFrame:
    """Rows through a server-side cursor, CHUNK_ROWS per round trip; one DataFrame built at
    the end (as `pandas.read_sql` does, so dtypes match a whole-table read)."""
    result = conn.execution_options(stream_results=True, max_row_buffer=CHUNK_ROWS).execute(
        sa.text(sql))
    rows: list[tuple[object, ...]] = []
    for chunk in _chunks(result):
        rows.extend(chunk)
    result.close()
    return pd.DataFrame.from_records(rows, columns=columns, coerce_float=True)


def _chunks(result: sa.CursorResult) -> Iterator[list[tuple[object, ...]]]:
    while True:
        chunk = result.fetchmany(CHUNK_ROWS)
        if not chunk:
            return
        yield [tuple(r) for r in chunk]


# -- keys, vectorised ----------------------------------------------------------------------

def key_codes(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One integer per row, equal for rows with equal keys (NULL in any column: -1), with no
    per-row Python: each column factorised on its text-normalised values, then combined."""
    if not len(df):
        return np.zeros(0, dtype=np.int64)
    codes = np.zeros(len(df), dtype=np.int64)
    missing = np.zeros(len(df), dtype=bool)
    for c in columns:
        col_codes, uniques = pd.factorize(_normalised(df[c]))
        missing |= col_codes < 0
        codes = codes * (len(uniques) + 1) + col_codes + 1
        codes = pd.factorize(codes)[0].astype(np.int64)  # keep the product small
    codes[missing] = -1
    return codes


def _normalised(values: pd.Series) -> pd.Series:
    """Key values so that 7, 7.0 and '7' are one key (an FK read as float beside NULLs)."""
    if values.dtype.kind == "f":
        whole = values.notna() & (values == values.round())
        if whole.all() or (whole | values.isna()).all():
            return values.astype("Int64").astype(str).where(values.notna(), None)
        return values.astype(str).where(values.notna(), None)
    if values.dtype.kind in "iub":
        return values.astype(str)
    return values.astype(str).where(values.notna(), None)


def key_hash(df: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """The key text's hash in [0, 2**32), computed here for engines without `key_hash`."""
    text = _normalised(df[columns[0]]).fillna("")
    for c in columns[1:]:
        text = text + "|" + _normalised(df[c]).fillna("")
    hashed = pd.util.hash_pandas_object(text, index=False).to_numpy()
    return (hashed & np.uint64(HASH_SPACE - 1)).astype(np.int64)


def _in_parent(frame: pd.DataFrame, fk: ForeignKey, parent: pd.DataFrame) -> np.ndarray:
    """Rows whose FK is NULL or names a row of `parent`."""
    child = frame[list(fk.columns)].set_axis(list(fk.ref_columns), axis=1)
    both = pd.concat([child, parent[list(fk.ref_columns)]], ignore_index=True)
    codes = key_codes(both, list(fk.ref_columns))
    mine, theirs = codes[:len(child)], codes[len(child):]
    return (mine < 0) | np.isin(mine, theirs)
