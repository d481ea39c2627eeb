"""Time within a family and serial keys in time order, found in the source's rows (issue 13's
"granularity and order"), kept as `RowRule`s of the table.

- ``chain`` (start, end, group): the intervals of one parent's children never overlap in the
  source (a DVD copy is rented again only after it is returned; one salary period follows
  the last). Kept: the gaps between one sibling's end and the next one's start (quantiles),
  the latest start, and that an open end (NULL, a "valid until 9999" sentinel) is only ever
  the last sibling's. Generated: each family's intervals are laid one after the other from
  its earliest drawn start, each keeping its drawn length, with gaps drawn from the source's.
- ``serial`` (key, date): the integer key grows with a date of the row in the source (rank
  correlation at least `SERIAL_RANK`: invoices numbered as they were written). Generated: the
  chunk's keys are handed out in the order of its dates.

Found on the rows the fit read (a sample), by sorting once per candidate: no pairwise search.
Applied to a chunk after its FKs are assigned and before its keys are kept for children, so
children see the final keys and dates. A family cut across chunks (a non-driving FK of a
table of more than one chunk) is laid out per chunk.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dbclone.schema import Column, Table
from dbclone.semantic.rows import RowRule
from dbclone.synth import copula, dims
from dbclone.synth.codecs import known_numbers, to_numbers, to_python
from dbclone.synth.context import FitContext
from dbclone.synth.model import ColumnModel, FKModel, TableModel
from dbclone.synth.relations import spans, windows
from dbclone.synth.relations.dates import _parent_dates
from dbclone.synth.state import SampleState
from dbclone.synth.tables import Columns

#: The rule kinds this module owns (`semantic.rows.apply` leaves them alone).
KINDS = frozenset(("chain", "serial", "window", "span", "clock"))
#: Share of successive siblings that must not overlap for a chain.
CHAIN_HOLDS = 0.999
#: Fewest successive sibling pairs to trust a chain.
MIN_PAIRS = 20
#: Family sizes told apart for the share of families still open (larger ones share the last).
OPEN_SIZES = 20
#: Spearman correlation of an integer key and a date for the key to follow the date.
SERIAL_RANK = 0.9
_DATES = ("date", "datetime")


def find(ctx: FitContext, table: Table, df: pd.DataFrame, columns: list[ColumnModel],
         fks: Sequence[FKModel] = ()) -> list[RowRule]:
    """The table's chains and serial key (none on a tiny table)."""
    if len(df) < MIN_PAIRS:
        return []
    chains = _chains(ctx, table, df, columns, fks)
    shared = [spans.find(ctx, table, df, rule, fks) for rule in chains] + \
        [spans.find_clock(ctx, table, df, rule, fks) for rule in chains]
    return windows.find(ctx, table, df, columns) + chains + \
        [rule for rule in shared if rule is not None] + _serial(table, df, columns)


def _chains(ctx: FitContext, table: Table, df: pd.DataFrame, columns: list[ColumnModel],
            fks: Sequence[FKModel]) -> list[RowRule]:
    by_name = {cm.name: cm for cm in columns}
    dates = [c for c in table.columns if c.kind in _DATES and c.name in df
             and by_name.get(c.name, ColumnModel(c.name, "")).strategy == "numeric"
             and df[c.name].nunique() > 1]
    groups = [fk.columns[0] for fk in table.foreign_keys if len(fk.columns) == 1
              and fk.ref_table != table.name]
    driver = next((f for f in fks if f.driving), None)
    out: list[RowRule] = []
    if not groups or len(dates) < 2:
        return out
    # Each date converted once (parsing dates is most of this rule's fit time).
    numbers = {c.name: known_numbers(c, df[c.name]).reindex(df.index) for c in dates}
    taken: set[str] = set()
    for start in dates:
        s = numbers[start.name]
        for end in dates:
            if end.name == start.name or end.kind != start.kind or end.name in taken:
                continue
            e = numbers[end.name]
            both = s.notna() & e.notna()
            if both.sum() < MIN_PAIRS or (e[both] < s[both]).any() or (e[both] == s[both]).all():
                continue
            found = _chain_of(df, Interval(start.name, end.name, s, e), groups,
                              by_name[end.name])
            if found is None:
                continue
            rule, frame = found
            out.append(_with_first(ctx, table, df, driver, rule, frame, by_name[start.name]))
            taken |= {start.name, end.name}
            break
    return out


