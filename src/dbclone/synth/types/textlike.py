"""PostgreSQL types written as structured text: money, xml, hstore, ltree, tsvector, tsquery,
jsonpath, pg_lsn.

Each keeps its structure and what at least k rows share (hstore keys, ltree labels per level,
tsvector lexemes, xml element and attribute names, money's quantiles and cents); free values
are new words of the source's lengths.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from dbclone.synth.types._common import (
    choose,
    counts,
    draw,
    grid,
    letters,
    share,
    type_name,
    words,
)

TYPES = (
    ("money", "postgresql", ("money",)), ("xml", "postgresql", ("xml",)),
    ("hstore", "postgresql", ("hstore",)), ("ltree", "postgresql", ("ltree",)),
    ("tsvector", "postgresql", ("tsvector",)), ("tsquery", "postgresql", ("tsquery",)),
    ("jsonpath", "postgresql", ("jsonpath",)), ("pg_lsn", "postgresql", ("pg_lsn",)),
)
_LEXEME = re.compile(r"'((?:[^']|'')+)'(?::([0-9A-D,]+))?")
_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=>\s*(NULL|"((?:[^"\\]|\\.)*)")')


def fit(values: list[Any], sql_type: str, k: int) -> dict[str, Any]:
    name = type_name(sql_type)
    return {"type": name, **_FIT[name]([_text(v) for v in values], k)}


def _text(value: Any) -> str:
    """The value as PostgreSQL prints it (psycopg hands hstore over as a dict)."""
    if isinstance(value, dict):
        return ", ".join(f'"{_escape(k)}"=>' + ("NULL" if v is None else f'"{_escape(v)}"')
                         for k, v in value.items())
    return str(value)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def sample(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    return _SAMPLE[params["type"]](params, n, rng)


# -- money and pg_lsn: numbers written their own way ------------------------------------------
def _money_value(text: str) -> float:
    negative = text.startswith("-") or text.startswith("(")
    digits = re.sub(r"[^0-9.]", "", text)
    try:
        value = float(Decimal(digits or "0"))
    except InvalidOperation:
        value = 0.0
    return -value if negative else value


def _fit_money(values: list[str], k: int) -> dict[str, Any]:
    return {"amounts": grid(map(_money_value, values))}


def _sample_money(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    return [f"{x:.2f}" for x in draw(params["amounts"], n, rng)]


def _fit_lsn(values: list[str], k: int) -> dict[str, Any]:
    nums = [(int(a, 16) << 32) | int(b, 16) for a, b in (v.split("/") for v in values)]
    return {"lsn": grid(nums)}


def _sample_lsn(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    return [f"{int(x) >> 32:X}/{int(x) & 0xFFFFFFFF:X}" for x in draw(params["lsn"], n, rng)]


# -- xml ------------------------------------------------------------------------------------------
def _fit_xml(values: list[str], k: int) -> dict[str, Any]:
    roots, attrs, children, lengths = [], [], [], []
    for v in values:
        try:
            node = ET.fromstring(v)
        except ET.ParseError:
            continue
        roots.append(node.tag)
        attrs += [(node.tag, a) for a in node.attrib]
        children += [(node.tag, c.tag) for c in node]
        lengths.append(len("".join(node.itertext())))
    tags, probs = counts(roots, k)
    return {"roots": tags, "probs": probs,
            "attrs": {t: [a for (r, a), c in Counter(attrs).items() if r == t and c >= k]
                      for t in tags},
            "children": {t: [ch for (r, ch), c in Counter(children).items() if r == t and c >= k]
                         for t in tags},
            "lengths": grid(lengths)}


def _sample_xml(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    roots = choose(params["roots"] or ["x"], params["probs"] or [1.0], n, rng)
    texts = words(draw(params["lengths"] or [1.0], n, rng), rng)
    out = []
    for root, text in zip(roots, texts, strict=True):
        spaces: dict[str, str] = {}  # namespace URI -> prefix, declared on the root
        attrs = "".join(f' {_qname(a, spaces)}="{w}"' for a, w in zip(
            params["attrs"].get(root, []), words(np.full(8, 4.0), rng), strict=False))
        kids = [_qname(c, spaces) for c in params["children"].get(root, [])]
        body = "".join(f"<{c}>{text}</{c}>" for c in kids) if kids else text
        tag = _qname(root, spaces)
        declared = "".join(f' xmlns:{p}="{uri}"' for uri, p in spaces.items())
        out.append(f"<{tag}{declared}{attrs}>{body}</{tag}>")
    return out


def _qname(name: str, spaces: dict[str, str]) -> str:
    """ElementTree's `{uri}local` as `nsN:local` (its namespace declared once on the root);
    written as read, it is not XML (AdventureWorks' namespaced resumes failed the load)."""
    if not name.startswith("{"):
        return name
    uri, local = name[1:].split("}", 1)
    return f"{spaces.setdefault(uri, f'ns{len(spaces)}')}:{local}"


# -- hstore ---------------------------------------------------------------------------------------
def _fit_hstore(values: list[str], k: int) -> dict[str, Any]:
    docs = [_PAIR.findall(v) for v in values]
    keys = Counter(key for d in docs for key, _, _ in d)
    kept = [key for key, c in keys.most_common(200) if c >= k]
    per_key = {}
    for key in kept:
        vals = [val for d in docs for kk, raw, val in d if kk == key and raw != "NULL"]
        common, probs = counts(vals, k)
        per_key[key] = {"p": keys[key] / len(values), "values": common, "probs": probs,
                        "lengths": grid(map(len, vals)),
                        "null": share(raw == "NULL" for d in docs for kk, raw, _ in d
                                      if kk == key),
                        "kept": share(v in set(common) for v in vals)}
    return {"keys": per_key, "empty": share(not d for d in docs)}


def _sample_hstore(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    parts: list[list[str]] = [[] for _ in range(n)]
    for key, spec in params["keys"].items():
        present = rng.random(n) < spec["p"]
        fresh = words(draw(spec["lengths"] or [3.0], n, rng), rng)
        common = choose(spec["values"], spec["probs"], n, rng)
        use_common = rng.random(n) < spec["kept"]
        nulls = rng.random(n) < spec["null"]
        for i in np.flatnonzero(present).tolist():
            value = "NULL" if nulls[i] else '"' + (common[i] if use_common[i] and common[i]
                                                   is not None else fresh[i]) + '"'
            parts[i].append(f'"{key}"=>{value}')
    keys = list(params["keys"])
    if keys:  # rows the independent draws left empty, beyond the source's share of them
        weights = np.asarray([params["keys"][k]["p"] for k in keys], dtype=float)
        for i in range(n):
            if not parts[i] and rng.random() >= params.get("empty", 0.0):
                key = keys[int(rng.choice(len(keys), p=weights / weights.sum()))]
                parts[i].append(f'"{key}"=>"{words(np.full(1, 3.0), rng)[0]}"')
    return [", ".join(p) for p in parts]


# -- ltree ----------------------------------------------------------------------------------------
def _fit_ltree(values: list[str], k: int) -> dict[str, Any]:
    paths = [v.split(".") if v else [] for v in values]
    depth = max((len(p) for p in paths), default=0)
    levels = []
    for i in range(depth):
        labels = [p[i] for p in paths if len(p) > i]
        common, probs = counts(labels, k)
        levels.append({"values": common, "probs": probs, "lengths": grid(map(len, labels)),
                       "kept": share(lab in set(common) for lab in labels)})
    return {"depth": grid(map(len, paths)), "levels": levels}


def _sample_ltree(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    levels = params["levels"]
    depths = np.clip(np.round(draw(params["depth"], n, rng)).astype(int), 0, len(levels))
    columns = []
    for spec in levels:
        common = choose(spec["values"], spec["probs"], n, rng)
        fresh = letters(draw(spec["lengths"] or [3.0], n, rng), rng)
        keep = rng.random(n) < spec["kept"]
        columns.append([c if k and c is not None else f for c, f, k in
                        zip(common, fresh, keep.tolist(), strict=True)])
    return [".".join(col[i] for col in columns[:d]) for i, d in enumerate(depths.tolist())]


# -- text search ----------------------------------------------------------------------------------
def _fit_tsvector(values: list[str], k: int) -> dict[str, Any]:
    docs = [_LEXEME.findall(v) for v in values]
    held = Counter(lex for d in docs for lex in {lx for lx, _ in d})
    lexemes, probs = counts((lx for d in docs for lx, _ in d if held[lx] >= k), 1)
    all_lexemes = [lx for d in docs for lx, _ in d]
    return {"count": grid(map(len, docs)), "lexemes": lexemes, "probs": probs,
            "kept": share(held[lx] >= k for lx in all_lexemes),
            "lengths": grid(map(len, all_lexemes)),
            "positions": share(bool(p) for d in docs for _, p in d)}


def _sample_tsvector(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    sizes = np.maximum(np.round(draw(params["count"], n, rng)).astype(int), 0)
    total = int(sizes.sum())
    common = choose(params["lexemes"], params["probs"], total, rng)
    fresh = words(draw(params["lengths"] or [5.0], total, rng), rng)
    keep = rng.random(total) < params["kept"]
    pool = [c if k and c is not None else f for c, f, k in
            zip(common, fresh, keep.tolist(), strict=True)]
    out, at = [], 0
    for size in sizes.tolist():
        chosen = list(dict.fromkeys(pool[at:at + size]))
        at += size
        if params["positions"] >= 0.5:
            out.append(" ".join(f"'{lx}':{i + 1}" for i, lx in enumerate(chosen)))
        else:
            out.append(" ".join(f"'{lx}'" for lx in chosen))
    return out


def _fit_tsquery(values: list[str], k: int) -> dict[str, Any]:
    params = _fit_tsvector(values, k)
    params["or"] = share("|" in v for v in values)
    return params


def _sample_tsquery(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    vectors = _sample_tsvector({**params, "positions": 0.0}, n, rng)
    ors = rng.random(n) < params["or"]
    out = []
    for vec, use_or in zip(vectors, ors.tolist(), strict=True):
        terms = vec.split() or ["'x'"]
        out.append((" | " if use_or else " & ").join(terms))
    return out


# -- jsonpath -------------------------------------------------------------------------------------
def _fit_jsonpath(values: list[str], k: int) -> dict[str, Any]:
    common, probs = counts(values, k)
    keys, kprobs = counts((key for v in values for key in re.findall(r"\.(\w+)", v)), k)
    return {"values": common, "probs": probs, "kept": share(v in set(common) for v in values),
            "keys": keys, "kprobs": kprobs}


def _sample_jsonpath(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    common = choose(params["values"], params["probs"], n, rng)
    keys = choose(params["keys"], params["kprobs"], n, rng)
    keep = rng.random(n) < params["kept"]
    return [c if k and c is not None else f"$.{key or 'a'}" for c, key, k in
            zip(common, keys, keep.tolist(), strict=True)]


_FIT = {"money": _fit_money, "xml": _fit_xml, "hstore": _fit_hstore, "ltree": _fit_ltree,
        "tsvector": _fit_tsvector, "tsquery": _fit_tsquery, "jsonpath": _fit_jsonpath,
        "pg_lsn": _fit_lsn}
_SAMPLE = {"money": _sample_money, "xml": _sample_xml, "hstore": _sample_hstore,
           "ltree": _sample_ltree, "tsvector": _sample_tsvector, "tsquery": _sample_tsquery,
           "jsonpath": _sample_jsonpath, "pg_lsn": _sample_lsn}
