"""One-line, actionable errors for the command line, instead of a traceback.

`CommandError` is a failure a command states itself (a port in use, an unmigrated store). `explain`
reads the failures that come from outside (a bad `DATABASE_URL`, a store that does not answer) as
one line that says what to do; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa

DRIVERS = "postgresql+asyncpg://user:password@host:5432/db or sqlite+aiosqlite:///path/to/file.db"


class CommandError(Exception):
    """A failure the command explains in its message."""


def explain(error: BaseException, *, database_url: str) -> str | None:
    """The one line for `error`, or None when it is not a failure of the set-up (a bug: show the traceback)."""
    if isinstance(error, CommandError):
        return str(error)
    where = f"DATABASE_URL={_shown(database_url)}"
    if isinstance(error, ModuleNotFoundError):
        return f"{where}: its driver needs the module `{error.name}`, which is not installed; use {DRIVERS}"
    if isinstance(error, sa.exc.NoSuchModuleError | sa.exc.ArgumentError):
        return f"{where} names no store ordergraph can use ({_first_line(error)}); use {DRIVERS}"
    if isinstance(error, sa.exc.InvalidRequestError) and "async" in str(error):
        return f"{where} names a driver that is not asynchronous; use {DRIVERS}"
    if isinstance(error, FileNotFoundError) and error.filename:
        return f"{where}: SQLite cannot open the file: its folder {error.filename} does not exist"
    if isinstance(error, sa.exc.DBAPIError) and isinstance(error.orig, sqlite3.OperationalError):
        return f"{where}: SQLite cannot open the file ({error.orig}): does its folder exist, may it be written?"
    if isinstance(error, OSError):
        return f"{where}: the store does not answer ({error.strerror or error}): is the server running there?"
    if isinstance(error, sa.exc.DBAPIError):
        return f"{where}: the store refused the connection: {_first_line(error.orig)}"
    return None


def _shown(url: str) -> str:
    """The URL without its password."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def _first_line(error: BaseException | None) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
