"""Scratch files of bulk loads (MariaDB's LOAD DATA reads a file by name) that no kill can
leave behind: on Linux the file has no name in $TMPDIR at all (the driver opens it through
/proc/self/fd); elsewhere it is named ``dbclone-<pid>-*`` and files of dead processes are
swept away by the next load."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

PREFIX = "dbclone-"
_PROC_FD = Path("/proc/self/fd")


@contextlib.contextmanager
def scratch_file(suffix: str) -> Iterator[tuple[IO[str], str]]:
    """An open text file and a path the same process can open it by."""
    if _PROC_FD.is_dir():
        with tempfile.TemporaryFile("w+", encoding="utf-8", suffix=suffix) as unnamed:
            yield unnamed, str(_PROC_FD / str(unnamed.fileno()))
        return
    sweep(suffix)
    with tempfile.NamedTemporaryFile("w+", encoding="utf-8", suffix=suffix,
                                     prefix=f"{PREFIX}{os.getpid()}-") as named:
        yield named, named.name


def sweep(suffix: str, folder: str | None = None) -> list[Path]:
    """Remove the scratch files of processes that no longer run; the removed paths."""
    gone = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{PREFIX}*-*{suffix}"):
        pid = path.name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                path.unlink()
                gone.append(path)
    return gone


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
