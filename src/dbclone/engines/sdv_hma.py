"""`clone --engine sdv-hma`: SDV's HMASynthesizer makes the rows, dbclone does the rest.

For a user who standardised on SDV, and to compare both engines in one report. dbclone reads
the source (introspection, one read-only transaction), refuses up front a schema HMA cannot
take (SDV Community: at most 5 tables and relationship depth 2; no self-reference, cycle or
composite key), and fits its own model only to learn which columns hold personal data or
identifiers. Those columns never reach HMA (it copies real values: see DESIGN.md): their values
come from dbclone's own sampler, whole rows of them, so an email still matches its row's name.
HMA models and samples every other column, keys included; dbclone's load then creates the
schema, inserts, verifies keys and counts, and rolls everything back on any failure.

Only `clone`: a saved HMA model is a pickle that may hold source values, which a dbclone model
file never does.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from dbclone import preflight
from dbclone.api import CloneResult, _fit
from dbclone.config import Config
from dbclone.connect import engine_for
from dbclone.dialects.typemap import for_target
from dbclone.errors import UsageError
from dbclone.introspect import introspect, require_tables
from dbclone.load import LoadProgress, load
from dbclone.plan import make_plan
from dbclone.schema import Schema
from dbclone.source import read_source
from dbclone.synth.model import Model
from dbclone.synth.sample import Sampler
from dbclone.synth.tables import TableData

#: Column strategies whose values dbclone makes itself: personal data, free text, codes and
#: ids of rows elsewhere (HMA would copy or re-identify them), and shapes HMA cannot model.
OWN = frozenset({"pii", "text", "softkey", "pattern", "json", "array", "parent", "joint"})
_INSTALL = ("--engine sdv-hma needs the sdv extra: pip install 'dbclone[sdv]' (install "
            "torch's CPU build first where there is no GPU)")


# The keywords of api.clone, which every engine takes (dbclone.engines).
def clone(source_url: str, target_url: str, *, scale: float = 1.0, seed: int = 0,  # noqa: PLR0913
          schema: str | None = None, replace: bool = False, locale: str | None = None,
          rare_threshold: int = 5, progress: LoadProgress | None = None,
          fit_progress: Callable[[str, int, int], None] | None = None,
          config: Config | None = None, sample_rows: int | None = None) -> CloneResult:
    """As `api.clone`; `sample_rows` bounds only dbclone's own fit (HMA reads every row)."""
    preflight.check_scale(scale)
    start = time.perf_counter()
    source = engine_for(source_url)
    s = introspect(source, schema)
    require_tables(s, source_url)
    refuse_beyond_hma(s)
    hma = _synthesizer_class()
    target = preflight.target_for(s, target_url, replace)
    model = _fit(source, s, seed=seed, locale=locale, rare_threshold=rare_threshold,
                 progress=fit_progress, config=config, sample_rows=sample_rows)
    own = {t.name: {c.name for c in t.columns if c.strategy in OWN} for t in model.tables}
    frames = _hma_rows(hma, source, model.schema, own, scale, seed)
    if fit_progress:  # HMA's fit and sample are the long step: the display shows their time
        fit_progress("(sdv-hma fit and sample)", sum(len(f) for f in frames.values()), 0)
    fitted = time.perf_counter()
    model_t = for_target(model, target)
    items = list(_merged(model_t, frames, own, seed))
    result = load(target, model_t.schema, items, replace=replace, progress=progress)
    return CloneResult(rows=result.rows, seconds=result.seconds, fit_seconds=fitted - start,
                       sample_load_seconds=time.perf_counter() - fitted,
                       warnings=tuple(result.warnings))


def _synthesizer_class() -> Any:
    try:
        from sdv.multi_table import HMASynthesizer
    except ImportError:
        raise UsageError(_INSTALL) from None
    return HMASynthesizer


def refuse_beyond_hma(s: Schema) -> None:
    """One line naming what HMA cannot model, before anything is read or fitted."""
    for t in s.tables:
        if len(t.primary_key) > 1:
            _beyond(f"table {t.name} has a composite primary key ({', '.join(t.primary_key)})")
        for fk in t.foreign_keys:
            if fk.ref_table == t.name:
                _beyond(f"{t.name}.{', '.join(fk.columns)} references its own table")
            if len(fk.columns) > 1:
                _beyond(f"{t.name}({', '.join(fk.columns)}) is a composite foreign key")
            if tuple(fk.ref_columns) != tuple(s.table(fk.ref_table).primary_key):
                _beyond(f"{t.name}.{fk.columns[0]} references {fk.ref_table}."
                        f"{fk.ref_columns[0]}, which is not its primary key")
    plan = make_plan(s)
    if plan.cycles:
        _beyond(f"tables {', '.join(plan.cycles[0])} reference each other in a cycle")
    if len(s.tables) > 5 or _depth(s) > 2:
        _beyond(f"{len(s.tables)} tables, relationship depth {_depth(s)} (SDV Community's HMA "
                "takes at most 5 tables and depth 2)")


