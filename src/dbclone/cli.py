"""The command line: parse options, call one library function, show progress and the result.

Every `DbcloneError` becomes one line on stderr and the error's exit code; nothing here is
heavier than Typer and rich at import time (SDV, pandas and friends load when a command runs).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from dbclone import __version__, display, interrupts
from dbclone.errors import DbcloneError, mask

#: Options of the whole program that a user may also write after the subcommand.
_ANYWHERE = ("--log-json",)


def _no_type(ctx: typer.Context) -> None:
    return None


def _untyped_flags(params: list[Any]) -> list[Any]:
    """A flag takes no value: its help shows no type (Typer would print `<bool>`)."""
    for p in params:
        if getattr(p, "is_flag", False):
            setattr(p, "display_type_rich", _no_type)  # noqa: B010 - Typer's help hook
    return params


class _Group(TyperGroup):
    """dbclone's command group: `--log-json` before or after the subcommand; flag help
    without a type."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        hoisted = [a for a in args[:end] if a in _ANYWHERE]
        rest = [a for a in args[:end] if a not in _ANYWHERE]
        return super().parse_args(ctx, list(dict.fromkeys(hoisted)) + rest + args[end:])

    def get_params(self, ctx: Any) -> list[Any]:
        return _untyped_flags(super().get_params(ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None and not getattr(command, "_dbclone_flags", False):
            get_params = command.get_params
            setattr(command, "get_params", lambda c: _untyped_flags(get_params(c)))  # noqa: B010
            setattr(command, "_dbclone_flags", True)  # noqa: B010
        return command


app = typer.Typer(
    cls=_Group, add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Clone a relational database into a test database with synthetic rows that keep "
         "every constraint and relationship, and no real person's data.")

T = TypeVar("T")

SourceArg = Annotated[str, typer.Argument(help="Source database URL (postgresql://, mysql://, "
                                          "sqlite:///file.db).", show_default=False,
                                          envvar="DBCLONE_SOURCE_URL")]
TargetArg = Annotated[str, typer.Argument(help="Target database URL; must be empty unless "
                                          "--replace.", show_default=False,
                                          envvar="DBCLONE_TARGET_URL")]
RefreshTargetArg = Annotated[str, typer.Argument(help="Target database URL; its tables are "
                                                 "replaced in one step.", show_default=False,
                                                 envvar="DBCLONE_TARGET_URL")]
SchemaOpt = Annotated[list[str] | None, typer.Option(
    "--schema", help="PostgreSQL schema to read, or a pattern (hr_*); repeat for several "
    "(default: every schema but the system ones, as pg_dump).")]
ScaleOpt = Annotated[float, typer.Option("--scale", help="Size of the clone relative to the "
                                         "source (0.1 = a tenth, 10 = ten times).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed: the same model and seed give "
                                      "the same database.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors (cron).")]
ReplaceOpt = Annotated[bool, typer.Option("--replace", help="Replace the tables of a non-empty "
                                          "target.")]
LocaleOpt = Annotated[str | None, typer.Option("--locale", help="Faker locale for personal data "
                                               "(default: guessed from the source).")]
SampleRowsOpt = Annotated[int | None, typer.Option(
    "--sample-rows", min=1000, help="Rows per table the fit learns from (default 50000): "
    "bigger tables are sampled by whole families; row and children counts stay exact.")]
IntoOpt = Annotated[bool, typer.Option("--into-existing", help="Fill the tables TARGET already "
                                       "has (created by the application's migrations), "
                                       "matched by name; what would not load is listed first.")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1, help="Processes that generate the rows (default: the machine's "
    "cores); the same model and seed give the same rows whatever their number.")]
DaskOpt = Annotated[str | None, typer.Option(
    "--dask", help="Dask scheduler address (tcp://host:8786): the rows are generated on its "
    "workers, the same rows as here (extra dbclone[dask]).", envvar="DBCLONE_DASK")]
ConfigOpt = Annotated[str | None, typer.Option("--config", help="TOML config file: tables to "
                                               "exclude or copy, sizes, column overrides "
                                               "(see README).", envvar="DBCLONE_CONFIG")]

#: Set by --log-json: messages, progress and errors become JSON lines on stderr.
_LOG_JSON = False


_log = display.log_json


def _say(message: str, **fields: Any) -> None:
    """A command's result: a line on stdout, or a JSON "done" record with --log-json."""
    if _LOG_JSON:
        _log("done", message=message, **fields)
    else:
        typer.echo(message)


def _warn(lines: Any) -> None:
    """What a finished load left undone, on stderr even with --quiet: a clone is never
    silently incomplete (a "warning" record with --log-json)."""
    for line in lines:
        if _LOG_JSON:
            _log("warning", message=mask(line))
        else:
            typer.echo(f"warning: {mask(line)}", err=True)


def _config(path: str | None) -> Any:
    if path is None:
        return None
    from dbclone.config import load_config

    return run(lambda: load_config(path))


def _fail(err: DbcloneError) -> None:
    if _LOG_JSON:
        _log("error", message=mask(str(err)), error=type(err).__name__, exit_code=err.exit_code)
        raise typer.Exit(err.exit_code)
    display.last_word(lambda: typer.echo(f"dbclone: error: {mask(str(err))}", err=True))
    raise typer.Exit(err.exit_code)


def run(fn: Callable[[], T]) -> T:
    """Call into the library, turning its errors into one line and an exit code."""
    try:
        return fn()
    except DbcloneError as err:
        _fail(err)
    except KeyboardInterrupt as exc:
        code = 143 if isinstance(exc, interrupts.Terminated) else 130
        # After the commit (or MariaDB's swap) the clone is whole: say so, not "as it was".
        message = ("the target already holds the complete new clone" if interrupts.committed()
                   else "the target was left as it was")
        if _LOG_JSON:
            _log("interrupted", message=message, exit_code=code)
            raise typer.Exit(code) from None
        display.last_word(lambda: typer.echo(f"dbclone: interrupted; {message}", err=True))
        raise typer.Exit(code) from None
    raise AssertionError("unreachable")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dbclone {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                               help="Show the version and exit.")] = False,
         log_json: Annotated[bool, typer.Option("--log-json", help="Log progress, results "
                                                "and errors as JSON lines on stderr.")] = False
         ) -> None:
    """dbclone: realistic, constraint-keeping, personal-data-free copies of databases."""
    global _LOG_JSON
    _LOG_JSON = log_json
    interrupts.install()


