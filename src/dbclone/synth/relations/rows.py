"""Rules within a row (`dbclone.semantic.rows`): a gender column and the first names and
personnummer that go with it, a place and its row's country, a number that is the product,
sum or difference of two others, a counter of siblings, a flag decided by one column. Found
in the source's rows where they hold in (nearly) all of them, made to hold in every
generated row after the row's columns and FKs are drawn.
"""

from __future__ import annotations

import dataclasses
import re
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from dbclone.schema import Column, Table
from dbclone.semantic import columns as meaning
from dbclone.semantic import prefixes, rows
from dbclone.semantic import relations as rel
from dbclone.semantic.rows import RowRule
from dbclone.synth.codecs import source_floats, to_numbers, to_python
from dbclone.synth.columns.meaning import source_strings
from dbclone.synth.columns.registry import fit_column
from dbclone.synth.context import Claim, FitContext
from dbclone.synth.model import ColumnModel, FKModel, TableModel
from dbclone.synth.relations import ancestors, chains, flagsets, kin, nulls, spans
from dbclone.synth.state import SampleState
from dbclone.synth.tables import Columns

#: Strategies whose columns may be operands or targets of an exact relation.
_NUMBERS = frozenset(("numeric", "categorical"))
_NUMERIC_KINDS = frozenset(("integer", "float", "decimal", "date", "datetime"))
_TEXTS = frozenset(("categorical", "pii", "semantic", "joint"))
#: Most values a flag column may take.
FLAG_VALUES = 10
#: Fewest rows for rules learnt from the rows themselves.
MIN_ROWS = 20
#: Fewest rows for rules the public lists vouch for (names' genders, places' countries).
MIN_LISTED = 5


def fit_rules(ctx: FitContext, table: Table, df: pd.DataFrame,
              columns: list[ColumnModel], fks: Sequence[FKModel] = ()) -> tuple[RowRule, ...]:
    """The table's within-row rules; on a table of fewer than MIN_ROWS rows only those the
    public lists vouch for (names' genders, places' countries), every row agreeing; none on
    one of fewer than MIN_LISTED."""
    small = len(df) < MIN_ROWS
    if len(df) < MIN_LISTED:
        return ()
    locale = ctx.fake.locale if ctx.fake is not None else "en_US"
    kinds = {cm.name: cm.pii for cm in columns if cm.strategy == "pii" and cm.pii}
    kinds.update({cm.name: cm.text.kind for cm in columns if cm.text is not None})
    by_name = {cm.name: cm for cm in columns}

    def pools(kind: str, place: str, _countries: Sequence[str]) -> dict[str, tuple[str, ...]]:
        country = next((c for c, k in kinds.items() if k == "country"), None)
        model = by_name[place].text
        if country is None or model is None:
            return {}
        values = _values_of(by_name[country], by_name)
        # A tiny table's places come from a stream of their own: a rule found there must
        # not move the draws of every table fitted after it.
        rng = np.random.default_rng(zlib.crc32(f"{table.name}/{place}".encode())) \
            if small else ctx.rng
        # No source string at all among the stored places (a surname that is also a town).
        return meaning.for_countries(model, values, rng, exclude=source_strings(ctx))

    # Genders and places are among the categories, personal data and texts with a meaning.
    texts = df[[cm.name for cm in columns if cm.strategy in _TEXTS and cm.name in df]]
    found = rows.gender_rules(texts, kinds, locale, small) + \
        rows.place_rules(texts, kinds, pools, small)
    if small:
        return tuple(found)
    found += _prefix_rules(ctx, df, columns)
    found += _relations(ctx, table, df, columns)
    found += flagsets.find(ctx, table, df, columns)
    found += chains.find(ctx, table, df, columns, fks)
    found += nulls.find(ctx, table, df, columns)
    found += kin.find(df, columns, next((f for f in fks if f.driving), None))
    return tuple(found)


