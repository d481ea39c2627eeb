"""A text column's model of meaning, fitted from its values and sampled without them: a
recognised kind with a pool of public values of that kind (none of them a source value), or
the column's token chain (`ngram`) where no list fits. A column of company names takes its
own chain where that reads closer to it than Faker's companies (`closeness`), which are
otherwise made in the languages of the table's rows' countries. The model (`TextModel`) is
statistics and public values only, so it may go in the model file.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dbclone.semantic import chain, closeness, generate, ngram, symbols
from dbclone.semantic import reference as ref
from dbclone.semantic.recognise import Semantic, recognise

#: Public values kept per column to draw from.
POOL = 300
#: Kinds drawn from a pool of public values.
POOLED = frozenset(("country", "currency", "language", "emoji", "codepoint", "colour", "city",
                    "region", "company", "job", "url", "code", "person"))
#: Kinds of names of things, written by people: the column's token chain.
#: Strings (folded) a text model may not store: a set, or a whole source's as hashes.
Avoid = frozenset[str] | ref.Folded
PHRASED = frozenset(("work_title", "product", "phrases"))
#: Rows a phrase model is fitted on at most, and characters (prose: fewer rows of it).
PHRASE_ROWS = 5000
PHRASE_CHARS = 150_000


@dataclass(frozen=True)
class TextModel:
    """kind/style/reason: see `recognise.Semantic`; kind "phrases" for a token chain. pool:
    public values to draw from; countries: the source's country mix (cities, regions); shapes: the
    source's common value shapes with their share (phone extensions, codes); steps, shares,
    public, variants: an `ngram.Phrases`."""

    kind: str
    style: str = "name"
    reason: str = ""
    pool: tuple[str, ...] = ()
    # Pairs and triples are typed Any inside: the model file's reader checks each element
    # against one type (country, share) would fail.
    countries: tuple[tuple[Any, ...], ...] = ()
    shapes: tuple[tuple[Any, ...], ...] = ()
    steps: tuple[tuple[Any, ...], ...] = ()
    shares: tuple[tuple[Any, ...], ...] = ()
    public: tuple[str, ...] = ()
    variants: tuple[tuple[Any, ...], ...] = ()

    def phrases(self) -> ngram.Phrases:
        return ngram.Phrases(self.steps, self.shares, self.public, self.variants)


@functools.cache
def _name_sets() -> tuple[frozenset[str], frozenset[str]]:
    """Country, language and currency names in Swedish, and in English."""
    sv = {ref.fold(c.names[-1]) for c in ref.countries()} | \
        {ref.fold(lang[3]) for lang in ref.languages()} | \
        {ref.fold(c[2]) for c in ref.currencies()}
    en = {ref.fold(c.names[0]) for c in ref.countries()} | \
        {ref.fold(lang[2]) for lang in ref.languages()} | \
        {ref.fold(c[1]) for c in ref.currencies()}
    return frozenset(sv), frozenset(en)


def _swedish_style(sem: Semantic, values: Sequence[str]) -> str:
    """``name_sv`` when the values are names in Swedish rather than English."""
    if sem.style != "name" or sem.kind not in ("country", "language", "currency"):
        return sem.style
    sv, en = _name_sets()
    folded = [ref.fold(v) for v in values]
    return "name_sv" if sum(v in sv and v not in en for v in folded) > \
        sum(v in en and v not in sv for v in folded) else sem.style


_SHAPE = str.maketrans({**{c: "9" for c in "0123456789"}})


def _shapes(values: Sequence[str], k: int) -> tuple[tuple[str, float], ...]:
    """Shapes (digits as 9, the rest as written) held by at least k values, with shares."""
    counts = Counter(str(v).translate(_SHAPE) for v in values)
    kept = [(s, c) for s, c in counts.most_common() if c >= k]
    total = sum(c for _, c in kept)
    return tuple((s, c / total) for s, c in kept) if total else ()


def fit(column: str, table: str, values: Sequence[str], k: int, locale: str,
        rng: np.random.Generator, owners: Sequence[Hashable] | None = None,
        sem: Semantic | None = None, avoid: Avoid = frozenset(),
        countries: dict[str, float] | None = None) -> TextModel | None:
    """The column's text model, or None when it is no recognised kind and not a name.
    `avoid`: strings (folded) of the whole source, kept out of the public pools, so no real
    value of another column (a surname that is also a town) is stored either. `countries`:
    the shares of the table's rows' countries (alpha-2), for companies in their languages."""
    who = list(owners) if owners is not None else list(range(len(values)))
    pairs = [(str(v), o) for v, o in zip(values, who, strict=True)
             if v is not None and str(v).strip()]
    text = [v for v, _ in pairs]
    if not text:
        return None
    sem = sem or recognise(column, table, text[:5000])
    if sem is not None and sem.kind == "extension":
        shapes = _shapes(text, k)
        return TextModel(sem.kind, sem.style, sem.reason, shapes=shapes) if shapes else None
    if sem is not None and sem.kind in generate.FAKER_KINDS and \
            not generate.faker_speaks(sem.kind, locale):
        sem = Semantic("phrases", "name", sem.reason + f"; Faker has no {locale} list")
    if sem is not None and sem.kind in CHAINED:
        return _chain_or_pool(column, sem, text, [o for _, o in pairs] if owners is not None
                              else None, k, locale, avoid, countries or {})
    if sem is not None and sem.kind in POOLED:
        return _pooled(sem, text, rng, locale, avoid)
    if sem is not None and sem.kind not in PHRASED:
        return None  # postcodes and the like: personal data, `pii`'s business
    return _phrased(sem, text, [o for _, o in pairs] if owners is not None else None, k,
                    locale, rng, avoid)


#: Kinds of names whose public generator (Faker's companies) reads unlike many sources (a
#: trading company's "Alfreds Futterkiste", "Folk och fä HB"): the column's own token chain
#: where it reads closer to the source (`closeness`), the public pool otherwise.
CHAINED = frozenset(("company",))
#: Values generated from each side to compare them.
TRIAL = 400
#: Fewest distinct values a column of names (companies, street addresses) needs for its
#: chain to be weighed against a public generator: made-up words learnt from fewer (a
#: trading company's 91 customers) are unreadable ("Golfhie Sseos Pton") although their
#: letters are the column's.
CHAIN_MIN = 200


def _chain_or_pool(column: str, sem: Semantic, text: list[str],
                   owners: list[Hashable] | None, k: int, locale: str,
                   avoid: Avoid, countries: dict[str, float]) -> TextModel | None:
    """The token chain of the column or the public pool of its kind (in the languages of
    `countries` where given), whichever reads closer to it; both from a stream of the
    column's own, so the choice moves no other column."""
    rng = np.random.default_rng(zlib.crc32(column.encode()))
    pooled = _pooled(sem, text, rng, locale, avoid, countries)
    if len(set(text)) < max(k, CHAIN_MIN):
        return pooled
    chained = _phrased(sem, text, owners, k, locale, rng, avoid)
    if chained is None or pooled is None:
        return pooled or chained
    lengths = np.asarray([len(v) for v in text])[rng.integers(0, len(text), TRIAL)]
    ours = sample(chained, TRIAL, rng, lengths).tolist()
    theirs = sample(pooled, TRIAL, rng, lengths).tolist()
    if closeness.prefer(text, map(str, ours), map(str, theirs)):
        return TextModel(chained.kind, sem.kind, sem.reason + "; the column's own words "
                         "read closer to it than public ones", steps=chained.steps,
                         shares=chained.shares, public=chained.public,
                         variants=chained.variants)
    return pooled