@app.command()
def inspect(source: SourceArg, schema: SchemaOpt = None,
            as_json: Annotated[bool, typer.Option("--json", help="Print the schema as JSON.")]
            = False,
            personal: Annotated[bool, typer.Option("--pii", help="Also read the data and list "
                                                   "the columns treated as personal data or as "
                                                   "soft keys (ids without a declared FK), the "
                                                   "kind of text recognised (city, country "
                                                   "code, title...), and why (what `clone` "
                                                   "will replace).")]
            = False,
            columns: Annotated[bool, typer.Option("--columns", help="Also list every column "
                                                  "with its type and what a clone does with "
                                                  "it: generated, copied, set by the config, "
                                                  "or refused (and why).")] = False,
            relations: Annotated[bool, typer.Option("--relations", help="Also fit a model "
                                                    "and list the rules found between "
                                                    "columns (exact products, counters, "
                                                    "flags, periods, key order).")] = False,
            config: ConfigOpt = None) -> None:
    """Summarise a database's tables, keys and row counts (and which tables a fit samples)."""
    from dbclone.api import sampling_url

    if personal:
        _show_personal(source, schema)
        return
    if relations:
        _show_relations(source, schema)
        return
    s, sampling = run(lambda: sampling_url(source, schema))
    verdicts = _verdicts(s, _config(config)) if columns or config else None
    if as_json:
        data = s.to_dict()
        if verdicts is not None:
            data["columns"] = [dataclasses.asdict(v) for v in verdicts]
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    typer.echo(f"{s.dialect} database, {len(s.tables)} tables, "
               f"{sum(t.row_count for t in s.tables)} rows")
    for t in s.tables:
        fks = ", ".join(f"{'/'.join(fk.columns)} -> {fk.ref_table}" for fk in t.foreign_keys)
        typer.echo(f"  {t.name}: {t.row_count} rows, {len(t.columns)} columns, "
                   f"PK ({', '.join(t.primary_key) or 'none'})" + (f"; FK {fks}" if fks else "")
                   + _sampled(sampling.get(t.name)))
        for v in verdicts or ():
            if v.table == t.name:
                why = f" ({v.why})" if v.why else ""
                typer.echo(f"    {v.column} {v.sql_type or '(no declared type)'}: "
                           f"{v.outcome}{why}")
    for w in s.warnings:
        typer.echo(f"warning: {w}", err=True)