#: Strategies whose columns keep the source's own values (k owners each): they can decide
#: a formatted value's beginnings.
_DECIDERS = frozenset(("categorical", "joint"))


def _prefix_rules(ctx: FitContext, df: pd.DataFrame,
                  columns: list[ColumnModel]) -> list[RowRule]:
    """Phones, postcodes and IP addresses whose formats or first characters another column
    of the row decides (a country its phones' calling code, a town its postcodes' district):
    their beginnings learnt per value of that column (`semantic.prefixes.fit_by`)."""
    deciders = [cm.name for cm in columns if cm.strategy in _DECIDERS and cm.name in df]
    out = []
    for cm in columns:
        if cm.strategy != "pii" or not cm.prefixes or cm.name not in df or not deciders:
            continue
        by = prefixes.decider(df[cm.name], df[[d for d in deciders if d != cm.name]])
        if by is None:
            continue
        who = ctx.owners if ctx.owners is not None else ctx.holders
        rng = np.random.default_rng(zlib.crc32(f"{cm.name}/{by}".encode()))
        found = prefixes.fit_by(df[cm.name], df[by], ctx.opts.rare_threshold, who, rng,
                                prefixes.VALID.get(cm.pii or ""))
        if found:
            out.append(RowRule("prefix_by", (cm.name, by), (cm.pii or "", *found)))
    return out


#: Rules reading columns of another table once it is generated: what each needs kept.
_NEEDS = {"span": spans.needs, "parent_null": nulls.needs}


def needed(tm: TableModel) -> list[tuple[str, set[str]]]:
    """(table, columns) the table's rules read of tables generated before it."""
    return [_NEEDS[r.kind](r) for r in tm.rules if r.kind in _NEEDS]


def _values_of(cm: ColumnModel, by_name: dict[str, ColumnModel]) -> list[str]:
    """The values a column of the clone can take (its categories, its part of a joint
    category, or its pool)."""
    if cm.strategy == "categorical":
        return [str(v[0] if cm.joint else v) for v in cm.values]
    head = by_name.get(cm.base or "") if cm.strategy == "joint" else None
    if head is not None and cm.name in head.joint:
        at = head.joint.index(cm.name) + 1
        return sorted({str(v[at]) for v in head.values if v[at] is not None})
    return list(cm.text.pool) if cm.text is not None and cm.strategy == "semantic" else []


def _relations(ctx: FitContext, table: Table, df: pd.DataFrame,
               columns: list[ColumnModel]) -> list[RowRule]:
    usable = [cm for cm in columns if cm.strategy in _NUMBERS and not cm.derived
              and not cm.joint and cm.strategy != "joint"]
    frame = pd.DataFrame(index=df.index)
    for cm in usable:
        col = table.column(cm.name)
        if col.kind in _NUMERIC_KINDS:
            frame[cm.name] = _floats(table, cm.name, df[cm.name])
    flags = [cm.name for cm in usable if cm.strategy == "categorical"
             and len(cm.values) <= FLAG_VALUES and table.column(cm.name).kind not in
             _NUMERIC_KINDS]
    # A copy of the parent's category may rather be decided by a date of the row (a line's
    # status by its ship date, where the order's status only mostly agrees).
    flags += [cm.name for cm in columns if cm.strategy == "parent" and cm.name in df
              and table.column(cm.name).kind not in _NUMERIC_KINDS
              and 1 < df[cm.name].nunique() <= FLAG_VALUES]
    for name in flags:
        frame[name] = df[name]
    groups = [fk.columns[0] for fk in table.foreign_keys if len(fk.columns) == 1]
    for g in groups:
        frame[g] = df[g]
    found = rows.relation_rules(frame, groups=groups, flags=flags,
                                k=ctx.opts.rare_threshold)
    # A group column is an FK: it may group, never be computed (only made NULL by a flag).
    found = [r for r in found if r.columns[0] not in groups
             and (r.kind == "counter" or not set(r.columns[1:]) & set(groups))]
    numbers = [c for c in frame.columns if c not in groups and c not in flags]
    taken = {r.columns[0] for r in found}
    # Only the numbers the exact claim found (`_exact_targets`) can be an ancestor's product.
    claimed = [cm.name for cm in usable if cm.reason.startswith(_RECOMPUTED)
               and cm.name in numbers and cm.name not in taken]
    if claimed:
        found += ancestors.find(ctx, table, frame[numbers], df, claimed)
    return found + _null_flags(ctx, table, df, flags, {r.columns[0] for r in found}, columns)