@dataclass
class Interval:
    start: str
    end: str
    s: pd.Series  # numbers, aligned with the source rows
    e: pd.Series


def _chain_of(df: pd.DataFrame, iv: Interval, groups: list[str],
              end_model: ColumnModel) -> tuple[RowRule, pd.DataFrame] | None:
    """The first FK whose families' (start, end) intervals follow one another, and the
    source's rows in family order."""
    s, e = iv.s, iv.e
    sentinel = _sentinel(end_model, s, e)
    # A sentinel end ("valid until 9999") is open: only the last sibling may have it. A NULL
    # end says nothing about the next sibling (a rental never returned in old data).
    open_end = e == sentinel if sentinel is not None else pd.Series(False, index=e.index)
    for g in groups:
        frame = pd.DataFrame({"g": df[g], "s": s, "e": e.where(~open_end, np.inf)})
        frame = frame[frame["g"].notna() & frame["s"].notna()].sort_values(["g", "s"])
        same = (frame["g"] == frame["g"].shift()).to_numpy()
        gaps = (frame["s"].to_numpy() - frame["e"].shift().to_numpy())[same]
        gaps = gaps[~np.isnan(gaps)]
        if len(gaps) < MIN_PAIRS or np.mean(gaps >= 0) < CHAIN_HOLDS:
            continue
        finite = gaps[np.isfinite(gaps) & (gaps >= 0)]
        if len(finite) < MIN_PAIRS:
            continue
        params = (_grid(finite), float(frame["s"].max()), float(frame["s"].min()),
                  *_open_ends(frame), sentinel if sentinel is not None else float("inf"))
        return RowRule("chain", (iv.start, iv.end, g), params), frame
    return None


def _open_ends(frame: pd.DataFrame) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per family size (1, 2, ... OPEN_SIZES and more), the share of families whose last
    interval is open; and the quantiles of open intervals' starts (the last period of a
    person still employed starts in the data's final year), () when too few are open."""
    last = (frame["g"] != frame["g"].shift(-1)).to_numpy()
    sizes = frame.groupby("g", sort=False)["s"].transform("size").to_numpy()[last]
    is_open = np.isinf(frame["e"].to_numpy()[last])
    if not is_open.any():
        return (), ()
    bucket = np.minimum(sizes, OPEN_SIZES)
    shares = tuple(round(float(is_open[bucket == k].mean()), 4) if (bucket == k).any() else 0.0
                   for k in range(1, OPEN_SIZES + 1))
    starts = frame["s"].to_numpy()[last][is_open]
    return shares, _grid(starts) if len(starts) >= MIN_PAIRS else ()


def _grid(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in copula.quantile_grid(values))


def _with_first(ctx: FitContext, table: Table, df: pd.DataFrame, driver: FKModel | None,
                rule: RowRule, frame: pd.DataFrame, start: ColumnModel) -> RowRule:
    """A chain of the driving parent's children whose start is modelled after a date of the
    parent (a first salary from the hiring): the first sibling's own offset from it
    (quantiles), as siblings after the first sit further from it."""
    if driver is None or driver.columns != (rule.columns[2],) or not dims.is_parent(start.base):
        return dataclasses.replace(rule, params=(*rule.params, (), ""))
    base = _parent_dates(ctx, table, df, driver).get(start.base or "")
    if base is None:
        return dataclasses.replace(rule, params=(*rule.params, (), ""))
    first = (frame["g"] != frame["g"].shift()).to_numpy()
    offsets = (frame["s"] - base[1].reindex(frame.index)).to_numpy()[first]
    offsets = offsets[np.isfinite(offsets)]
    if len(offsets) < MIN_PAIRS:
        return dataclasses.replace(rule, params=(*rule.params, (), ""))
    return dataclasses.replace(rule, params=(*rule.params, _grid(offsets), start.base))


