"""The TOML config file (`--config FILE`): what users always end up needing to say.

```toml
locale = "sv_SE"                 # Faker locale for personal data
rare_threshold = 10              # categories seen fewer times are never reproduced
exclude = ["audit_log"]          # tables left out of the clone
verbatim = ["country"]           # tables copied as they are (lookups, no personal data)

[tables.customer]
rows = 5000                      # or: scale = 0.5 (relative to the source)

[tables.customer.columns]
email = { faker = "email" }      # a Faker provider
status = { constant = "active" }
notes = "null"
code = { pattern = "AA-9999" }   # 9 digit, A upper-case letter, a lower-case letter
country_code = "keep"            # the source's values and shares, rare ones included
track_id = "id"                  # an id of rows elsewhere (soft key): reuse kept, ids new
score_id = "number"              # not a soft key, whatever its name: modelled as a number
```

Unknown keys, tables, columns and providers are errors that name them, with a "did you mean".
`load_config` checks the file's shape; `check_against` checks names against a schema; the
`apply_*` functions turn the config into fit options, a filtered schema and model changes.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy.engine import Engine

from dbclone.dialects import dialect_for
from dbclone.errors import UsageError
from dbclone.schema import Schema, Table
from dbclone.synth.context import FitOptions
from dbclone.synth.model import ColumnModel, Model

#: Faker providers a column can be given (those dbclone's generator knows).
PROVIDERS = ("bank_account", "city", "company", "country", "email", "first_name", "full_name",
             "iban", "ipv4", "job", "last_name", "personnummer", "phone", "postcode",
             "sentence", "state", "street_address", "user_name", "word")
_TOP_KEYS = ("locale", "rare_threshold", "exclude", "verbatim", "tables")
_TABLE_KEYS = ("rows", "scale", "columns")
_KINDS = ("faker", "constant", "pattern", "null", "keep", "id", "number")


@dataclass(frozen=True)
class ColumnOverride:
    """How one column is generated instead of what the model learned."""

    kind: str  # faker | constant | pattern | null | keep | id | number
    value: Any = None


@dataclass(frozen=True)
class TableConfig:
    rows: int | None = None
    scale: float | None = None
    columns: Mapping[str, ColumnOverride] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    locale: str | None = None
    rare_threshold: int | None = None
    exclude: tuple[str, ...] = ()
    verbatim: tuple[str, ...] = ()
    tables: Mapping[str, TableConfig] = field(default_factory=dict)
    source: str = "config"


def load_config(path: str | Path) -> Config:
    """Read and check a config file (its shape; names are checked against a schema later)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"config file {str(path)!r} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
    return parse_config(data, str(path))


def parse_config(data: Mapping[str, Any], source: str = "config") -> Config:
    _known(data, _TOP_KEYS, f"{source}: unknown key")
    tables = data.get("tables", {})
    _expect(tables, dict, f"{source}: [tables]", "a table of tables")
    return Config(
        locale=_opt(data, "locale", str, source),
        rare_threshold=_positive_int(data, "rare_threshold", source),
        exclude=_names(data, "exclude", source),
        verbatim=_names(data, "verbatim", source),
        tables={name: _table(body, f"{source}: [tables.{name}]")
                for name, body in tables.items()},
        source=source)


def _table(body: Any, where: str) -> TableConfig:
    _expect(body, dict, where, "a table")
    _known(body, _TABLE_KEYS, f"{where}: unknown key")
    if "rows" in body and "scale" in body:
        raise UsageError(f"{where}: give rows or scale, not both")
    scale = body.get("scale")
    if scale is not None and (not isinstance(scale, int | float) or isinstance(scale, bool)
                              or scale <= 0):
        raise UsageError(f"{where}: scale must be a positive number, not {scale!r}")
    columns = body.get("columns", {})
    _expect(columns, dict, f"{where} columns", "a table of column overrides")
    return TableConfig(rows=_non_negative_int(body, "rows", where),
                       scale=float(scale) if scale is not None else None,
                       columns={c: _override(v, f"{where} column {c!r}")
                                for c, v in columns.items()})


def _override(value: Any, where: str) -> ColumnOverride:
    if value in ("null", "keep", "id", "number"):
        return ColumnOverride(value)
    if isinstance(value, str):
        raise UsageError(f"{where}: unknown override {value!r}{_hint(value, _KINDS)}; use "
                         '"null", "keep", "id", "number" or { faker = ... }, '
                         "{ constant = ... }, { pattern = ... }")
    _expect(value, dict, where, 'one of "null", "keep", "id", "number", '
                                "{ faker | constant | pattern = ... }")
    if len(value) != 1:
        raise UsageError(f"{where}: give exactly one of faker, constant, pattern")
    (kind, arg), = value.items()
    _known({kind: arg}, ("faker", "constant", "pattern"), f"{where}: unknown override")
    if kind == "faker":
        if arg not in PROVIDERS:
            raise UsageError(f"{where}: unknown Faker provider {arg!r}{_hint(str(arg), PROVIDERS)}"
                             f"; known: {', '.join(PROVIDERS)}")
    elif kind == "pattern" and (not isinstance(arg, str) or not arg):
        raise UsageError(f"{where}: pattern must be a non-empty string like \"AA-9999\"")
    elif kind == "constant" and isinstance(arg, dict | list):
        raise UsageError(f"{where}: constant must be a single value, not {type(arg).__name__}")
    return ColumnOverride(kind, arg)


