"""MySQL/MariaDB loads (DDL commits implicitly there): the tables are built in a side
database and swapped into the target with one atomic RENAME TABLE; views and triggers, which
cannot change database, follow the swap through a journal table that travels with it (see
`dbclone.load`)."""

from __future__ import annotations

import contextlib
import secrets

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from dbclone import interrupts
from dbclone.connect import display_url
from dbclone.dialects import Dialect
from dbclone.errors import LoadError, TargetNotEmptyError, UsageError, mask
from dbclone.load.build import build
from dbclone.load.common import Job, check_empty, first_line, lock, pause, quietly
from dbclone.load.stage import Stage, record_table_sql, takes


def staged(engine: Engine, job: Job) -> None:
    """MySQL/MariaDB: build in a side database, swap it in with one atomic RENAME TABLE.
    Views and triggers cannot cross databases: they are tried in the side database, dropped
    there, and created in the target right after the swap."""
    dialect = job.dialect
    db = engine.url.database
    if not db:
        raise UsageError(f"the target URL {display_url(engine)} names no database; add /DBNAME")
    admin_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as admin:
        lock(admin, dialect, engine)
        try:
            dialect.prepare_load(admin)  # drop side databases whatever their FKs
            _finish_killed_swaps(admin, dialect)
            for table in dialect.parked_tables(admin):  # a run killed just after its swap
                admin.exec_driver_sql(f"DROP TABLE IF EXISTS {dialect.quote(table)}")
            check_empty(admin, dialect, job.schema, job.replace)
            pause("locked")
            for stale in dialect.staging_databases(admin, db):
                admin.exec_driver_sql(f"DROP DATABASE IF EXISTS {dialect.quote(stale)}")
            token = secrets.token_hex(4)
            staging, trash = dialect.staging_name(db, token)
            try:
                admin.exec_driver_sql(dialect.create_database_sql(admin, db, staging))
                admin.exec_driver_sql(dialect.create_database_sql(admin, db, trash))
                # Autocommit: the staging database is thrown away unless complete, so one
                # transaction around the fill only costs (15% of the load at 1.3M rows).
                loader = dialect.load_engine(engine).execution_options(isolation_level="AUTOCOMMIT")
                if job.stage_with is not None and takes(dialect):  # workers write there too
                    admin.exec_driver_sql(record_table_sql(dialect, staging))
                    job.open_stage(Stage(engine.url.render_as_string(hide_password=False),
                                         dialect.name, staging))
                with loader.connect() as conn:
                    conn.exec_driver_sql(f"USE {dialect.quote(staging)}")
                    dialect.prepare_load(conn)
                    build(conn, job)
                    for stmt in dialect.unstage_ddl(job.schema):
                        conn.exec_driver_sql(stmt)
                pause("commit")
                check_empty(admin, dialect, job.schema, job.replace)  # still, under the lock
                old_views = _views_in_the_way(admin, dialect, job)
                old = dialect.user_tables(admin, None)
                parked = {t: dialect.parking_name(token, i)
                          for i, t in enumerate(dialect.triggered_tables(admin))}
                todo = dialect.after_swap_ddl(job.schema, old_views, list(parked.values()))
                journal = dialect.journal_name(token)
                _write_journal(admin, dialect, staging, journal, todo)
                new = [t.name for t in job.schema.tables] + [journal]
                # From the swap on, a signal waits until the clone is whole in the target
                # (the journal covers kill -9 in between).
                with interrupts.uninterrupted():
                    old += _park_fks(admin, dialect, db, token, list(parked))
                    admin.exec_driver_sql(dialect.swap_sql(db, staging, trash, old, new, parked))
                    interrupts.mark_committed()
                    pause("swapped")
                    _after_swap(admin, dialect, journal, todo)
                pause("committed")
            finally:
                _drop_side_databases(engine, admin, dialect, (staging, trash))
        finally:
            with contextlib.suppress(SQLAlchemyError):  # a broken connection lost its lock
                dialect.unlock_load(admin)


def _drop_side_databases(engine: Engine, admin: Connection, dialect: Dialect,
                         names: tuple[str, ...]) -> None:
    """Drop this load's side databases, through a new connection when a signal or a dropped
    connection broke `admin` mid-statement (what is left is dropped by the next load)."""
    try:
        for side in names:
            admin.exec_driver_sql(f"DROP DATABASE IF EXISTS {dialect.quote(side)}")
        return
    except SQLAlchemyError:
        pass
    with contextlib.suppress(SQLAlchemyError), \
            engine.execution_options(isolation_level="AUTOCOMMIT").connect() as fresh:
        dialect.prepare_load(fresh)  # drops side databases whatever their FKs
        for side in names:
            fresh.exec_driver_sql(f"DROP DATABASE IF EXISTS {dialect.quote(side)}")


