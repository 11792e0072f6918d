"""Engine and session setup for SQLite (embedded) and PostgreSQL (asyncpg).

A `Database` holds two session factories. Writes on SQLite start with
`BEGIN IMMEDIATE`, taking the write lock up front: SQLite ignores
`SELECT … FOR UPDATE`, and a deferred transaction that reads and then writes
fails with "database is locked" instead of waiting. Reads use plain `BEGIN`,
so they never queue behind writers (WAL mode). On PostgreSQL both factories
share one engine and read-then-write paths take row locks (`lock_rows`).

No wait lasts for ever (design.md, "Requests, transactions and limits"):
SQLite waits `sqlite_busy_timeout_seconds` for the write lock, PostgreSQL
runs every connection with a `lock_timeout` and a `statement_timeout`. A
transaction that lost to a concurrent one (`is_conflict`: a deadlock, a
serialization failure, a lock or busy wait that gave up) rolled back whole,
so running it again from a fresh session is safe: `retry_once` does that
once, then raises `Conflict`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import functools
import pathlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import sqlalchemy as sa
import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from models import statement_count, statistics
from models.catalog import Currency, PaymentMethod, ShippingMethod, Shop
from models.settings import Settings

log = structlog.get_logger("ordergraph.database")

Result = TypeVar("Result")
Selection = TypeVar("Selection", bound="sa.Select[*tuple[Any, ...]]")

# PostgreSQL's codes for a transaction that lost to a concurrent one: deadlock_detected,
# serialization_failure, lock_not_available (what `lock_timeout` raises).
_CONFLICT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})
# SQLite's primary codes for a lock it could not get within the busy timeout.
_CONFLICT_SQLITE_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
# The `with_for_update` of `Session.get`: the row lock of `lock_rows`.
ROW_LOCK = {"key_share": True}
# Setup rows one request reads several times (its shop, currency, payment and shipping method). The
# identity map holds rows weakly, so a row no longer referenced was read again by the next `Session.get`.
KEPT_FOR_THE_SESSION = (Currency, PaymentMethod, ShippingMethod, Shop)


@dataclasses.dataclass
class Database:
    url: str
    write_engine: AsyncEngine
    read_engine: AsyncEngine
    write_sessions: async_sessionmaker[AsyncSession]
    read_sessions: async_sessionmaker[AsyncSession]

    @property
    def is_sqlite(self) -> bool:
        return self.write_engine.dialect.name == "sqlite"

    async def dispose(self) -> None:
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


def connect(settings: Settings, *, url: str | None = None) -> Database:
    """Create the engines and session factories for the configured store."""
    url = url or settings.database_url
    if url.startswith("sqlite"):
        write_engine = _sqlite_engine(url, settings, begin="BEGIN IMMEDIATE")
        read_engine = _sqlite_engine(url, settings, begin="BEGIN")
    else:
        write_engine = _postgres_engine(url, settings)
        read_engine = write_engine
    for engine in {write_engine, read_engine}:
        statement_count.install(engine)
    return Database(
        url=url,
        write_engine=write_engine,
        read_engine=read_engine,
        write_sessions=async_sessionmaker(
            write_engine, expire_on_commit=False, class_=RequestSession, sync_session_class=statistics.RollupSession
        ),
        read_sessions=async_sessionmaker(read_engine, expire_on_commit=False, class_=RequestSession),
    )


def _keep_for_the_session(row: Any, context: Any) -> None:
    if context.session is not None:
        context.session.info.setdefault("kept_rows", []).append(row)


for _model in KEPT_FOR_THE_SESSION:
    event.listen(_model, "load", _keep_for_the_session)


def _postgres_engine(url: str, settings: Settings) -> AsyncEngine:
    timeouts = {
        "lock_timeout": _milliseconds(settings.postgres_lock_timeout_seconds),
        "statement_timeout": _milliseconds(settings.postgres_statement_timeout_seconds),
    }
    return create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size * 2,
        connect_args={"server_settings": timeouts},
    )


def _milliseconds(seconds: float) -> str:
    return str(int(seconds * 1000))


def require_sqlite_folder(url: str) -> None:
    """Raise FileNotFoundError when `url` is a SQLite file whose folder does not exist.

    Checked before connecting: SQLite would refuse too, but aiosqlite's thread for the failed
    connection may then outlive the event loop and print a traceback of its own.
    """
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    folder = pathlib.Path(parsed.database).parent
    if parsed.database.startswith("file:") or folder.is_dir():
        return
    raise FileNotFoundError(errno.ENOENT, "the folder of the SQLite file does not exist", str(folder))


def _sqlite_engine(url: str, settings: Settings, *, begin: str) -> AsyncEngine:
    require_sqlite_folder(url)
    engine = create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size * 2,
        connect_args={"timeout": settings.sqlite_busy_timeout_seconds},
    )
    busy_timeout_ms = _milliseconds(settings.sqlite_busy_timeout_seconds)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Leave transaction control to the "begin" hook below instead of pysqlite's own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql(begin)

    return engine


def lock_rows(statement: Selection, *, of: Any = None) -> Selection:
    """Lock the selected rows until the transaction ends (PostgreSQL; SQLite holds its write lock already).

    FOR NO KEY UPDATE: lockers still exclude each other and every update of the rows waits, but a
    transaction inserting a row that refers to them does not (its foreign-key check takes KEY SHARE),
    so a checkout locking its products never deadlocks with a cart adding lines of those products.
    """
    return statement.with_for_update(key_share=True, of=of)


class Conflict(Exception):
    """A transaction lost to a concurrent one twice; nothing of it was kept."""


def is_conflict(error: BaseException) -> bool:
    """Whether `error` is a lost race that rolled the transaction back (see the module docstring)."""
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    original = error.orig
    if isinstance(original, sqlite3.Error):
        return (getattr(original, "sqlite_errorcode", 0) & 0xFF) in _CONFLICT_SQLITE_CODES
    return getattr(original, "sqlstate", None) in _CONFLICT_SQLSTATES


async def retry_once(run: Callable[[], Awaitable[Result]], *, may_retry: Callable[[], bool] = lambda: True) -> Result:
    """Await `run()`, which opens and ends its own transaction; once more after a conflict.

    Raises `Conflict` when the second attempt conflicts too; a first conflict that `may_retry()` refuses
    to run again (its work committed steps of its own) is raised as it is.
    """
    retries_left = 1
    while True:
        try:
            return await run()
        except sa.exc.DBAPIError as fault:
            if not is_conflict(fault):
                raise
            if retries_left == 0:
                raise Conflict(str(fault.orig)) from fault
            if not may_retry():
                raise
            retries_left -= 1
            log.warning("a transaction conflicted with a concurrent one; running it again", error=str(fault.orig))


def _in_turn(method: Callable[..., Awaitable[Any]]) -> Any:
    """An AsyncSession I/O method that first waits for the session's turn (see RequestSession)."""

    @functools.wraps(method)
    async def in_turn(self: RequestSession, *args: Any, **kwargs: Any) -> Any:
        async with self._one_at_a_time():
            return await method(self, *args, **kwargs)

    return in_turn