def _verdicts(s: Any, config: Any) -> tuple[Any, ...]:
    """What a clone does with each column (`capability.decide`), tables the config
    excludes left out."""
    from dbclone import capability

    excluded = set(config.exclude) if config is not None else set()
    return tuple(v for v in capability.decide(s, config) if v.table not in excluded)


def _sampled(how: Any) -> str:
    """How `fit` reads a table, when not whole (`source.Sampling`)."""
    if how is None or how.whole:
        return ""
    key = "/".join(how.key)
    unit = f"whole families by {key}" if how.fk is not None and how.key == how.fk.columns \
        else f"rows by {key}" if key else f"children of {how.parent}'s sample"
    return f"; fit samples ~{how.rows * how.fraction:,.0f} rows ({unit})"


def _parallel(workers: int | None, dask: str | None) -> dict[str, Any]:
    """--workers and --dask, passed on only when given (the sdv-hma engine takes neither)."""
    given = {"workers": workers, "dask": dask}
    return {k: v for k, v in given.items() if v is not None}


def _into(into_existing: bool) -> dict[str, bool]:
    """`into_existing` for the engines that take it (dbclone's own), only when asked for."""
    return {"into_existing": True} if into_existing else {}


def _show_personal(source: str, schema: list[str] | None) -> None:
    from dbclone.api import fit_source

    model = run(lambda: fit_source(source, schema=schema))
    typer.echo(f"locale {model.locale}; rare values: fewer than {model.rare_threshold} rows")
    for t in model.tables:
        if t.verbatim:
            typer.echo(f"  {t.name}: copied as it is (small lookup table, no personal data)")
            continue
        for c in t.columns:
            describe = _DESCRIBE.get(c.strategy)
            line = describe(c) if describe is not None else None
            if line:
                typer.echo(f"  {t.name}.{c.name}: {line}")


def _meaning(c: Any) -> str:
    """A column of a recognised kind of text: the kind, and where its values come from."""
    tm = c.text
    if tm.kind == "phrases":
        kind = f" ({tm.style})" if tm.style != "name" else ""
        return f"text in the column's own words{kind}: a token chain, rare words made up " \
            f"({c.reason})"
    source = "the source's common shapes" if tm.shapes else \
        "public values of the kind, none the source's"
    style = f" ({tm.style})" if tm.style and tm.style != "name" else ""
    return f"text of kind {tm.kind}{style}: {source} ({c.reason})"


def _categories(c: Any) -> str | None:
    why = f" ({c.reason})" if c.reason else ""
    if c.text is not None:
        return f"categories kept, rare ones as stand-ins of kind {c.text.kind}{why}"
    return f"categories kept, {c.reason}" if "suppressed" in c.reason else None


