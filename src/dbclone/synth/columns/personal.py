"""Personal data: detected columns (`pii.detect`) are replaced by Faker's values in the
source's locale, with the source's lengths, letter case, formats and beginnings k owners
share (postcodes, phones, IP addresses: `semantic.prefixes`, whole values k owners hold
included) and email domains and name styles (an email follows the row's names; a
personnummer its birth date). Street addresses come from the column's own token chain where
that reads closer to the source than Faker's (`semantic.closeness`), else from Faker in the
locales of the rows' countries. Fit and generate.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zlib
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from dbclone.schema import Column, Table
from dbclone.semantic import closeness, prefixes, symbols
from dbclone.semantic import columns as meaning
from dbclone.semantic import reference as ref
from dbclone.semantic.columns import TextModel
from dbclone.semantic.recognise import Semantic
from dbclone.synth import pii
from dbclone.synth.columns.base import ColumnSynthesizer
from dbclone.synth.columns.meaning import source_strings
from dbclone.synth.columns.shaped import common_shapes, shaped_values, top_shape
from dbclone.synth.columns.text import fit_length, length_grid, target_lengths
from dbclone.synth.context import FitContext, Step, TableFit
from dbclone.synth.model import ColumnModel
from dbclone.synth.specs import PersonalSpec
from dbclone.synth.state import Chunk, SampleState
from dbclone.synth.tables import Columns


def email_styles(ctx: FitContext, df: pd.DataFrame,
                 columns: list[ColumnModel]) -> list[ColumnModel]:
    """How the source builds an email from the row's own names (MARY.SMITH@..., jsmith@...):
    the share of each name style, counting only styles used by at least k rows, and the
    letter case of the local part. Emails are then generated from the clone's names the same
    way, so an email's length and form still follow its row's names."""
    first = next((c.name for c in columns if c.pii == "first_name"), None)
    last = next((c.name for c in columns if c.pii == "last_name"), None)
    if first is None or last is None:
        return columns
    out = []
    for cm in columns:
        if cm.pii != "email":
            out.append(cm)
            continue
        rows = df[[cm.name, first, last]].dropna().astype(str).head(20000)
        rows = rows[rows[cm.name].str.contains("@", regex=False)]
        if len(rows) < ctx.opts.rare_threshold:
            out.append(cm)
            continue
        found = Counter(pii.email_style(e, f, la) for e, f, la in
                        rows.itertuples(index=False, name=None))
        forms = len(pii.email_locals("a", "b"))
        shares = tuple(found[i] / len(rows) if found[i] >= ctx.opts.rare_threshold else 0.0
                       for i in range(forms))
        local = pii.letter_case([e.rsplit("@", 1)[0] for e in rows[cm.name].head(2000)])
        out.append(dataclasses.replace(cm, styles=shares, case=local) if any(shares) else cm)
    return out


def fit_personal(ctx: FitContext, col: Column, filled: pd.Series, null_rate: float, empty: float,
                 det: pii.Detection) -> ColumnModel:
    """A detected personal-data column: its provider and the source's lengths, formats,
    email domains and letter case (never its values)."""
    domains, shares = pii.common_domains(filled.head(20000).tolist(),
                                         ctx.opts.rare_threshold) \
        if det.provider == "email" else ((), ())
    shapes = top_shape(filled)
    heads: tuple[tuple[Any, ...], ...] = ()
    digits: tuple[tuple[Any, ...], ...] = ()
    if det.provider in pii.SHAPED:
        shapes, shares = common_shapes(filled, ctx.opts.rare_threshold)
        digits = prefixes.digit_shares(filled.head(20000).astype(str).tolist(), shapes)
        heads = _prefixes(ctx, filled, digits, det.provider, col.name)
        if not heads:
            digits = ()
    chain = _chain(ctx, col, filled, det.provider) if det.provider in CHAINED else None
    if det.provider in LOCALISED and chain is None:
        domains, shares = _locales(ctx, col)
    return ColumnModel(col.name, "pii", null_rate=null_rate, pii=det.provider,
                       lengths=length_grid(filled), pattern=shapes,
                       empty_rate=empty, values=domains, probs=shares,
                       case=pii.letter_case(filled.head(2000).tolist()),
                       reason=det.reason + ("; the column's own words" if chain else ""),
                       prefixes=heads, digits=digits, text=chain)


#: Personal data Faker writes per country: drawn in the locales of the table's rows'
#: countries where it has a column of them.
LOCALISED = ("street_address",)


def _locales(ctx: FitContext, col: Column) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The Faker locales of the countries the table's rows are in (a column of country names
    or codes: `reference.row_countries`, countries of k rows or more) with their shares;
    empty where the table has none or all are the source's locale."""
    if ctx.table is None or ctx.table.name not in ctx.frames:
        return (), ()
    df = ctx.frames[ctx.table.name].head(20000)
    text = {c: df[c].tolist() for c in df.columns if c != col.name and df[c].dtype == object}
    mix = ref.row_countries(text, ctx.opts.rare_threshold)
    default = ctx.fake.locale if ctx.fake is not None else "en_US"
    shares: dict[str, float] = {}
    for code, share in mix.items():
        locale = ref.faker_locale(code) or default
        shares[locale] = shares.get(locale, 0.0) + share
    if set(shares) <= {default}:
        return (), ()
    return tuple(shares), tuple(shares.values())


