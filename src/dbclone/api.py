"""The library's entry points: each CLI command is a thin layer over one of these."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from dbclone import capability, existing, preflight
from dbclone import config as cfg
from dbclone.config import Config
from dbclone.connect import engine_for
from dbclone.dialects import dialect_for
from dbclone.dialects.typemap import for_target, to_sqlite
from dbclone.introspect import Schemas, introspect, require_tables
from dbclone.load import LoadProgress, LoadResult, check_target, load
from dbclone.plan import Plan, make_plan
from dbclone.schema import Schema
from dbclone.source import DEFAULT_BUDGET, Sampling, plan_samples
from dbclone.synth import model as model_io
from dbclone.synth import parallel
from dbclone.synth.columns import keyspace
from dbclone.synth.context import FitOptions
from dbclone.synth.fit import fit
from dbclone.synth.model import Model
from dbclone.synth.sample import Sampler

if TYPE_CHECKING:
    from dbclone.synth.cluster import DaskRunner


@dataclass
class CloneResult:
    rows: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)
    fit_seconds: float = 0.0
    sample_load_seconds: float = 0.0
    #: Small reference tables copied as they are (not scaled).
    verbatim: tuple[str, ...] = ()
    #: What the clone left for the user to finish (e.g. a materialized view left empty).
    warnings: tuple[str, ...] = ()

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def inspect_url(url: str, schema: Schemas = None) -> Schema:
    s = introspect(engine_for(url), schema)
    require_tables(s, url)
    return s


def sampling_url(url: str, schema: Schemas = None,
                 sample_rows: int | None = None) -> tuple[Schema, dict[str, Sampling]]:
    """The schema, and how a fit would read each table (whole, or sampled by families)."""
    s, plan = plan_url(url, schema)
    return s, plan_samples(s, plan, sample_rows or DEFAULT_BUDGET)


def plan_url(url: str, schema: Schemas = None) -> tuple[Schema, Plan]:
    s = inspect_url(url, schema)
    return s, make_plan(s)


def fit_source(url: str, *, schema: Schemas = None, seed: int = 0, locale: str | None = None,
               rare_threshold: int = 5,
               progress: Callable[[str, int, int], None] | None = None,
               config: Config | None = None, sample_rows: int | None = None) -> Model:
    """Fit a model of the source; tables above `sample_rows` rows are learned from a
    sample of whole families (default `source.DEFAULT_BUDGET`), their counts still exact."""
    engine = engine_for(url)
    s = introspect(engine, schema)
    require_tables(s, url)
    return _fit(engine, s, seed=seed, locale=locale, rare_threshold=rare_threshold,
                progress=progress, config=config, sample_rows=sample_rows)


def _fit(engine: Engine, s: Schema, *, seed: int, locale: str | None, rare_threshold: int,
         progress: Callable[[str, int, int], None] | None, config: Config | None,
         sample_rows: int | None = None) -> Model:
    opts = FitOptions(seed=seed, locale=locale, rare_threshold=rare_threshold, progress=progress)
    if sample_rows is not None:
        opts.sample_rows = sample_rows
    s, opts = cfg.prepare_fit(config, s, opts)
    capability.require(s, config)  # refuse what cannot be synthesized before reading rows
    model = cfg.after_fit(config, engine, fit(engine, s, make_plan(s), opts))
    capability.require_model(model)  # what only the rows showed, unless the config set it
    return model


def fit_to_file(url: str, out: str | Path, **kwargs: object) -> Model:
    preflight.check_output(out)  # not after hours of fitting
    model = fit_source(url, **kwargs)  # type: ignore[arg-type]
    model_io.save(model, out)
    return model


def sample_model(model: Model, target_url: str, *, scale: float = 1.0, seed: int = 0,
                 replace: bool = False, progress: LoadProgress | None = None,
                 config: Config | None = None, into_existing: bool = False,
                 workers: int | None = None, dask: str | None = None) -> LoadResult:
    """Generate a clone from `model` and load it into the target; `workers` processes make
    the rows (default: the machine's cores), or the workers of the Dask cluster whose
    scheduler is at `dask`: the same rows whatever their number or place."""
    preflight.check_scale(scale)
    model = cfg.before_sample(config, model, scale)
    preflight.check_size(((t.name, t.row_count) for t in model.tables if not t.verbatim), scale)
    engine = engine_for(target_url, must_exist=into_existing)
    model = for_target(model, engine)  # PostgreSQL/MariaDB -> SQLite: translated, lossy warned
    keyspace.check_capacity(model, scale)  # text keys' formats hold enough values
    into = None
    if into_existing:  # the tables the target has, checked to take the rows
        into = existing_tables(engine, model.schema, target_url)
    else:
        check_target(engine, model.schema, replace)  # fail fast; load checks again under lock
    plan = make_plan(model.schema)
    runner = _dask_runner(dask) if dask else None
    try:
        sampler = Sampler(model, plan, scale=scale, seed=seed,
                          workers=workers or parallel.default_workers(), runner=runner)
        return load(engine, model.schema, sampler.run(), replace=replace, progress=progress,
                    into=into, stage_with=sampler.use_stage)
    finally:
        if runner is not None:
            runner.close()


def _dask_runner(address: str) -> DaskRunner:
    from dbclone.synth.cluster import DaskRunner

    return DaskRunner(address)


def existing_tables(engine: Engine, schema: Schema, url: str) -> Schema:
    """The target's own definitions of the tables `schema`'s rows go into (`--into-existing`),
    after refusing, listed, every difference that would break the load (dbclone.existing)."""
    target = introspect(engine, schema.schema_name, count_rows=False)
    existing.check(schema, target, url, dialect_for(engine).pauses_triggers)
    return existing.loaded(schema, target)


def clone(source_url: str, target_url: str, *, scale: float = 1.0, seed: int = 0,
          schema: Schemas = None, replace: bool = False, locale: str | None = None,
          rare_threshold: int = 5, progress: LoadProgress | None = None,
          fit_progress: Callable[[str, int, int], None] | None = None,
          config: Config | None = None, sample_rows: int | None = None,
          into_existing: bool = False, workers: int | None = None,
          dask: str | None = None) -> CloneResult:
    """Fit a model of the source and load a synthetic clone into the target (into the tables
    it already has, with `into_existing`)."""
    preflight.check_scale(scale)
    start = time.perf_counter()
    engine = engine_for(source_url)
    s = introspect(engine, schema)
    require_tables(s, source_url)
    # Everything that needs no data is checked before the fit, which may take hours.
    if config is None or not any(t.rows or t.scale for t in config.tables.values()):
        preflight.check_size(((t.name, t.row_count) for t in s.tables), scale)
    kept = cfg.prepare_fit(config, s, FitOptions())[0]
    if into_existing:  # before the fit: the tables are there, and take the rows
        target = engine_for(target_url)
        if target.dialect.name == "sqlite" and kept.dialect != "sqlite":
            kept = to_sqlite(kept)
        existing_tables(target, kept, target_url)
    else:
        preflight.target_for(kept, target_url, replace)
    model = _fit(engine, s, seed=seed, locale=locale, rare_threshold=rare_threshold,
                 progress=fit_progress, config=config, sample_rows=sample_rows)
    fitted = time.perf_counter()
    result = sample_model(model, target_url, scale=scale, seed=seed, replace=replace,
                          progress=progress, config=config, into_existing=into_existing,
                          workers=workers, dask=dask)
    return CloneResult(rows=result.rows, seconds=result.seconds, fit_seconds=fitted - start,
                       sample_load_seconds=time.perf_counter() - fitted,
                       verbatim=tuple(t.name for t in model.tables if t.verbatim),
                       warnings=tuple(result.warnings))


def clone_schema(source_url: str, target_url: str, *, schema: Schemas = None,
                 replace: bool = False) -> Schema:
    """Create the source's structure in the target, with no rows (`clone --schema-only`)."""
    s = introspect(engine_for(source_url), schema, count_rows=False)
    require_tables(s, source_url)
    engine = engine_for(target_url, must_exist=False)
    load(engine, s, [], replace=replace)
    return s
