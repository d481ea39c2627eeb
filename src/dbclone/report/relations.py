"""Queries over foreign keys: children-per-parent histograms and per-parent child aggregates.

Both are aggregated in the database, so they are exact whatever the sample size and the
client only receives one row per distinct count (cardinality) or per parent (aggregates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dbclone.dialects import Dialect
from dbclone.report.model import Chart
from dbclone.report.shapes import ks_weighted
from dbclone.schema import ForeignKey, Table

#: Bars in a children-per-parent chart; larger counts are pooled into the last bar.
MAX_BARS = 16


def children_per_parent(conn: Connection, dialect: Dialect, child: Table, fk: ForeignKey,
                        parent: Table) -> pd.DataFrame:
    """Columns `n` (children of a parent) and `parents` (how many parents have n children)."""
    q = dialect.quote
    keys = ", ".join(f"p.{q(c)}" for c in fk.ref_columns)
    on = " AND ".join(f"c.{q(c)} = p.{q(r)}" for c, r in zip(fk.columns, fk.ref_columns,
                                                               strict=True))
    inner = (f"SELECT COUNT(c.{q(fk.columns[0])}) AS n FROM {dialect.rows_of(parent)} p "
             f"LEFT JOIN {dialect.rows_of(child)} c ON {on} GROUP BY {keys}")
    sql = f"SELECT n, COUNT(*) AS parents FROM ({inner}) x GROUP BY n"
    frame = pd.read_sql(sql, conn)
    frame.columns = ["n", "parents"]
    return frame.astype(float)


def cardinality(real: pd.DataFrame, synth: pd.DataFrame) -> tuple[float, Chart]:
    """1 - KS of the two children-per-parent distributions, and a bar chart of both."""
    score = ks_weighted(real["n"].to_numpy(), real["parents"].to_numpy(),
                        synth["n"].to_numpy(), synth["parents"].to_numpy())
    return score, _chart(real, synth)


def _chart(real: pd.DataFrame, synth: pd.DataFrame) -> Chart:
    top = int(max(real["n"].max() if len(real) else 0, synth["n"].max() if len(synth) else 0))
    width = max(1, int(np.ceil((top + 1) / MAX_BARS)))
    edges = list(range(0, top + width + 1, width))
    return Chart("hist", _shares(real, edges), _shares(synth, edges),
                 edges=tuple(float(e) for e in edges))


def _shares(frame: pd.DataFrame, edges: list[int]) -> tuple[float, ...]:
    counts, _ = np.histogram(frame["n"], bins=edges, weights=frame["parents"])
    total = counts.sum()
    return tuple(float(c / total) if total else 0.0 for c in counts)


@dataclass(frozen=True)
class ChildAggregate:
    """One per-parent aggregate of a child column: `how` is a key of AGGREGATE_SQL; `common`
    (for "distinct") the category values counted one by one, every other value counting as
    one pooled value (rare values the clone must not reproduce); empty: all counted."""

    column: str
    how: str
    common: tuple[str, ...] = ()


def _distinct(dialect: Dialect, col: str, agg: ChildAggregate) -> str:
    if not agg.common:
        return f"COUNT(DISTINCT {col})"
    listed = ", ".join(_literal(dialect, v) for v in agg.common)
    return (f"(COUNT(DISTINCT CASE WHEN {col} IN ({listed}) THEN {col} END) + "
            f"MAX(CASE WHEN {col} IS NOT NULL AND {col} NOT IN ({listed}) THEN 1 ELSE 0 END))")


def _literal(dialect: Dialect, value: str) -> str:
    return str(sa.literal(value, sa.String()).compile(
        dialect=dialect.sa_dialect, compile_kwargs={"literal_binds": True}))


#: SQL for each kind of per-parent child aggregate (SyntheRela's C2ST-Agg features): the mean
#: of a number, the mean of a date or timestamp as epoch seconds, and the number of distinct
#: values of a category.
AGGREGATE_SQL: dict[str, Callable[[Dialect, str, ChildAggregate], str]] = {
    "mean": lambda dialect, col, agg: f"AVG({col})",
    "date_mean": lambda dialect, col, agg: f"AVG({dialect.epoch_seconds_sql(col)})",
    "distinct": _distinct,
}


def child_aggregates(conn: Connection, dialect: Dialect, child: Table, fk: ForeignKey,
                     aggregates: list[ChildAggregate]) -> pd.DataFrame:
    """Per parent key: the number of children and each aggregate.

    Key columns come back as `_k0`, `_k1`, ...; aggregates as `_n` and `_m0`, `_m1`, ..."""
    q = dialect.quote
    keys = [f"{q(c)} AS _k{i}" for i, c in enumerate(fk.columns)]
    values = [f"{AGGREGATE_SQL[a.how](dialect, q(a.column), a)} AS _m{i}"
              for i, a in enumerate(aggregates)]
    present = " AND ".join(f"{q(c)} IS NOT NULL" for c in fk.columns)
    group = ", ".join(q(c) for c in fk.columns)
    sql = (f"SELECT {', '.join(keys + ['COUNT(*) AS _n'] + values)} "
           f"FROM {dialect.rows_of(child)} WHERE {present} GROUP BY {group}")
    frame = pd.read_sql(sql, conn)
    for col in frame.columns:
        if not col.startswith("_k"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    return frame