def _sentinel(cm: ColumnModel, s: pd.Series, e: pd.Series) -> float | None:
    """The end column's far-future marker as a number: the one its model keeps, or the
    latest end when it lies further past the latest start than the starts spread and is
    held by at least five rows (too rare for the column's model to keep apart)."""
    if not len(e.dropna()):
        return None
    top = float(e.max())
    held = int((e == top).sum())
    if cm.values and cm.base and held >= 0.5 * cm.probs[0] * len(e.dropna()):
        return top
    spread = float(s.max() - s.min())
    return top if held >= 5 and top > float(s.max()) + spread else None


def _serial(table: Table, df: pd.DataFrame, columns: list[ColumnModel]) -> list[RowRule]:
    pk = table.primary_key
    if not pk or len(pk) != 1 or table.column(pk[0]).kind != "integer":
        return []
    if not any(cm.name == pk[0] and cm.strategy == "key" for cm in columns):
        return []
    keys = pd.to_numeric(df[pk[0]], errors="coerce")
    best, best_rho, best_set = None, 0.0, False
    for col in table.columns:
        if col.kind not in _DATES or col.name not in df or df[col.name].nunique() < MIN_PAIRS:
            continue
        d = known_numbers(col, df[col.name]).reindex(df.index)
        both = keys.notna() & d.notna()
        if both.sum() < MIN_PAIRS or both.mean() < 0.5:
            continue
        rho = float(keys[both].rank().corr(d[both].rank()))
        # A date set in every row (when the row was made) before one set later (returned)
        if rho >= SERIAL_RANK and (not col.nullable, rho) > (best_set, best_rho):
            best, best_rho, best_set = col.name, rho, not col.nullable
    return [RowRule("serial", (pk[0], best), (round(best_rho, 3),))] if best else []


# -- generating ----------------------------------------------------------------------------

def apply(st: SampleState, table: Table, tm: TableModel, data: Columns) -> None:
    """Dates inside their parents' periods, each chain's families laid out in time, then
    the keys handed out in date order."""
    driving = {f.columns for f in tm.fks if f.driving}
    for rule in tm.rules:
        if rule.kind == "window":
            windows.apply(st, table, rule, data)
    for rule in tm.rules:
        if rule.kind == "chain" and all(c in data for c in rule.columns):
            if (rule.columns[2],) in driving:
                _lay_out(st, table, tm, rule, data)
                for span in (r for r in tm.rules if r.kind == "span"
                             and r.columns == rule.columns):
                    spans.apply(st, table, span, float(rule.params[5]), float(rule.params[1]),
                                data)
            else:
                _schedule(st, table, tm, rule, data)
    for rule in tm.rules:
        if rule.kind == "serial" and all(c in data for c in rule.columns):
            _in_date_order(table, rule, data)


