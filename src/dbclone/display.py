"""What a person sees while a command runs, and the last word when it fails.

Three displays answer the same calls (a table fitted; rows of a table loaded): live bars on a
terminal, plain lines when stderr is a file or a pipe (cron, CI, `2>log`), JSON lines with
`--log-json`. The CLI opens one per command; an error or interrupt message goes through
`last_word`, which stops the live display first, so the message is the last thing on screen
instead of being painted over by the bars' final redraw.

Rates are rows over real elapsed time: a table's clock starts when the previous table ended
(or when the display opened), not at its first chunk, which would divide by almost nothing.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol


class Display(Protocol):
    def fitted(self, table: str, rows: int, rules: int | None = None) -> None:
        """`table` was read (`rows` rows) and modelled (`rules` rules, when known)."""

    def loaded(self, table: str, done: int, total: int) -> None:
        """`done` of `total` planned rows of `table` are in the target."""

    def stop(self) -> None:
        """Leave the screen as it is; nothing is drawn after this."""


def log_json(event: str, **fields: Any) -> None:
    record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "event": event, **fields}
    sys.stderr.write(json.dumps(record, default=str) + "\n")
    sys.stderr.flush()


@dataclass
class _Clock:
    """Per-table start times: each table starts when the display last heard of any table."""

    last: float = field(default_factory=time.perf_counter)
    starts: dict[str, float] = field(default_factory=dict)

    def elapsed(self, table: str) -> float:
        now = time.perf_counter()
        start = self.starts.setdefault(table, self.last)
        self.last = now
        return now - start


def _rate(rows: int, seconds: float) -> str:
    # Under a millisecond the figure says nothing; a rate is shown once a table took time.
    return f"{rows / seconds:,.0f} rows/s" if seconds >= 1e-3 else ""


def _rules(rules: int | None) -> str:
    # None: not known (another engine's step); 0: none found, said by saying nothing.
    return f", {rules} rule{'s' if rules > 1 else ''}" if rules else ""


def _mute_keys() -> Callable[[], None]:
    """Stop the terminal echoing keys while bars are live; returns the undo. A `^C` echoed
    into the last bar's line wraps it when the line is full, and every later redraw then lands
    one line low (the duplicated bars seen in tmux)."""
    try:
        import termios

        fd = sys.stdin.fileno()
        if not os.isatty(fd):
            return lambda: None
        old = termios.tcgetattr(fd)
        new = list(old)
        new[3] &= ~(termios.ECHO | termios.ECHOCTL)
        termios.tcsetattr(fd, termios.TCSANOW, new)
    except (ImportError, OSError, ValueError):
        return lambda: None
    return lambda: termios.tcsetattr(fd, termios.TCSANOW, old)


class Silent:
    """--quiet: nothing but the errors."""

    def fitted(self, table: str, rows: int, rules: int | None = None) -> None:
        pass

    def loaded(self, table: str, done: int, total: int) -> None:
        pass

    def stop(self) -> None:
        pass


class JsonLines:
    """--log-json: one record per table fitted and per table loaded."""

    def fitted(self, table: str, rows: int, rules: int | None = None) -> None:
        log_json("fit", table=table, rows=rows, **({} if rules is None else {"rules": rules}))

    def loaded(self, table: str, done: int, total: int) -> None:
        if done >= total:
            log_json("table", table=table, rows=total)

    def stop(self) -> None:
        pass


class Lines:
    """Not a terminal: one plain line per table when it is done, nothing redrawn."""

    def __init__(self, write: Callable[[str], None] | None = None) -> None:
        self._write = write or (lambda line: print(line, file=sys.stderr, flush=True))
        self._clock = _Clock()
        self._fit_clock = _Clock()

    def fitted(self, table: str, rows: int, rules: int | None = None) -> None:
        seconds = self._fit_clock.elapsed(table)
        self._write(f"fit  {table}: {rows:,} rows read{_rules(rules)} ({seconds:.1f} s)")
        self._clock = _Clock()  # loading starts after the fit

    def loaded(self, table: str, done: int, total: int) -> None:
        seconds = self._clock.elapsed(table)
        if done >= total:
            rate = _rate(total, seconds)
            self._write(f"load {table}: {total:,} rows ({seconds:.1f} s"
                        + (f", {rate})" if rate else ")"))

    def stop(self) -> None:
        pass


class Live:
    """A terminal: a line for the fit, then a bar per table, drawn by rich on stderr."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
        )

        # Names as long as they are and a short bar: on 80 columns the counts and rates
        # must stay whole (rich shrinks the widest columns first).
        self._bars = Progress(TextColumn("{task.description}"), BarColumn(bar_width=16),
                              MofNCompleteColumn(), TextColumn("{task.fields[note]}"),
                              console=Console(stderr=True),
                              transient=False, redirect_stdout=True, redirect_stderr=True)
        self._tasks: dict[str, Any] = {}
        self._clock = _Clock()
        self._fit: Any = None
        self._fit_rows = 0
        self._fit_tables = 0
        self._stopped = False
        self._opened = time.perf_counter()
        self._unmute = _mute_keys()
        self._bars.start()

    def fitted(self, table: str, rows: int, rules: int | None = None) -> None:
        if self._fit is None:
            self._fit = self._bars.add_task("fit", total=None, note="")
        self._fit_rows += rows
        self._fit_tables += 1
        seconds = time.perf_counter() - self._opened
        self._bars.update(self._fit, note=f"{seconds:.1f} s  {table}: {rows:,} rows"
                          f"{_rules(rules)}")
        self._clock = _Clock()

    def loaded(self, table: str, done: int, total: int) -> None:
        if self._fit is not None:  # the fit is over once rows arrive
            self._bars.update(self._fit, total=self._fit_tables, completed=self._fit_tables)
            self._fit = None
        if table not in self._tasks:
            self._tasks[table] = self._bars.add_task(table, total=total or 1, note="")
        seconds = self._clock.elapsed(table)
        # A table loaded in chunks: `done` counts all its chunks so far, `total` is planned.
        self._bars.update(self._tasks[table], completed=done if total else 1, total=total or 1,
                          note=f"{seconds:.1f} s  {_rate(done, seconds)}")

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._bars.stop()
            self._unmute()


_ACTIVE: list[Display] = []


def choose(quiet: bool, as_json: bool, terminal: bool | None = None) -> Display:
    """The display for these options and this stderr."""
    if quiet:
        return Silent()
    if as_json:
        return JsonLines()
    return Live() if (sys.stderr.isatty() if terminal is None else terminal) else Lines()


@contextmanager
def opened(quiet: bool, as_json: bool) -> Iterator[Display]:
    """A display for one command, stopped on the way out whatever happens."""
    display = choose(quiet, as_json)
    _ACTIVE.append(display)
    try:
        yield display
    finally:
        display.stop()
        _ACTIVE.remove(display)


def last_word(write: Callable[[], None]) -> None:
    """Stop every live display, then `write` the message: nothing draws over it afterwards."""
    for display in _ACTIVE:
        display.stop()
    write()
