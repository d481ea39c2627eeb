"""The token chain's symbols: a value split into tokens (runs of letters, runs of digits,
single punctuation marks, each marked when no space comes before it), a rare token turned
into the slot of its form, and symbols as the model file stores them (`encode`, `decode`).
`ngram` fits a chain of these symbols; `chain` draws from it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dbclone.semantic.reference import fold

#: Slots: forms a token rarer than k owners keeps. No token can be one (a punctuation token
#: is one character, a word has no "<").
UPPER, LOWER, CAPS, DIGITS = "<Aa>", "<a>", "<AA>", "<9:"
START, END = "<s>", "</s>"
#: Marks a token written with no space before it ("Vol" "+." -> "Vol.").
GLUE = "+"
#: Symbols of context the chain looks back on.
ORDER = 2
#: Longest value in tokens.
LONGEST = 60
#: Contexts of a size are found by a table of every possible key up to this many keys (4 MB
#: of int32), by binary search beyond.
TABLE_KEYS = 1 << 20
_TOKEN = re.compile(r"[^\W\d_]+|\d+|[^\w\s]|_")
WORDS = re.compile(r"[^\W\d_]+")


def tokens(value: str) -> list[tuple[bool, str]]:
    """(glued to the token before, token) for each token of the value."""
    text = str(value)
    return [(m.start() > 0 and not text[m.start() - 1].isspace(), m.group())
            for m in _TOKEN.finditer(text)]


def words_of(values: Sequence[str]) -> frozenset[str]:
    """Every word of the values, folded (`reference.fold`), read in one pass."""
    return frozenset(fold(w) for w in set(WORDS.findall("\n".join(map(str, values)))))


def slot(token: str) -> str:
    if token.isdigit():
        return f"{DIGITS}{len(token)}>"
    if not token[:1].isalpha():
        return ""  # a rare punctuation mark: left out
    if len(token) > 1 and token.isupper():
        return CAPS
    return UPPER if token[:1].isupper() else LOWER


def is_slot(symbol: str) -> bool:
    return symbol.lstrip(GLUE)[:1] == "<" and len(symbol.lstrip(GLUE)) > 1


def split_glue(symbol: str) -> tuple[bool, str]:
    """(glued, symbol without its glue mark)."""
    if len(symbol) > 1 and symbol[0] == GLUE:
        return True, symbol[1:]
    return False, symbol


def to_symbols(seq: list[tuple[bool, str]], kept: set[str]) -> list[str]:
    out: list[str] = []
    for glued, tok in seq:
        sym = tok if tok in kept else slot(tok)
        if sym:
            out.append(GLUE + sym if glued and out else sym)
    return out


def recase(word: str, slot: str) -> str:
    if slot == CAPS:
        return word.upper()
    return word[:1].upper() + word[1:] if slot == UPPER else word.lower()


#: Short words a value's own word is never replaced by a slot in preference to.
_FUNCTION = frozenset((
    "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "with", "by", "from",
    "de", "la", "le", "el", "och", "i", "på", "av", "med", "till", "för", "en", "ett", "det",
    "som"))


def is_function(word: str) -> bool:
    return word.lower() in _FUNCTION or len(word) < 2


def encode(symbol: str) -> str:
    """A symbol as the model file stores it: a word in one case lower-cased behind the slot
    of its case (``<Aa>queen``), so no stored string is a value as written."""
    glued, bare = split_glue(symbol)
    if bare[:1].isalpha() and (bare.islower() or bare.isupper() or bare.istitle()):
        form = slot(bare)
        if form != LOWER:
            bare = form + bare.lower()
    return (GLUE if glued else "") + bare


def decode(symbol: str) -> str:
    glued, bare = split_glue(symbol)
    for form in (UPPER, CAPS):
        if bare.startswith(form) and len(bare) > len(form):
            bare = recase(bare[len(form):], form)
    return (GLUE if glued else "") + bare