def _views_in_the_way(admin: Connection, dialect: Dialect, job: Job) -> list[str]:
    """Views of the target that the swap replaces (all of them with --replace); without
    --replace a view named like one of the clone's is refused before anything changes."""
    names = [v.name for v in dialect.views(admin, None)]
    if job.replace:
        return names
    clash = sorted(set(names) & {v.name for v in job.schema.views})
    if clash:
        raise TargetNotEmptyError(f"target {mask(str(admin.engine.url))} has views named "
                                  f"{', '.join(clash)}; drop them or use --replace")
    return []


def _write_journal(admin: Connection, dialect: Dialect, staging: str, journal: str,
                   todo: list[str]) -> None:
    """The statements that must follow the swap, as a table of the staging database that the
    swap renames into the target together with the clone's tables: whatever moment a
    ``kill -9`` hits after the swap, the target holds either the old tables or the new ones
    with the list of what they still lack."""
    name = f"{dialect.quote(staging)}.{dialect.quote(journal)}"
    admin.exec_driver_sql(f"CREATE TABLE {name} (step INT PRIMARY KEY, stmt LONGTEXT NOT NULL)"
                          " DEFAULT CHARSET=utf8mb4")
    if todo:
        admin.exec_driver_sql(f"INSERT INTO {name} (step, stmt) VALUES (%s, %s)",
                              list(enumerate(todo)))


def _park_fks(admin: Connection, dialect: Dialect, db: str, token: str,
              parked: list[str]) -> list[str]:
    """Drop the FKs of the old tables to be parked (see `before_park_sql`), a journal of
    how to add them again written first into the target: a kill -9 between the drop and
    the swap leaves the old tables live without their FKs, and the next load's recovery
    (`_finish_killed_swaps`) puts them back. The swap moves the journal out with the old
    tables (the names returned). Nothing to park: nothing dropped, no journal."""
    drops = dialect.before_park_sql(admin, parked)
    if not drops:
        return []
    journal = dialect.journal_name(f"{token}_fks")
    _write_journal(admin, dialect, db, journal, dialect.fk_restore_sql(admin, parked))
    for stmt in drops:
        admin.exec_driver_sql(stmt)
    pause("fks-dropped")
    return [journal]


def _after_swap(admin: Connection, dialect: Dialect, journal: str, todo: list[str]) -> None:
    """The old tables parked in the target go (with their triggers, whose names the clone's
    may reuse), so do the target's old views; the clone's views and triggers come (they
    worked in the staging database a moment ago). The journal goes last."""
    try:
        for stmt in todo:
            admin.exec_driver_sql(stmt)
    except SQLAlchemyError as exc:
        raise LoadError(f"the tables are loaded, but a view or trigger could not be created "
                        f"in the target: {first_line(exc)}; run again with --replace") from None
    finally:
        quietly(admin, f"DROP TABLE IF EXISTS {dialect.quote(journal)}")


def finish_killed_swaps_locked(engine: Engine, dialect: Dialect) -> None:
    """`_finish_killed_swaps` under the target's load lock (a running load's journal is its
    own business: then the lock is refused, as the load itself would be)."""
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as admin:
        if not dialect.journals(admin):
            return
        lock(admin, dialect, engine)
        try:
            _finish_killed_swaps(admin, dialect)
        finally:
            dialect.unlock_load(admin)


def _finish_killed_swaps(admin: Connection, dialect: Dialect) -> None:
    """A run killed between its swap and the end of `_after_swap` left its journal in the
    target: run its statements (each may run twice) before anything else."""
    for journal in dialect.journals(admin):
        todo = [stmt for (stmt,) in admin.exec_driver_sql(
            f"SELECT stmt FROM {dialect.quote(journal)} ORDER BY step")]
        try:
            for stmt in todo:
                admin.exec_driver_sql(stmt)
        except SQLAlchemyError as exc:
            raise LoadError(
                f"an earlier load was killed after its swap, and its views or triggers could "
                f"not be created in the target now: {first_line(exc)}; run again with "
                f"--replace") from None
        finally:
            quietly(admin, f"DROP TABLE IF EXISTS {dialect.quote(journal)}")

