"""Engine and session setup for SQLite (embedded) and PostgreSQL (asyncpg).

A `Database` holds two session factories. Writes on SQLite start with
`BEGIN IMMEDIATE`, taking the write lock up front: SQLite ignores
`SELECT … FOR UPDATE`, and a deferred transaction that reads and then writes
fails with "database is locked" instead of waiting. Reads use plain `BEGIN`,
so they never queue behind writers (WAL mode). On PostgreSQL both factories
share one engine and read-then-write paths take row locks (`lock_rows`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from models.settings import Settings


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
        write_engine = create_async_engine(url, pool_size=settings.pool_size, max_overflow=settings.pool_size * 2)
        read_engine = write_engine
    return Database(
        url=url,
        write_engine=write_engine,
        read_engine=read_engine,
        write_sessions=async_sessionmaker(write_engine, expire_on_commit=False, class_=RequestSession),
        read_sessions=async_sessionmaker(read_engine, expire_on_commit=False, class_=RequestSession),
    )


def _sqlite_engine(url: str, settings: Settings, *, begin: str) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size * 2,
        connect_args={"timeout": settings.sqlite_busy_timeout_seconds},
    )
    busy_timeout_ms = int(settings.sqlite_busy_timeout_seconds * 1000)

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


def lock_rows(statement: sa.Select[Any]) -> sa.Select[Any]:
    """Lock the selected rows until the transaction ends (PostgreSQL; SQLite holds its write lock already)."""
    return statement.with_for_update()


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
