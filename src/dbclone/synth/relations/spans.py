"""One family's span shared by its sibling tables (issue 13, time within a family): an
employee's salary periods, titles and department periods all begin on the same day and end
on the same day (or are all still open), though each child table lays its own periods out.

Fit (`find`): for a table with a chain (`chains`) under its driving parent, an earlier table
of the plan with an FK to the same parent and two dates whose per-parent earliest start and
latest end equal this chain's in at least `chains.CHAIN_HOLDS` of the parents both have
(`MIN_FAMILIES` or more). Kept as ``span`` (start, end, group) with the leader's (table, FK
column, start, end); the leader is the first such table in plan order, so every follower
follows the same one.
Sample (`apply`): after the chain laid the family out, its periods are moved to begin on the
leader's first start; where the leader's family is closed they are stretched to end on its
last end, where it is open (its end the chain's "valid until" marker) the last stays open and
the family keeps its own lengths, pressed back before the source's latest start if needed.
One pass over the family-sorted rows: no per-family Python loop.
A leader whose span a later sibling's count of periods gives (``clock``, `find_clock`): where
the source's open families all had a period begin within one unit of the latest start (people
still employed were paid in the data's last year), an open family spans up to then and a
closed one ends before it, and the sibling's count per family is read off those spans
(`ticked_counts`), its periods one unit apart, instead of being drawn apart from them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from dbclone.schema import Column, ForeignKey, Table
from dbclone.semantic.rows import RowRule
from dbclone.synth import copula, dims
from dbclone.synth.codecs import known_numbers, to_numbers, to_python
from dbclone.synth.context import FitContext
from dbclone.synth.model import FKModel
from dbclone.synth.state import SampleState
from dbclone.synth.tables import Columns

#: Fewest parents with children in both tables to trust a shared span.
MIN_FAMILIES = 20
#: Share of those parents whose spans must agree.
HOLDS = 0.999
_DATES = ("date", "datetime")


def find(ctx: FitContext, table: Table, df: pd.DataFrame, chain: RowRule,
         fks: Sequence[FKModel]) -> RowRule | None:
    """The span rule of `chain` (start, end, group), or None."""
    start, end, group = chain.columns
    driver = next((f for f in fks if f.driving), None)
    if driver is None or driver.columns != (group,):
        return None
    own = _spans(df, group, table.column(start), table.column(end))
    if own is None:
        return None
    order = list(ctx.plan.order)
    earlier = order[:order.index(table.name)] if table.name in order else []
    for other, frame, fk in _siblings(ctx, earlier, driver):
        found = _leader(other, frame, fk.columns[0], own, table.column(start).kind)
        if found is not None:
            return RowRule("span", chain.columns, (other.name, fk.columns[0], *found))
    return None


def _siblings(ctx: FitContext, names: Sequence[str], driver: FKModel
              ) -> Iterator[tuple[Table, pd.DataFrame, ForeignKey]]:
    """The tables of `names` (with MIN_FAMILIES rows or more read) and each one-column FK of
    theirs to the parent `driver` refers to."""
    for name in names:
        other = ctx.schema.table(name)
        frame = ctx.frames.get(name)
        if frame is None or len(frame) < MIN_FAMILIES:
            continue
        for fk in other.foreign_keys:
            if len(fk.columns) == 1 and fk.ref_table == driver.ref_table and \
                    fk.ref_columns == driver.ref_columns and fk.columns[0] in frame:
                yield other, frame, fk


def _spans(df: pd.DataFrame, group: str, scol: Column, ecol: Column) -> pd.DataFrame | None:
    if scol.name not in df or ecol.name not in df:
        return None
    frame = pd.DataFrame({"g": df[group],
                          "s": known_numbers(scol, df[scol.name]).reindex(df.index),
                          "e": known_numbers(ecol, df[ecol.name]).reindex(df.index)})
    frame = frame[frame["g"].notna()]
    if frame.empty:
        return None
    return frame.groupby("g").agg(s=("s", "min"), e=("e", "max"))


def _leader(other: Table, frame: pd.DataFrame, group: str, own: pd.DataFrame,
            kind: str) -> tuple[str, str] | None:
    """The (start, end) dates of `other` whose families span what this table's do."""
    dates = [c for c in other.columns if c.kind == kind and c.name in frame
             and frame[c.name].notna().any()]
    for scol in dates:
        for ecol in dates:
            if ecol.name == scol.name:
                continue
            theirs = _spans(frame, group, scol, ecol)
            if theirs is None:
                continue
            both = own.join(theirs, how="inner", rsuffix="_l").dropna()
            if len(both) < MIN_FAMILIES or (both["e"] == both["s"]).all():
                continue
            same = (both["s"] == both["s_l"]) & (both["e"] == both["e_l"])
            if same.mean() >= HOLDS:
                return scol.name, ecol.name
    return None


