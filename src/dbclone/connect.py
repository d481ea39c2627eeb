"""Turn a URL into an engine, with errors that name the URL (password masked) and the fix."""

from __future__ import annotations

import os

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from dbclone.errors import ConnectError, UsageError, mask

#: Drivers dbclone installs; a bare ``postgresql://`` or ``mysql://`` URL gets these.
_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg",
            "mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql"}


def normalise_url(url: str) -> str:
    """Accept plain paths as SQLite files and bare dialect names with our default drivers."""
    if "://" not in url:
        if url.endswith((".db", ".sqlite", ".sqlite3")):
            return f"sqlite:///{url}"
        raise UsageError(f"not a database URL: {mask(url)!r}; write e.g. "
                         "postgresql://user@host/db, mysql://root@host/db or sqlite:///file.db")
    scheme, rest = url.split("://", 1)
    return f"{_DRIVERS.get(scheme, scheme)}://{rest}"


def url_from_env(value: str | None, env_name: str) -> str:
    """The URL given on the command line, else the one in the environment variable."""
    if value:
        return value
    env = os.environ.get(env_name)
    if env:
        return env
    raise UsageError(f"no database URL given; pass it as an argument or set {env_name}")


def engine_for(url: str, *, must_exist: bool = True) -> Engine:
    """An engine whose connection was tried once, so bad URLs fail here with one clear line."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UsageError(f"malformed database URL {mask(url)!r}") from None
    if parsed.get_backend_name() == "sqlite" and must_exist:
        path = parsed.database
        if path and path != ":memory:" and not os.path.exists(path):
            raise ConnectError(f"SQLite file {path!r} does not exist ({mask(url)})")
    try:
        engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise UsageError(f"unsupported database URL {mask(url)!r}: {exc}") from None
    if parsed.get_backend_name() == "sqlite" and not must_exist:
        return engine  # connecting would create the file; the load does that, or nothing
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise ConnectError(f"cannot connect to {mask(url)}: {mask(reason)}") from None
    except SQLAlchemyError as exc:
        raise ConnectError(f"cannot connect to {mask(url)}: {mask(str(exc).splitlines()[0])}") \
            from None
    return engine


def display_url(engine: Engine) -> str:
    return mask(engine.url.render_as_string(hide_password=True))


def sqlite_path(engine: Engine) -> str | None:
    """The file of a SQLite engine (None for other dialects and in-memory databases)."""
    if engine.dialect.name != "sqlite":
        return None
    db = engine.url.database
    return db if db and db != ":memory:" else None