def _null_flags(ctx: FitContext, table: Table, df: pd.DataFrame, flags: list[str],
                taken: set[str], columns: list[ColumnModel]) -> list[RowRule]:
    """Flags whose values tell whether a nullable column of the row (an FK too) is NULL."""
    out = []
    nullable = [c.name for c in table.columns if c.nullable and c.name in df]
    for flag in flags:
        if flag in taken:
            continue
        for other in nullable:
            if other == flag or _checked(table, flag, other):
                continue
            r = rel.find_null_flag(df[flag], df[other], ctx.opts.rare_threshold)
            if r is not None:
                out.append(RowRule(r.kind, (r.target, *r.operands), r.params))
                break
    # A category drawn with others (a decision's type with its outcome and motivation)
    # stays; a nullable FK of the row follows it instead (NULL exactly where it says so).
    fks = [fk.columns[0] for fk in table.foreign_keys if len(fk.columns) == 1
           and fk.columns[0] in nullable]
    for cm in columns:
        if cm.strategy != "categorical" or not cm.joint or cm.name not in df \
                or not 1 < df[cm.name].nunique() <= FLAG_VALUES:
            continue
        for other in fks:
            r = rel.find_null_flag(df[cm.name], df[other], ctx.opts.rare_threshold)
            if r is not None:
                out.append(RowRule("null_by_flag", (other, cm.name), r.params))
                break
    return out


def _checked(table: Table, a: str, b: str) -> bool:
    """Whether a CHECK of the table names both columns: the repair of CHECKs already makes
    them agree, in its own way (a status and its closing date)."""
    return any(re.search(rf"\b{re.escape(a)}\b", c.sqltext) and
               re.search(rf"\b{re.escape(b)}\b", c.sqltext) for c in table.checks)


def _floats(table: Table, name: str, values: pd.Series) -> pd.Series:
    out = pd.Series(np.nan, index=values.index)
    known = values.dropna()
    out[known.index] = source_floats(table.column(name), known)
    return out


def apply_rules(st: SampleState, table: Table, tm: TableModel, data: Columns) -> None:
    """Make the table's rules hold in the generated rows (in place): siblings laid out in
    time first (the flags decided by a date then follow the final dates), serial keys in
    date order, then the rules within each row."""
    chains.apply(st, table, tm, data)
    # A family's categories are settled before the rules within a row read them.
    kin.apply(st, tm.rules, data, {cm.name: cm.joint for cm in tm.columns if cm.joint})
    # Chains are laid out above; a flag set is settled once the children exist; NULLs a
    # parent decides come last, over the row's final FKs and values.
    own = tuple(r for r in tm.rules if r.kind not in chains.KINDS and r.kind != flagsets.KIND
                and r.kind not in ("parent_null", kin.KIND))
    if own:
        _apply_own(st, table, tm, own, data)
    nulls.apply(st, table, tm.rules, data)