def find_clock(ctx: FitContext, table: Table, df: pd.DataFrame, chain: RowRule,
               fks: Sequence[FKModel]) -> RowRule | None:
    """For a leader's chain: a later sibling table spanning the same whose families last
    their number of periods times a near-constant unit (a salary a year), so the leader's
    span and whether it is still open follow that sibling's count of children.
    ``clock`` (start, end, group): (the sibling's children dimension, the unit's quantiles,
    a closed family's last period's quantiles, the share of families open per sibling
    count 1..OPEN_SIZES, whether open families run up to the sibling's latest start)."""
    start, end, group = chain.columns
    driver = next((f for f in fks if f.driving), None)
    sentinel = float(chain.params[5])
    if driver is None or driver.columns != (group,) or not np.isfinite(sentinel):
        return None
    scol, ecol = table.column(start), table.column(end)
    own = _spans(df, group, scol, ecol)
    order = list(ctx.plan.order)
    if own is None or table.name not in order:
        return None
    for other, frame, fk in _siblings(ctx, order[order.index(table.name) + 1:], driver):
        found = _leader(other, frame, fk.columns[0], own, scol.kind)
        if found is None:
            continue
        ticks = _ticks(frame, fk.columns[0], other.column(found[0]),
                       other.column(found[1]), sentinel)
        if ticks is not None:
            return RowRule("clock", chain.columns, (dims.children(other.name, fk.columns),
                                                    *ticks))
    return None


#: The unit of a clock may spread this much (95th over 5th percentile) at most.
CLOCK_SPREAD = 1.1
#: Family sizes told apart for the share still open.
OPEN_SIZES = 40


def _ticks(frame: pd.DataFrame, group: str, scol: Column, ecol: Column,
           sentinel: float) -> tuple[tuple[float, ...] | bool, ...] | None:
    f = pd.DataFrame({"g": frame[group],
                      "s": known_numbers(scol, frame[scol.name]).reindex(frame.index),
                      "e": known_numbers(ecol, frame[ecol.name]).reindex(frame.index)})
    f = f[f["g"].notna() & f["s"].notna()]
    fam = f.groupby("g").agg(n=("s", "size"), s0=("s", "min"), s1=("s", "max"),
                             e=("e", "max"))
    is_open = (fam["e"] == sentinel).to_numpy()
    n = fam["n"].to_numpy(dtype=float)
    # the starts tick at the unit; a closed family's last period may end early (left in
    # the middle of a year)
    many = n >= 2
    ratio = (fam["s1"] - fam["s0"]).to_numpy()[many] / (n[many] - 1)
    ratio = ratio[np.isfinite(ratio) & (ratio > 0)]
    closed = ~is_open & fam["e"].notna().to_numpy()
    tail = (fam["e"] - fam["s1"]).to_numpy()[closed]
    tail = tail[np.isfinite(tail) & (tail >= 0)]
    if len(ratio) < MIN_FAMILIES or len(tail) < MIN_FAMILIES:
        return None
    lo, hi = np.quantile(ratio, [0.05, 0.95])
    if not lo > 0 or hi / lo > CLOCK_SPREAD:
        return None
    top = float(f["s"].max())
    reaches = _reaches_now(fam, is_open, top, float(hi))
    # running up to the latest start, a family is open or not by the units it had until
    # then (its count follows); otherwise by its count
    if reaches:
        n = np.floor((top - fam["s0"].to_numpy()) / float(np.median(ratio))) + 1
    size = np.clip(n, 1, OPEN_SIZES).astype(int)
    shares = tuple(round(float(is_open[size == k].mean()), 4) if (size == k).any() else -1.0
                   for k in range(1, OPEN_SIZES + 1))
    return (tuple(float(v) for v in copula.quantile_grid(ratio)),
            tuple(float(v) for v in copula.quantile_grid(tail)), shares, reaches)


