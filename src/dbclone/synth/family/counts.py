"""Children per parent and the driving parent. Fit: each FK's children-per-parent
distribution and which FK drives the table's row count. Sample: the parents' children
counts (from their latent scores, per category where grouped), calibrated to the table's
size, laid out as the driving parent of each planned row (`Driven`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dbclone.schema import ForeignKey, Table
from dbclone.synth import copula, dims
from dbclone.synth.codecs import (
    normalized,
)
from dbclone.synth.context import FitContext, Step, TableFit
from dbclone.synth.family.forest import depth_probs
from dbclone.synth.model import FKModel, TableModel
from dbclone.synth.relations import spans
from dbclone.synth.relations.copies import find_copies
from dbclone.synth.relations.grouped import grouped_counts
from dbclone.synth.state import SampleState
from dbclone.synth.tables import Columns


def child_fks(ctx: FitContext, table: Table) -> list[tuple[Table, ForeignKey]]:
    out = []
    for child in ctx.schema.tables:
        for fk in child.foreign_keys:
            if fk.ref_table == table.name and not ctx.plan.is_deferred(child.name, fk):
                out.append((child, fk))
    return out


def children_counts(parent: pd.DataFrame, child: pd.DataFrame, fk: ForeignKey) -> np.ndarray:
    keys = child[list(fk.columns)].dropna()
    keys.columns = list(fk.ref_columns)
    sizes = keys.groupby(list(fk.ref_columns), dropna=True).size().rename("_n").reset_index()
    merged = parent[list(fk.ref_columns)].merge(sizes, how="left", on=list(fk.ref_columns))
    return np.asarray(merged["_n"].fillna(0).to_numpy(), dtype=float)


def fit_fks(ctx: FitContext, table: Table, df: pd.DataFrame) -> list[FKModel]:
    models = []
    for fk in table.foreign_keys:
        if fk.ref_table not in ctx.frames:
            continue
        null_rate = float(df[list(fk.columns)].isna().any(axis=1).mean()) if len(df) else 0.0
        exact = ctx.source.counts.get((table.name, fk.columns)) if ctx.source else None
        if exact is not None:  # counted by the database: a sampled table or parent
            values, freq = np.asarray(exact.values), np.asarray(exact.parents)
            counts = np.repeat(values, freq)
        else:
            counts = children_counts(ctx.frames[fk.ref_table], df, fk).astype(int)
            values, freq = np.unique(counts, return_counts=True)
        deferred = ctx.plan.is_deferred(table.name, fk)
        depth = depth_probs(df, fk) if fk.ref_table == table.name else ()
        models.append(FKModel(
            columns=fk.columns, ref_table=fk.ref_table, ref_columns=fk.ref_columns,
            null_rate=null_rate, counts=tuple(int(v) for v in values),
            probs=tuple(float(f) / max(len(counts), 1) for f in freq), deferred=deferred,
            depth_probs=depth))
    return _choose_driver(ctx, table, df, models)


def _choose_driver(ctx: FitContext, table: Table, df: pd.DataFrame,
                   fks: list[FKModel]) -> list[FKModel]:
    """The FK that drives this table's row count, and whose parent the rows are conditioned
    on: an owner rather than a lookup (a track belongs to its album, not its media type);
    then the parent whose columns the rows repeat (an order's ship-to name and city are its
    customer's, not its shipper's); then the one whose parents have the most children each
    (an order line's price follows its product, so lines go by product, and each order keeps
    its number of lines through the count drawn for it)."""
    best, best_key = None, (False, 0, 0.0)
    owners = [f for f in fks if not f.deferred and f.ref_table != table.name and f.counts
              and f.ref_table not in ctx.references]
    for i, fk in enumerate(fks):
        # an FK NULL in every row has no parent to go by: driving, it sized the table 0
        if fk.deferred or fk.ref_table == table.name or not fk.counts or fk.null_rate >= 1:
            continue
        copied = len(find_copies(ctx, table, df, fk, set())) \
            if len(owners) > 1 and fk in owners else 0
        key = (fk.ref_table not in ctx.references, copied, float(np.dot(fk.counts, fk.probs)))
        if best is None or key > best_key:
            best, best_key = i, key
    if best is None:
        return fks
    fks[best] = dataclasses.replace(fks[best], driving=True)
    return fks


@dataclass
class Driven:
    """The driving parent of each planned child row, without one index per row: parent p's
    children are rows cum[p-1]..cum[p] (parents in order, as np.repeat would lay them out),
    then `nulls` rows without a parent. A child table of 5M rows cost 40 MB as an index."""

    cum: np.ndarray  # running total of children per parent
    nulls: int

    @property
    def n(self) -> int:
        return self.total + self.nulls

    @property
    def total(self) -> int:
        return int(self.cum[-1]) if len(self.cum) else 0

    def idx(self, lo: int, hi: int) -> np.ndarray:
        """The parent position of rows lo..hi (-1: no parent)."""
        out = np.full(hi - lo, -1, dtype=np.int64)
        with_parent = max(min(hi, self.total) - lo, 0)
        if with_parent:
            out[:with_parent] = np.searchsorted(self.cum, np.arange(lo, lo + with_parent),
                                                side="right")
        return out

    def bounds(self, size: int) -> list[tuple[int, int]]:
        """Chunks of about `size` rows, never between two children of the same parent
        (rows without a parent may be cut anywhere)."""
        n = self.n
        if n <= size:
            return [(0, n)]
        out: list[tuple[int, int]] = []
        lo = 0
        while lo < n:
            if lo + size >= n:
                out.append((lo, n))
                break
            cut = self._start_at_or_before(lo + size)
            if cut is None or cut <= lo:  # one parent with more children than a chunk
                cut = self._start_after(lo)
            out.append((lo, cut))
            lo = cut
        return out

    def _start_at_or_before(self, row: int) -> int | None:
        """The last row <= `row` that starts a parent's children (or has no parent)."""
        if row >= self.total:
            return row
        i = int(np.searchsorted(self.cum, row, side="right")) - 1
        return int(self.cum[i]) if i >= 0 and self.cum[i] > 0 else None

    def _start_after(self, row: int) -> int:
        i = int(np.searchsorted(self.cum, row, side="right"))
        if i < len(self.cum) and self.cum[i] < self.total:
            return int(self.cum[i])
        return max(self.total, row + 1) if self.total < self.n else self.n


