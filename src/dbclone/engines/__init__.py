"""Engines that make a clone's rows: dbclone's own (the default) and SDV's HMA (extra `sdv`).

Every engine is called as `api.clone` is and returns its `CloneResult`; the CLI picks one by
name from `ENGINES`. Introspection, personal data and the all-or-nothing load are dbclone's
whatever the engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dbclone.api import CloneResult


def _dbclone(*args: Any, **kwargs: Any) -> CloneResult:
    from dbclone.api import clone

    return clone(*args, **kwargs)


def _sdv_hma(*args: Any, **kwargs: Any) -> CloneResult:
    from dbclone.engines.sdv_hma import clone

    return clone(*args, **kwargs)


#: --engine NAME -> the clone function (the SDV module loads only when chosen).
ENGINES: dict[str, Callable[..., CloneResult]] = {"dbclone": _dbclone, "sdv-hma": _sdv_hma}
