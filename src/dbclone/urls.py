"""Read what a user types as a database address into one typed value, and show it masked.

One parser for every form: ``postgresql://`` and ``postgres://``, libpq ``key=value`` strings
(``host=db dbname=prod password='x y'``), ``mysql://`` / ``mariadb://``, ``sqlite:///file``
and plain file paths. A password may hold unencoded ``@``, ``/``, ``?``, ``#`` or spaces: the
user part ends at the last ``@`` of the address. Every password read here is remembered by
`errors.mask`, so a driver's error message that quotes it is masked too; the only form of an
address that messages, logs and reports see is `DbUrl.shown`.

Ways to keep a password off the process list, all passed through to the drivers as they are:
environment variables (``DBCLONE_SOURCE_URL``, ``PGPASSWORD``, ``MYSQL_PWD``), libpq's
``~/.pgpass`` / ``PGPASSFILE`` and service files (``postgresql:///db?service=name`` or
``service=name``), and MySQL option files (``mysql://host/db?read_default_file=PATH``;
``~/.my.cnf`` is read when the URL carries no password, as the ``mysql`` client does).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from dbclone.errors import UsageError, mask, remember_secret

#: Bare dialect names a user types -> the SQLAlchemy driver dbclone installs for them.
DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg",
           "pgsql": "postgresql+psycopg", "mysql": "mysql+pymysql",
           "mariadb": "mariadb+pymysql"}
#: File name endings taken as SQLite files when written without a scheme.
SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*):(?P<rest>.*)$", re.DOTALL)
_KEYVALUE = re.compile(r"^\s*[A-Za-z_]+\s*=")
#: libpq keywords that are parts of the URL itself; any other keyword goes into its query.
_LIBPQ_PARTS = {"host", "hostaddr", "port", "dbname", "user", "password"}
#: Schemes dbclone reads (before any `+driver`); anything else is a typo or an engine it lacks.
SCHEMES = (*DRIVERS, "sqlite")
_EXAMPLES = ("write e.g. postgresql://user@host/db, 'host=h dbname=db user=u', "
             "mysql://root@host/db or sqlite:///file.db")


@dataclass(frozen=True)
class DbUrl:
    """A parsed address: `url` (password included) for the driver, `shown` for people."""

    url: URL
    shown: str

    @property
    def backend(self) -> str:
        return self.url.get_backend_name()


def parse(text: str) -> DbUrl:
    """The address `text` as the user typed it, or a one-line UsageError showing it masked."""
    text = text.strip()
    if not text:
        raise UsageError(f"empty database URL; {_EXAMPLES}")
    match = _SCHEME.match(text)
    if match and not _is_windows_drive(match["scheme"]):
        return _with_defaults(_from_url(match["scheme"].lower(), match["rest"], text))
    if _KEYVALUE.match(text):
        return _with_defaults(_from_libpq(text))
    if text.endswith(SQLITE_SUFFIXES) or Path(text).is_file():
        return _sqlite(f"sqlite:///{text}", text)
    raise UsageError(f"not a database URL: {_mask_all(text)!r}; {_EXAMPLES}")


def shown(text: str) -> str:
    """`text` masked as `parse` would show it, or masked as text when it does not parse."""
    try:
        return parse(text).shown
    except UsageError:
        return mask(text)


def _is_windows_drive(scheme: str) -> bool:
    return len(scheme) == 1


def _from_url(scheme: str, rest: str, text: str) -> DbUrl:
    if scheme.startswith("sqlite"):
        return _sqlite(text, text)
    _known_scheme(scheme, text)
    driver = DRIVERS.get(scheme, scheme)
    if not rest.startswith("//"):
        raise UsageError(f"malformed database URL {_mask_all(text)!r}: write two slashes after "
                         f"'{scheme}:' ({scheme}://user@host/db)")
    rest = rest[2:]
    userinfo, at, hostpart = rest.rpartition("@")  # a password may hold '@': the last one ends it
    if not at:
        userinfo, hostpart = "", rest
    hostport, path, query = _split_location(hostpart)
    user, colon, password = userinfo.partition(":")
    if colon:
        remember_secret(password)
        remember_secret(unquote(password))
    host, port = _host_port(hostport, text)
    try:
        url = URL.create(driver, username=unquote(user) or None,
                         password=unquote(password) if colon else None, host=host, port=port,
                         database=unquote(path) or None,
                         query=dict(parse_qsl(query, keep_blank_values=True)))
    except (ArgumentError, ValueError, TypeError) as exc:
        raise UsageError(f"malformed database URL {_mask_all(text)!r}: {mask(str(exc))}") from None
    # Shown with the scheme as typed: postgresql://, not the postgresql+psycopg:// it became.
    return DbUrl(url, scheme + url.render_as_string(hide_password=True)[len(driver):])


def _known_scheme(scheme: str, text: str) -> None:
    """A scheme dbclone does not read: a typo answered with the nearest one."""
    base = scheme.split("+", 1)[0]
    if base in SCHEMES:
        return
    import difflib

    near = difflib.get_close_matches(base, SCHEMES, n=1, cutoff=0.6)
    hint = (f"did you mean {near[0]}://?" if near else
            "dbclone reads PostgreSQL, MySQL/MariaDB and SQLite")
    raise UsageError(f"unknown database scheme '{scheme}://' in {_userinfo_masked(text)!r}; "
                     f"{hint} (postgresql://, mysql://, mariadb:// or sqlite:///)")


def _userinfo_masked(text: str) -> str:
    """`text` with what follows the user name up to the last '@' masked; an address without a
    password shown as typed (`_mask_all` reads `scheme://user@` as a password)."""
    userinfo, at, rest = text.rpartition("@")
    scheme, sep, user = userinfo.partition("://")
    if not sep:
        scheme, user = "", userinfo
    if at and ":" in user:
        return mask(f"{scheme}{sep}{user.split(':', 1)[0]}:***@{rest}")
    return mask(text)


def _split_location(hostpart: str) -> tuple[str, str, str]:
    """host[:port], the database (path) and the query of what follows the user part."""
    location, _, query = hostpart.partition("?")
    location = location.split("#", 1)[0]
    hostport, _, path = location.partition("/")
    return hostport, path, query


def _host_port(hostport: str, text: str) -> tuple[str | None, int | None]:
    if hostport.startswith("["):  # an IPv6 address: [::1]:5432
        addr, closed, after = hostport[1:].partition("]")
        if not closed:
            raise UsageError(f"malformed database URL {_mask_all(text)!r}: the IPv6 address "
                             "has no closing ']' (write e.g. [::1]:5432)")
        host, port = addr, after[1:] if after.startswith(":") else after
        if after and not after.startswith(":"):
            raise UsageError(f"malformed database URL {_mask_all(text)!r}: write [IPV6]:PORT")
    elif "]" in hostport:
        raise UsageError(f"malformed database URL {_mask_all(text)!r}: ']' without '['")
    else:
        host, _, port = hostport.partition(":")
    return unquote(host) or None, _port(port, text)


def _port(port: str, text: str) -> int | None:
    if not port:
        return None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"port {port!r} in database URL {_mask_all(text)!r} is not a number "
                         "from 1 to 65535; write a port number such as 5432")
    return int(port)


def _from_libpq(text: str) -> DbUrl:
    """A libpq connection string: ``host=h port=5432 dbname=db user=u password='x y'``."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    for value in re.findall(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", text, re.IGNORECASE):
        remember_secret(value.strip("'"))
    try:
        parts = {k: str(v) for k, v in conninfo_to_dict(text).items()}
    except ProgrammingError:  # libpq's reason quotes the text, password and all: not shown
        shown = re.sub(r"(password\s*=).*", r"\1***", text, flags=re.IGNORECASE | re.DOTALL)
        raise UsageError(f"malformed connection string {mask(shown)!r}: write key=value pairs, "
                         "quoting values with spaces in single quotes") from None
    if "password" in parts:
        remember_secret(parts["password"])
    host = parts.get("host") or parts.get("hostaddr")
    url = URL.create("postgresql+psycopg", username=parts.get("user"),
                     password=parts.get("password"), host=host,
                     port=_port(parts.get("port", ""), text), database=parts.get("dbname"),
                     query={k: v for k, v in parts.items() if k not in _LIBPQ_PARTS})
    return DbUrl(url, url.render_as_string(hide_password=True))


