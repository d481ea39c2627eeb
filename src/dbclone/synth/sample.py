"""Stage 4, sampling: generate a clone from a `Model`, table by table in plan order, and
orchestrate the rules' generating halves (see the package map in `dbclone.synth`).

Keys are generated (unique by construction), FK values come from the synthetic parents
following the learned children-per-parent distributions, and each child row is drawn
conditioned on its parent's latent scores. Per chunk: latent scores, then each column in
generation order (its relation finishing it), then FKs, CHECK repair and uniqueness. Output:
`TableData` per table (chunk), then `DeferredUpdate`s for FKs that close a cycle and for
derived aggregates. Nothing here imports the fitting half.

Each chunk is made whole in any order, in any process (its columns, FKs, rules, CHECKs and
uniqueness within it), then joined to the table in chunk order in this process (UNIQUE
against earlier chunks, what children keep, parents' aggregates), every step from a random
stream of its own: the rows are the same whatever the number of workers (see
`dbclone.synth.parallel`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from dbclone.memory import release, return_large_blocks
from dbclone.plan import Plan
from dbclone.schema import Table
from dbclone.synth import dims, parallel
from dbclone.synth.codecs import from_json
from dbclone.synth.columns.keys import disjoint_keys, reserve_keys
from dbclone.synth.columns.registry import generate_column
from dbclone.synth.constraints import column_patterns
from dbclone.synth.family.counts import child_counts, driven_rows
from dbclone.synth.family.cycles import deferred_updates, drop_orphans, fill_waiting
from dbclone.synth.family.parents import assign_driver, assign_fk, prepare_fks
from dbclone.synth.latent import latent_scores
from dbclone.synth.model import ColumnModel, Model, TableModel
from dbclone.synth.pii import Generator
from dbclone.synth.relations import ancestors, copies, dates, ratios, shares
from dbclone.synth.relations.derived import aggregate_inputs, derive_parents
from dbclone.synth.relations.derived import updates as derived_updates
from dbclone.synth.relations.rows import apply_rules
from dbclone.synth.relations.rows import needed as rules_need
from dbclone.synth.repair import repair
from dbclone.synth.spill import Spill
from dbclone.synth.state import LATENT, ROW, Chunk, Finish, Generated, Run, SampleState
from dbclone.synth.tables import Columns, DeferredUpdate, Stage, TableData, join_chunks
from dbclone.synth.unique import across_chunks, chunk_hashes, clashes, enforce_unique

#: Rows generated at a time: a larger table comes out as consecutive chunks of about this
#: many rows, so memory does not grow with the scale.
CHUNK_ROWS = 50_000

#: Relations that finish a column after its own rule drew it, in priority order: the first
#: that applies has the column (a parent's share is not also a ratio within the row, nor a
#: ratio a date after its base).
FINISHERS: tuple[Finish, ...] = (copies.FINISH, shares.FINISH, ratios.FINISH, dates.FINISH)


class Sampler:
    """Generates the clone's tables in plan order (`run`), each in chunks (`chunks`)."""

    def __init__(self, model: Model, plan: Plan, *, scale: float = 1.0, seed: int = 0,
                 workers: int = 1, runner: parallel.Runner | None = None) -> None:
        return_large_blocks()  # memory of earlier chunks goes back to the system
        self.seed = seed
        self.runner = runner or parallel.Local(workers)
        #: The load's staging area, where workers write the chunks they make (`use_stage`).
        self.stage: Stage | None = None
        #: Each table's place in the plan: the first key of its random streams.
        self.pos = {name: i for i, name in enumerate(plan.order)}
        self.st = SampleState(model, plan, scale, parallel.stream(seed, len(plan.order)),
                              Generator(model.locale, seed), seed=seed)
        for tm in model.tables:
            driver = next((f for f in tm.fks if f.driving), None)
            for cm in tm.columns:
                if cm.strategy == "parent" and driver is not None and cm.base:
                    self.st.copied.setdefault(driver.ref_table, set()).add(dims.of_parent(cm.base))
            for other, columns in rules_need(tm):  # a sibling's spans, a parent's flag
                self.st.copied.setdefault(other, set()).update(columns)
            for fk in tm.fks:  # a cycle's rows paired as in the source (`fill_waiting`)
                if fk.returns:
                    self.st.copied.setdefault(tm.name, set()).update(fk.columns)
                    self.st.copied.setdefault(fk.ref_table, set()).update(fk.returns)

    def use_stage(self, stage: Stage) -> None:
        """Told by the load (before the first table): chunks made away from this process are
        written into `stage` there, when nothing done here changes them (`_stages`)."""
        if self.runner.spread:
            self.stage = stage

    def __getstate__(self) -> dict[str, object]:
        """Pickled with a table's head for a Dask worker: the run's state, not the runner."""
        return {**self.__dict__, "runner": None}

    def _use(self, *key: int) -> None:
        """Draw from the stream of one step from now on (`parallel.stream`)."""
        self.st.rng = parallel.stream(self.seed, *key)
        self.st.fake.rng = parallel.stream(self.seed, *key, 1)

    @property
    def done(self) -> dict[str, Generated]:
        """The tables generated so far, as their children see them."""
        return self.st.done

    @property
    def notes(self) -> list[str]:
        return self.st.notes

    def run(self) -> Iterator[TableData | DeferredUpdate]:
        held: list[TableData] = []  # waiting for the parent of a NOT NULL FK in a cycle
        for name in self.st.plan.order:
            parts = []
            for data in self.chunks(name):
                if self.st.waiting.get(name):
                    parts.append(data)
                else:
                    yield data
            if parts:
                held.append(join_chunks(parts))
            for item in [h for h in held if self._parents_ready(h.table.name)]:
                self._use(self.pos[item.table.name], 0, 2)
                fill_waiting(self.st, item)
                held.remove(item)
                yield item
        for item in held:
            self._use(self.pos[item.table.name], 0, 2)
            fill_waiting(self.st, item)
            yield item
        self._use(len(self.st.plan.order), 0, 0)
        yield from deferred_updates(self.st)

    def _parents_ready(self, table: str) -> bool:
        return all(fk.ref_table in self.st.done for fk in self.st.waiting[table])

    # -- one table ---------------------------------------------------------------------------
    def table(self, name: str) -> TableData:
        """The whole table at once (its chunks joined)."""
        return join_chunks(list(self.chunks(name)))

    def chunks(self, name: str) -> Iterator[TableData]:
        """The table's rows in consecutive chunks of about CHUNK_ROWS, cut between the children
        of different driving parents; what must hold across chunks (keys, UNIQUE, parent
        aggregates, the rows children need) is carried in a `Run`."""
        table = self.st.schema.table(name)
        tm = self.st.model.table(name)
        pos = self.pos[name]
        self._use(pos, 0, 0)
        if tm.verbatim:
            yield self._verbatim(table, tm)
            return
        driver = next((f for f in tm.fks if f.driving and f.ref_table in self.st.done), None)
        driven = driven_rows(self.st, driver) if driver else None
        n = driven.n if driven is not None else self.st.row_count(tm)
        run = Run(table, tm, driver, driven, n, seed=self.seed, pos=pos)
        reserve_keys(self.st, table, tm, n)
        bounds = driven.bounds(CHUNK_ROWS) if driven is not None else \
            [(lo, min(lo + CHUNK_ROWS, n)) for lo in range(0, n, CHUNK_ROWS)] or [(0, 0)]
        prepare_fks(self.st, run, tuple(lo for lo, _ in bounds) + (bounds[-1][1],))
        run.patterns = column_patterns(table, self.st.schema.dialect)
        local = set(driver.columns) if driver is not None else set()
        run.across = across_chunks(table, local, disjoint_keys(table, tm, n))
        insert_cols = tuple(c.name for c in table.columns if not c.computed)
        spread = len(bounds) > 1
        jobs = [(i, lo, hi) for i, (lo, hi) in enumerate(bounds)]
        # A parent inside the table itself is found among the keys of the earlier chunks:
        # such a table's chunks are finished here, in order.
        ordered = any(fk.ref_table == name for fk in tm.fks)
        stage = self.stage if len(jobs) > 1 and self._stages(run, ordered) else None
        back = self._needed_here(run) if stage is not None else None

        def made(i: int, lo: int, hi: int) -> parallel.Done:
            self._use(pos, i + 1, 0)
            data, latent = self._head(run, lo, hi, spread=spread)
            if ordered:
                return parallel.Done(data, latent)
            done = self._tail(run, data, latent, i, lo, hi)
            if stage is None or back is None:
                return done
            staged = stage.write(table, insert_cols, done.data, i)
            return replace(done, data={c: v for c, v in done.data.items() if c in back},
                           staged=staged)

        for (i, lo, hi), done in zip(jobs, self.runner.heads(name, made, jobs), strict=True):
            release()  # the last chunk's arrays are gone
            if ordered:
                done = self._tail(run, done.data, done.latent, i, lo, hi)
            self._use(pos, i + 1, 2)
            data = self._join(run, done, spread=spread)
            rows = {} if done.staged is not None else {c: data[c] for c in insert_cols}
            yield TableData(table, insert_cols, rows, planned_rows=n,
                            last=i == len(bounds) - 1, staged=done.staged)
        self._use(pos, 0, 1)
        self._finish(run)

    def _stages(self, run: Run, ordered: bool) -> bool:
        """Whether the table's chunks are final where they are made: nothing done here
        changes them (no UNIQUE set another chunk's rows could repeat, no FK waiting for a
        later table, no parent inside the table)."""
        return not (ordered or run.across or self.st.waiting.get(run.table.name))

    def _needed_here(self, run: Run) -> set[str]:
        """The columns of a staged chunk this process still reads: what children keep
        (`_keep`), the categories children counts are drawn by, parents' aggregates."""
        if run.needed is None:
            run.needed = self._needed(run.table)
            run.parent = self._has_children(run.table)
        return run.needed | {cm.by for cm in run.tm.counts if cm.by} | \
            aggregate_inputs(self.st, run.table) | {ROW}

    def _head(self, run: Run, lo: int, hi: int, *, spread: bool) -> tuple[Columns, np.ndarray]:
        """Rows lo..hi of the table (positions in the planned rows) up to their driving FK,
        and their latent scores."""
        table, tm, driver = run.table, run.tm, run.driver
        parent_idx = run.driven.idx(lo, hi) if run.driven is not None else None
        n = hi - lo
        ch = Chunk(table, rows_before=lo, rows_planned=run.n, spread=spread)
        latent = latent_scores(self.st, tm, driver, parent_idx, n, run)
        data: Columns = {ROW: np.arange(n)}
        own = {d: i for i, d in enumerate(tm.copula)}
        for cm in _generation_order(tm.columns):
            z = latent[:, own[cm.name]] if cm.name in own else None
            data[cm.name] = generate_column(self.st, ch, cm, z, n, data)
            finisher = next((f for f in FINISHERS if f.applies(cm)), None)
            if finisher is not None:
                finisher.finish(self.st, ch, cm, data, driver, parent_idx)
        if driver is not None and parent_idx is not None:
            assign_driver(self.st, data, driver, parent_idx)
        return data, latent

    def _tail(self, run: Run, data: Columns, latent: np.ndarray, i: int, lo: int, hi: int
              ) -> parallel.Done:
        """The rest of the chunk that reads no other chunk: the other FKs (parents dealt
        to the chunk, `prepare_fks`), row rules, CHECKs, uniqueness within the chunk, and
        the hashes of what must also be unique against earlier chunks."""
        self._use(run.pos, i + 1, 1)
        table, tm, driver = run.table, run.tm, run.driver
        for fk in tm.fks:
            if fk is not driver and not fk.as_category:
                assign_fk(self.st, data, fk, run, i, lo, hi)
        apply_rules(self.st, table, tm, data)
        data = drop_orphans(table, data, self.st.waiting.get(table.name, []))
        data, notes = repair(table, self.st.schema.dialect, data, self.st.rng)
        data = enforce_unique(table, data, self.st.rng, run.patterns)
        data, _ = repair(table, self.st.schema.dialect, data, self.st.rng, fix=False)
        return parallel.Done(data, latent, tuple(notes), chunk_hashes(data, run.across))

    def _join(self, run: Run, done: parallel.Done, *, spread: bool) -> Columns:
        """A made chunk joins the table, in chunk order: its UNIQUE sets checked against
        the earlier chunks' (perturbed again if one repeats), what children keep, the sums
        of parents' aggregates."""
        table, data = run.table, done.data
        self.st.notes += [note for note in done.notes if note not in self.st.notes]
        if clashes(done.hashes, run.seen):
            data = enforce_unique(table, data, self.st.rng, run.patterns, seen=run.seen,
                                  sets=run.across)
            data, _ = repair(table, self.st.schema.dialect, data, self.st.rng, fix=False)
        else:
            for cols, hashes in done.hashes.items():
                run.seen.setdefault(cols, []).append(hashes)
        kept = data.pop(ROW)
        self._keep(run, data, done.latent[kept], spread)
        derive_parents(self.st, table, data, run)
        return data

    def _finish(self, run: Run) -> None:
        """The table is complete: remember what its children need, settle its aggregates."""
        if run.needed is None:  # no chunk at all (0 rows)
            self._keep(run, {}, np.zeros((0, len(run.tm.copula))), False)
        self.st.done[run.table.name] = Generated(run.rows, run.kept, run.tm.copula)
        self.st.derived += derived_updates(self.st, run)

    def _keep(self, run: Run, data: Columns, latent: np.ndarray, spread: bool) -> None:
        if run.needed is None:
            run.needed = self._needed(run.table)
            run.parent = self._has_children(run.table)
        n = len(latent)
        kept = {c: data[c] for c in run.needed if c in data}
        # Children draw from a parent's latent scores; a table without children keeps none.
        kept[LATENT] = latent if run.parent else np.zeros((n, 0))
        kept.update(child_counts(self.st, run.table, run.tm, latent, data, spread))
        run.kept.append(kept)
        run.rows += n

    def _has_children(self, table: Table) -> bool:
        return any(fk.ref_table == table.name for t in self.st.schema.tables
                   for fk in t.foreign_keys)

    def _needed(self, table: Table) -> set[str]:
        """Columns remembered after the table is generated: the keys children reference, the
        columns they copy or build on (dates), and the keys a later UPDATE needs."""
        refs = {c for t in self.st.schema.tables for fk in t.foreign_keys
                if fk.ref_table == table.name for c in fk.ref_columns}
        if refs:
            refs |= {c.name for c in table.columns if c.kind in ("date", "datetime")}
            refs |= self.st.copied.get(table.name, set())
            for tm in self.st.model.tables:
                driver = next((f for f in tm.fks if f.driving), None)
                if driver is not None and driver.ref_table == table.name:
                    refs |= {dims.of_parent(cm.base) for cm in tm.columns
                             if cm.base and dims.is_parent(cm.base)}
        refs |= {cm.ref.rsplit(".", 1)[1] for tm in self.st.model.tables for cm in tm.columns
                 if cm.ref and cm.ref.rsplit(".", 1)[0] == table.name}
        refs |= ancestors.kept(self.st.schema, {tm.name: tm.rules for tm in self.st.model.tables},
                               table.name)
        # what a sibling table's rules read of it (`relations.spans`), children or not
        refs |= self.st.copied.get(table.name, set())
        if any(t.name == table.name for t, _ in self.st.pending):
            refs |= set(table.primary_key or table.column_names)
        return refs

    def _verbatim(self, table: Table, tm: TableModel) -> TableData:
        """A reference table copied as it is, whatever the scale."""
        n = len(tm.rows)
        data = {c.name: from_json(c, [r[i] for r in tm.rows]) for i, c in enumerate(table.columns)}
        latent = np.asarray(tm.latent, dtype=float).reshape(n, -1) if n else np.zeros((0, 0))
        kept = {c: data[c] for c in self._needed(table) if c in data}
        kept[LATENT] = latent
        kept.update(child_counts(self.st, table, tm, latent, data, False))
        self.st.done[table.name] = Generated(n, Spill(), tm.copula)
        self.st.done[table.name].kept.append(kept)
        insert_cols = tuple(c.name for c in table.columns if not c.computed)
        return TableData(table, insert_cols, {c: data[c] for c in insert_cols})


def _generation_order(columns: tuple[ColumnModel, ...]) -> list[ColumnModel]:
    """Columns after the columns they are based on."""
    done: set[str] = set()
    out: list[ColumnModel] = []
    # Emails follow the row's names, personnummer its birth date: generate those last.
    todo = sorted(columns, key=lambda c: c.pii in ("email", "personnummer"))
    while todo:
        ready = [c for c in todo if (not c.base or dims.is_parent(c.base) or c.base in done)
                 and (not c.by or c.by in done)]
        if not ready:  # a cycle cannot come out of fit; be safe anyway
            ready = todo
        for c in ready:
            out.append(c)
            done.add(c.name)
        todo = [c for c in todo if c.name not in done]
    return out