#: Personal data made of words (a street and its house number) that may come from the
#: column's own token chain (`semantic.ngram`) instead of Faker: its words shared by k
#: owners kept ("Way", "gatan", "rue des"), the rest made up in the column's style or, where
#: its rare words are mostly names of cities, public city names.
CHAINED = ("street_address",)
#: Values generated from each side to compare them (`semantic.closeness.prefer`: Faker's
#: in the source's locale stay where they read as well, a Swedish town's "Aspvägen 12").
TRIAL = 400
#: Share of the column's rare words that must be city names for its slots to take cities.
CITY_WORDS = 0.5


def _chain(ctx: FitContext, col: Column, filled: pd.Series, provider: str) -> TextModel | None:
    """The column's token chain where its values read closer to the source than Faker's,
    else None. Owners as for the beginnings of formatted values (`_prefixes`)."""
    sample = filled.astype(str).head(20000)
    if sample.nunique() < ctx.opts.rare_threshold:
        return None
    who = ctx.owners if ctx.owners is not None else ctx.holders
    owners = who.reindex(sample.index).tolist() if who is not None else None
    if owners is not None and len(set(owners)) < ctx.opts.rare_threshold:
        owners = None
    locale = ctx.fake.locale if ctx.fake is not None else "en_US"
    # Streams of the column's own: neither choice moves another column's draws.
    rng = np.random.default_rng(zlib.crc32(col.name.encode()))
    avoid = source_strings(ctx)
    values = sample.tolist()
    tm = meaning.fit(col.name, ctx.table.name if ctx.table is not None else "", values,
                     ctx.opts.rare_threshold, locale, rng, owners=owners,
                     sem=Semantic("phrases", "name", "street addresses"), avoid=avoid)
    if tm is None:
        return None
    cities = _city_slots(values, owners, ctx.opts.rare_threshold, avoid)
    if cities:
        tm = dataclasses.replace(tm, public=cities, reason=tm.reason + "; streets named "
                                 "after cities: public city names")
    elif sample.nunique() < meaning.CHAIN_MIN:
        return None  # too few words to make up readable ones from
    lengths = np.asarray([len(v) for v in values])[rng.integers(0, len(values), TRIAL)]
    made = meaning.sample(tm, TRIAL, rng, lengths).tolist()
    faker = pii.Generator(locale, zlib.crc32(col.name.encode())).draw(provider, TRIAL, lengths)
    return tm if closeness.prefer(values, map(str, made), map(str, faker)) else None


def _city_slots(values: list[str], owners: list[Any] | None, k: int,
                avoid: ref.Folded) -> tuple[str, ...]:
    """Public city names (none a source string) for the word slots when most of the
    column's rare words (held by fewer than k owners) are names of cities; else ()."""
    held: dict[str, set[Any]] = {}
    for i, value in enumerate(values):
        for _, tok in symbols.tokens(value):
            if tok.isalpha():
                held.setdefault(tok, set()).add(owners[i] if owners is not None else i)
    rare = [w for w, h in held.items() if len(h) < k]
    names = ref.city_names()
    if not rare or sum(ref.fold(w) in names for w in rare) < CITY_WORDS * len(rare):
        return ()
    # A column written in ASCII (accents dropped, "Asuncin") takes cities written so; none
    # is a word of the column (its own cities, rare ones included) or a source value.
    plain = all(v.isascii() for v in values)
    own = {ref.fold(w) for w in held}
    return tuple(w.lower() for w in ref.city_words()
                 if ref.fold(w) not in avoid and ref.fold(w) not in own and
                 (w.isascii() or not plain))


