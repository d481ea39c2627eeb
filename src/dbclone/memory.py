"""Keep the C allocator from holding on to the memory of earlier chunks, without paying for
fresh pages on every large array.

A table is generated and loaded in chunks of about 50,000 rows, so the same large arrays
(object arrays of 400 KB, numeric arrays of a few MB) are allocated and freed again for every
chunk. Left to itself, glibc's malloc serves blocks above its mmap threshold with their own
mmap, raises that threshold each time such a block is freed (up to 32 MB), and keeps what
the heap frees: chunk-sized arrays interleave with longer-lived small blocks and the heap
keeps growing with the number of chunks (the Employees clone peaked 10% higher at 6.5M rows
than at 1.3M rows with no more live data). Giving every block from 256 KB up a mapping of
its own returned that memory, but then every temporary array of a vectorised step is a new
mapping whose pages the kernel faults in and zeroes again: a third of the sampler's CPU time
was system time (the token chain ran 1.6x slower than with the heap).

So the heap serves the chunk's arrays (a fixed threshold at glibc's own ceiling, and no trim
of the heap's top at every free), and the sampler hands the free memory back once per chunk
(`release`: malloc_trim returns every free page of every arena, not only the heap's top).
Peak memory is then one chunk's working set, whatever the number of chunks.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

#: glibc's mallopt parameter numbers (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Blocks from this size up get a mapping of their own: glibc's largest (on 64-bit), so a
#: chunk's arrays come from the heap and reuse its pages.
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at the heap's top kept at a free (handed back by `release` instead).
TRIM_THRESHOLD = 256 * 1024 * 1024

_libc: ctypes.CDLL | None = None
_done = False


def return_large_blocks() -> bool:
    """Set the thresholds (once per process); False where the C library is not glibc (musl,
    macOS), which is left as it is."""
    global _done, _libc
    if _done:
        return True
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        _done = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
            bool(libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False
    _libc = libc if _done else None
    return _done


def release() -> None:
    """Hand the free memory of every arena back to the system (after a chunk: its arrays
    are gone); nothing where `return_large_blocks` did not apply."""
    if _libc is not None:
        _libc.malloc_trim(0)