#: How far periods counted off a sibling's spans may stray from the table's planned rows and
#: still be kept as they are: they run 2-4 % over on Employees at scales 0.3-3; a table sized
#: on its own by the config strays further.
TICKED_SLACK = 0.10


def driven_rows(st: SampleState, fk: FKModel) -> Driven:
    """The parent row of each child row, from the parents' sampled counts."""
    parent = st.done[fk.ref_table]
    # periods counted off a sibling's spans hold as they are: nudged, they would no longer
    # fill those spans (`spans.ticked_counts`)
    ticked = spans.ticked_counts(st, child_of(st, fk), fk)
    want = st.row_count(st.model.table(child_of(st, fk))) * (1 - fk.null_rate)
    if ticked is not None and abs(int(ticked.sum()) - want) > TICKED_SLACK * want:
        # the table's own size was asked for (config rows/scale): the rows asked for win
        ticked = None
    counts = parent.counts(count_dim(st, fk)) if ticked is None else ticked
    if counts is None:
        counts = draw_counts(st, fk, parent.n)
    if ticked is None:
        cap = max(fk.counts) if fk.counts else None
        if cap and len(counts) and cap * len(counts) < want:
            # parents that do not grow with the scale (a small table copied as it is) cannot
            # hold the rows asked for under the source's largest family: families grow instead
            # in proportion, so that large families stay the large ones
            cap = int(np.ceil(max(cap * want / max(int(counts.sum()), 1), want / len(counts))))
        counts = calibrate(counts.astype(int), int(round(want)), st.rng, cap)
    cum = np.cumsum(counts, dtype=np.int64)
    extra = 0
    if fk.null_rate >= 1:  # every row's FK NULL (a model file fitted before fit skipped it)
        extra = st.row_count(st.model.table(child_of(st, fk)))
    elif fk.null_rate > 0:
        total = int(cum[-1]) if len(cum) else 0
        extra = int(round(total * fk.null_rate / (1 - fk.null_rate)))
    return Driven(cum, extra)