def _prefixes(ctx: FitContext, filled: pd.Series, digits: tuple[tuple[Any, ...], ...],
              provider: str, column: str) -> tuple[tuple[Any, ...], ...]:
    """The beginnings of the values k owners share (a country's calling code, a town's
    postcode district, a whole postcode), with their counts and any completions made for
    them (`semantic.prefixes.fit`); the empty one for the rest."""
    sample = filled.head(20000)
    who = ctx.owners if ctx.owners is not None else ctx.holders
    owners = who.reindex(sample.index).tolist() if who is not None else None
    if owners is not None and len(set(owners)) < ctx.opts.rare_threshold:
        owners = None  # fewer owners than k: each row its own, as for names of things
    # A stream of the column's own: the completions made here move no other column's draws.
    rng = np.random.default_rng(zlib.crc32(column.encode()))
    found = prefixes.fit(sample.astype(str).tolist(), ctx.opts.rare_threshold, owners,
                         rng, prefixes.digit_table(digits), prefixes.VALID.get(provider))
    if not any(p[0] for p in found):
        return ()
    seen = _seen(ctx, [str(v) for p in found for v in p[3:]])
    return tuple((*p[:3], *(v for v in p[3:] if v not in seen)) for p in found)


def _seen(ctx: FitContext, made: list[str]) -> set[str]:
    """Which of the values made at fit time are values of the source anywhere (a made
    postcode 2076 that is also an invoice line's id): the model file stores none of them."""
    strings = source_strings(ctx)
    out = {v for v in made if ref.key(v) in strings}
    numbers = {int(v): v for v in made if v.isdigit()}
    if not numbers:
        return out
    wanted = np.asarray(sorted(numbers), dtype=np.int64)
    for frame in ctx.frames.values():
        for name in frame.columns:
            col = frame[name]
            if pd.api.types.is_integer_dtype(col.dtype):
                hit = wanted[np.isin(wanted, col.to_numpy(dtype=np.int64, na_value=-1))]
                out |= {numbers[int(h)] for h in hit}
    return out


def personal_values(st: SampleState, ch: Chunk, col: Column, cm: ColumnModel, z: np.ndarray | None,
                    n: int, data: Columns) -> np.ndarray:
    table = ch.table
    provider = cm.pii or "word"
    if provider == "email":
        first = by_provider(st, table, data, "first_name")
        last = by_provider(st, table, data, "last_name")
        lengths = target_lengths(st, ch, col, cm, z, n)
        values = st.fake.emails(first, last, n, cm.values, cm.probs, lengths, cm.styles,
                                  cm.case if cm.styles else "")
        if cm.styles:  # the case was the local part's
            return np.asarray([fit_length(str(v), col) for v in values], dtype=object)
    elif provider == "personnummer":
        values = personnummer_values(st, table, cm, n, data)
    elif cm.text is not None:
        values = meaning.sample(cm.text, n, st.rng, target_lengths(st, ch, col, cm, z, n))
    elif provider in LOCALISED and cm.values:
        values = st.fake.draw_mixed(provider, n, target_lengths(st, ch, col, cm, z, n),
                                    [str(v) for v in cm.values], cm.probs)
    elif provider in pii.SHAPED and (cm.pattern or cm.lengths):
        values = shaped_values(st, cm, n, target_lengths(st, ch, col, cm, z, n))
    else:
        values = st.fake.draw(provider, n, target_lengths(st, ch, col, cm, z, n))
    recase = {"upper": str.upper, "lower": str.lower}.get(cm.case, str)
    return np.asarray([fit_length(recase(str(v)), col) for v in values], dtype=object)


def by_provider(st: SampleState, table: Table, data: Columns, provider: str) -> np.ndarray | None:
    """The row's column of this personal-data kind (first_name, fornamn...), if generated."""
    tm = st.model.table(table.name)
    found = next((c.name for c in tm.columns if c.pii == provider and c.name in data), None)
    return data[found] if found is not None else _find(table, data, provider)


def personnummer_values(st: SampleState, table: Table, cm: ColumnModel, n: int,
                        data: Columns) -> np.ndarray:
    template = cm.pattern[0] if cm.pattern else "99999999-9999"
    digits_before = len(template.split("-")[0].split("+")[0])
    births = None
    for c in table.columns:
        if c.kind in ("date", "datetime") and "birth" in c.name.lower() and c.name in data:
            births = [_as_date(v) for v in data[c.name]]
    sep = "-" if "-" in template else ""
    return st.fake.personnummer(births, n, long_form=digits_before >= 8, sep=sep)


def _find(table: Table, data: Columns, provider_hint: str) -> np.ndarray | None:
    for c in table.columns:
        if c.name.lower().replace("_", "") == provider_hint.replace("_", "") and c.name in data:
            return data[c.name]
    return None


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


class PersonalSynthesizer(ColumnSynthesizer):
    """Personal data replaced by Faker's (chosen by `strings`, or by `text` for a rare
    quasi-identifier)."""

    specs = (PersonalSpec,)
    length_scored = True
    fit = staticmethod(fit_personal)
    generate = staticmethod(personal_values)


def _styles(ctx: FitContext, tf: TableFit) -> None:
    tf.columns = email_styles(ctx, tf.df, tf.columns)


#: Emails built from the row's names.
STEP = Step("email styles", _styles)
