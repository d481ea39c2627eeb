"""JSON documents: learn their structure (keys, types, nesting, array lengths) and generate new
documents with that structure and synthetic values.

A key is kept only when at least k documents have it, and a string value only when at least k
documents share it; other strings become new ones of a similar length made of the same classes
of characters (capitals, small letters, digits, spaces). The summary is plain JSON.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np

MAX_DEPTH = 6
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def parse(value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def summarise(docs: list[Any], k: int, depth: int = 0) -> dict[str, Any]:
    """The structure of `docs` (all values found at one path)."""
    kinds = Counter(_kind(d) for d in docs)
    if not docs:
        return {"type": "null"}
    kind, _ = kinds.most_common(1)[0]
    same = [d for d in docs if _kind(d) == kind]
    node: dict[str, Any] = {"type": kind, "null": kinds.get("null", 0) / len(docs)}
    if kind == "object" and depth < MAX_DEPTH:
        counts = Counter(key for d in same for key in d)
        node["keys"] = {key: {"p": c / len(same),
                              "node": summarise([d[key] for d in same if key in d], k, depth + 1)}
                        for key, c in counts.most_common(200) if c >= k}
    elif kind == "array" and depth < MAX_DEPTH:
        node["lengths"] = _quantiles([len(d) for d in same])
        node["item"] = summarise([x for d in same for x in d], k, depth + 1)
    elif kind == "number":
        node["quantiles"] = _quantiles([float(d) for d in same])
        node["integer"] = all(isinstance(d, int) for d in same)
    elif kind == "bool":
        node["p"] = sum(1 for d in same if d) / len(same)
    elif kind == "string":
        common = [(v, c) for v, c in Counter(same).most_common(100) if c >= k]
        node["values"] = [v for v, _ in common]
        node["probs"] = [c / len(same) for _, c in common]
        node["lengths"] = _quantiles([len(s) for s in same])
        node["chars"] = _char_classes(same)
    return node


#: Character classes of a string leaf: what its uncommon values are made of.
_CLASSES = {"upper": str.isupper, "lower": str.islower, "digit": str.isdigit,
            "space": str.isspace}
_HEX = set("abcdefABCDEF0123456789")


def _char_classes(strings: list[str]) -> dict[str, Any]:
    """Shares of upper, lower, digit and space characters over all the strings, whether
    every string is hexadecimal and whether its words start in capitals: a country code
    (ABW), an object id (00005de917d8...) and a head of state (Beatrix) then come out as
    such, not as the same run of small letters ("auf", "bizebvg...", "empfafflrg")."""
    text = "".join(strings)
    if not text:
        return {}
    out: dict[str, Any] = {name: sum(map(test, text)) / len(text)
                           for name, test in _CLASSES.items()}
    out["hex"] = all(set(v) <= _HEX for v in strings)
    starts = [w[0] for v in strings for w in v.split() if w[0].isalpha()]
    capitals = sum(c.isupper() for c in starts)
    out["title"] = bool(starts) and capitals >= TITLE_SHARE * len(starts)
    if out["title"]:  # capitals inside words only: the words' own are put back after
        out["upper"] = max(0.0, out["upper"] - capitals / len(text))
    return out


#: Share of words starting in a capital above which a leaf's words are written so.
TITLE_SHARE = 0.8


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"


def _quantiles(values: list[float]) -> list[float]:
    if not values:
        return [0.0, 0.0]
    size = int(np.clip(len(values) // 5, 11, 101))
    return [float(q) for q in np.quantile(np.asarray(values, dtype=float),
                                          np.linspace(0, 1, size))]


def generate(node: dict[str, Any], rng: np.random.Generator) -> Any:
    """One synthetic value with the structure `node` describes."""
    if node.get("null", 0) and rng.random() < node["null"]:
        return None
    kind = node["type"]
    if kind == "object":
        return {key: generate(sub["node"], rng) for key, sub in node.get("keys", {}).items()
                if rng.random() < sub["p"]}
    if kind == "array":
        size = int(round(_draw(node["lengths"], rng)))
        return [generate(node["item"], rng) for _ in range(max(size, 0))]
    if kind == "number":
        x = _draw(node["quantiles"], rng)
        return int(round(x)) if node.get("integer") else round(x, 6)
    if kind == "bool":
        return bool(rng.random() < node["p"])
    if kind == "string":
        return _string(node, rng)
    return None


def _string(node: dict[str, Any], rng: np.random.Generator) -> str:
    share = float(sum(node.get("probs", [])))
    if node.get("values") and rng.random() < share:
        p = np.asarray(node["probs"], dtype=float)
        return str(node["values"][int(rng.choice(len(p), p=p / p.sum()))])
    size = max(int(round(_draw(node.get("lengths", [5, 5]), rng))), 1)
    chars = node.get("chars")
    if not chars:  # a model written before character classes were kept
        return "".join(_LETTERS[int(i)] for i in rng.integers(0, 26, size))
    return _of_classes(chars, size, rng)


def _of_classes(chars: dict[str, Any], size: int, rng: np.random.Generator) -> str:
    letters = "abcdef" if chars.get("hex") else _LETTERS
    pools = {"upper": letters.upper(), "lower": letters, "digit": "0123456789", "space": " "}
    names = [n for n in pools if chars.get(n, 0) > 0]
    if not names:
        return "".join(_LETTERS[int(i)] for i in rng.integers(0, 26, size))
    p = np.asarray([chars[n] for n in names], dtype=float)
    picks = rng.choice(len(names), size, p=p / p.sum())
    out = [pools[names[i]][int(rng.integers(0, len(pools[names[i]])))] for i in picks]
    text = " ".join("".join(out).split()) or letters[0]
    if chars.get("title"):
        text = " ".join(w[:1].upper() + w[1:] for w in text.split())
    return text


def _draw(quantiles: list[float], rng: np.random.Generator) -> float:
    grid = np.linspace(0, 1, len(quantiles))
    return float(np.interp(rng.random(), grid, quantiles))
