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

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection, Engine

from dbclone.dialects import dialect_for
from dbclone.dialects.base import Dialect
from dbclone.plan import Plan
from dbclone.schema import Column, ForeignKey, Schema, Table

#: Expected rows per table in the sample; tables at most this big (with whole parents) are
#: read whole, so fits of small databases see every row.
DEFAULT_BUDGET = 50_000
#: Rows fetched per round trip from the server-side cursor.
CHUNK_ROWS = 50_000
HASH_SPACE = 2 ** 32
#: A table is sampled by families only when the sample would hold at least this many (else
#: row by row, its parent being read whole anyway).
MIN_FAMILIES = 200
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
    """One column's exact figures over the whole table, counted by the database."""

    name: str
    nulls: int
    min: object = None
    max: object = None
    rows: int = 0

    @property
    def null_rate(self) -> float:
        return self.nulls / self.rows if self.rows else 0.0


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
        own = tuple(table.primary_key or table.column_names)  # the sample's order
        if expected <= budget:
            out[name] = Sampling(name, table.row_count, own_key=own, fk=fk,
                                 parent=via.table if via else None, fraction=share)
            continue
        keep = budget / expected
        if fk is not None and via is None and \
                schema.table(fk.ref_table).row_count * keep < MIN_FAMILIES:
            fk = None  # too few families to sample from (customers by their 25 nations)
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
        if s.whole:
            sql = f"SELECT {self._cols(table, 's0')} FROM {self.dialect.rows_of(table)} s0"
            return _fetch(conn, sql, list(table.column_names), self.dialect,
                          exact_columns(table))
        sample = self.select_sql(s, table.column_names)
        if sample is not None:  # sorted by the row's own key: the same frame on every run
            order = ", ".join(self.dialect.quote(c) for c in s.own_key)
            return _fetch(conn, f"{sample} ORDER BY {order}", list(table.column_names),
                          self.dialect, exact_columns(table))
        # No hash function in this engine: the whole table streamed, kept by hashing here
        frame = _fetch(conn, f"SELECT {self._cols(table, 's0')} FROM "
                             f"{self.dialect.rows_of(table)} s0", list(table.column_names),
                       self.dialect, exact_columns(table))
        keep = np.ones(len(frame), dtype=bool)
        if s.threshold < HASH_SPACE:
            hashed = key_hash(frame, s.key, s.table)
            if s.own_key != s.key:
                orphan = frame[list(s.key)].isna().any(axis=1).to_numpy()
                hashed = np.where(orphan, key_hash(frame, s.own_key, s.table), hashed)
            keep &= hashed < s.threshold
        if s.parent is not None and s.fk is not None:
            keep &= _in_parent(frame, s.fk, frames[s.parent])
        return frame[keep].reset_index(drop=True)

    def select_sql(self, s: Sampling, columns: Sequence[str], depth: int = 0) -> str | None:
        """SELECT of `columns` of the rows in `s`'s sample (None where the engine cannot hash).
        A sampled parent's keys are LEFT JOINed (a hash join), not tested by `IN (...) OR
        IS NULL`, which PostgreSQL runs as a scan of the parent's keys per child row."""
        q = self.dialect.quote
        alias = f"t{depth}"
        table = self.schema.table(s.table)
        sql = f"FROM {self.dialect.rows_of(table)} {alias}"
        conds = []
        if s.threshold < HASH_SPACE:
            expr = self._hash(s, alias)
            if expr is None:
                return None
            conds.append(f"{expr} < {s.threshold}")
        if s.parent is not None and s.fk is not None:
            keys = self.select_sql(self.samplings[s.parent], s.fk.ref_columns, depth + 1)
            if keys is None:
                return None
            f = f"f{depth}"
            on = " AND ".join(f"{alias}.{q(c)} = {f}.{q(r)}"
                              for c, r in zip(s.fk.columns, s.fk.ref_columns, strict=True))
            sql += f" LEFT JOIN ({keys}) {f} ON {on}"
            kept = [f"{alias}.{q(c)} IS NULL" for c in s.fk.columns]
            conds.append(f"({' OR '.join([*kept, f'{f}.{q(s.fk.ref_columns[0])} IS NOT NULL'])})")
        cols = ", ".join(f"{alias}.{q(c)}" for c in columns)
        return f"SELECT {cols} {sql}" + (f" WHERE {' AND '.join(conds)}" if conds else "")

    def _hash(self, s: Sampling, alias: str) -> str | None:
        """The key's hash, salted with the table's name: a child hashed on its parent's key
        (or a parent on its own) then keeps a share of families independent of the parent's."""
        q = self.dialect.quote
        salt = "'" + s.table.replace("'", "''") + "'"
        expr = self.dialect.key_hash([salt, *(f"{alias}.{q(c)}" for c in s.key)])
        if expr is None or s.key == s.own_key:
            return expr
        nulls = " OR ".join(f"{alias}.{q(c)} IS NULL" for c in s.key)
        own = self.dialect.key_hash([salt, *(f"{alias}.{q(c)}" for c in s.own_key)])
        return f"(CASE WHEN {nulls} THEN {own} ELSE {expr} END)"

    def _cols(self, table: Table, alias: str) -> str:
        return ", ".join(f"{alias}.{self.dialect.quote(c.name)}" for c in table.columns)

    # -- exact aggregates -------------------------------------------------------------------
    def fk_counts(self, conn: Connection, child: Table, fk: ForeignKey,
                  parent_frame: pd.DataFrame) -> tuple[ChildCounts, np.ndarray]:
        """For `fk`, in one pass over the child (a GROUP BY shared by both halves): the exact
        distribution of children per parent (parents without children being the parent's
        row count minus those with), and each row of `parent_frame`'s exact number of
        children (the sampled parents' groups only, joined to the parent's sample keys)."""
        q = self.dialect.quote
        refs = list(fk.ref_columns)
        cols = ", ".join(f"{q(c)} AS {q(r)}" for c, r in zip(fk.columns, refs, strict=True))
        notnull = " AND ".join(f"{q(c)} IS NOT NULL" for c in fk.columns)
        groups = (f"SELECT {cols}, COUNT(*) AS n_ FROM {self.dialect.rows_of(child)} "
                  f"WHERE {notnull} GROUP BY {', '.join(q(c) for c in fk.columns)}")
        s = self.samplings[fk.ref_table]
        sample = None if s.whole else self.select_sql(s, fk.ref_columns, 1)
        mine = ", ".join(f"g.{q(r)}" for r in refs)
        nulls = ", ".join("NULL" for _ in refs)
        sql = (f"WITH g AS ({groups}) SELECT 0, {nulls}, n_, COUNT(*) FROM g GROUP BY n_ "
               f"UNION ALL SELECT 1, {mine}, n_, 1 FROM g")
        if sample is not None:
            on = " AND ".join(f"g.{q(r)} = k.{q(r)}" for r in refs)
            sql += f" JOIN ({sample}) k ON {on}"
        rows = _fetch(conn, sql, ["part_", *refs, "n_", "k_"], self.dialect)
        dist = rows[rows["part_"] == 0]
        found = {int(n): int(k) for n, k in zip(dist["n_"], dist["k_"], strict=True)}
        zeros = self.schema.table(fk.ref_table).row_count - sum(found.values())
        if zeros > 0:
            found[0] = found.get(0, 0) + zeros
        values = tuple(sorted(found))
        counts = ChildCounts(child.name, fk.columns, fk.ref_table, values,
                             tuple(found[v] for v in values))
        per = rows[rows["part_"] == 1]
        keys = parent_frame[refs]
        if not len(per):
            return counts, np.zeros(len(keys))
        codes = key_codes(pd.concat([keys, per[refs]], ignore_index=True), refs)
        lookup = pd.Series(per["n_"].to_numpy(dtype=float),
                           index=codes[len(keys):]).groupby(level=0).sum()
        return counts, lookup.reindex(codes[:len(keys)]).fillna(0.0).to_numpy()

    def column_stats(self, conn: Connection, table: Table) -> tuple[ColumnStats, ...]:
        """NULL counts and min/max of orderable columns over the whole table, one scan. Only
        what can be unknown is asked: no count of a NOT NULL column (none), no min/max of
        a key the fit generates or an FK it draws from parents (a TPC-H lineitem's scan
        then computes 14 aggregates, not 38)."""
        q = self.dialect.quote
        parts, names = [], []
        fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
        key = set(table.primary_key) if len(table.primary_key) == 1 else set()
        for col in table.columns:
            if col.nullable:
                parts.append(f"COUNT({q(col.name)})")
                names.append((col.name, "count"))
            if col.kind in _ORDERED and col.name not in fk_cols | key:
                parts += [f"MIN({q(col.name)})", f"MAX({q(col.name)})"]
                names += [(col.name, "min"), (col.name, "max")]
        got: dict[str, dict[str, object]] = {c.name: {"count": table.row_count}
                                             for c in table.columns}
        if not parts:
            return tuple(ColumnStats(c.name, 0, rows=table.row_count) for c in table.columns)
        # exec_driver_sql, not sa.text: that doubles a '%' in a quoted name (the fuzzer's
        # "percent%" column) and would read ':x' as a parameter.
        row = conn.exec_driver_sql(f"SELECT {', '.join(parts)} FROM "
                                   f"{self.dialect.rows_of(table)}").one()
        for (name, what), value in zip(names, row, strict=True):
            got.setdefault(name, {})[what] = value
        return tuple(ColumnStats(c.name, table.row_count - int(got[c.name]["count"] or 0),  # type: ignore[call-overload]
                                 got[c.name].get("min"), got[c.name].get("max"),
                                 table.row_count)
                     for c in table.columns)


