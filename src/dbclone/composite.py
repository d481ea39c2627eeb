"""PostgreSQL composite-type columns (and domains over composite types): no column synthesizer
generates a record yet, so a clone that holds one is refused before anything is read or
written, naming table.column, its type and the config lines that resolve it. Never a column
left NULL in silence."""

from __future__ import annotations

import re

from dbclone.config import Config
from dbclone.errors import SchemaError
from dbclone.schema import Column, Schema, Table


def _names(schema: Schema) -> set[str]:
    """Every spelling a column's type may use for a composite: bare and schema-qualified."""
    out = set()
    for c in schema.composites:
        out.add(c.name)
        if c.schema:
            out.add(f"{c.schema}.{c.name}")
    return out


def _base(schema: Schema, sql_type: str) -> str:
    """The type under domains (domains over domains included), quotes left out."""
    domains = {d.name: d.base_type for d in schema.domains}
    domains |= {f"{d.schema}.{d.name}": d.base_type for d in schema.domains if d.schema}
    seen: set[str] = set()
    name = sql_type.replace('"', "")
    while name in domains and name not in seen:
        seen.add(name)
        name = domains[name].replace('"', "")
    return name


def composite_columns(schema: Schema) -> list[tuple[Table, Column]]:
    names = _names(schema)
    return [(t, c) for t in schema.tables for c in t.columns
            if not c.computed and _base(schema, c.sql_type) in names]


def _resolved(config: Config | None, table: Table, col: Column) -> bool:
    if config is None:
        return False
    if table.name in config.verbatim:
        return True
    chosen = config.tables.get(table.name)
    override = chosen.columns.get(col.name) if chosen is not None else None
    return override is not None and override.kind not in ("id", "number")


def require_resolved(schema: Schema, config: Config | None) -> None:
    """Raise `SchemaError` naming every composite column the config does not set."""
    open_ = [(t, c) for t, c in composite_columns(schema) if not _resolved(config, t, c)]
    if not open_:
        return
    shown = "; ".join(_advice(t, c) for t, c in open_[:6])
    more = f"; and {len(open_) - 6} more" if len(open_) > 6 else ""
    raise SchemaError(
        f"cannot synthesize {len(open_)} column(s) of a composite type, nothing was written: "
        f"{shown}{more}. Put the lines in a config file given with --config (\"keep\" copies "
        "the source's values: only for data that is not personal)")


def _advice(table: Table, col: Column) -> str:
    choices = ['"keep"', '{ constant = "(...)" }'] + (['"null"'] if col.nullable else [])
    return (f"{table.name}.{col.name} ({col.sql_type}: a composite type, not generated yet): "
            f"under [tables.{_toml(table.name)}.columns] set {_toml(col.name)} = "
            f"{' or '.join(choices)}")


def _toml(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else '"' + name.replace('"', '\\"') + '"'