def _lay_out(st: SampleState, table: Table, tm: TableModel, rule: RowRule,
             data: Columns) -> None:
    """Each family's intervals one after the other, each keeping a drawn length, with the
    source's gaps between them. A family is open (its last interval valid until 9999) in
    the source's share for its size, and then laid back from an open start drawn as the
    source's; another runs forward from its first start (the parent's date plus a first
    offset where the chain has one, else its earliest drawn start)."""
    start, end, group = rule.columns
    grid, top, bottom, open_share, open_grid, sentinel, first_grid, base = rule.params
    scol, ecol = table.column(start), table.column(end)
    s = to_numbers(scol, data[start])
    e = to_numbers(ecol, data[end])
    g = pd.factorize(pd.Series(list(data[group]), dtype=object))[0]
    if len(s) < 2:
        return
    sentinel = float(sentinel)
    marker = to_python(ecol, np.asarray([sentinel]))[0] if np.isfinite(sentinel) else None
    dur = _lengths(st, s, e, sentinel)
    rows = np.flatnonzero((g >= 0) & np.isfinite(s))
    order = rows[np.lexsort((s[rows], g[rows]))]
    fam = g[order]
    first = np.r_[True, fam[1:] != fam[:-1]]
    last = np.r_[fam[1:] != fam[:-1], True]
    heads, fam_id = np.flatnonzero(first), np.cumsum(first) - 1
    gaps = np.round(copula.normal_to_numeric(st.rng.standard_normal(len(order)), tuple(grid),
                                             False, False))
    inc = np.where(first, 0.0, np.r_[0.0, dur[order][:-1]] + gaps)
    csum = np.cumsum(inc)
    run = csum - csum[heads][fam_id]  # each start after its family's first
    span = run[last]
    begin, lower = s[order][first], np.full(len(heads), float(bottom))
    if first_grid:
        parent = _parent_numbers(st, tm, scol, str(base), data[group][order][first])
        offset = copula.normal_to_numeric(st.rng.standard_normal(len(heads)),
                                          tuple(first_grid), False, False)
        known = np.isfinite(parent)
        begin = np.where(known, np.round(parent + offset), begin)
        lower = np.where(known, parent + min(first_grid), lower)
    is_open = _open(st, open_share, np.bincount(fam_id)) & np.isfinite(sentinel)
    stretch = np.ones(len(heads))
    ticked = np.zeros(len(heads), dtype=bool)
    ticking = next((r for r in tm.rules if r.kind == "clock" and r.columns == rule.columns),
                   None)
    if ticking is not None:
        # the span a sibling's count of periods gives (`spans.find_clock`)
        driver = next(f for f in tm.fks if f.driving)
        found = spans.clock(st, ticking, driver.ref_table, driver.ref_columns[0],
                            data[group][order][first], begin, float(top))
        if found is not None:
            length, ticked_open = found
            own = run[last] + dur[order][last]
            ticked = np.isfinite(length) & (own > 0)
            # no later than the source's latest start: a count too long for its start
            # is pressed into the time left
            length = np.where(ticked & (begin + length > float(top)),
                              np.maximum(float(top) - begin, 1.0), length)
            stretch = np.where(ticked, length / np.where(own > 0, own, 1.0), 1.0)
            is_open = np.where(ticked, ticked_open, is_open)
            run = run * stretch[fam_id]
            span = run[last]
    if open_grid and is_open.any():
        ends = copula.normal_to_numeric(st.rng.standard_normal(len(heads)), tuple(open_grid),
                                        False, False)
        # a family timed by its sibling's count keeps its start (its parent's date)
        begin = np.where(is_open & ~ticked, np.maximum(np.round(ends - span), lower), begin)
    # A family that would run past the source's latest start moves earlier, never before
    # its parent's date (or the source's earliest start).
    over = np.maximum(0.0, begin + span - float(top))
    begin = begin - np.minimum(over, np.maximum(0.0, begin - lower))
    new_s = np.round(begin[fam_id] + run)
    new_e = new_s + np.round(dur[order] * stretch[fam_id])
    still_open = last & is_open[fam_id]
    was_null = np.isnan(e[order])
    s_out = np.asarray(data[start], dtype=object).copy()
    e_out = np.asarray(data[end], dtype=object).copy()
    s_out[order] = to_python(scol, new_s)
    keep = ~still_open & ~was_null
    e_out[order[keep]] = to_python(ecol, new_e[keep])
    e_out[order[still_open]] = marker
    data[start], data[end] = s_out, e_out


