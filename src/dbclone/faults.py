"""Test hooks that make faults happen at a named moment of a load, so that tests can check
what a signal, a kill or a pause at each stage boundary leaves behind. Never set in
production; both read an environment variable and do nothing when it is unset.

- ``DBCLONE_TEST_PAUSE_AT=POINT``: stop at POINT for ``DBCLONE_TEST_PAUSE_SECONDS`` (30)
  after printing ``dbclone-test: paused at POINT`` on stderr (the test then signals or kills
  the process, or acts on the database meanwhile).
- ``DBCLONE_TEST_SIGNAL_AT=POINT:SIG`` (SIG one of INT, TERM, KILL): the process sends
  itself SIG at POINT, deterministically; with ``DBCLONE_TEST_SIGNAL_ONCE=FILE`` only the
  first process to reach POINT does (the one that creates FILE), so a task run again after
  its worker died gets through.

Points (every stage boundary of a load): ``locked`` (lock taken, target checked),
``created`` (tables created), ``batch:N`` (after N batches), ``load-data`` (MariaDB: a batch's
file written, LOAD DATA not yet run), ``finish`` (rows in, before keys/indexes/FKs),
``verified`` (indexes, FKs and checks done), ``commit`` (before the commit, swap or link),
``fks-dropped`` (MariaDB --replace: the FKs of the old tables with triggers dropped, the
swap not yet done), ``swapped`` (MariaDB: tables swapped in, views and triggers not yet
created), ``committed`` (the new clone in place, clean-up not yet done).
"""

from __future__ import annotations

import os
import signal
import sys
import time

from dbclone import interrupts

PAUSE_ENV = "DBCLONE_TEST_PAUSE_AT"
SIGNAL_ENV = "DBCLONE_TEST_SIGNAL_AT"
ONCE_ENV = "DBCLONE_TEST_SIGNAL_ONCE"
_SIGNALS = {"INT": signal.SIGINT, "TERM": signal.SIGTERM, "KILL": signal.SIGKILL}


def point(name: str) -> None:
    """A stage boundary called `name`: pause or signal here when a test asks for it."""
    spec = os.environ.get(SIGNAL_ENV)
    if spec and spec.rpartition(":")[0] == name and _first_here():
        os.kill(os.getpid(), _SIGNALS[spec.rpartition(":")[2]])
        time.sleep(0.05)  # let the handler run here, not a few statements later
    if os.environ.get(PAUSE_ENV) != name:
        return
    sys.stderr.write(f"dbclone-test: paused at {name}\n")
    sys.stderr.flush()
    end = time.monotonic() + float(os.environ.get("DBCLONE_TEST_PAUSE_SECONDS", "30"))
    while time.monotonic() < end and not interrupts.pending():
        time.sleep(0.05)  # a signal deferred by an uninterrupted step ends the pause


def _first_here() -> bool:
    """Whether this process is the first to reach the point (`ONCE_ENV` unset: always)."""
    once = os.environ.get(ONCE_ENV)
    if not once:
        return True
    try:
        os.close(os.open(once, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True
