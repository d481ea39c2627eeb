"""Loads whose all-or-nothing is the database's own: one transaction (PostgreSQL, an
existing SQLite file, --into-existing), or a new SQLite file built hidden beside the target
and linked into place when complete."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dbclone import interrupts
from dbclone.errors import LoadError, UsageError
from dbclone.load.build import build, build_into
from dbclone.load.common import Job, check_empty, drop_existing, lock, pause
from dbclone.load.stage import side_schema, takes


def in_transaction(engine: Engine, job: Job) -> None:
    dialect = job.dialect
    with engine.connect() as conn:
        dialect.prepare_session(conn)
        conn.commit()
        # What the stack holds (the side schema of staged chunks) goes after the
        # transaction ends, whatever its outcome.
        with contextlib.ExitStack() as after:
            try:
                with conn.begin() as transaction:
                    lock(conn, dialect, engine)
                    if job.into is None:
                        check_empty(conn, dialect, job.schema, job.replace)
                    pause("locked")
                    if job.into is None and job.stage_with is not None and takes(dialect):
                        stage = after.enter_context(side_schema(engine, dialect))
                        if stage is not None:
                            job.open_stage(stage)
                    dialect.prepare_load(conn)
                    if job.replace and job.into is None:
                        drop_existing(conn, dialect, job.schema)
                    if job.into is None:
                        build(conn, job)
                    else:
                        build_into(conn, job, job.into)
                    pause("commit")
                    with interrupts.uninterrupted():  # a signal now waits: the outcome is known
                        transaction.commit()
                        interrupts.mark_committed()
            finally:
                if job.into is not None:
                    dialect.unlock_load(conn)  # a session lock (MariaDB) outlives the transaction
    pause("committed")


def new_file(engine: Engine, path: str, job: Job) -> None:
    """SQLite target that does not exist: build a hidden file beside it, link it into place."""
    target = Path(path)
    if not target.parent.is_dir():
        raise UsageError(f"cannot create SQLite file {path!r}: folder {str(target.parent)!r} "
                         "does not exist; create it first")
    _remove_stale_files(target)
    tmp = target.with_name(f".{target.name}.dbclone-{secrets.token_hex(4)}.tmp")
    with open(tmp, "wb") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX)  # marks the file as in use for stale-file cleanup
        try:
            tmp_engine = sa.create_engine(f"sqlite:///{tmp}", poolclass=sa.pool.NullPool)
            with tmp_engine.connect() as conn:
                job.dialect.prepare_session(conn)
                job.dialect.prepare_new_file(conn)
                conn.commit()
                with conn.begin():
                    conn.exec_driver_sql("BEGIN")
                    pause("locked")
                    job.dialect.prepare_load(conn)
                    build(conn, job)
                pause("commit")
            os.fsync(holder.fileno())
            with interrupts.uninterrupted():
                try:
                    os.link(tmp, target)  # fails if the target appeared meanwhile: never clobber
                except FileExistsError:
                    raise LoadError(f"target {path!r} was created by someone else while "
                                    "dbclone loaded it; run again (with --replace to overwrite "
                                    "it)") from None
                interrupts.mark_committed()
            pause("committed")
        finally:
            tmp.unlink(missing_ok=True)


def _remove_stale_files(target: Path) -> None:
    """Hidden build files of earlier runs that were killed (and so hold no lock any more)."""
    for stale in target.parent.glob(f".{target.name}.dbclone-*.tmp"):
        try:
            with open(stale, "rb") as f:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                stale.unlink(missing_ok=True)
        except OSError:
            continue  # another dbclone is building it right now

