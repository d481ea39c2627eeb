"""One root error class; the CLI turns each into a one-line message and an exit code."""

from __future__ import annotations

import os
import re

#: Documented exit codes (see README).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CONNECTION = 3
EXIT_VERIFY = 4


class DbcloneError(Exception):
    """Root of every error dbclone raises on purpose. The message is one line for a person."""

    exit_code = EXIT_ERROR


class UsageError(DbcloneError):
    """Bad options, bad URL, bad config: the user must change the command."""

    exit_code = EXIT_USAGE


class ConnectError(DbcloneError):
    """A database could not be reached or refused the login."""

    exit_code = EXIT_CONNECTION


class SchemaError(DbcloneError):
    """The schema cannot be handled as it is (unknown type, unbreakable cycle, ...)."""


class TargetNotEmptyError(DbcloneError):
    """The target already holds tables and --replace was not given."""


class LoadError(DbcloneError):
    """Loading failed; the target was left as it was."""


class VerifyError(DbcloneError):
    """The loaded target does not match what was generated."""

    exit_code = EXIT_VERIFY


#: URL userinfo with a password: anything from the scheme's slashes to the last '@' of the
#: address (a password may hold '@', ':' or '/'); `mask` is the net under `urls.DbUrl.shown`.
_URL_PASSWORD = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*:/{1,3})(?P<user>[^:/@\s'\"]*):(?P<pw>[^\s'\"]*)@")
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\"[^\"]*\"|\S+)",
                          re.IGNORECASE)
#: Every password dbclone has read (URLs, connection strings, PGPASSWORD, MYSQL_PWD): `mask`
#: replaces them wherever they appear, in whatever form a driver quotes them.
_SECRETS: set[str] = set()
_SECRET_ENV = ("PGPASSWORD", "MYSQL_PWD")


def remember_secret(secret: str | None) -> None:
    """Mask `secret` in every later message (passwords of three characters or more: shorter
    ones would mask ordinary words, and are no protection anyway)."""
    if secret and len(secret) >= 3:
        _SECRETS.add(secret)


def forget_secrets() -> None:
    """Forget every remembered password (each test of the masking starts with none)."""
    _SECRETS.clear()


def mask(text: str) -> str:
    """Hide every password in `text`: remembered ones, URL userinfo, `password=...` pairs."""
    for name in _SECRET_ENV:
        remember_secret(os.environ.get(name))
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _KV_PASSWORD.sub(lambda m: f"{m.group(1)}***", text)
