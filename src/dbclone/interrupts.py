"""SIGINT and SIGTERM during a run: both raise like Ctrl-C (so every rollback and clean-up on
the way out runs), except inside the few steps no signal may split — a commit, the MariaDB
swap and what follows it, the link of a new SQLite file — where the signal waits until the
step is done. What the target holds when a signal arrives is known here: `committed()` says
whether the new clone was already in place, so the message can say so truthfully."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C."""


class _State:
    deferring = False
    pending: int | None = None
    committed = False


_STATE = _State()


def _raise_for(signum: int) -> None:
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _handler(signum: int, frame: FrameType | None) -> None:
    if _STATE.deferring:
        _STATE.pending = signum
        return
    _raise_for(signum)


def install() -> None:
    """Route SIGINT and SIGTERM through `_handler` (main thread only, as Python requires)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _handler)
        signal.signal(signal.SIGINT, _handler)
    _STATE.committed = False
    _STATE.pending = None


@contextmanager
def uninterrupted() -> Iterator[None]:
    """A step no signal may split: a signal that arrives meanwhile is raised at its end (not
    when the step itself failed: its error is the truer message)."""
    outer = _STATE.deferring
    _STATE.deferring = True
    try:
        yield
    finally:
        _STATE.deferring = outer
    if not outer and _STATE.pending is not None:
        signum, _STATE.pending = _STATE.pending, None
        _raise_for(signum)


def pending() -> bool:
    """Whether a signal waits for the end of an uninterrupted step."""
    return _STATE.pending is not None


def mark_committed() -> None:
    """The target now holds the complete new clone."""
    _STATE.committed = True


def committed() -> bool:
    return _STATE.committed