# -- small checks ------------------------------------------------------------------------------

def _hint(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _known(data: Mapping[str, Any], keys: Iterable[str], what: str) -> None:
    for key in data:
        if key not in keys:
            raise UsageError(f"{what} {key!r}{_hint(key, keys)}; known: {', '.join(keys)}")


def _expect(value: Any, typ: type, where: str, what: str) -> None:
    if not isinstance(value, typ):
        raise UsageError(f"{where} must be {what}, not {value!r}")


def _opt(data: Mapping[str, Any], key: str, typ: type, where: str) -> Any:
    value = data.get(key)
    if value is not None:
        _expect(value, typ, f"{where}: {key}", f"a {typ.__name__}")
    return value


def _positive_int(data: Mapping[str, Any], key: str, where: str) -> int | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                              or value < 1):
        raise UsageError(f"{where}: {key} must be a positive integer, not {value!r}")
    return value


def _non_negative_int(data: Mapping[str, Any], key: str, where: str) -> int | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                              or value < 0):
        raise UsageError(f"{where}: {key} must be a whole number of rows, not {value!r}")
    return value


def _names(data: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where}: {key} must be a list of table names, not {value!r}")
    return tuple(value)


# -- against a schema --------------------------------------------------------------------------

def check_against(config: Config, schema: Schema) -> None:
    """Every table and column the config names exists; exclusions leave no dangling FK."""
    names = [t.name for t in schema.tables]
    for name in (*config.exclude, *config.verbatim, *config.tables):
        if name not in names:
            raise UsageError(f"{config.source}: unknown table {name!r}{_hint(name, names)}")
    for name, tc in config.tables.items():
        table = schema.table(name)
        for col, override in tc.columns.items():
            _check_column(config, table, col, override)
    excluded = set(config.exclude)
    for table in schema.tables:
        for fk in table.foreign_keys:
            if table.name not in excluded and fk.ref_table in excluded:
                raise UsageError(
                    f"{config.source}: table {table.name!r} references excluded table "
                    f"{fk.ref_table!r}; exclude {table.name!r} too, or keep {fk.ref_table!r}")
    for name in config.verbatim:
        refs = {fk.ref_table for fk in schema.table(name).foreign_keys} - set(config.verbatim)
        if refs:
            raise UsageError(f"{config.source}: verbatim table {name!r} references "
                             f"{', '.join(sorted(refs))}, which are generated; copy them "
                             "verbatim too, or generate this table")


def _check_column(config: Config, table: Table, col: str, override: ColumnOverride) -> None:
    cols = list(table.column_names)
    if col not in cols:
        raise UsageError(f"{config.source}: unknown column {table.name}.{col}{_hint(col, cols)}")
    keys = set(table.primary_key) | {c for fk in table.foreign_keys for c in fk.columns}
    if col in keys:
        raise UsageError(f"{config.source}: {table.name}.{col} is a key; keys are generated "
                         "and cannot be overridden")
    if override.kind == "id" and table.column(col).kind != "integer" and not (
            table.column(col).kind == "decimal" and not table.column(col).scale):
        raise UsageError(f"{config.source}: {table.name}.{col} is "
                         f"{table.column(col).sql_type}, not an integer; \"id\" (a soft key) "
                         "needs integer ids")
    if override.kind == "null" and not table.column(col).nullable:
        raise UsageError(f"{config.source}: {table.name}.{col} is NOT NULL; give it a "
                         "constant instead of null")
    if override.kind == "constant" and any(col in u for u in table.unique_sets()):
        raise UsageError(f"{config.source}: {table.name}.{col} is UNIQUE; a constant would "
                         "break it, use faker or pattern")


# -- applying ------------------------------------------------------------------------------------

def filter_schema(config: Config, schema: Schema) -> Schema:
    """The schema without the excluded tables."""
    if not config.exclude:
        return schema
    keep = tuple(t for t in schema.tables if t.name not in config.exclude)
    return dataclasses.replace(schema, tables=keep)


def apply_columns(config: Config, model: Model,
                  kept: Mapping[tuple[str, str], ColumnModel] | None = None) -> Model:
    """The model with the config's column overrides; `kept` holds the source's value
    frequencies of "keep" columns (read by the caller, who has the source)."""
    if not any(tc.columns for tc in config.tables.values()):
        return model
    tables = []
    for tm in model.tables:
        overrides = config.tables.get(tm.name, TableConfig()).columns
        cols = tuple(_override_column(cm, overrides[cm.name], (kept or {}).get((tm.name, cm.name)))
                     if cm.name in overrides else cm for cm in tm.columns)
        tables.append(dataclasses.replace(tm, columns=cols))
    return dataclasses.replace(model, tables=tuple(tables))