def child_of(st: SampleState, fk: FKModel) -> str:
    return next(t.name for t in st.model.tables if fk in t.fks)


def count_dim(st: SampleState, fk: FKModel) -> str:
    return dims.children(child_of(st, fk), fk.columns)


def draw_counts(st: SampleState, fk: FKModel, n: int) -> np.ndarray:
    if not fk.counts:
        return np.zeros(n, dtype=int)
    return st.rng.choice(np.asarray(fk.counts), size=n, p=normalized(fk.probs))


def child_counts(st: SampleState, table: Table, tm: TableModel, latent: np.ndarray, data: Columns,
                 spread: bool) -> dict[str, np.ndarray]:
    """The rows' numbers of children per child FK (`#child.fk` dims), decoded from their
    latent scores row by row, so a chunk at a time; per category of the row where the
    model draws them so (`TableModel.counts`)."""
    grouped = {cm.name: cm for cm in tm.counts if cm.by in data}
    out = {}
    for i, dim in enumerate(tm.copula):
        if dims.is_children(dim) and latent.shape[1] > i:
            fk = _fk_of_dim(st, table, dim)
            counts = grouped_counts(grouped[dim], latent[:, i], data, spread) \
                if dim in grouped else decode_counts(latent[:, i], fk)
            out[dim] = counts.astype(np.int32)
    return out


def calibrate(counts: np.ndarray, total: int, rng: np.random.Generator,
              cap: int | None = None) -> np.ndarray:
    """Nudge sampled children-per-parent counts so they add up to `total` (scale x source),
    adding where parents already have children and taking from random non-empty parents."""
    counts = counts.copy()
    diff = total - int(counts.sum())
    if len(counts) == 0 or diff == 0:
        return counts
    for _ in range(64):
        if diff <= 0:
            break
        room = np.maximum(cap - counts, 0) if cap is not None else np.full(len(counts), diff)
        weights = (counts + 0.5) * (room > 0)
        if weights.sum() == 0:
            break
        picks = rng.choice(len(counts), size=diff, p=weights / weights.sum())
        np.add.at(counts, picks, 1)
        if cap is not None:
            counts = np.minimum(counts, cap)
        diff = total - int(counts.sum())
    if diff >= 0:
        return counts
    for _ in range(-diff):
        nonzero = np.flatnonzero(counts)
        if not len(nonzero):
            break
        counts[nonzero[rng.integers(0, len(nonzero))]] -= 1
    return counts


def decode_counts(z: np.ndarray, fk: FKModel) -> np.ndarray:
    if not fk.counts:
        return np.zeros(len(z), dtype=int)
    cats = copula.normal_to_codes(z, fk.probs)
    return np.asarray(fk.counts)[np.minimum(cats, len(fk.counts) - 1)]


def _fk_of_dim(st: SampleState, table: Table, dim: str) -> FKModel:
    """The child FK a ``#child.cols`` dimension counts, matched whole: names may hold the
    '.' and '/' the dimension's name is built with (a table named "x.y")."""
    for tm in st.model.tables:
        for fk in tm.fks:
            if fk.ref_table == table.name and dims.children(tm.name, fk.columns) == dim:
                return fk
    raise KeyError(dim)


def children_dims(ctx: FitContext, tf: TableFit) -> None:
    """Each row's number of children per child FK, as a latent dimension ``#child.fk``."""
    for child, fk in child_fks(ctx, tf.table):
        exact = ctx.exact_counts(child.name, fk.columns)
        counts = exact if exact is not None else children_counts(tf.df, ctx.frames[child.name],
                                                                 fk)
        tf.dims.append(dims.children(child.name, fk.columns))
        tf.zs.append(copula.numeric_to_normal(counts, ctx.rng))
        tf.children[tf.dims[-1]] = counts


#: The table's children counts join its latent dimensions.
STEP = Step("children counts", children_dims)
