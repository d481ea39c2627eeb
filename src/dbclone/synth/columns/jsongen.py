"""JSON documents: learn their structure (keys, types, nesting, array lengths) and generate new
documents with that structure and synthetic values.

A key is kept only when at least k documents have it, and a string value only when at least k
documents share it; other strings become words of a similar length. The summary is plain JSON.
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
    return node


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
    return "".join(_LETTERS[int(i)] for i in rng.integers(0, 26, size))


def _draw(quantiles: list[float], rng: np.random.Generator) -> float:
    grid = np.linspace(0, 1, len(quantiles))
    return float(np.interp(rng.random(), grid, quantiles))