class RequestSession(AsyncSession):
    """An AsyncSession that GraphQL resolvers may share within one request.

    GraphQL resolves sibling fields concurrently (dataloaders of different
    relations dispatch in the same tick), while an AsyncSession allows one
    operation at a time. Every I/O method waits for a task-reentrant lock, so
    concurrent resolvers take turns instead of failing.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0

    @contextlib.asynccontextmanager
    async def _one_at_a_time(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if self._owner is task:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        async with self._turn:
            self._owner, self._depth = task, 1
            try:
                yield
            finally:
                self._owner, self._depth = None, 0

    execute = _in_turn(AsyncSession.execute)
    scalar = _in_turn(AsyncSession.scalar)
    scalars = _in_turn(AsyncSession.scalars)
    get = _in_turn(AsyncSession.get)
    flush = _in_turn(AsyncSession.flush)
    refresh = _in_turn(AsyncSession.refresh)
    run_sync = _in_turn(AsyncSession.run_sync)
    # Ending the transaction waits its turn too: when a field fails, GraphQL cancels its siblings,
    # but a dataloader batch they started may still be running a statement on the connection.
    commit = _in_turn(AsyncSession.commit)
    rollback = _in_turn(AsyncSession.rollback)
    close = _in_turn(AsyncSession.close)
