"""Real lock contention for the conflict tests: an app that gives up on a lock soon, and another client's
transaction that makes the app's request lose, once or every time. Nothing of the store is mocked.

SQLite: the other client holds the store's write lock (BEGIN IMMEDIATE on a connection of its own).
PostgreSQL: it takes part in a real deadlock with the request: it locks a product the request needs,
waits until the request waits for it, then asks for the record the request holds. Only the request's
deadlock check runs in time (the other client's waits a minute), so the request is always the victim.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sqlite3
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncTransaction

from models import database
from models.catalog import Product
from models.orders import Order
from models.settings import Settings
from schema.app import create_app
from tests.conftest import GraphQLClient, Store

# Longer than PostgreSQL's deadlock_timeout (1 s), so a deadlock is found before the lock wait gives up.
LOCK_WAIT_SECONDS = 2.0
# Generous guards against a hang; a CONFLICT waits for the lock twice.
FINISHES_WITHIN_SECONDS = 20


@dataclasses.dataclass
class Impatient:
    """An anonymous client of an app whose store gives up on a lock after LOCK_WAIT_SECONDS, and that store."""

    client: GraphQLClient
    db: database.Database


@contextlib.asynccontextmanager
async def impatient_app(store: Store) -> AsyncIterator[Impatient]:
    settings = Settings(
        pool_size=5, sqlite_busy_timeout_seconds=LOCK_WAIT_SECONDS, postgres_lock_timeout_seconds=LOCK_WAIT_SECONDS
    )
    db = database.connect(settings, url=store.url)
    app = create_app(Settings(database_url=store.url), db=db)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test") as http:
            yield Impatient(GraphQLClient(http), db)
    finally:
        await db.dispose()


def retries(caplog: pytest.LogCaptureFixture) -> int:
    """How many transactions were run again after a lost race (caplog at WARNING for ordergraph.database)."""
    return sum("running it again" in record.getMessage() for record in caplog.records)


class Contender:
    """Another client's transaction against the app's request for `record_id` (an order's public id)."""

    def __init__(self, store: Store, app: Impatient, *, record_id: str, product_id: str) -> None:
        self.store, self.app_db = store, app.db
        self.record_id, self.product_id = record_id, product_id

    @contextlib.asynccontextmanager
    async def contending(self, *, yields: bool, at_write: int = 1) -> AsyncIterator[None]:
        """Make the request lose while the block runs: once (`yields`) or every time.

        SQLite: the write lock is taken as the request's `at_write`-th write transaction starts (the
        ones before have committed by then) and, with `yields`, let go when that attempt gave up.
        PostgreSQL: the deadlock of the module docstring; with `yields` the contender commits as soon
        as it has both rows.
        """
        if self.store.is_sqlite:
            with self._sqlite(yields=yields, at_write=at_write):
                yield
            return
        async with self._postgres(yields=yields):
            yield

    def holding_the_record(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold what writing the record needs (SQLite: the write lock; PostgreSQL: its row) while the block runs."""
        return self._holding(self._lock_record())

    def holding_the_product(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold what writing with the product needs (SQLite: the write lock; PostgreSQL: its row)."""
        return self._holding(self._lock_product())

    @contextlib.asynccontextmanager
    async def _holding(self, lock_row: sa.Select[Any]) -> AsyncIterator[None]:
        if self.store.is_sqlite:
            lock = self._sqlite_connection()
            lock.execute("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                lock.close()
            return
        async with self.store.db.write_engine.connect() as connection, connection.begin():
            await connection.execute(lock_row)
            yield

    def _sqlite_connection(self) -> sqlite3.Connection:
        path = sa.make_url(self.store.url).database
        assert path is not None
        return sqlite3.connect(path, isolation_level=None)

    @contextlib.contextmanager
    def _sqlite(self, *, yields: bool, at_write: int) -> Iterator[None]:
        lock = self._sqlite_connection()
        engine = self.app_db.write_engine.sync_engine
        started = 0

        def take(*_checkout: Any) -> None:
            nonlocal started
            started += 1
            if started == at_write:
                lock.execute("BEGIN IMMEDIATE")

        def let_go(_context: Any) -> None:
            if yields and lock.in_transaction:
                lock.execute("ROLLBACK")

        # A write transaction checks its connection out of the pool before its BEGIN IMMEDIATE.
        sa.event.listen(engine, "checkout", take)
        sa.event.listen(engine, "handle_error", let_go)
        try:
            yield
        finally:
            sa.event.remove(engine, "checkout", take)
            sa.event.remove(engine, "handle_error", let_go)
            lock.close()

    @contextlib.asynccontextmanager
    async def _postgres(self, *, yields: bool) -> AsyncIterator[None]:
        async with self.store.db.write_engine.connect() as connection:
            transaction = await connection.begin()
            await connection.execute(sa.text("SET LOCAL deadlock_timeout = '60s'"))
            await connection.execute(self._lock_product())
            deadlock = asyncio.create_task(self._deadlock(connection, transaction, yields=yields))
            try:
                yield
            finally:
                await deadlock
                if transaction.is_active:
                    await transaction.rollback()

    async def _deadlock(self, connection: AsyncConnection, transaction: AsyncTransaction, *, yields: bool) -> None:
        await _until_someone_waits_for_a_lock(self.store)
        await connection.execute(self._lock_record())
        if yields:
            await transaction.commit()

    def _lock_record(self) -> sa.Select[Any]:
        return sa.select(Order.id).where(Order.public_id == self.record_id).with_for_update()

    def _lock_product(self) -> sa.Select[Any]:
        return sa.select(Product.id).where(Product.id == int(self.product_id)).with_for_update()


async def _until_someone_waits_for_a_lock(store: Store) -> None:
    waiting = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(FINISHES_WITHIN_SECONDS):
        while True:
            async with store.db.read_sessions() as session:
                if await session.scalar(waiting):
                    return
            await asyncio.sleep(0.02)