def _override_column(cm: ColumnModel, o: ColumnOverride, kept: ColumnModel | None) -> ColumnModel:
    why = "set in the config file"
    if o.kind == "faker":
        return ColumnModel(cm.name, "pii", pii=str(o.value), lengths=cm.lengths, reason=why)
    if o.kind == "constant":
        return ColumnModel(cm.name, "categorical", values=(o.value,), probs=(1.0,), reason=why)
    if o.kind == "pattern":
        template = "".join(ch if ch in "9Aa" else "\\" + ch for ch in str(o.value))
        return ColumnModel(cm.name, "pattern", pattern=(template,), reason=why)
    if o.kind == "null":
        return ColumnModel(cm.name, "null", null_rate=1.0, reason=why)
    if o.kind in ("id", "number"):
        return cm  # decided when fitting (`soft_key_columns`)
    if kept is None:
        raise UsageError(f"column {cm.name}: \"keep\" needs the source; give the config to "
                         "`dbclone fit` or `dbclone clone`")
    return kept


def soft_key_columns(config: Config, kind: str) -> frozenset[tuple[str, str]]:
    """(table, column) pairs the config declares soft keys ("id") or plain numbers
    ("number")."""
    return frozenset((t, c) for t, tc in config.tables.items()
                     for c, o in tc.columns.items() if o.kind == kind)


def keep_columns(config: Config) -> list[tuple[str, str]]:
    return [(t, c) for t, tc in config.tables.items()
            for c, o in tc.columns.items() if o.kind == "keep"]


def kept_column(name: str, values: list[tuple[Any, int]]) -> ColumnModel:
    """A categorical column model over all the source's values (the user asked to keep them)."""
    present = [(v, n) for v, n in values if v is not None]
    nulls = sum(n for v, n in values if v is None)
    total = sum(n for _, n in present) or 1
    return ColumnModel(name, "categorical", null_rate=nulls / max(total + nulls, 1),
                       values=tuple(_plain(v) for v, _ in present),
                       probs=tuple(n / total for _, n in present),
                       reason="source values kept (config file)")


def _plain(value: Any) -> Any:
    """A JSON value the loader writes back as the source's (arrays stay arrays)."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def apply_sizes(config: Config, model: Model, scale: float) -> Model:
    """Per-table rows or scale, as row counts the sampler multiplies by the global scale."""
    if not any(tc.rows is not None or tc.scale is not None for tc in config.tables.values()):
        return model
    tables = []
    for tm in model.tables:
        tc = config.tables.get(tm.name)
        count: float = tm.row_count  # fractional: the sampler rounds count x scale
        if tc is not None and tc.rows is not None:
            count = tc.rows / scale
        elif tc is not None and tc.scale is not None:
            count = tm.row_count * tc.scale / scale
        # Kept fractional (not rounded) so that count x scale is exactly the rows asked for.
        sized = dataclasses.replace(tm, row_count=cast(int, count))
        tables.append(sized if count != tm.row_count else tm)
    return dataclasses.replace(model, tables=tuple(tables))


# -- the hooks api.py calls ----------------------------------------------------------------

def prepare_fit(config: Config | None, schema: Schema,
                opts: FitOptions) -> tuple[Schema, FitOptions]:
    """Check the config against the source's schema; the schema to fit and the fit options."""
    if config is None:
        return schema, opts
    check_against(config, schema)
    opts = dataclasses.replace(
        opts, locale=opts.locale or config.locale,
        rare_threshold=config.rare_threshold or opts.rare_threshold,
        verbatim=frozenset(config.verbatim), soft_keys=soft_key_columns(config, "id"),
        not_soft_keys=soft_key_columns(config, "number"))
    return filter_schema(config, schema), opts


def after_fit(config: Config | None, engine: Engine, model: Model) -> Model:
    """The fitted model with the config's column overrides ("keep" read from the source)."""
    if config is None:
        return model
    return apply_columns(config, model, read_kept(engine, model.schema, keep_columns(config)))


def before_sample(config: Config | None, model: Model, scale: float) -> Model:
    """A saved model with the config's sizes and column overrides (except "keep")."""
    if config is None:
        return model
    check_against(dataclasses.replace(config, exclude=(), verbatim=()), model.schema)
    kept = {(t.name, c.name): c for t in model.tables for c in t.columns
            if (t.name, c.name) in keep_columns(config)}
    return apply_sizes(config, apply_columns(config, model, kept), scale)


def read_kept(engine: Engine, schema: Schema,
              pairs: list[tuple[str, str]]) -> dict[tuple[str, str], ColumnModel]:
    """Value frequencies of the "keep" columns, read in a read-only transaction."""
    if not pairs:
        return {}
    dialect = dialect_for(engine)
    out = {}
    with engine.connect() as conn:
        dialect.begin_read_only(conn)
        for table_name, col in pairs:
            q = dialect.quote(col)
            sql = (f"SELECT {q}, COUNT(*) FROM {dialect.rows_of(schema.table(table_name))} "
                   f"GROUP BY {q}")
            rows = [(v, int(n)) for v, n in conn.exec_driver_sql(sql)]
            out[(table_name, col)] = kept_column(col, rows)
        conn.rollback()
    return out
