"""Turn a URL into an engine, with errors that name the URL (password masked) and the fix."""

from __future__ import annotations

import functools
import os

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from dbclone.errors import ConnectError, DbcloneError, UsageError, mask
from dbclone.urls import DRIVERS, parse


def normalise_url(url: str) -> str:
    """The address as a SQLAlchemy URL string (password included; never show it)."""
    return parse(url).url.render_as_string(hide_password=False)


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
    address = parse(url)
    parsed, shown = address.url, address.shown
    if address.backend == "sqlite" and must_exist:
        path = parsed.database
        if path and path != ":memory:" and not os.path.exists(path):
            raise ConnectError(f"SQLite file {path!r} does not exist ({shown})")
    try:
        engine = share_tls_context(sa.create_engine(parsed, poolclass=sa.pool.NullPool))
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise UsageError(f"unsupported database URL {shown!r}: {mask(str(exc))}") from None
    if address.backend == "sqlite" and not must_exist:
        return engine  # connecting would create the file; the load does that, or nothing
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if _statement_cancelled(exc.orig):  # connected; the server's time limit struck
            raise DbcloneError(f"{shown}: {mask(reason)}; raise the statement time limit "
                               f"for dbclone's connections") from None
        raise ConnectError(f"cannot connect to {shown}: {mask(reason)}") from None
    except SQLAlchemyError as exc:
        raise ConnectError(f"cannot connect to {shown}: {mask(str(exc).splitlines()[0])}") \
            from None
    except (TypeError, ValueError) as exc:  # a driver refusing a query option's value
        raise UsageError(f"database URL {shown!r}: {mask(str(exc).splitlines()[0])}") from None
    return engine


def share_tls_context(engine: Engine) -> Engine:
    """A PyMySQL engine's connections share one TLS context per process where they ask for
    no TLS option of their own: PyMySQL then tries TLS if the server offers it, checking no
    certificate, with a context it makes per connection by loading the system's CA bundle
    (0.05-0.13 s a connection, and a clone opens several). A context made with the same
    (empty) options does the same for every connection; one asked for with options (the
    URL's ssl_* arguments, an option file's ssl-*) is still made per connection."""
    if engine.dialect.driver == "pymysql":
        sa.event.listen(engine, "do_connect", _connect_pymysql)
    return engine


def _connect_pymysql(dialect: object, record: object, cargs: tuple[object, ...],
                     cparams: dict[str, object]) -> object:
    return _pymysql_connection()(*cargs, **cparams)


@functools.cache
def _pymysql_connection() -> type:
    import pymysql.connections

    base = pymysql.connections.Connection
    shared: list[object] = []

    class Connection(base):  # type: ignore[misc, valid-type]
        """PyMySQL's connection, its option-less TLS context made once per process."""

        def _create_ssl_ctx(self, sslp: object) -> object:
            if sslp != {}:
                return super()._create_ssl_ctx(sslp)
            if not shared:
                shared.append(super()._create_ssl_ctx(sslp))
            return shared[0]

    return Connection


#: A statement cancelled by the server's time limit: PostgreSQL's SQLSTATE query_canceled,
#: MariaDB's max_statement_time error (1969) and MySQL's max_execution_time one (3024).
_CANCELLED_SQLSTATES = frozenset({"57014"})
_CANCELLED_MYSQL_CODES = frozenset({1969, 3024})


def _statement_cancelled(orig: BaseException | None) -> bool:
    if orig is None:
        return False
    if getattr(orig, "sqlstate", None) in _CANCELLED_SQLSTATES:
        return True
    args: tuple[object, ...] = getattr(orig, "args", ())
    return bool(args) and args[0] in _CANCELLED_MYSQL_CODES


def display_url(engine: Engine) -> str:
    """The engine's URL as the user would have typed it: password masked, and the scheme
    without the driver dbclone chose (postgresql://, not postgresql+psycopg://)."""
    shown = engine.url.render_as_string(hide_password=True)
    for typed, driver in DRIVERS.items():
        if shown.startswith(f"{driver}://") and driver.startswith(typed):
            return mask(typed + shown[len(driver):])
    return mask(shown)


def sqlite_path(engine: Engine) -> str | None:
    """The file of a SQLite engine (None for other dialects and in-memory databases)."""
    if engine.dialect.name != "sqlite":
        return None
    db = engine.url.database
    return db if db and db != ":memory:" else None