def _reaches_now(fam: pd.DataFrame, is_open: np.ndarray, top: float, unit: float) -> bool:
    """Whether every family still open has its last period begun within one unit of the
    latest start (a person still employed had a pay period start in the data's last year):
    then an open family's count is the number of units from its start up to then."""
    late = (top - fam["s1"]).to_numpy()[is_open]
    if len(late) < MIN_FAMILIES:
        return False
    return bool(np.mean((late >= 0) & (late < unit)) >= HOLDS)


def clock(st: SampleState, rule: RowRule, parent: str, ref_col: str, keys: np.ndarray,
          begin: np.ndarray, top: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Per family (its parent's key, its first start `begin`), the span its sibling's count
    gives (NaN where unknown) and whether it is still open. Where open families run up to
    the latest start `top` (``reaches``), an open one spans up to `top` and a closed one
    ends before it (its count drawn again, evenly, among those that do)."""
    dim, grid, tails, shares, *more = rule.params
    done = st.done.get(parent)
    counts = done.counts(str(dim)) if done is not None else None
    if done is None or counts is None or not done.has(ref_col):
        return None
    at = pd.Index(done.column(ref_col)).get_indexer(list(keys))
    n = np.full(len(keys), np.nan)
    n[at >= 0] = np.asarray(counts, dtype=float)[at[at >= 0]]
    n[n < 1] = np.nan
    unit = copula.normal_to_numeric(st.rng.standard_normal(len(keys)), tuple(grid),
                                    False, False)
    reaches = bool(more and more[0])
    p = np.asarray(shares, dtype=float)
    # the share open by the units up to the latest start where open families reach it
    by = np.floor((top - begin) / unit) + 1 if reaches else n
    size = np.clip(np.nan_to_num(by, nan=1.0), 1, len(p)).astype(int) - 1
    # a count the source never had open or closed takes the nearest smaller one seen
    seen = np.maximum.accumulate(np.where(p >= 0, np.arange(len(p)), 0))
    is_open = st.rng.random(len(keys)) < np.clip(p[seen[size]], 0.0, 1.0)
    tail = copula.normal_to_numeric(st.rng.standard_normal(len(keys)), tuple(tails),
                                    False, False)
    if reaches:
        return _up_to_now(st, n, unit, tail, is_open, top - begin)
    # open: as long as a full last period; closed: the last period ends early or on time
    return (n - 1) * unit + np.where(is_open, unit, tail), is_open & np.isfinite(n)


def _up_to_now(st: SampleState, n: np.ndarray, unit: np.ndarray, tail: np.ndarray,
               is_open: np.ndarray, room: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spans when open families run to the latest start, `room` after their first start:
    an open family spans all of it; a closed one whose count would not end before it takes
    a count evenly among those that do (the source's closed counts spread evenly up to
    there), or stays open when not one whole unit fits."""
    fits = np.floor(room / unit)  # whole units between the first start and the latest
    late = ~is_open & ((n - 1) * unit + tail >= room)
    is_open = is_open | (late & (fits < 1))
    again = late & (fits >= 1)
    n = np.where(again, 1 + np.floor(st.rng.random(len(n)) * fits), n)
    known = np.isfinite(n)
    length = np.where(is_open, np.maximum(room, 1.0), (n - 1) * unit + tail)
    return np.where(known, length, np.nan), is_open & known


def ticked_counts(st: SampleState, table: str, fk: FKModel) -> np.ndarray | None:
    """A table timed as a leader's clock whose open families run to the latest start: its
    number of periods per parent (in the parent's row order) read off the leader's spans,
    so its periods keep their unit: an open family's the units from its start up to the
    table's latest start, a closed one's the units its span holds. None otherwise."""
    tm = st.model.table(table)
    span = next((r for r in tm.rules if r.kind == "span"), None)
    chain = next((r for r in tm.rules if r.kind == "chain" and span is not None
                  and r.columns == span.columns), None)
    if span is None or chain is None or fk.columns != (span.columns[2],):
        return None
    leader, lgroup, lstart, lend = (str(p) for p in span.params)
    unit = _unit(st, st.schema.table(table), span)
    done, parent = st.done.get(leader), st.done.get(fk.ref_table)
    if unit is None or done is None or parent is None or \
            not parent.has(fk.ref_columns[0]) or not all(done.has(c) for c in (lgroup, lstart,
                                                                                lend)):
        return None
    spans = leader_spans(st, leader, lgroup, lstart, lend)
    top, sentinel = float(chain.params[1]), float(chain.params[5])
    at = spans.index.get_indexer(pd.Index(list(parent.column(fk.ref_columns[0]))))
    s = np.where(at >= 0, spans["s"].to_numpy()[at], np.nan)
    e = np.where(at >= 0, spans["e"].to_numpy()[at], np.nan)
    n = np.where(e == sentinel, np.floor((top - s) / unit) + 1, np.ceil((e - s) / unit))
    counts = parent.counts(dims.children(table, fk.columns))
    drawn = np.asarray(counts, dtype=float) if counts is not None else np.zeros(len(s))
    return np.where(np.isfinite(n) & (drawn > 0), np.maximum(n, 1.0), drawn).astype(np.int64)


def leader_spans(st: SampleState, leader: str, group: str, start: str,
                 end: str) -> pd.DataFrame:
    """Each of the generated leader's families' first start (s) and last end (e), as
    numbers, indexed by the family's key (g)."""
    done, ltable = st.done[leader], st.schema.table(leader)
    spans = pd.DataFrame({
        "g": pd.Series(list(done.column(group)), dtype=object),
        "s": to_numbers(ltable.column(start), done.column(start)),
        "e": to_numbers(ltable.column(end), done.column(end))})
    return spans[spans["g"].notna()].groupby("g").agg(s=("s", "min"), e=("e", "max"))


def needs(rule: RowRule) -> tuple[str, set[str]]:
    """The leader table and the columns of it the follower reads after it is generated."""
    leader, group, start, end = rule.params
    return str(leader), {str(group), str(start), str(end)}


# -- generating ----------------------------------------------------------------------------

def apply(st: SampleState, table: Table, rule: RowRule, sentinel: float, top: float,
          data: Columns) -> None:
    """The chunk's families moved (and stretched) onto their leader's spans."""
    start, end, group = rule.columns
    leader, lgroup, lstart, lend = (str(p) for p in rule.params)
    done = st.done.get(leader)
    if done is None or not all(done.has(c) for c in (lgroup, lstart, lend)):
        return
    spans = leader_spans(st, leader, lgroup, lstart, lend)
    scol, ecol = table.column(start), table.column(end)
    s = to_numbers(scol, data[start])
    e = to_numbers(ecol, data[end])
    keys = pd.Series(list(data[group]), dtype=object)
    at = spans.index.get_indexer(keys)
    rows = np.flatnonzero((at >= 0) & np.isfinite(s))
    if not len(rows):
        return
    fam = at[rows]
    order = rows[np.lexsort((s[rows], fam))]
    fam = at[order]
    first = np.r_[True, fam[1:] != fam[:-1]]
    last = np.r_[fam[1:] != fam[:-1], True]
    fam_id = np.cumsum(first) - 1
    head_s = s[order][first]
    lead_s = spans["s"].to_numpy()[fam[first]]
    lead_e = spans["e"].to_numpy()[fam[first]]
    # The leader's family still open (its end the "valid until" marker), closed at a date,
    # or unknown (its ends NULL): stretched onto a closed span, shifted otherwise.
    is_open = lead_e == sentinel if np.isfinite(sentinel) else np.zeros(len(lead_e), bool)
    shut = np.isfinite(lead_e) & ~is_open
    # The family's own end: its last end where closed, else its last start plus the
    # chunk's typical length.
    dur = e[order] - s[order]
    closed = np.isfinite(dur) & (e[order] != sentinel)
    typical = float(np.median(dur[closed])) if closed.any() else 0.0
    ends = np.where(closed, e[order], s[order] + typical)
    rel = s[order] - head_s[fam_id]
    rel_end = ends - head_s[fam_id]
    unit = _unit(st, table, rule)
    if unit is not None:
        room = np.where(shut, lead_e - lead_s, float(top) - lead_s)
        rel, rel_end = _on_ticks(rel, rel_end, first, last, unit, room, shut)
    # onto a closed span: the family's own lengths, its last period ending on the leader's
    # end (a salary cut short by leaving); pressed together only when its last start would
    # not come before that end
    last_start = rel[last]
    fits = last_start < lead_e - lead_s
    scale = np.where(shut & ~fits, np.maximum(lead_e - lead_s - 1.0, 0.0)
                     / np.where(last_start > 0, last_start, 1.0), 1.0)
    # A family not closed keeps its lengths, pressed back before the source's latest start.
    last_rel = rel[last]
    room = np.maximum(float(top) - lead_s, 0.0)
    squeeze = ~shut & (last_rel > room)
    scale = np.where(squeeze, room / np.where(last_rel > 0, last_rel, 1.0), scale)
    new_s = np.round(lead_s[fam_id] + rel * scale[fam_id])
    # Starts strictly after one another (a start is often part of the key).
    step = np.r_[0.0, np.diff(new_s)]
    new_s = new_s + _per_family_cumsum(np.where(first, 0.0, np.maximum(0.0, 1.0 - step)), first)
    new_e = np.round(lead_s[fam_id] + rel_end * scale[fam_id])
    nxt = np.r_[new_s[1:], np.inf]
    new_e = np.where(last, new_e, np.minimum(new_e, nxt))  # never past the next start
    new_e = np.where(last & shut[fam_id], lead_e[fam_id], new_e)
    new_e = np.maximum(new_e, new_s)
    s_out = np.asarray(data[start], dtype=object).copy()
    e_out = np.asarray(data[end], dtype=object).copy()
    s_out[order] = to_python(scol, new_s)
    open_last = last & is_open[fam_id]
    # NULL ends stay NULL; a drawn "valid until" end stays where the leader says nothing.
    keep = np.isfinite(e[order]) & ~open_last & (closed | (last & shut[fam_id]))
    e_out[order[keep]] = to_python(ecol, new_e[keep])
    if open_last.any():
        e_out[order[open_last]] = to_python(ecol, np.asarray([sentinel]))[0]
    data[start], data[end] = s_out, e_out


def _unit(st: SampleState, table: Table, span: RowRule) -> float | None:
    """The unit of the leader's clock when it counts this table's periods and its open
    families run up to the latest start (`clock`), else None."""
    group = span.columns[2]
    dim = dims.children(table.name, (group,))
    tick = next((r for r in st.model.table(str(span.params[0])).rules if r.kind == "clock"
                 and r.params[0] == dim and r.params[4:5] == (True,)), None)
    return float(np.median(tick.params[1])) if tick is not None else None


def _on_ticks(rel: np.ndarray, rel_end: np.ndarray, first: np.ndarray, last: np.ndarray,
              unit: float, room: np.ndarray, shut: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts (after the family's first) one unit apart, each period ending its own gap
    before the next start, for the families whose periods fit in `room` (before a closed
    family's end, up to the latest start for an open one); the others as they were."""
    fam_id = np.cumsum(first) - 1
    k = np.arange(len(rel)) - np.flatnonzero(first)[fam_id]
    size = np.bincount(fam_id).astype(float)
    fits = np.where(shut, (size - 1) * unit < room, (size - 1) * unit <= room)
    tick = k * unit
    nxt = np.r_[rel[1:], 0.0]
    gap = np.where(last, 0.0, np.maximum(nxt - rel_end, 0.0))
    tick_end = np.where(last, tick + (rel_end - rel), np.r_[tick[1:], 0.0] - gap)
    on = fits[fam_id]
    return np.where(on, tick, rel), np.where(on, tick_end, rel_end)


def _per_family_cumsum(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    csum = np.cumsum(values)
    heads = np.flatnonzero(first)
    fam_id = np.cumsum(first) - 1
    return csum - csum[heads][fam_id]
