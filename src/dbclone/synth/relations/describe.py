"""The words `dbclone inspect --relations` uses for each rule a fit found in a table's rows
(`TableModel.rules`): one line per rule, naming its columns and, where short, its figures.
Values of the source are never printed (a flag's categories are the model's own, kept k).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from dbclone.schema import Schema, Table
from dbclone.semantic.rows import RowRule
from dbclone.synth.model import TableModel
from dbclone.synth.relations import ancestors


def _side(pairs: object) -> str:
    return "/".join(str(v) for v, _ in pairs)  # type: ignore[attr-defined]


_WORDS: dict[str, Callable[[RowRule], str]] = {
    "gender_name": lambda r: f"{r.columns[1]} agrees with the first name in {r.columns[0]}",
    "gender_pnr": lambda r: f"the gender digit of {r.columns[0]} agrees with {r.columns[1]}",
    "place_country": lambda r: f"{r.columns[0]} is a place of the row's {r.columns[1]}",
    "product": lambda r: f"{r.columns[0]} = {r.columns[1]} x {r.columns[2]}",
    "sum": lambda r: f"{r.columns[0]} = {r.columns[1]} + {r.columns[2]}",
    "difference": lambda r: f"{r.columns[0]} = {r.columns[1]} - {r.columns[2]}",
    "counter": lambda r: f"{r.columns[0]} counts 1..n within each {r.columns[1]}",
    "threshold": lambda r: f"{r.columns[0]} is decided by {r.columns[1]} below or above a "
                           "threshold",
    "mapping": lambda r: f"{r.columns[0]} is decided by {r.columns[1]}",
    "split": lambda r: f"{r.columns[0]} is {_side(r.params[1])} up to a threshold of "
                       f"{r.columns[1]}, {_side(r.params[2])} after it",
    "null_flag": lambda r: f"{r.columns[0]} is {_side(r.params[0])} exactly where "
                           f"{r.columns[1]} is NULL",
    "null_by_flag": lambda r: f"{r.columns[0]} is NULL exactly where {r.columns[1]} is "
                              f"{_side(r.params[0])}",
    "chain": lambda r: f"({r.columns[0]}, {r.columns[1]}) periods of one {r.columns[2]} "
                       "follow one another, never overlapping",
    "serial": lambda r: f"{r.columns[0]} grows with {r.columns[1]} (rank correlation "
                        f"{r.params[0]})",
    "flagset": lambda r: f"{r.columns[0]} is decided by the set of {r.params[0]}."
                         f"{r.params[2]} of its {r.params[0]} rows",
    "span": lambda r: f"the periods of one {r.columns[2]} span what its {r.params[0]} "
                      f"periods span ({r.params[2]} to {r.params[3]})",
    "clock": lambda r: f"the periods of one {r.columns[2]} last as long as its "
                       f"{r.params[0].lstrip('#').split('.')[0]} rows count periods"
                       + (", open ones up to the latest start" if r.params[4:5] == (True,)
                          else ""),
    "parent_null": lambda r: f"{r.columns[0]} is NULL where {r.columns[1]}'s "
                             f"{r.params[0]}.{r.params[2]} says so",
    "family_values": lambda r: f"{r.columns[0]} repeats within each {r.columns[1]}'s "
                               "rows as in the source (few distinct values per family)",
    "window": lambda r: f"{r.columns[0]} is never before {r.params[0]}.{r.params[2]}"
                        + (f" nor after {r.params[0]}.{r.params[3]}" if r.params[3] else "")
                        + f" of its {r.columns[1]}",
}


def describe(rule: RowRule, schema: Schema | None = None, table: Table | None = None) -> str:
    """One line for the rule; with the schema and the rule's table, an operand reached
    through FKs is named by its table (``part.price (through offer)``), else by its path."""
    if schema is not None and table is not None and any(map(ancestors.is_path, rule.columns)):
        operands = [ancestors.describe(schema, table, c) if ancestors.is_path(c) else c
                    for c in rule.columns[1:]]
        if rule.kind in ("product", "sum"):  # commutative: the row's own number first
            operands.sort(key=lambda c: "(" in c or "." in c)
        rule = dataclasses.replace(rule, columns=(rule.columns[0], *operands))
    words = _WORDS.get(rule.kind)
    return words(rule) if words else f"{rule.kind} on {', '.join(rule.columns)}"


def _term(how: tuple[str, ...]) -> str:
    """A derived aggregate's term per child: ``a x (1 + b) x (1 - c)``."""
    if how[0] == "count":
        return ""
    if how[0] == "sum":
        return how[1]
    if how[0].startswith("sum_rated:"):
        signs = how[0].split(":", 1)[1]
        return " x ".join([how[1], *(f"(1 {s} {c})" for s, c in zip(signs, how[2:],
                                                                   strict=True))])
    return " x ".join(how[1:])


def describe_derived(tm: TableModel) -> list[str]:
    """One line per column recomputed from its children (`relations.derived`)."""
    out = []
    for cm in tm.columns:
        if not cm.derived:
            continue
        child, how = cm.derived[0], cm.derived[2:]
        term = _term(how)
        out.append(f"{cm.name} = the number of its {child} rows" if not term else
                   f"{cm.name} = sum over {child} of {term}")
    return out
