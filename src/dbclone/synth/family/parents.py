"""Parent assignment: the driving parent's keys, other FKs' parents dealt from their sampled
stocks (`Deal`), distinct parents within a group where a composite key needs them, parents
inside the own table (`forest`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dbclone.schema import Table
from dbclone.synth.family.counts import count_dim, draw_counts
from dbclone.synth.family.forest import forest
from dbclone.synth.model import FKModel
from dbclone.synth.state import SampleState
from dbclone.synth.tables import Columns, concat
from dbclone.synth.unique import is_member

if TYPE_CHECKING:
    from dbclone.synth.state import Run


@dataclass(frozen=True)
class Deal:
    """Parents for a non-driving FK's rows. Each parent's sampled number of children is its
    stock, and the table's rows take it without replacement in row order (a multivariate
    hypergeometric split: the law of slicing one shuffled pool of the whole table, which
    cost 8 bytes per child row), then, once every stock is out, with replacement by weight.

    A chunk's share of the stock is found without the other chunks (`share`): the chunks
    split in halves, each half's share drawn from its parent range's, from a stream keyed
    by the range, so any process makes any chunk's share, the same every time."""

    stock_of: np.ndarray  # each parent's stock of children
    probs: np.ndarray  # the parents' weights, for rows beyond the stock
    stock: int
    starts: tuple[int, ...]  # the first row of each chunk, then the table's rows

    @classmethod
    def of(cls, weights: np.ndarray, starts: tuple[int, ...]) -> Deal:
        left = np.asarray(weights).astype(np.int64)
        w = np.asarray(weights, dtype=float)
        n = len(w)
        probs = w / w.sum() if w.sum() > 0 else np.full(n, 1.0 / max(n, 1))
        return cls(left, probs, int(left.sum()), starts)

    def share(self, chunk: int, stream: Callable[[int, int], np.random.Generator]
              ) -> np.ndarray:
        """Each parent's children among chunk `chunk`'s rows taken from the stock: the
        chunks [a, b) hold the stock's rows starts[a]..starts[b] (clipped to the stock);
        [a, b) splits at its middle chunk, the first half's share drawn from `stream(a, b)`."""
        a, b = 0, len(self.starts) - 1
        got = self.stock_of
        while b - a > 1 and got.sum():
            mid = (a + b) // 2
            size = min(self.starts[mid], self.stock) - min(self.starts[a], self.stock)
            first = stream(a, b).multivariate_hypergeometric(got, size, method="marginals")
            got, a, b = (first, a, mid) if chunk < mid else (got - first, mid, b)
        return got

    def deal(self, chunk: int, n: int, rng: np.random.Generator,
             stream: Callable[[int, int], np.random.Generator]) -> np.ndarray:
        """Parent positions for the `n` rows of chunk `chunk`."""
        parents = len(self.stock_of)
        if parents == 0:
            return np.full(n, -1, dtype=np.int64)
        out = np.empty(n, dtype=np.int64)
        got = self.share(chunk, stream)
        m = min(n, int(got.sum()))
        if m:
            pool = np.repeat(np.arange(parents), got)[:m]
            rng.shuffle(pool)
            out[:m] = pool
        if n > m:
            out[m:] = rng.choice(parents, size=n - m, p=self.probs)
        return out


# -- foreign keys --------------------------------------------------------------------------
def assign_driver(st: SampleState, data: Columns, fk: FKModel, parent_idx: np.ndarray) -> None:
    parent = st.done[fk.ref_table]
    for col, ref in zip(fk.columns, fk.ref_columns, strict=True):
        out = np.full(len(parent_idx), None, dtype=object)
        out[:] = parent.take(ref, parent_idx)
        data[col] = out


def prepare_fks(st: SampleState, run: Run, starts: tuple[int, ...]) -> None:
    """What a table's non-driving FKs share across its chunks, set up before the first (in
    the sampler's own process, so chunks made anywhere read it): FKs to a table generated
    later registered (filled before the load, or by an UPDATE), the stocks of dealt parents
    drawn."""
    for fk in run.tm.fks:
        if fk is run.driver or fk.as_category or fk.ref_table == run.table.name:
            continue
        if fk.ref_table not in st.done:
            if all(not run.table.column(c).nullable for c in fk.columns):
                st.waiting.setdefault(run.table.name, []).append(fk)
            else:
                st.pending.append((run.table, fk))
            continue
        parent = st.done[fk.ref_table]
        weights = parent.counts(count_dim(st, fk))  # drawn once for the whole table
        if weights is None:
            weights = draw_counts(st, fk, parent.n)
        run.deals[fk.columns] = Deal.of(weights, starts)


def assign_fk(st: SampleState, data: Columns, fk: FKModel, run: Run, chunk: int, lo: int,
              hi: int) -> None:
    """A non-driving FK's values for rows lo..hi (chunk `chunk`): parents in the own table
    (a forest), parents generated later (NULL for now, filled later), or parents dealt from
    their sampled numbers of children (`prepare_fks`)."""
    if fk.ref_table == run.table.name:
        _own_table_parents(st, data, fk, run, lo, hi)
    elif fk.columns not in run.deals:
        for c in fk.columns:  # NULL until the parent exists
            data[c] = np.full(hi - lo, None, dtype=object)
    else:
        _dealt_parents(st, data, fk, run, chunk, hi - lo)


