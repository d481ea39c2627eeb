"""Sampling on several cores: a table's chunks made by worker processes, and the random
streams that make the rows the same whatever the number of workers.

Streams. No random draw of the sampler comes from one generator threaded through the run:
each step draws from a stream of its own, `stream(seed, table, step, phase)`, keyed by the
table's place in the plan and the step's place in the table (0 for the table's setup and
its end, chunk index + 1 for a chunk). A chunk's rows therefore depend on the model, the
seed and the chunk's place, never on which process made them or on what that process made
before. Faker pools are a function of (seed, provider, size) for the same reason
(`pii.Generator.pool`).

A chunk is made whole where it runs (`Sampler._head`, `Sampler._tail`): latent scores, every
column with the relation that finishes it, the FKs (the driving parent's rows; other FKs'
parents dealt to the chunk by its index, `parents.Deal`), row rules, CHECK repair,
uniqueness within the chunk, and the hashes of the UNIQUE sets another chunk's rows could
repeat. It reads only what the table set up before its first chunk (`Run`, in the parent:
`prepare_fks`, `keys.reserve_keys`) and finished tables, so chunks run in any order, in any
process. The parent then joins them in chunk order (`Sampler._join`): it checks those hashes
against the earlier chunks' (perturbing the chunk again only when one repeats), keeps what
children need and adds the parents' aggregates: a small share of the work. Where no later
step changes a chunk, the worker also writes it into the load's staging area from its own
connection (`dbclone.load.stage`) and sends back only what the parent still reads. A table
with a parent inside itself finishes its chunks in the parent, in order (a row's parent
may be in an earlier chunk).

Chunks run in worker processes forked when a table starts (its parents are finished then,
and a fork shares them copy-on-write instead of sending them); the parent keeps at most
`2 x workers` chunks in flight, so memory stays a few chunks whatever the table's size. A
chunk must not change state another chunk reads (a worker's changes die with it). A table
of one chunk, and every table at `workers=1`, is made in the parent: the same functions,
the same streams, the same rows.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from dbclone import faults
from dbclone.errors import LoadError
from dbclone.memory import release
from dbclone.synth.spill import from_days, plain_dates
from dbclone.synth.tables import Staged

Job = tuple[int, int, int]


@dataclass(frozen=True)
class Done:
    """A chunk as it comes back from where it was made: its columns (with the rows' places
    among those planned), their latent scores, the notes of its rules, and the hashes of its
    UNIQUE sets that the sampler checks against earlier chunks (`unique.chunk_hashes`)."""

    data: dict[str, np.ndarray]
    latent: np.ndarray
    notes: tuple[str, ...] = ()
    hashes: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict)
    #: Written into the load's staging area where it was made (`data` then holds only what
    #: the sampler still reads).
    staged: Staged | None = None


#: A chunk: (chunk index, first row, row after the last) -> what it made.
Head = Callable[[int, int, int], Done]

_PR_SET_PDEATHSIG = 1
_HEAD: Head | None = None  # the head of the table being generated, inherited by the fork


class Runner(Protocol):
    """Where a table's chunks are made: `heads` yields them in the jobs' order; `spread`
    says whether they are made in other processes."""

    @property
    def spread(self) -> bool: ...

    def heads(self, table: str, head: Head, jobs: Sequence[Job]) -> Iterator[Done]: ...


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def stream(seed: int, *key: int) -> np.random.Generator:
    """The random stream of one step of the run (see the module docstring)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def call_head(head: Head, table: str, index: int, lo: int, hi: int) -> Done:
    """Run one head; `head:TABLE:INDEX` is a fault point for tests (dbclone.faults)."""
    faults.point(f"head:{table}:{index}")
    return head(index, lo, hi)


@dataclass(frozen=True)
class Local:
    """Heads on this machine: in this process (`workers=1`, or a table of one chunk), else on
    `workers` processes forked when the table starts."""

    workers: int = 1

    @property
    def spread(self) -> bool:
        return self.workers > 1

    def heads(self, table: str, head: Head, jobs: Sequence[Job]) -> Iterator[Done]:
        if self.workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                yield call_head(head, table, *job)
            return
        global _HEAD
        _HEAD = head
        ctx = multiprocessing.get_context("fork")
        pool = ProcessPoolExecutor(min(self.workers, len(jobs)), mp_context=ctx,
                                   initializer=_quiet)
        try:
            yield from window(jobs, lambda job: pool.submit(_run_head, table, *job),
                              2 * self.workers, lambda f: unpacked(f.result()))
        except BrokenProcessPool:
            raise LoadError(f"a worker process died while generating table {table} (killed, "
                            "or out of memory?); target left as it was; run again, with "
                            "fewer --workers if memory is short") from None
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            _HEAD = None


def window(jobs: Sequence[Job], submit: Callable[[Job], Future[Done]], ahead: int,
           result: Callable[[Future[Done]], Done]) -> Iterator[Done]:
    """Results of `jobs` in order, at most `ahead` submitted and not yet taken: memory stays
    a few chunks, and a slow consumer does not pile results up."""
    todo = iter(jobs)
    flying: deque[Future[Done]] = deque()
    for job in todo:
        flying.append(submit(job))
        if len(flying) >= ahead:
            break
    while flying:
        done = result(flying.popleft())
        nxt = next(todo, None)
        if nxt is not None:
            flying.append(submit(nxt))
        yield done


def _quiet() -> None:
    """Signals are the parent's business: it stops the workers when it stops. A parent
    killed outright (kill -9) cannot: then Linux kills the workers (PR_SET_PDEATHSIG), which
    would otherwise wait on their queue for ever, holding their memory."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(OSError, AttributeError):  # not on Linux: no such call
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _run_head(table: str, index: int, lo: int, hi: int) -> Done:
    assert _HEAD is not None
    release()  # the worker's last chunk is sent and gone
    return packed(call_head(_HEAD, table, index, lo, hi))


class _Days:
    """A date column on its way between processes, as day numbers (`spill.plain_dates`):
    pickling 50,000 date objects cost ~0.1 s, most of a chunk's transfer."""

    def __init__(self, days: np.ndarray) -> None:
        self.days = days


def packed(done: Done) -> Done:
    """A chunk made cheap to pickle (`unpacked` restores equal values)."""
    out: dict[str, Any] = {}
    for name, values in done.data.items():
        days = plain_dates(values) if values.dtype == object and len(values) else None
        out[name] = values if days is None else _Days(days)
    return replace(done, data=out)


def unpacked(done: Done) -> Done:
    return replace(done, data={name: from_days(v.days) if isinstance(v, _Days) else v
                               for name, v in done.data.items()})