def _apply_own(st: SampleState, table: Table, tm: TableModel, own: tuple[RowRule, ...],
               data: Columns) -> None:
    tm = dataclasses.replace(tm, rules=own)
    names = {c for rule in tm.rules for c in rule.columns if c in data}
    frame = pd.DataFrame(index=np.arange(len(next(iter(data.values())))))
    # Numbers of a parent or grandparent a relation reads, looked up by key.
    for name in {c for rule in tm.rules for c in rule.columns if ancestors.is_path(c)}:
        frame[name] = ancestors.lookup(st, table, name, data)
    numeric = set()
    for name in names:
        col = table.column(name)
        if col.kind in _NUMERIC_KINDS and any(r.kind not in _TEXT_RULES and name in r.columns
                                             for r in tm.rules):
            frame[name] = to_numbers(col, np.asarray(data[name], dtype=object))
            numeric.add(name)
        else:
            frame[name] = pd.Series(list(data[name]), dtype=object)
    unique = {u[0] for u in table.unique_sets() if len(u) == 1}
    out = rows.apply(frame, tm.rules, st.fake.locale, st.rng, unique=sorted(unique))
    for rule in tm.rules:
        target = rule.columns[0]
        if target not in data or target not in out:
            continue
        col = table.column(target)
        values = out[target].to_numpy()
        if target in numeric:
            keep = np.isfinite(values.astype(float))
            converted = np.full(len(values), None, dtype=object)
            converted[keep] = to_python(col, values.astype(float)[keep])
            data[target] = converted
        else:
            # A place drawn for the row's country may be longer than the column allows.
            data[target] = np.asarray([None if v is None or v != v else
                                       v[:col.length] if isinstance(v, str) and col.length
                                       else v for v in values], dtype=object)
        if rule.kind in ("gender_name", "gender_pnr"):
            other = rule.columns[1]
            data[other] = np.asarray(list(out[other]), dtype=object)


#: Rules on text columns (no number conversion).
_TEXT_RULES = frozenset(("gender_name", "gender_pnr", "place_country", "mapping",
                         "null_flag", "null_by_flag", "prefix_by"))


def _exact_targets(ctx: FitContext, table: Table, df: pd.DataFrame, driver: FKModel | None,
                   taken: set[str]) -> dict[str, RowRule]:
    """Numbers an exact relation of the row recomputes (a line's amount from its quantity
    and its part's price), found as the row's rules will find them again: claimed before
    the ratios, so no operand is drawn as a multiple of its own product (quantities of 87
    where the source's stop at 50)."""
    if len(df) < rel.MIN_ROWS:
        return {}
    keys = {c for fk in table.foreign_keys for c in fk.columns} | set(table.primary_key)
    names = [c.name for c in table.columns if c.kind in ("integer", "float", "decimal")
             and c.name not in keys and c.name not in taken and c.name in df]
    if not names:
        return {}
    frame = pd.DataFrame({n: _floats(table, n, df[n]) for n in names}, index=df.index)
    sample = frame.sample(rows.DETECT_ROWS, random_state=0) if len(frame) > rows.DETECT_ROWS \
        else frame
    found = [RowRule(r.kind, (r.target, *r.operands), r.params)
             for r in rel.find_arithmetic(sample) if rel.holds(frame, r)]
    done = {r.columns[0] for r in found}
    found += ancestors.find(ctx, table, frame, df, [c for c in names if c not in done])
    return {r.columns[0]: r for r in found}


def _fit_own(ctx: FitContext, col: Column, df: pd.DataFrame,
             found: RowRule) -> tuple[ColumnModel, np.ndarray | None]:
    """The recomputed number's own marginal (what the copula correlates; the rule then
    overwrites it)."""
    assert ctx.table is not None
    fk_cols = {c for fk in ctx.table.foreign_keys for c in fk.columns}
    cm, z = fit_column(ctx, ctx.table, col, df[col.name], fk_cols)
    return dataclasses.replace(cm, reason=f"{_RECOMPUTED} ({found.kind})"), z


#: The reason of a number the exact claim took: the row's rules look for it again.
_RECOMPUTED = "recomputed by an exact relation"


#: Numbers recomputed by an exact relation claim their columns before any other relation.
CLAIM = Claim("exact", _exact_targets, _fit_own)