def _sqlite(url_text: str, text: str) -> DbUrl:
    try:
        url = make_url(url_text)
    except (ArgumentError, ValueError) as exc:
        raise UsageError(f"malformed SQLite URL {mask(text)!r}: {mask(str(exc))}") from None
    if url.password:
        remember_secret(url.password)
    return DbUrl(url, url.render_as_string(hide_password=True))


def _with_defaults(parsed: DbUrl) -> DbUrl:
    """MySQL/MariaDB: a URL without a password reads ``MYSQL_PWD`` or ``~/.my.cnf``, as the
    ``mysql`` client does (PostgreSQL's libpq does the same by itself)."""
    url = parsed.url
    if url.get_backend_name() not in ("mysql", "mariadb") or url.password is not None:
        return parsed
    if os.environ.get("MYSQL_PWD"):
        remember_secret(os.environ["MYSQL_PWD"])
        return DbUrl(url.set(password=os.environ["MYSQL_PWD"]), parsed.shown)
    own = Path.home() / ".my.cnf"
    if "read_default_file" not in url.query and own.is_file():
        return DbUrl(url.update_query_dict({"read_default_file": str(own)}), parsed.shown)
    return parsed


def _mask_all(text: str) -> str:
    """`text` masked before it was parsed: anything between the scheme and the last '@'
    after a ':' in the user part may be a password."""
    # With a scheme and its slashes, the user part starts after them ('oracle://u@h' has no
    # password); without slashes, 'user:pw@host' is read from the start.
    pattern = _USER_AFTER_SCHEME if _SCHEME_SLASH.match(text) else _USER_AT_START
    return pattern.sub(r"\1***@", mask(text))


_SCHEME_SLASH = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:/")
_USER_AFTER_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*:/+[^:/@\s]*:).*@", re.DOTALL)
_USER_AT_START = re.compile(r"^([^:/@\s]*:).*@", re.DOTALL)
