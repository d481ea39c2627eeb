"""Column synthesizers for the types the copula has no kind for: one module per family of
types (geometric, network, bit strings, ranges, text-like PostgreSQL types, MariaDB spatial,
SQLite columns of mixed storage classes), PostgreSQL composite types, whose fields are
each generated as their type asks (`composite`), and arrays of any of these (`arrays`).

Each family learns a small summary from a column's non-NULL values (`fit`: plain JSON, no
source value that fewer than k rows hold) and makes `n` new values from it (`sample`), in the
form the target's loader accepts (PostgreSQL text literals, MariaDB's internal geometry
bytes). `family_for` says which family, if any, generates a column, `why_not` why none does;
`capability` refuses the columns no family generates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from dbclone.schema import Column, Schema
from dbclone.synth.types import (
    arrays,
    bits,
    composite,
    geometric,
    mixed,
    network,
    ranges,
    spatial,
    textlike,
)
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


def _no_fit(values: list[Any], sql_type: str, k: int) -> dict[str, Any]:
    raise TypeError("a composite column is fitted by fit_column, which knows its schema")


FAMILIES["composite"] = Family(
    "composite", _no_fit, lambda params, n, rng: composite.sample(params, n, rng, sample))
FAMILIES["array"] = Family(
    "array", _no_fit, lambda params, n, rng: arrays.sample(params, n, rng, _sample_element))


def _sample_element(params: dict[str, Any], n: int, rng: np.random.Generator) -> list[Any]:
    return sample(params["family"], params["params"], n, rng)


def base_type(schema: Schema, col: Column) -> str:
    """The column's type, under its domain (domains over domains included)."""
    return composite.resolve(schema, col.sql_type)


def family_of(dialect: str, sql_type: str, kind: str) -> str | None:
    """The family generating a column of this type, or None."""
    if kind == "mixed":
        return "mixed"
    return _BY_TYPE.get((dialect, type_name(sql_type)))


def family_for(schema: Schema, col: Column) -> str | None:
    """The family generating this column (a composite type's included), or None."""
    sql_type = base_type(schema, col)
    element = arrays.element_type(sql_type)
    if element is not None:
        return "array" if _element_family(schema, element) else None
    if composite.attributes(schema, sql_type) is not None:
        return "composite" if not why_not(schema, col) else None
    return family_of(schema.dialect, sql_type, col.kind)


def _element_family(schema: Schema, element: str) -> str | None:
    """The family generating an array's elements (a composite's when its fields all are)."""
    if composite.attributes(schema, element) is not None:
        inner = composite.unsupported(schema, element, _scalar_family(schema))
        return None if inner else "composite"
    return _scalar_family(schema)(composite.resolve(schema, element))


def why_not(schema: Schema, col: Column) -> str:
    """Why no family generates this column ("" when one does)."""
    sql_type = base_type(schema, col)
    element = arrays.element_type(sql_type)
    if element is not None and composite.attributes(schema, element) is not None:
        inner = composite.unsupported(schema, element, _scalar_family(schema))
        return f"arrays of a composite type whose {inner.removeprefix('its ')}" if inner else ""
    if element is not None:
        return "" if _element_family(schema, element) else f"arrays of {element} are not generated"
    if composite.attributes(schema, sql_type) is not None:
        inner = composite.unsupported(schema, sql_type, _scalar_family(schema))
        return f"a composite type whose {inner.removeprefix('its ')}" if inner else ""
    if family_of(schema.dialect, sql_type, col.kind):
        return ""
    return "dbclone has no generator for this type"


def _scalar_family(schema: Schema) -> Callable[[str], str | None]:
    return lambda sql_type: _BY_TYPE.get((schema.dialect, type_name(sql_type)))


def fit_column(schema: Schema, col: Column, values: list[Any],
               k: int) -> tuple[str, dict[str, Any]]:
    """(family, summary) of a column `family_for` names."""
    sql_type = base_type(schema, col)
    family = family_for(schema, col)
    if family == "composite":
        return family, composite.fit(schema, sql_type, values, k, _scalar_family(schema), fit)
    if family == "array":
        element = str(arrays.element_type(sql_type))
        return family, arrays.fit(values, element, k,
                                  lambda items: _fit_element(schema, element, items, k))
    assert family is not None
    return family, fit(family, values, sql_type, k)


def _fit_element(schema: Schema, element: str, items: list[Any], k: int) -> dict[str, Any]:
    family = str(_element_family(schema, element))
    resolved = composite.resolve(schema, element)
    if family == "composite":
        params = composite.fit(schema, resolved, items, k, _scalar_family(schema), fit)
    else:
        params = fit(family, items, resolved, k)
    return {"family": family, "params": params}


def fit(family: str, values: list[Any], sql_type: str, k: int) -> dict[str, Any]:
    return FAMILIES[family].fit(values, sql_type, k)


def sample(family: str, params: dict[str, Any], n: int,
           rng: np.random.Generator) -> list[Any]:
    return FAMILIES[family].sample(params, n, rng)


__all__ = ["FAMILIES", "Family", "base_type", "family_for", "family_of", "fit", "fit_column",
           "sample", "type_name", "why_not"]