def _pooled(sem: Semantic, text: list[str], rng: np.random.Generator, locale: str,
            avoid: Avoid, countries: dict[str, float] | None = None
            ) -> TextModel | None:
    """Public values of the kind (none of the source's), in the style the source writes."""
    sem = Semantic(sem.kind, _swedish_style(sem, text), sem.reason)
    mix = generate.source_countries(text) if sem.kind == "city" else dict(countries or {})
    if sem.kind == "region":
        mix = generate.region_countries(text, sem.style)
    pool = generate.candidates(sem, POOL, rng, exclude=set(text), locale=locale,
                               countries=mix or None)
    kept = [v for v in pool if ref.key(v) not in avoid]
    # A public list the source holds almost whole (a table of flags) stays whole, as in
    # `generate.candidates`: those values are reference data, not anyone's.
    public = sem.kind in generate.PUBLIC_LISTS
    pool = kept if len(kept) >= generate.PUBLIC_FLOOR * len(pool) or not public else pool
    if not pool:
        return None
    return TextModel(sem.kind, sem.style, sem.reason, pool=tuple(pool),
                     countries=tuple(sorted(mix.items())))


def _phrased(sem: Semantic | None, text: list[str], owners: list[Hashable] | None, k: int,
             locale: str, rng: np.random.Generator, avoid: Avoid) -> TextModel | None:
    """The column's token chain, on at most PHRASE_ROWS of its values. No made-up word is a
    word of any of its values (a word outside the rows the chain is fitted on included): a
    value holding one is no source value."""
    whole = text
    avoid = avoid | symbols.words_of(text)
    public = [w for w in ngram.public_words(locale) if ref.fold(w) not in avoid]
    rows = min(PHRASE_ROWS, int(PHRASE_CHARS / max(float(np.mean([len(v) for v in text])), 1.0)))
    if len(text) > rows:  # steps and words of k owners show in a sample too
        pick = np.sort(rng.choice(len(text), rows, replace=False))
        text = [text[i] for i in pick]
        owners = [owners[i] for i in pick] if owners is not None else None
    phrases = ngram.fit(text, k, owners=owners, public=public, rng=rng, avoid=avoid)
    if phrases is None:
        return None
    chain.remember(phrases, whole)
    reason = sem.reason if sem is not None else "several words, many distinct values"
    # style: the kind recognised (a work's title, a product), "name" where none was
    return TextModel("phrases", sem.kind if sem is not None and sem.kind in PHRASED - {"phrases"}
                     else "name", reason,
                     steps=phrases.steps, shares=phrases.shares, public=phrases.public,
                     variants=phrases.variants)