def _beyond(why: str) -> None:
    raise UsageError(f"--engine sdv-hma cannot take this schema: {why}; clone it with "
                     "dbclone's own engine (leave out --engine)")


def _depth(s: Schema) -> int:
    """Tables on the longest parent-to-child chain (a parent and its child: 2)."""
    parents = {t.name: {fk.ref_table for fk in t.foreign_keys if fk.ref_table != t.name}
               for t in s.tables}
    memo: dict[str, int] = {}

    def depth(name: str) -> int:
        if name not in memo:
            memo[name] = 1 + max((depth(p) for p in parents.get(name, ())), default=0)
        return memo[name]

    return max((depth(t.name) for t in s.tables), default=0)


def _hma_rows(hma: Any, source: Engine, s: Schema, own: dict[str, set[str]], scale: float,
              seed: int) -> dict[str, pd.DataFrame]:
    """HMA fitted on the source's rows less dbclone's own columns; its sample at `scale`."""
    import warnings

    from sdv.metadata import Metadata

    whole = max((t.row_count for t in s.tables), default=0) + 1  # HMA learns from every row
    frames = read_source(source, s, make_plan(s), budget=whole).frames
    data = {name: frame.drop(columns=[c for c in own.get(name, ()) if c in frame.columns])
            for name, frame in frames.items()}
    metadata = Metadata.detect_from_dataframes(data, infer_keys=None)
    for t in s.tables:
        for column in set(t.primary_key) | {c for fk in t.foreign_keys for c in fk.columns}:
            metadata.update_column(column, t.name, sdtype="id")
        if t.primary_key:
            metadata.set_primary_key(t.primary_key[0], t.name)
    for t in s.tables:
        for fk in t.foreign_keys:
            metadata.add_relationship(fk.ref_table, t.name, fk.ref_columns[0], fk.columns[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SDV's advice on SDV Enterprise, per table
        try:
            synthesizer = hma(metadata, verbose=False)
            np.random.seed(seed)  # HMA draws from NumPy's global generator
            synthesizer.fit(data)
            out: dict[str, pd.DataFrame] = synthesizer.sample_scale(scale=float(scale))
        except Exception as exc:  # noqa: BLE001 - SDV's own refusal, as one line
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UsageError(f"SDV's HMA refused the source: {reason}") from None
    return out


def _merged(model: Model, frames: dict[str, pd.DataFrame], own: dict[str, set[str]],
            seed: int) -> Iterator[TableData]:
    """HMA's rows with dbclone's values in dbclone's own columns, table by table in load order.
    dbclone's sampler runs at the scale that gives each table at least HMA's row count, and the
    first rows are taken, so UNIQUE columns of dbclone's stay unique."""
    plan = make_plan(model.schema)
    counts = {t.name: max(t.row_count, 1) for t in model.tables}
    need = max(len(frames[name]) / counts[name] for name in plan.order)
    ours = {item.table.name: item for item in
            Sampler(model, plan, scale=math.ceil(need * 1.05 * 100) / 100, seed=seed).run()
            if isinstance(item, TableData)}
    for name in plan.order:
        frame = frames[name]
        mine = ours[name]
        n = len(frame)
        if mine.n_rows < n:  # dbclone's sampler made fewer rows than HMA: not expected
            raise UsageError(f"table {name}: HMA sampled {n} rows, dbclone's own sampler "
                             f"{mine.n_rows}; try another --seed or dbclone's own engine")
        data = {c: (mine.data[c][:n] if c in own[name] or c not in frame.columns
                    else _cells(frame[c])) for c in mine.columns}
        yield TableData(table=mine.table, columns=mine.columns, data=data, planned_rows=n)


def _cells(series: pd.Series) -> np.ndarray:
    """A DataFrame column as plain Python values, NULL for NaN/NaT."""
    values = series.astype(object).where(series.notna(), None).tolist()
    out = np.empty(len(values), dtype=object)
    out[:] = [v.to_pydatetime() if isinstance(v, pd.Timestamp) else
              (v.item() if isinstance(v, np.generic) else v) for v in values]
    return out
