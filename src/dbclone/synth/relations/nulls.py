"""A child's column NULL through its parent (issue 13, a NULL-flag decided by a parent's
column): a decision's amount is NULL in every decision of a benefit that is not paid out
(the benefit's is_monetary = 0), and set in most decisions of the others.

Fit (`find`): for each single-column FK and each nullable column of the row (not a key),
a column of the parent with at most `FLAG_VALUES` values (or, for a parent copied verbatim,
its key: the values are public in the clone anyway) whose values split the children into
rows NULL in at least `HOLDS` of them and rows NULL in at most `REST` of them; of all FKs
and columns, the split leaving the fewest NULLs unexplained. The values on the NULL side
must each be held by k parents (or come from a verbatim copy). Kept: the parent's table,
key and deciding column, the values that say NULL, the NULL share of the other rows, and
whether rows without a parent (the FK NULL) are NULL too (k rows or more, all NULL).
Sample (`apply`, after the row's FKs and row rules): rows whose parent says NULL (or that
have none, where the source's are NULL) are NULL;
the others take NULL in the source's share, a NULL drawn for them taking a value moved from
the rows made NULL (or another row's) where the table's CHECKs allow it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dbclone.schema import Table
from dbclone.semantic.rows import RowRule
from dbclone.synth.constraints import Unsupported, parse, satisfied
from dbclone.synth.context import FitContext
from dbclone.synth.model import ColumnModel
from dbclone.synth.state import SampleState
from dbclone.synth.tables import Columns

#: Share of rows under a "NULL" parent value that must be NULL.
HOLDS = 0.999
#: Largest NULL share of the other rows (else the parent tells little).
REST = 0.9
#: Most values of a deciding column of the parent.
FLAG_VALUES = 10
#: Fewest rows under the "NULL" values to trust the rule.
MIN_ROWS = 20


def find(ctx: FitContext, table: Table, df: pd.DataFrame,
         columns: Sequence[ColumnModel]) -> list[RowRule]:
    fk_cols = {c for fk in table.foreign_keys for c in fk.columns}
    keys = set(table.primary_key) | fk_cols
    modelled = {cm.name for cm in columns if cm.strategy != "key" and not cm.derived}
    nullable = [c.name for c in table.columns if c.nullable and c.name in df
                and c.name not in keys and c.name in modelled
                and df[c.name].isna().any() and df[c.name].notna().any()]
    if not nullable or len(df) < MIN_ROWS:
        return []
    k = ctx.opts.rare_threshold
    # per column, the best split over every FK and deciding column: the fewest NULLs left
    # unexplained (a decision's amount by its benefit's kind rather than its case's)
    best: dict[str, tuple[float, RowRule]] = {}
    for fk in table.foreign_keys:
        if len(fk.columns) != 1 or fk.ref_table == table.name or fk.ref_table not in ctx.frames:
            continue
        pdf = ctx.frames[fk.ref_table]
        ref_col = fk.ref_columns[0]
        at = pd.Index(pdf[ref_col]).get_indexer(df[fk.columns[0]])
        ok = at >= 0
        if ok.sum() < MIN_ROWS:
            continue
        orphan = df[fk.columns[0]].isna().to_numpy()
        verbatim = fk.ref_table in ctx.references
        deciders = [c.name for c in ctx.schema.table(fk.ref_table).columns
                    if c.name in pdf and c.name != ref_col and _few(pdf[c.name])]
        if verbatim:
            deciders.append(ref_col)  # last: a category of the parent says more
        for name in nullable:
            null = df[name].isna().to_numpy()
            # rows without a parent: NULL too where the source's always are
            orphans = bool(orphan.sum() >= k and null[orphan].mean() >= HOLDS)
            for dec in deciders:
                found = _split(pdf[dec], at[ok], null[ok], k, verbatim)
                if found is not None and (name not in best or found[1] < best[name][0]):
                    best[name] = (found[1], RowRule(
                        "parent_null", (name, fk.columns[0]),
                        (fk.ref_table, ref_col, dec, found[0], found[1], orphans)))
    return [rule for _, rule in best.values()]


def _few(values: pd.Series) -> bool:
    try:
        return 1 < values.nunique() <= FLAG_VALUES
    except TypeError:  # arrays, JSON
        return False


def _split(decider: pd.Series, at: np.ndarray, null: np.ndarray, k: int,
           verbatim: bool) -> tuple[tuple[object, ...], float] | None:
    """(values saying NULL, NULL share of the other rows) when the parent's `decider`
    splits the child rows so."""
    vals = decider.to_numpy(dtype=object)[at]
    frame = pd.DataFrame({"v": vals, "n": null})
    frame = frame[frame["v"].notna()]
    table = frame.groupby("v")["n"].agg(["mean", "size"])
    says = table[table["mean"] >= HOLDS]
    rest = table[table["mean"] < HOLDS]
    if says.empty or rest.empty or says["size"].sum() < MIN_ROWS or \
            (says["size"] < 2).any():
        return None
    if not verbatim:  # each value kept must be held by k parents
        held = decider.value_counts()
        if any(held.get(v, 0) < k for v in says.index):
            return None
    share = float((rest["mean"] * rest["size"]).sum() / rest["size"].sum())
    if share > REST:
        return None
    return tuple(_plain(v) for v in says.index), round(share, 6)


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def needs(rule: RowRule) -> tuple[str, set[str]]:
    """The parent and the columns of it the rule reads (its key and deciding column)."""
    ref_table, ref_col, dec = (str(p) for p in rule.params[:3])
    return ref_table, {ref_col, dec}


# -- generating ----------------------------------------------------------------------------

def apply(st: SampleState, table: Table, rules: Sequence[RowRule], data: Columns) -> None:
    for rule in rules:
        if rule.kind == "parent_null" and all(c in data for c in rule.columns):
            _apply(st, table, rule, data)


def _apply(st: SampleState, table: Table, rule: RowRule, data: Columns) -> None:
    name, fk_col = rule.columns
    ref_table, ref_col, dec, says_null, rest, orphans = rule.params
    parent = st.done.get(str(ref_table))
    if parent is None or not parent.has(str(ref_col)) or not parent.has(str(dec)):
        return
    at = pd.Index(parent.column(str(ref_col))).get_indexer(list(data[fk_col]))
    ok = at >= 0
    n = len(at)
    says = np.zeros(n, dtype=bool)
    if ok.any():
        vals = pd.Series(list(parent.column(str(dec))[at[ok]]), dtype=object)
        says[ok] = vals.isin(list(says_null)).to_numpy()
    out = np.asarray(data[name], dtype=object).copy()
    null = np.array([v is None or v != v for v in out], dtype=bool)
    if orphans:
        says |= np.array([v is None for v in data[fk_col]], dtype=bool)
    donors = out[says & ~null]
    out[says] = None
    others = ok & ~says
    want = int(round(float(rest) * int(others.sum())))
    have = int((null & others).sum())
    rng = st.rng
    if have > want:
        if not len(donors):
            donors = out[others & ~null]
        if len(donors):
            fill = rng.permutation(np.flatnonzero(null & others))[:have - want]
            out[fill] = donors[rng.integers(0, len(donors), len(fill))]
            bad = _rejected(table, st.schema.dialect, data, name, out, fill)
            out[fill[bad]] = None
    elif have < want:
        drop = rng.permutation(np.flatnonzero(others & ~null))[:want - have]
        out[drop] = None
    data[name] = out


def _rejected(table: Table, dialect: str, data: Columns, name: str, out: np.ndarray,
              rows: np.ndarray) -> np.ndarray:
    """Which of `rows` a CHECK naming the column rejects with its new value (a rejected
    decision has no amount)."""
    bad = np.zeros(len(rows), dtype=bool)
    trial = {c: np.asarray(v, dtype=object)[rows] for c, v in data.items()}
    trial[name] = out[rows]
    for check in table.checks:
        if name not in check.sqltext:
            continue
        try:
            bad |= ~satisfied(parse(check.sqltext, dialect), trial, len(rows))
        except (Unsupported, KeyError, TypeError, ValueError):
            continue
    return bad