_DIGIT = re.compile("9")


def sample(model: TextModel, n: int, rng: np.random.Generator,
           lengths: np.ndarray | None = None) -> np.ndarray:
    """n values of the model; with target `lengths`, pooled values nearest each length."""
    if model.kind == "phrases":
        return np.asarray(model.phrases().sample(n, rng, lengths), dtype=object)
    if model.shapes:
        shapes = [s for s, _ in model.shapes]
        p = np.asarray([w for _, w in model.shapes])
        picks = rng.choice(len(shapes), n, p=p / p.sum())
        return np.asarray([_DIGIT.sub(lambda _: str(int(rng.integers(0, 10))), shapes[i])
                           for i in picks], dtype=object)
    pool = list(model.pool)
    if lengths is None or model.kind in ("emoji", "codepoint"):
        return np.asarray(pool, dtype=object)[rng.integers(0, len(pool), n)]
    return _nearest_length(pool, lengths, rng)


def _nearest_length(pool: list[str], lengths: np.ndarray, rng: np.random.Generator,
                    spread: int = 8) -> np.ndarray:
    """Per target length, a random pick among the pool values of that length, or among the
    `spread` values nearest it when fewer have it."""
    ordered = sorted(pool, key=len)
    sizes = np.asarray([len(v) for v in ordered])
    want = np.asarray(lengths, dtype=float)
    lo = np.searchsorted(sizes, want, side="left")
    hi = np.searchsorted(sizes, want, side="right")
    narrow = hi - lo < spread
    lo[narrow] = np.clip(lo[narrow] - spread // 2, 0, max(len(ordered) - spread, 0))
    hi[narrow] = np.minimum(lo[narrow] + spread, len(ordered))
    picks = lo + (rng.random(len(want)) * (hi - lo)).astype(int)
    return np.asarray(ordered, dtype=object)[np.clip(picks, 0, len(ordered) - 1)]


def for_countries(model: TextModel, countries: Sequence[str], rng: np.random.Generator,
                  exclude: Iterable[str] | ref.Folded = (), per: int = 20
                  ) -> dict[str, tuple[str, ...]]:
    """For a city or region column: per country (alpha-2 code or name), `per` public places
    of that country that are not in `exclude` (the source's values), for rows that name it."""
    out: dict[str, tuple[str, ...]] = {}
    by_code = ref.country_by_code()
    banned = exclude if isinstance(exclude, ref.Folded) else \
        frozenset(ref.fold(str(v)) for v in exclude)
    for value in countries:
        country = by_code.get(str(value)) or by_code.get(ref.fold(str(value)))
        if country is None:
            continue
        places = generate.for_country(model.kind, country.alpha_2, 4 * per, rng,
                                      style=model.style, exclude=banned)
        if places:
            out[str(value)] = tuple(dict.fromkeys(places))[:per]
    return out
