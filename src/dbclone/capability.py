"""What becomes of each column, decided from the schema and the config alone, before any row is
read or written: generated (the synthesizer models its type), copied (the config's "keep",
or its table copied verbatim), set by the config (constant, null, a Faker provider, a
pattern), or refused.

A refused column stops the clone up front, naming table.column, its type, why, and the config
lines that resolve it: dbclone never empties a column it cannot synthesize.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from dbclone.config import Config
from dbclone.errors import SchemaError
from dbclone.schema import Column, Schema, Table
from dbclone.synth import types as typegen
from dbclone.synth.model import Model

GENERATED, COPIED, CONFIGURED, REFUSED = "generated", "copied", "configured", "refused"


@dataclass(frozen=True)
class Verdict:
    table: str
    column: str
    sql_type: str
    outcome: str
    #: Why a column is refused (empty otherwise).
    why: str = ""


def _other(schema: Schema, col: Column) -> str:
    return typegen.why_not(schema, col)


_ELEMENT_KINDS = re.compile(
    r"(?i)^(small|big)?int(eger|2|4|8)?|(var)?char|character( varying)?|text|citext|uuid|"
    r"numeric|decimal|real|double precision|float\d?|boolean|bool|date|"
    r"timestamp( with(out)? time zone)?|time( with(out)? time zone)?|json|jsonb")


def _array(schema: Schema, col: Column) -> str:
    if typegen.family_for(schema, col) == "array":  # elements of a type family or a record
        return ""
    element = re.sub(r"(\[\d*\])+$", "", typegen.base_type(schema, col)).strip()
    element = re.sub(r"\(.*\)", "", element).strip()
    if _ELEMENT_KINDS.fullmatch(element) or element.strip('"') in {e.name for e in schema.enums}:
        return ""
    return f"arrays of {element} are not generated"


#: kind -> the reason a column of that kind cannot be generated ("" when it can).
_CHECKS: dict[str, Callable[[Schema, Column], str]] = {
    "other": _other, "mixed": _other, "array": _array,
}


def decide(schema: Schema, config: Config | None = None) -> tuple[Verdict, ...]:
    """A verdict for every column of every table the clone will hold."""
    out = []
    for table in schema.tables:
        for col in table.columns:
            out.append(_verdict(schema, table, col, config))
    return tuple(out)


def _verdict(schema: Schema, table: Table, col: Column, config: Config | None) -> Verdict:
    def verdict(outcome: str, why: str = "") -> Verdict:
        return Verdict(table.name, col.name, col.sql_type, outcome, why)

    if col.computed:
        return verdict(GENERATED)  # the database computes it
    if config is not None and table.name in config.verbatim:
        return verdict(COPIED)
    override = config.tables.get(table.name) if config is not None else None
    chosen = override.columns.get(col.name) if override is not None else None
    if chosen is not None and chosen.kind == "keep":
        return verdict(COPIED)
    if chosen is not None and chosen.kind not in ("id", "number"):
        return verdict(CONFIGURED)
    why = _CHECKS.get(col.kind, lambda s, c: "")(schema, col)
    return verdict(REFUSED, why) if why else verdict(GENERATED)


def require(schema: Schema, config: Config | None = None) -> None:
    """Raise `SchemaError` naming every column that would be refused, with the fix."""
    refused = [v for v in decide(schema, config) if v.outcome == REFUSED]
    if refused:
        _raise(schema, refused)


def require_model(model: Model) -> None:
    """Raise `SchemaError` for the columns the fit found it cannot generate from what their
    rows hold (a multi-dimensional array in an int[] column: every row came out '{}'), that
    the config did not set; before anything is written."""
    from dbclone.synth.columns.other import REFUSED_MARK

    refused = [Verdict(t.name, c.name, model.schema.table(t.name).column(c.name).sql_type,
                       REFUSED, c.reason.removeprefix(REFUSED_MARK))
               for t in model.tables for c in t.columns
               if (c.reason or "").startswith(REFUSED_MARK)]
    if refused:
        _raise(model.schema, refused)


def _raise(schema: Schema, refused: list[Verdict]) -> None:
    shown = "; ".join(_advice(schema, v) for v in refused[:6])
    more = f"; and {len(refused) - 6} more" if len(refused) > 6 else ""
    raise SchemaError(
        f"cannot synthesize {len(refused)} column(s), nothing was written: {shown}{more}. "
        "Put the lines in a config file given with --config (\"keep\" copies the source's "
        "values: only for data that is not personal)")


def _advice(schema: Schema, v: Verdict) -> str:
    table = schema.table(v.table)
    col = table.column(v.column)
    where = f"{v.table}.{v.column} ({v.sql_type}: {v.why})"
    keys = set(table.primary_key) | {c for fk in table.foreign_keys for c in fk.columns}
    if v.column in keys:
        return (f"{where} is a key: copy the table with verbatim = [\"{v.table}\"] or leave "
                f"it out with exclude = [\"{v.table}\"]")
    choices = ['"keep"', '{ constant = "..." }'] + (['"null"'] if col.nullable else [])
    return f"{where}: under [tables.{_toml_key(v.table)}.columns] set " \
           f"{_toml_key(v.column)} = {' or '.join(choices)}"


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else '"' + name.replace('"', '\\"') + '"'


__all__ = ["COPIED", "CONFIGURED", "GENERATED", "REFUSED", "Verdict", "decide", "require",
           "require_model"]