def _lengths(st: SampleState, s: np.ndarray, e: np.ndarray, sentinel: float) -> np.ndarray:
    """Each row's drawn length; one drawn from the closed rows' where the end is open."""
    dur = e - s
    closed = (e < sentinel) & np.isfinite(dur)
    pool = dur[closed] if closed.any() else np.zeros(1)
    return np.where(closed, dur, pool[st.rng.integers(0, len(pool), len(s))])


def _open(st: SampleState, shares: tuple[float, ...], sizes: np.ndarray) -> np.ndarray:
    """Which families end open, by the source's share for their size."""
    if not shares:
        return np.zeros(len(sizes), dtype=bool)
    p = np.asarray(shares, dtype=float)[np.clip(sizes, 1, len(shares)) - 1]
    return st.rng.random(len(sizes)) < p


def _parent_numbers(st: SampleState, tm: TableModel, col: Column, base: str,
                    keys: np.ndarray) -> np.ndarray:
    """The driving parent's date `base` (``^col``) for each parent key, as numbers."""
    driver = next(f for f in tm.fks if f.driving)
    parent = st.done[driver.ref_table]
    at = pd.Index(parent.column(driver.ref_columns[0])).get_indexer(list(keys))
    out = np.full(len(keys), np.nan)
    ok = at >= 0
    pcol = st.schema.table(driver.ref_table).column(dims.of_parent(base))
    out[ok] = parent.numbers(dims.of_parent(base), pcol, at[ok]) if ok.any() else []
    return out


def _schedule(st: SampleState, table: Table, tm: TableModel, rule: RowRule,
              data: Columns) -> None:
    """The rows keep their dates; the parents are dealt again so that one parent's
    intervals follow one another: in start order, each interval goes to the parent free by
    then (its last interval ended a drawn gap before) with the most intervals still to take,
    so every parent keeps its number of children. Where no parent is free, the one free
    soonest takes it (an overlap the source would not have, but no parent left out)."""
    start, end, group = rule.columns
    grid = rule.params[0]
    s = to_numbers(table.column(start), data[start])
    e = to_numbers(table.column(end), data[end])
    values = np.asarray(data[group], dtype=object)
    rows = np.flatnonzero(np.isfinite(s) & np.array([v is not None for v in values]))
    if len(rows) < 2:
        return
    codes, parents = pd.factorize(pd.Series(values[rows].tolist(), dtype=object))
    left = np.bincount(codes).tolist()
    dur = e[rows] - s[rows]
    typical = float(np.nanmedian(dur)) if np.isfinite(dur).any() else 0.0
    ends = np.where(np.isfinite(dur) & (dur < np.inf), e[rows], s[rows] + typical)
    gaps = copula.normal_to_numeric(st.rng.standard_normal(len(rows)), tuple(grid),
                                    False, False)
    ready: list[tuple[int, int]] = [(-q, p) for p, q in enumerate(left)]
    heapq.heapify(ready)
    busy: list[tuple[float, int]] = []
    out = values.copy()
    for i in np.argsort(s[rows], kind="stable"):
        while busy and busy[0][0] <= s[rows[i]]:
            _, p = heapq.heappop(busy)
            heapq.heappush(ready, (-left[p], p))
        p = heapq.heappop(ready)[1] if ready else heapq.heappop(busy)[1]
        out[rows[i]] = parents[p]
        left[p] -= 1
        if left[p]:
            heapq.heappush(busy, (float(ends[i] + gaps[i]), p))
    data[group] = out


def _in_date_order(table: Table, rule: RowRule, data: Columns) -> None:
    key, date = rule.columns
    keys = np.asarray(data[key], dtype=object)
    d = to_numbers(table.column(date), data[date])
    known = np.array([k is not None for k in keys])
    if known.sum() < 2:
        return
    rows = np.flatnonzero(known)
    by_date = rows[np.argsort(np.where(np.isnan(d[rows]), np.inf, d[rows]), kind="stable")]
    ordered = sorted(keys[rows].tolist())
    out = keys.copy()
    out[by_date] = np.asarray(ordered, dtype=object)
    data[key] = out
