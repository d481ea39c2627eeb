"""Chunks on a Dask distributed cluster (`--dask tcp://host:8786`), the same rows as on this
machine.

A table's chunks (`dbclone.synth.parallel`: made whole, their columns and FKs, rules,
CHECKs and uniqueness within the chunk) become Dask tasks: the sampler's state as the table
starts (the model, the finished tables its children read) is sent to the workers once per
table (`Client.scatter`, broadcast), then one task per chunk, at most `2 x the cluster's
threads` in flight (a table of one chunk is made here). Where the load has a staging area
(PostgreSQL, MariaDB: `dbclone.load.stage`), a task also writes its chunk's rows into it
from the worker's own connection to the target, committed there, and sends back only what
this process still reads (the keys and scores children need); the load's one switch then
makes them the target's. Dask's scheduler places the tasks, and runs a task again elsewhere
when its worker dies; the rows do not depend on where a chunk ran (each chunk has its own
random streams), and a task run again writes its chunk's table anew (PostgreSQL) or its
rows again into the side database (MariaDB: a rerun there fails on the keys the first run
wrote, and the load with it). A task that fails, or whose workers keep dying, fails the
load, and the target is left as it was.

Dask is the `dask` extra (`pip install 'dbclone[dask]'`); nothing else imports this module.
Limits: the finished tables a table's chunks read travel to every worker, in memory, once
per table (children need their parents' keys and latent scores), so a worker needs the
memory of the largest parent's kept columns; the workers reach the target with the URL
given to dbclone, password included.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import CancelledError
from typing import Any

from dbclone.errors import ConnectError, LoadError, UsageError
from dbclone.synth.parallel import Done, Head, Job, call_head, packed, unpacked, window

#: Seconds to wait for the scheduler when connecting.
CONNECT_TIMEOUT = 20


class DaskRunner:
    """Runs chunk heads as tasks of the Dask cluster whose scheduler is at `address`."""

    def __init__(self, address: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise UsageError("--dask needs Dask: pip install 'dbclone[dask]'") from None
        self.address = address
        try:
            self.client: Any = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConnectError(f"cannot reach the Dask scheduler at {address}: "
                               f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                               "; start it (`dask scheduler`) or check the address") from None

    spread = True

    def heads(self, table: str, head: Head, jobs: Sequence[Job]) -> Iterator[Done]:
        if len(jobs) <= 1:  # sending the state would cost more than the chunk
            yield from (call_head(head, table, *job) for job in jobs)
            return
        threads = max(sum(self.client.nthreads().values()), 1)
        state = self.client.scatter(head, broadcast=True, hash=False)
        try:
            yield from window(
                jobs, lambda job: self.client.submit(_packed_head, state, table, *job,
                                                     pure=False),
                2 * threads, lambda future: self._result(table, future))
        finally:
            self.client.cancel([state])

    def _result(self, table: str, future: Any) -> Done:
        from distributed import KilledWorker

        try:
            return unpacked(future.result())
        except (KilledWorker, CancelledError):
            # a worker that dies may take the scattered state with it: the scheduler then
            # cancels the chunks waiting on it instead of marking them killed
            raise LoadError(f"Dask workers died running a chunk of table {table} (killed, or "
                            "out of memory?); target left as it was") from None

    def close(self) -> None:
        self.client.close()


def _packed_head(head: Head, table: str, index: int, lo: int, hi: int) -> Done:
    """A Dask task: one chunk's head, packed for its way back (`parallel.packed`)."""
    return packed(call_head(head, table, index, lo, hi))
