"""The words `dbclone inspect --relations` uses for each rule a fit found in a table's rows
(`TableModel.rules`): one line per rule, naming its columns and, where short, its figures.
Values of the source are never printed (a flag's categories are the model's own, kept k).
"""

from __future__ import annotations

from collections.abc import Callable

from dbclone.semantic.rows import RowRule


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
    "window": lambda r: f"{r.columns[0]} is never before {r.params[0]}.{r.params[2]}"
                        + (f" nor after {r.params[0]}.{r.params[3]}" if r.params[3] else "")
                        + f" of its {r.columns[1]}",
}


def describe(rule: RowRule) -> str:
    words = _WORDS.get(rule.kind)
    return words(rule) if words else f"{rule.kind} on {', '.join(rule.columns)}"