#: What `inspect --pii` says of a column, by the rule the fit chose for it.
_DESCRIBE: dict[str, Callable[[Any], str | None]] = {
    "pii": lambda c: f"replaced by Faker {c.pii} ({c.reason})",
    "text": lambda c: f"free text, regenerated ({c.reason})",
    "softkey": lambda c: f"soft key ({c.reason})",
    "semantic": _meaning,
    "categorical": _categories,
}


def _show_relations(source: str, schema: list[str] | None) -> None:
    from dbclone.api import fit_source
    from dbclone.synth.relations.describe import describe, describe_derived

    model = run(lambda: fit_source(source, schema=schema))
    for t in model.tables:
        table = model.schema.table(t.name)
        for line in [describe(rule, model.schema, table) for rule in t.rules] + \
                describe_derived(t):
            typer.echo(f"  {t.name}: {line}")


@app.command()
def plan(source: SourceArg, schema: SchemaOpt = None,
         fmt: Annotated[str, typer.Option("--format", help="text, dot, mermaid or json.")]
         = "text") -> None:
    """Show the load order, cycles and the FKs filled in after the insert."""
    from dbclone.api import plan_url
    from dbclone.errors import UsageError
    from dbclone.plan import render

    if fmt not in ("text", "dot", "mermaid", "json"):
        _fail(UsageError(f"unknown --format {fmt!r}; use text, dot, mermaid or json"))
    s, p = run(lambda: plan_url(source, schema))
    typer.echo(render(p, s, fmt))


@app.command()
def diff(source: SourceArg,
         target: Annotated[str, typer.Argument(help="Database URL to compare with SOURCE.",
                                               show_default=False)],
         schema: SchemaOpt = None, quiet: QuietOpt = False) -> None:
    """List how TARGET's schema differs from SOURCE's; exit code 1 when it does."""
    from dbclone.diff import diff_urls

    lines = run(lambda: diff_urls(source, target, schema))
    if not quiet:
        typer.echo("\n".join(lines) if lines else "schemas are equal")
    raise typer.Exit(1 if lines else 0)


@app.command()
def clone(source: SourceArg, target: TargetArg, scale: ScaleOpt = 1.0, seed: SeedOpt = 0,
          schema: SchemaOpt = None, replace: ReplaceOpt = False, locale: LocaleOpt = None,
          quiet: QuietOpt = False, config: ConfigOpt = None,
          sample_rows: SampleRowsOpt = None,
          schema_only: Annotated[bool, typer.Option("--schema-only", help="Create the tables, "
                                                    "constraints, indexes and views; no rows.")]
          = False,
          engine: Annotated[str, typer.Option("--engine", help="What makes the rows: dbclone, "
                                              "or sdv-hma (SDV's HMASynthesizer, extra "
                                              "dbclone[sdv]; at most 5 tables; personal data "
                                              "still dbclone's).")] = "dbclone",
          into_existing: IntoOpt = False, workers: WorkersOpt = None,
          dask: DaskOpt = None) -> None:
    """Fit a model of SOURCE and fill TARGET with a synthetic clone."""
    from dbclone.api import clone_schema
    from dbclone.engines import ENGINES
    from dbclone.errors import UsageError

    if engine not in ENGINES:
        _fail(UsageError(f"unknown --engine {engine!r}; use {' or '.join(ENGINES)}"))
    if engine != "dbclone" and _parallel(workers, dask):
        _fail(UsageError(f"--workers and --dask apply to the dbclone engine, not {engine}"))
    do_clone = ENGINES[engine]

    start = time.perf_counter()
    if schema_only:
        s = run(lambda: clone_schema(source, target, schema=schema, replace=replace))
        if not quiet:
            typer.echo(f"created {len(s.tables)} tables and {len(s.views)} views (no rows) in "
                       f"{time.perf_counter() - start:.1f} s")
        return
    conf = _config(config)
    with display.opened(quiet, _LOG_JSON) as shown:
        result = run(lambda: do_clone(source, target, scale=scale, seed=seed, schema=schema,
                                      replace=replace, locale=locale, progress=shown.loaded,
                                      fit_progress=shown.fitted, config=conf,
                                      sample_rows=sample_rows, **_parallel(workers, dask),
                                      **_into(into_existing)))
    _warn(result.warnings)
    if not quiet:
        _say(f"cloned {len(result.rows)} tables, {result.total_rows} rows in "
             f"{time.perf_counter() - start:.1f} s (fit {result.fit_seconds:.1f} s, "
             f"sample+load {result.sample_load_seconds:.1f} s)", rows=result.total_rows)