def _fetch(conn: Connection, sql: str, columns: list[str], dialect: Dialect | None = None,
           exact: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Rows through a server-side cursor of the driver (`Dialect.stream_cursor`),
    CHUNK_ROWS per round trip, as the driver's tuples (SQLAlchemy's rows cost as much as the
    fetch); one DataFrame built at the end (as `pandas.read_sql` does, so dtypes match a
    whole-table read)."""
    cursor = (dialect or dialect_for(conn.engine)).stream_cursor(conn)
    rows: list[tuple[object, ...]] = []
    try:
        # Empty parameters, not none: the driver then turns the '%%' that quoting doubles
        # for it back into '%' (a column named "percent%"; fuzzer seed 5 on MariaDB).
        cursor.execute(sql, ())
        while True:
            chunk = cursor.fetchmany(CHUNK_ROWS)
            if not chunk:
                break
            rows.extend(chunk)
    finally:
        cursor.close()
    frame = pd.DataFrame.from_records(rows, columns=columns, coerce_float=True)
    for i, name in enumerate(columns):
        if name in exact:  # the driver's exact ints and Decimals, not pandas' floats
            frame[name] = pd.Series([r[i] for r in rows], index=frame.index, dtype=object)
    del rows
    for name in columns:
        if name not in exact and frame[name].dtype == object:
            shared = _shared_equal_values(frame[name].to_numpy())
            if shared is not None:
                frame[name] = pd.Series(shared, index=frame.index, dtype=object)
    return frame


#: Types whose equal values are the same value (not 1 == 1.0 == True, Decimal 1.0 == 1.00,
#: nor timestamps of one instant in two time zones).
_SHAREABLE = (str, dt.date)


def _shared_equal_values(values: np.ndarray) -> np.ndarray | None:
    """The column with its equal strings or dates made one object (None: left as it is):
    the driver makes one per row, so 50,000 rows of a four-valued flag held 50,000 strings
    (TPC-H's lineitem frame 25 MB, half of it such copies). Only where every value is of one
    `_SHAREABLE` type, so no two values that merely compare equal are merged."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # lists (arrays), dicts (JSON): unhashable
        return None
    if not len(uniques) or len(uniques) > len(values) // 2 or \
            len({type(u) for u in uniques}) != 1 or type(uniques[0]) not in _SHAREABLE:
        return None
    out = values.copy()  # NULLs stay the objects they were (None, NaN)
    known = codes >= 0
    out[known] = np.asarray(uniques, dtype=object)[codes[known]]
    return out


def exact_columns(table: Table) -> frozenset[str]:
    """Columns whose values a float would round: decimals of more than 15 digits
    (DECIMAL(65,30)) and 64-bit integers that may hold NULL or pass 2**63 (pandas makes such
    a column float: 18446744073709551614 became 2**64, DECIMAL(65,30) one number)."""
    def exact(col: Column) -> bool:
        if col.kind == "decimal":
            return (col.precision or 0) > 15
        wide = col.sql_type.lower().split("(")[0].split(" ")[0] in ("bigint", "int8")
        return col.kind == "integer" and wide and (col.nullable or col.unsigned)
    return frozenset(c.name for c in table.columns if exact(c))


# -- keys, vectorised ----------------------------------------------------------------------

def key_codes(df: pd.DataFrame, columns: list[str], null_is_value: bool = False) -> np.ndarray:
    """One integer per row, equal for rows with equal keys, with no per-row Python: each
    column factorised on its text-normalised values, then combined. A NULL in any column
    gives -1, or with `null_is_value` counts as one more value (as text keys "7|nan" did)."""
    if not len(df):
        return np.zeros(0, dtype=np.int64)
    codes = np.zeros(len(df), dtype=np.int64)
    missing = np.zeros(len(df), dtype=bool)
    for c in columns:
        col_codes, uniques = pd.factorize(_normalised(df[c]), use_na_sentinel=not null_is_value)
        missing |= col_codes < 0
        codes = codes * (len(uniques) + 1) + col_codes + 1
        codes = pd.factorize(codes)[0].astype(np.int64)  # keep the product small
    codes[missing] = -1
    return codes


def parent_positions(parent: pd.DataFrame, ref_columns: list[str], child: pd.DataFrame,
                     columns: list[str]) -> np.ndarray:
    """For each child row, the position of its parent row in `parent` (the first, should the
    referenced key repeat), -1 where the FK is NULL or names no row there."""
    keys = child[columns].set_axis(ref_columns, axis=1)
    codes = key_codes(pd.concat([parent[ref_columns], keys], ignore_index=True), ref_columns)
    mine, theirs = codes[len(parent):], codes[:len(parent)]
    lookup = np.full(int(codes.max(initial=-1)) + 2, -1, dtype=np.int64)
    order = np.arange(len(parent))[::-1]
    lookup[theirs[::-1]] = order  # reversed, so the first occurrence is written last
    lookup[-1] = -1  # parents with a NULL key (code -1) match nothing
    return lookup[mine]


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


def key_hash(df: pd.DataFrame, columns: tuple[str, ...], salt: str) -> np.ndarray:
    """The salted key text's hash in [0, 2**32), here for engines without `key_hash`."""
    text = salt + "|" + _normalised(df[columns[0]]).fillna("")
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


@dataclass(frozen=True)
class SourceData:
    """What the fit reads: each table's sample, and for every FK touching a sampled table
    the exact children-per-parent distribution and each sampled parent's children count
    (keyed by (child table, FK columns)); FKs between whole tables are counted from rows."""

    frames: dict[str, pd.DataFrame]
    samplings: dict[str, Sampling]
    counts: dict[tuple[str, tuple[str, ...]], ChildCounts]
    per_parent: dict[tuple[str, tuple[str, ...]], np.ndarray]
    #: Per sampled table, each column's exact NULL count and min/max over the whole table
    #: (`SourceReader.column_stats`); a table read whole has its exact figures in its frame.
    stats: dict[str, dict[str, ColumnStats]] = field(default_factory=dict)

    def sampled(self, table: str) -> bool:
        s = self.samplings.get(table)
        return s is not None and not s.whole

    def column(self, table: str, column: str) -> ColumnStats | None:
        """The column's exact figures when its table was sampled (None: read whole)."""
        return self.stats.get(table, {}).get(column)


def read_source(engine: Engine, schema: Schema, plan: Plan,
                budget: int = DEFAULT_BUDGET) -> SourceData:
    """Samples and exact aggregates in one read-only transaction (one snapshot)."""
    reader = SourceReader(engine, schema, plan, budget)
    counts: dict[tuple[str, tuple[str, ...]], ChildCounts] = {}
    per_parent: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}
    with engine.connect() as conn:
        reader.dialect.begin_read_only(conn)
        frames = reader.read(conn)
        stats = {name: {c.name: c for c in reader.column_stats(conn, schema.table(name))}
                 for name, s in reader.samplings.items() if not s.whole}
        for child in schema.tables:
            for fk in child.foreign_keys:
                if fk.ref_table not in frames or child.name not in frames:
                    continue
                if reader.samplings[child.name].whole and reader.samplings[fk.ref_table].whole:
                    continue
                key = (child.name, fk.columns)
                counts[key], per_parent[key] = reader.fk_counts(conn, child, fk,
                                                                frames[fk.ref_table])
        conn.rollback()
    return SourceData(frames, reader.samplings, counts, per_parent, stats)
