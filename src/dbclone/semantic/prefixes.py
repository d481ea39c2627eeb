"""The beginnings of formatted values (phone numbers, postcodes, account numbers, IP
addresses) that at least k owners share, and how the rest of a value is drawn: a Swedish
mobile starts 07, a town's postcodes 645 (or are a whole postcode k households share), an
office network's addresses 10.41.7.

Per value the longest beginning k owners hold is kept, up to the whole value; generation
completes a kept beginning with the value's shape (9 a digit, A and a a letter, anything
else as written), each digit drawn by how often the source's values of that shape have it
at that position. A drawn completion must never be a real value held by fewer than k
owners: where a beginning's completions are few beside the source values that take them
(more than DENSE of them real: a postcode district's last two digits, a small network's
last octet), its completions are drawn at fit time instead, any source value among them
dropped, at most half of the free ones (so what is missing from them does not list the
real ones), and stored with it; elsewhere the chance that a drawn value is a real one is
below DENSE. Values of a kind with rules of their own (an IP address's octets at most 255)
are checked by `valid` and drawn again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: Greatest share of a beginning's completions (in one shape) the source may hold for them
#: to be drawn at sample time.
DENSE = 1e-4
#: Completions made at fit time per dense beginning and shape, at most.
POOL = 64
#: Draws of a value that `valid` refuses before the last is taken as it is.
REDRAWS = 20

Valid = Callable[[str], bool]


def _ip_ok(value: str) -> bool:
    """A dotted IPv4 address has octets of at most 255 without leading zeros; other values
    (IPv6) are taken as drawn."""
    parts = value.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return True
    return all(int(p) <= 255 and (p == "0" or not p.startswith("0")) for p in parts)


#: Rules a drawn value of a kind of personal data (`synth.pii`'s providers) must keep beyond
#: its shape.
VALID: dict[str, Valid] = {"ipv4": _ip_ok}
#: Per shape, per character position of a digit, the cumulative share of each digit.
Digits = dict[str, dict[int, np.ndarray]]


def shape_of(value: str) -> str:
    return "".join("9" if c.isdigit() else "A" if c.isupper() and c.isascii() else
                   "a" if c.islower() and c.isascii() else c for c in value)


def _space(shape: str) -> float:
    """How many values a shape (or a shape's tail) can take."""
    return float(10 ** shape.count("9")) * float(26 ** (shape.count("A") + shape.count("a")))


def fit(values: Sequence[str], k: int, owners: Sequence[Hashable] | None = None,
        rng: np.random.Generator | None = None, digits: Digits | None = None,
        valid: Valid | None = None) -> tuple[tuple[Any, ...], ...]:
    """Per value, its longest beginning held by k owners (the whole value when k owners
    hold it); the beginnings as (beginning, how many values take it, how it may be
    completed, *completions made at fit time). How: "1" when it is a whole value k owners
    hold (drawn as it is), else "0", then the shapes it may be completed in at sample time
    (not dense there), each after a SEP. Values no k owners begin alike count towards the
    empty beginning, which also holds completions for every dense shape of the source."""
    who = list(owners) if owners is not None else list(range(len(values)))
    pairs = set(zip(values, who, strict=True))
    whole = Counter(value for value, _ in pairs)  # owners per value
    held = _held(pairs, k)
    real = set(values)
    under: dict[tuple[str, str], int] = defaultdict(int)  # distinct values per (beginning, shape)
    for value in real:
        shape = shape_of(value)
        for i in range(len(value) + 1):
            if i and value[:i] not in held:
                break  # only beginnings k owners hold are ever looked up (and "")
            under[(value[:i], shape)] += 1
    chosen = {v: _beginning(v, k, held, whole, under) for v in real}
    counts: Counter[str] = Counter(chosen[v] for v in values)
    shapes: dict[str, set[str]] = defaultdict(set)
    for value in real:
        if chosen[value] != value:
            shapes[chosen[value]].add(shape_of(value))
    shapes[""] |= {shape_of(v) for v in real}
    rng = rng if rng is not None else np.random.default_rng(0)
    out: list[tuple[Any, ...]] = []
    for head in sorted(set(counts) | {""}):
        made: list[str] = []
        free: list[str] = []
        for shape in sorted(shapes[head]):
            if _dense(head, shape, under):
                room = int(_space(shape[len(head):])) - under[(head, shape)]
                made += _made(head, shape, min(POOL, room // 2), real, rng, digits, valid)
            else:
                free.append(shape)
        how = ("1" if whole.get(head, 0) >= k else "0") + "".join(SEP + f for f in free)
        out.append((head, counts.get(head, 0), how, *made))
    return tuple(out)


def _held(pairs: set[tuple[str, Hashable]], k: int) -> set[str]:
    """The beginnings at least k owners hold, found length by length: a beginning's
    owners hold its own beginnings, so only values whose shorter beginning is held are
    looked at (a set of owners per beginning of every value took ~60 MB for 20,000 phone
    numbers)."""
    held: set[str] = set()
    todo = [(v, o) for v, o in pairs if v]
    size = 1
    while todo:
        owners: dict[str, set[Hashable]] = defaultdict(set)
        for value, owner in todo:
            owners[value[:size]].add(owner)
        found = {head for head, who in owners.items() if len(who) >= k}
        held |= found
        todo = [(v, o) for v, o in todo if len(v) > size and v[:size] in found]
        size += 1
    return held


def _beginning(value: str, k: int, held: set[str], whole: Counter[str],
               under: dict[tuple[str, str], int]) -> str:
    """The value itself when k owners hold it; else its longest beginning k owners hold
    whose completions are not all but taken and that is no value fewer than k owners hold
    (the model file stores it: 10.99.3.1 may begin 10.99.3.17 but is someone's address
    too); else the empty one."""
    if whole[value] >= k:
        return value
    shape = shape_of(value)
    for i in range(len(value) - 1, 0, -1):
        head = value[:i]
        if head in held and not 0 < whole.get(head, 0) < k and (
                not _dense(head, shape, under) or
                _space(shape[i:]) - under[(head, shape)] >= 2):
            return head
    return ""


#: Separates the shapes a beginning may be completed in.
SEP = "\x1f"
#: How an entry of an earlier model (no shapes listed) is completed: in any shape.
ANY = "*"


def _dense(head: str, shape: str, under: dict[tuple[str, str], int]) -> bool:
    return under.get((head, shape), 0) > DENSE * _space(shape[len(head):])


def _made(head: str, shape: str, n: int, real: set[str], rng: np.random.Generator,
          digits: Digits | None, valid: Valid | None) -> list[str]:
    """Up to n distinct completions of `head` in `shape`, none of them a source value."""
    out: dict[str, None] = {}
    for _ in range(8 * n):
        if len(out) >= n:
            break
        value = complete(head, shape, rng, digits, valid)
        if value not in real:
            out[value] = None
    return list(out)


def digit_shares(values: Sequence[str], shapes: Sequence[str]) -> tuple[tuple[Any, ...], ...]:
    """Per shape of `shapes` (those k values share), how often each digit stands at each of
    its digit positions: (shape, counts of 0-9 at its first digit, at its second...)."""
    wanted = set(shapes)
    counts: dict[str, np.ndarray] = {}
    for value in values:
        shape = shape_of(value)
        if shape not in wanted:
            continue
        found = counts.setdefault(shape, np.zeros((shape.count("9"), 10), dtype=np.int64))
        ds = [int(c) for c in value if c.isdigit()]
        found[np.arange(len(ds)), ds] += 1
    return tuple((s, *counts[s].ravel().tolist()) for s in sorted(counts))


def digit_table(stored: Sequence[Sequence[Any]]) -> Digits:
    """`digit_shares` as `complete` reads it: per shape, per character position of a
    digit, cumulative shares."""
    out: Digits = {}
    for shape, *flat in stored:
        rows = np.asarray(flat, dtype=float).reshape(-1, 10)
        at = [i for i, c in enumerate(str(shape)) if c == "9"]
        table = {}
        for pos, row in zip(at, rows, strict=True):
            if row.sum() > 0:
                table[pos] = np.cumsum(row) / row.sum()
        out[str(shape)] = table
    return out


def complete(prefix: str, shape: str, rng: np.random.Generator,
             digits: Digits | None = None, valid: Valid | None = None) -> str:
    """`prefix` followed by the rest of `shape`, drawn (digits by the shape's shares at each
    position where known); drawn again while `valid` refuses it."""
    table = (digits or {}).get(shape, {})
    value = ""
    for _ in range(REDRAWS):
        out = [prefix]
        for i, c in enumerate(shape[len(prefix):], start=len(prefix)):
            if c == "9":
                cum = table.get(i)
                d = int(np.searchsorted(cum, rng.random(), side="right")) if cum is not None \
                    else int(rng.integers(0, 10))
                out.append(_DIGITS[min(d, 9)])
            elif c == "A":
                out.append(_UPPER[int(rng.integers(0, 26))])
            elif c == "a":
                out.append(_UPPER[int(rng.integers(0, 26))].lower())
            else:
                out.append(c)
        value = "".join(out)
        if valid is None or valid(value):
            break
    return value


def draw(prefixes: Sequence[Sequence[Any]], shapes: Sequence[str], n: int,
         rng: np.random.Generator) -> list[str]:
    """n values in shapes drawn at random: see `complete_shapes`."""
    if not shapes:
        return []
    picks = [shapes[int(i)] for i in rng.integers(0, len(shapes), n)]
    return complete_shapes(prefixes, picks, rng)


def complete_shapes(prefixes: Sequence[Sequence[Any]], shapes: Sequence[str],
                    rng: np.random.Generator, digits: Digits | None = None,
                    valid: Valid | None = None) -> list[str]:
    """One value per shape (a row's format, chosen for its length): a kept beginning that
    fits the shape, drawn by the beginnings' counts among those that fit, then completed.
    A beginning fits a shape as a whole value k owners hold, by a completion of that shape
    made for it at fit time, or as a beginning it may be completed in at sample time. Where
    none fits (a format the source's values do not have), the shape is drawn whole."""
    # (beginning, count) alone: a model of an earlier version, completed in any shape
    entries = [(str(p[0]), float(p[1]), str(p[2]) if len(p) > 2 else ANY,
                [str(v) for v in p[3:]]) for p in prefixes]
    out: list[str] = [""] * len(shapes)
    by_shape: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(shapes):
        by_shape[s].append(i)
    for shape, rows in by_shape.items():
        fits: list[tuple[str, float, list[str]]] = []
        for head, count, how, made in entries:
            if not shape.startswith(shape_of(head)):
                continue
            options = [v for v in made if shape_of(v) == shape]
            if len(head) == len(shape) and how[:1] == "1":
                fits.append((head, count, [head]))
            elif options or how == ANY or shape in how.split(SEP)[1:]:
                fits.append((head, count, options))
        if not fits:
            fits.append(("", 1.0, []))
        weights = np.asarray([max(c, 1e-9) for _, c, _ in fits])
        picks = rng.choice(len(fits), len(rows), p=weights / weights.sum())
        for row, pick in zip(rows, picks.tolist(), strict=True):
            head, _, options = fits[pick]
            out[row] = options[int(rng.integers(0, len(options)))] if options else \
                complete(head, shape, rng, digits, valid)
    return out


# -- beginnings by another column of the row -------------------------------------------------

#: How strongly another column of the row must decide a value's format or first characters
#: (`consistency.dependency`) for the value's beginnings to be learnt per value of that
#: column (a phone's country code by the row's country, a postcode's district by its town).
DECIDES = 0.6
#: Most distinct values a deciding column may have.
GROUPS = 300
#: Characters of a value its first characters are read in.
HEAD = 3


def decider(values: pd.Series, others: pd.DataFrame) -> str | None:
    """The column of `others` that most decides the values' formats or first characters,
    when it does so at least DECIDES; None otherwise."""
    from dbclone.semantic.consistency import dependency

    text = values.dropna().astype(str)
    if text.empty:
        return None
    heads = {"shape": text.map(shape_of), "head": text.str.slice(0, HEAD)}
    best, found = DECIDES, None
    for name in others.columns:
        col = others[name].reindex(text.index)
        try:
            distinct = col.nunique()
        except TypeError:  # arrays, JSON: no group
            continue
        if not 2 <= distinct <= GROUPS:
            continue
        strength = max(dependency(col.astype(str).where(col.notna()), h)
                       for h in heads.values())
        if strength > best:
            best, found = strength, str(name)
    return found


def fit_by(values: pd.Series, groups: pd.Series, k: int, owners: pd.Series | None,
           rng: np.random.Generator, valid: Valid | None = None
           ) -> tuple[tuple[Any, ...], ...]:
    """Per value of the deciding column held by k owners: (that value, its rows' formats
    with counts as (shape, count) pairs, their digit shares, their beginnings as `fit`
    gives them)."""
    frame = pd.DataFrame({"v": values, "g": groups, "o": owners if owners is not None
                          else pd.Series(np.arange(len(values)), index=values.index)}).dropna()
    out = []
    for group, rows in frame.groupby(frame["g"].astype(str), sort=True):
        if rows["o"].nunique() < k:
            continue
        text = rows["v"].astype(str).tolist()
        shapes = Counter(shape_of(v) for v in text)
        kept = tuple((s, c) for s, c in sorted(shapes.items()) if c >= k)
        if not kept:
            continue
        shares = digit_shares(text, [s for s, _ in kept])
        heads = fit(text, k, rows["o"].tolist(), rng, digit_table(shares), valid)
        out.append((group, kept, shares, heads))
    return tuple(out)


def redraw_by(values: Sequence[Any], groups: Sequence[Any], params: Sequence[Sequence[Any]],
              rng: np.random.Generator, valid: Valid | None = None) -> list[Any]:
    """Each value drawn again from its row's group's beginnings, in its own format where the
    group has it, else in one of the group's; rows of other groups, and NULLs, as they
    were."""
    by_group = {str(p[0]): p for p in params}
    out = list(values)
    at: dict[str, list[int]] = defaultdict(list)
    for i, (v, g) in enumerate(zip(values, groups, strict=True)):
        if isinstance(v, str) and g is not None and str(g) in by_group:
            at[str(g)].append(i)
    for group, rows in sorted(at.items()):
        _, kept, shares, heads = by_group[group]
        own = {str(s) for s, _ in kept}
        names = [str(s) for s, _ in kept]
        p = np.asarray([float(c) for _, c in kept])
        shapes = [shape_of(out[i]) if shape_of(out[i]) in own else
                  names[int(rng.choice(len(names), p=p / p.sum()))] for i in rows]
        made = complete_shapes(heads, shapes, rng, digit_table(shares), valid)
        for i, v in zip(rows, made, strict=True):
            out[i] = v
    return out