@app.command()
def fit(source: SourceArg,
        out: Annotated[str, typer.Option("--out", "-o", help="Model file to write (JSON; "
                                         ".gz compresses).")],
        schema: SchemaOpt = None, seed: SeedOpt = 0, locale: LocaleOpt = None,
        quiet: QuietOpt = False, config: ConfigOpt = None,
        sample_rows: SampleRowsOpt = None) -> None:
    """Learn a model of SOURCE (statistics only, no rows) and save it to a file."""
    from dbclone.api import fit_to_file

    conf = _config(config)
    with display.opened(quiet, _LOG_JSON) as shown:
        model = run(lambda: fit_to_file(source, out, schema=schema, seed=seed, locale=locale,
                                        config=conf, sample_rows=sample_rows,
                                        progress=shown.fitted))
    if not quiet:
        sampled = ", ".join(f"{t.name} {t.sample_rows:,} of {t.row_count:,} rows"
                            for t in model.tables if t.sample_rows)
        _say(f"model of {len(model.tables)} tables written to {out}"
             + (f" (learned from samples: {sampled}; counts exact)" if sampled else ""),
             model=out)


@app.command()
def sample(model_file: Annotated[str, typer.Argument(help="Model file from `dbclone fit`.")],
           target: TargetArg, scale: ScaleOpt = 1.0, seed: SeedOpt = 0,
           replace: ReplaceOpt = False, quiet: QuietOpt = False,
           config: ConfigOpt = None, into_existing: IntoOpt = False,
           workers: WorkersOpt = None, dask: DaskOpt = None) -> None:
    """Fill TARGET from a saved model; needs no access to the source."""
    from dbclone.api import sample_model
    from dbclone.synth import model as model_io

    start = time.perf_counter()
    m = run(lambda: model_io.load(model_file))
    conf = _config(config)
    with display.opened(quiet, _LOG_JSON) as shown:
        result = run(lambda: sample_model(m, target, scale=scale, seed=seed, replace=replace,
                                          progress=shown.loaded, config=conf,
                                          into_existing=into_existing, workers=workers,
                                          dask=dask))
    _warn(result.warnings)
    if not quiet:
        _say(f"loaded {len(result.rows)} tables, {sum(result.rows.values())} rows in "
             f"{time.perf_counter() - start:.1f} s", rows=sum(result.rows.values()),
             load_seconds=round(result.load_seconds, 3))


@app.command()
def refresh(model_file: Annotated[str, typer.Argument(help="Model file from `dbclone fit`.")],
            target: RefreshTargetArg, scale: ScaleOpt = 1.0, seed: SeedOpt = 0,
            quiet: QuietOpt = False, config: ConfigOpt = None,
            workers: WorkersOpt = None, dask: DaskOpt = None) -> None:
    """Replace TARGET's contents with a fresh clone from a saved model, atomically (cron)."""
    sample(model_file, target, scale=scale, seed=seed, replace=True, quiet=quiet, config=config,
           workers=workers, dask=dask)


def _register_plugins() -> None:
    from dbclone.report.cli import register

    register(app)


_register_plugins()


def entry() -> None:  # pragma: no cover - console script shim
    try:
        app()
    except DbcloneError as err:
        typer.echo(f"dbclone: error: {mask(str(err))}", err=True)
        sys.exit(err.exit_code)  # the documented code of its class, as `run` gives