def _own_table_parents(st: SampleState, data: Columns, fk: FKModel, run: Run, lo: int,
                       hi: int) -> None:
    # Parents come before their children (roots first) over the whole table, so a row's
    # parent is in its chunk or an earlier one: the table's chunks finish in order, in the
    # sampler's own process (`Sampler.chunks`).
    if fk.columns not in run.picks:
        run.picks[fk.columns] = forest(st, fk, run.n)
    idx = run.picks[fk.columns][lo:hi]
    keys = {}
    for c in fk.ref_columns:
        run.own_keys.setdefault(c, []).append(data[c])
        keys[c] = concat(run.own_keys[c])
    set_fk(data, fk, idx, lambda c, i: keys[c][i])


def _dealt_parents(st: SampleState, data: Columns, fk: FKModel, run: Run, chunk: int,
                   n: int) -> None:
    table, driver = run.table, run.driver
    parent = st.done[fk.ref_table]
    deal = run.deals[fk.columns]
    which = next(i for i, f in enumerate(run.tm.fks) if f.columns == fk.columns)
    idx = deal.deal(chunk, n, st.rng, lambda a, b: run.stream(which, a, b))
    if driver is not None and parent.n and unique_with(table, fk.columns, driver.columns):
        idx = distinct_per_group(st, data, driver, deal.probs, idx)
    if fk.null_rate > 0:
        idx[st.rng.random(n) < fk.null_rate] = -1
    set_fk(data, fk, idx, parent.take)


def distinct_per_group(st: SampleState, data: Columns, driver: FKModel, p: np.ndarray,
                       out: np.ndarray) -> np.ndarray:
    """Different parents within each driving group, so a composite key stays unique;
    repeats are swapped with other rows first, so every parent keeps its sampled number
    of children (an order keeps its lines and a product its sales)."""
    codes = _group_codes([data[c] for c in driver.columns])
    p = 0.95 * p + 0.05 / len(p)  # every parent possible, so large groups still fit
    sizes = np.bincount(codes, minlength=1)
    big = sizes[codes] > 0.2 * len(p)
    out = swap_repeats(codes, out, big, st.rng)
    # Repeats no swap resolved: redrawn (their parents' counts move a little).
    for _ in range(20):
        dup = pd.Series(codes.astype(np.int64) * len(p) + out).duplicated().to_numpy() & ~big
        if not dup.any():
            break
        out[dup] = st.rng.choice(len(p), size=int(dup.sum()), p=p)
    # Groups close to the number of parents: an exact draw without replacement each, all
    # at once (weighted random keys, the k largest per group: Efraimidis-Spirakis). A big
    # group has more than len(p) / 5 rows, so the key matrix stays within 5 x its rows.
    rows = np.flatnonzero(big)
    if len(rows):
        groups, which = np.unique(codes[rows], return_inverse=True)
        keys = np.log(st.rng.random((len(groups), len(p)))) / p
        order = np.argsort(-keys, axis=1)
        by_group = np.argsort(which, kind="stable")
        first = np.searchsorted(which[by_group], which[by_group])
        rank = np.empty(len(rows), dtype=np.int64)
        rank[by_group] = np.arange(len(rows)) - first
        fits = rank < len(p)
        picked = np.full(len(rows), -1)
        picked[fits] = order[which[fits], rank[fits]]
        out[rows] = picked
    return out


def set_fk(data: Columns, fk: FKModel, idx: np.ndarray,
           take: Callable[[str, np.ndarray], np.ndarray]) -> None:
    """FK columns from the referenced columns at parent positions `idx` (-1: NULL)."""
    ok = idx >= 0
    for col, ref in zip(fk.columns, fk.ref_columns, strict=True):
        out = np.full(len(idx), None, dtype=object)
        out[ok] = take(ref, idx[ok])
        data[col] = out


def swap_repeats(codes: np.ndarray, out: np.ndarray, fixed: np.ndarray, rng: np.random.Generator,
                 rounds: int = 12) -> np.ndarray:
    """Resolve rows whose (group, parent) pair repeats an earlier row's by swapping parents
    with random rows of other groups where neither pair then repeats: the multiset of
    parents, so each parent's number of children, is unchanged."""
    out = out.copy()
    n = len(out)
    if n < 2:
        return out
    width = int(out.max(initial=0)) + 1
    for _ in range(rounds):
        pair = codes.astype(np.int64) * width + out
        dup = pd.Series(pair).duplicated().to_numpy() & ~fixed
        if not dup.any():
            break
        rows = np.flatnonzero(dup)
        partner = rng.integers(0, n, len(rows))
        taken = np.sort(pair)
        new_i = codes[rows].astype(np.int64) * width + out[partner]
        new_j = codes[partner].astype(np.int64) * width + out[rows]
        ok = (~is_member(new_i, taken) & ~is_member(new_j, taken) & ~fixed[partner]
              & (codes[rows] != codes[partner]))
        # one swap per row per round: a partner used twice (or itself a repeat) waits
        ok &= ~np.isin(partner, rows)
        _, first = np.unique(partner, return_index=True)
        once = np.zeros(len(rows), dtype=bool)
        once[first] = True
        ok &= once
        i, j = rows[ok], partner[ok]
        out[i], out[j] = out[j], out[i].copy()
    return out


def _group_codes(columns: list[np.ndarray]) -> np.ndarray:
    """One integer per distinct combination of values (NULL a value of its own)."""
    codes = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for values in columns:
        try:
            here, uniq = pd.factorize(values, use_na_sentinel=False)
        except TypeError:  # unhashable values: by their text
            here, uniq = pd.factorize(pd.Series(values).astype(str).to_numpy())
        codes = codes * max(len(uniq), 1) + here
    return np.asarray(pd.factorize(codes)[0], dtype=np.int64)


def unique_with(table: Table, cols: tuple[str, ...], driver_cols: tuple[str, ...]) -> bool:
    both = set(cols) | set(driver_cols)
    return any(set(u) == both for u in table.unique_sets())
