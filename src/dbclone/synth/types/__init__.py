"""Column synthesizers for the types the copula has no kind for: one module per family of
types (geometric, network, bit strings, ranges, text-like PostgreSQL types, MariaDB spatial,
SQLite columns of mixed storage classes).

Each family learns a small summary from a column's non-NULL values (`fit`: plain JSON, no
source value that fewer than k rows hold) and makes `n` new values from it (`sample`), in the
form the target's loader accepts (PostgreSQL text literals, MariaDB's internal geometry
bytes). `family_of` says which family, if any, generates a column; `capability` refuses the
columns no family generates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from dbclone.schema import Column, Schema
from dbclone.synth.types import bits, geometric, mixed, network, ranges, spatial, textlike
from dbclone.synth.types._common import type_name


@dataclass(frozen=True)
class Family:
    name: str
    fit: Callable[[list[Any], str, int], dict[str, Any]]
    sample: Callable[[dict[str, Any], int, np.random.Generator], list[Any]]


_MODULES = (geometric, network, bits, ranges, textlike, spatial, mixed)
#: (dialect, type name without its modifiers) -> family name; see each module's TYPES.
_BY_TYPE: dict[tuple[str, str], str] = {
    (dialect, tname): family
    for module in _MODULES for family, dialect, names in module.TYPES for tname in names}
FAMILIES: dict[str, Family] = {
    family: Family(family, module.fit, module.sample)
    for module in _MODULES for family, _, _ in module.TYPES}


def base_type(schema: Schema, col: Column) -> str:
    """The column's type, under its domain (domains over domains included)."""
    domains = {d.name: d.base_type for d in schema.domains}
    sql_type, seen = col.sql_type, set()
    while sql_type.strip('"') in domains and sql_type not in seen:
        seen.add(sql_type)
        sql_type = domains[sql_type.strip('"')]
    return sql_type


def family_of(dialect: str, sql_type: str, kind: str) -> str | None:
    """The family generating a column of this type, or None."""
    if kind == "mixed":
        return "mixed"
    return _BY_TYPE.get((dialect, type_name(sql_type)))


def fit(family: str, values: list[Any], sql_type: str, k: int) -> dict[str, Any]:
    return FAMILIES[family].fit(values, sql_type, k)


def sample(family: str, params: dict[str, Any], n: int,
           rng: np.random.Generator) -> list[Any]:
    return FAMILIES[family].sample(params, n, rng)


__all__ = ["FAMILIES", "Family", "base_type", "family_of", "fit", "sample", "type_name"]
