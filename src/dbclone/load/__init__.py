"""Stage 5: create the target schema and bulk-load the generated rows, all or nothing.

How each dialect keeps "all or nothing" (its ``load_via`` flag):

- ``transaction`` (PostgreSQL, an existing SQLite file): DDL, data, verification and the
  replacement of old tables run in one transaction of the target; an error, a signal or
  ``kill -9`` at any moment rolls it back.
- ``new_file`` (SQLite, when the target file does not exist yet): the database is built in a
  hidden file next to the target and hard-linked into place only when complete, so an
  interrupted load leaves no file behind.
- ``staging_database`` (MySQL/MariaDB, whose DDL commits implicitly): the tables are built in
  a side database ``<target>__dbclone_<random>`` and moved into the target with one atomic
  ``RENAME TABLE`` (old tables out, new tables in); side databases left by a killed run are
  dropped by the next one. Views and triggers cannot change database: they are created in
  the side database (proving they work), dropped there, and created in the target right
  after the swap; old tables with triggers are parked inside the target for the swap. The
  statements that follow the swap travel with it, as a journal table renamed into the
  target by the same RENAME: a run killed after the swap leaves that list, and the next
  load into the target runs it first.

What comes after the rows, as a dump's restore does it: secondary indexes, FKs (then checked:
by the database on PostgreSQL, by dbclone's orphan count elsewhere), sequences, views and
triggers; on PostgreSQL also primary keys and UNIQUE constraints (one index build each
instead of row-by-row maintenance), except on partitioned tables and on tables that a
deferred UPDATE must find rows in by key.

A second load into the same target while one runs is refused (PostgreSQL advisory lock,
MariaDB ``GET_LOCK``, SQLite write lock), never interleaved.

Chunks can also come from several connections: the sampler's workers (or Dask tasks) write
them into the load's staging area, a side schema (PostgreSQL, moved in by the load's one
transaction) or the side database (MariaDB), committed there, before the switch
(``stage``).

Modules: ``atomic`` (one transaction, or a new SQLite file linked into place), ``staged``
(the side database, its swap and journal), ``stage`` (chunks written from other
connections), ``build`` (create, fill, finish and verify in one
connection), ``fill`` (bulk inserts, the generator's thread, deferred UPDATEs), ``verify``,
``common`` (the job, the lock, the emptiness and dialect checks).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from dbclone import faults
from dbclone.connect import display_url
from dbclone.errors import LoadError
from dbclone.load.atomic import in_transaction, new_file
from dbclone.load.common import (
    Job,
    LoadProgress,
    LoadResult,
    check_empty,
    dialect_of,
    first_line,
    sqlite_file,
)
from dbclone.load.stage import Stage
from dbclone.load.staged import finish_killed_swaps_locked, staged
from dbclone.load.verify import verify
from dbclone.schema import Schema
from dbclone.synth.tables import DeferredUpdate, TableData

__all__ = ["PAUSE_ENV", "LoadProgress", "LoadResult", "check_target", "load", "verify"]

#: Test hooks (never set in production): see `dbclone.faults` for the named points.
PAUSE_ENV = faults.PAUSE_ENV


def check_target(engine: Engine, schema: Schema, replace: bool) -> None:
    """Refuse a target of another dialect, or one that holds tables unless told to replace."""
    dialect = dialect_of(engine, schema)
    path = sqlite_file(engine)
    if path is not None and not os.path.exists(path):
        return  # a new SQLite file: nothing to check, and connecting would create it
    try:
        if dialect.load_via == "staging_database":
            finish_killed_swaps_locked(engine, dialect)
        with engine.connect() as conn:
            check_empty(conn, dialect, schema, replace)
    except SQLAlchemyError as exc:  # e.g. a SQLite file locked by a load that is committing
        raise LoadError(f"cannot read target {display_url(engine)}: {first_line(exc)}"
                        ) from None


def load(engine: Engine, schema: Schema, items: Iterable[TableData | DeferredUpdate], *,
         replace: bool = False, progress: LoadProgress | None = None,
         into: Schema | None = None, stage_with: Callable[[Stage], None] | None = None
         ) -> LoadResult:
    """Create `schema` in the target and fill it from `items`, all or nothing (see module doc).
    With `into` (the target's own definitions of the tables, see dbclone.existing) nothing is
    created: the existing tables are filled in one transaction. `stage_with` is told the
    load's staging area (PostgreSQL, MariaDB) before the first item is taken: the items'
    makers may write chunks there from their own connections (see `dbclone.load.stage`)."""
    dialect = dialect_of(engine, schema)
    path = sqlite_file(engine)
    result = LoadResult()
    job = Job(dialect, schema, items, result, progress, replace, into, stage_with)
    try:
        if into is not None:
            in_transaction(dialect.load_engine(engine), job)
        elif path is not None and not os.path.exists(path):
            new_file(engine, path, job)
        elif dialect.load_via == "staging_database":
            staged(engine, job)
        else:
            in_transaction(engine, job)
    except SQLAlchemyError as exc:
        raise LoadError(f"load failed, target left as it was: {first_line(exc)}") from None
    return result

