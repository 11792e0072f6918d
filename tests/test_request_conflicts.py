"""A root mutation field that loses to a concurrent transaction runs once more from a fresh session, then
answers CONFLICT with nothing of it kept; the fields before it stay as they were answered. Over HTTP.

The losses are real, never mocked: another connection holds SQLite's write lock, or takes part in a real
deadlock with the request on PostgreSQL (it locks a product the request needs, waits until the request
waits for it, then asks for the row the request holds; only the request's deadlock check runs in time,
so it is the victim).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from models import database
from models.catalog import Product
from models.orders import Order
from models.settings import Settings
from schema.app import create_app
from tests.conftest import GraphQLClient, Store
from tests.storefront_helpers import ORDER_QUERY, Cart, catalogue, filled_cart

# Longer than PostgreSQL's deadlock_timeout (1 s), so a deadlock is found before the lock wait gives up.
LOCK_WAIT_SECONDS = 2.0
# Generous guards against a hang; the CONFLICT cases wait for the lock twice.
FINISHES_WITHIN_SECONDS = 20
ERRORS = "userErrors { code }"
CAP = "CAP-NAVY"
CREATE_THEN_ADD = f"""mutation($c: ID!, $s: String, $l: [CartLineInput!]!) {{
  createCart {{ secret cart {{ id }} {ERRORS} }}
  addToCart(cartId: $c, secret: $s, lines: $l) {{ cart {{ lines {{ productNumber quantity }} }} {ERRORS} }} }}"""
ADD = f"""mutation($c: ID!, $s: String, $l: [CartLineInput!]!) {{
  addToCart(cartId: $c, secret: $s, lines: $l) {{ cart {{ lines {{ productNumber quantity }} }} {ERRORS} }} }}"""


@dataclasses.dataclass
class Impatient:
    """An anonymous client of an app whose store gives up on a lock after LOCK_WAIT_SECONDS, and that store."""

    client: GraphQLClient
    db: database.Database


@pytest.fixture
async def impatient(demo_store: Store) -> AsyncIterator[Impatient]:
    settings = Settings(
        pool_size=5, sqlite_busy_timeout_seconds=LOCK_WAIT_SECONDS, postgres_lock_timeout_seconds=LOCK_WAIT_SECONDS
    )
    db = database.connect(settings, url=demo_store.url)
    app = create_app(Settings(database_url=demo_store.url), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test") as http:
        yield Impatient(GraphQLClient(http), db)
    await db.dispose()


class Contender:
    """Another client's transaction that makes the request's field lose, once or every time.

    SQLite: it takes the write lock as the request's `at_write`-th write transaction starts (the ones
    before have committed by then) and, with `yields`, lets go when that attempt gave up.
    PostgreSQL: it locks `product_id`, waits until the request waits for that product, then locks the
    record `record_id` the request holds: a deadlock. With `yields` it commits as soon as it has both rows.
    """

    def __init__(self, store: Store, app_db: database.Database, *, record_id: str, product_id: str) -> None:
        self.store, self.app_db = store, app_db
        self.record_id, self.product_id = record_id, product_id

    @contextlib.asynccontextmanager
    async def contending(self, *, yields: bool, at_write: int = 1) -> AsyncIterator[None]:
        if self.store.is_sqlite:
            with self._sqlite(yields=yields, at_write=at_write):
                yield
            return
        async with self._postgres(yields=yields):
            yield

    @contextlib.contextmanager
    def _sqlite(self, *, yields: bool, at_write: int) -> Any:
        path = sa.make_url(self.store.url).database
        assert path is not None
        lock = sqlite3.connect(path, isolation_level=None)
        engine = self.app_db.write_engine.sync_engine
        begun = 0

        def take(*_checkout: Any) -> None:
            nonlocal begun
            begun += 1
            if begun == at_write:
                lock.execute("BEGIN IMMEDIATE")

        def let_go(_context: Any) -> None:
            if yields and lock.in_transaction:
                lock.execute("ROLLBACK")

        # A write transaction checks a connection out of the pool before its BEGIN IMMEDIATE.
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
            # Only the request looks for the deadlock (after PostgreSQL's 1 s), so it is always the victim.
            await connection.execute(sa.text("SET LOCAL deadlock_timeout = '60s'"))
            await connection.execute(sa.select(Product.id).where(Product.id == int(self.product_id)).with_for_update())
            deadlock = asyncio.create_task(self._deadlock(connection, transaction, yields=yields))
            try:
                yield
            finally:
                await deadlock
                if transaction.is_active:
                    await transaction.rollback()

    async def _deadlock(self, connection: AsyncConnection, transaction: Any, *, yields: bool) -> None:
        await _until_someone_waits_for_a_lock(self.store)
        await connection.execute(sa.select(Order.id).where(Order.public_id == self.record_id).with_for_update())
        if yields:
            await transaction.commit()


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


def _retries(caplog: pytest.LogCaptureFixture) -> int:
    return sum("running it again" in record.getMessage() for record in caplog.records)


async def _read(client: GraphQLClient, cart: Cart) -> dict[str, Any]:
    return (await client.execute(ORDER_QUERY, {"id": cart.id, "s": cart.secret}))["order"]


async def _cart_and_product(api: GraphQLClient) -> tuple[Cart, str, dict[str, Any]]:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    return cart, ids[CAP], await _read(api, cart)


def _lines(order: dict[str, Any]) -> list[tuple[str, Decimal]]:
    return [(line["productNumber"], Decimal(line["quantity"])) for line in order["lines"]]


def _add_cap(cart: Cart, product_id: str) -> dict[str, Any]:
    return {"c": cart.id, "s": cart.secret, "l": [{"productId": product_id, "quantity": "1"}]}


async def test_a_field_that_lost_once_runs_again_and_answers_as_if_nothing_happened(
    api: GraphQLClient, impatient: Impatient, demo_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    cart, cap, before = await _cart_and_product(api)
    contender = Contender(demo_store, impatient.db, record_id=cart.id, product_id=cap)

    with caplog.at_level(logging.WARNING, logger="ordergraph.database"):
        async with contender.contending(yields=True), asyncio.timeout(FINISHES_WITHIN_SECONDS):
            data = await impatient.client.execute(ADD, _add_cap(cart, cap))

    assert data["addToCart"]["userErrors"] == []
    with_the_cap = [*_lines(before), (CAP, Decimal(1))]
    assert _lines(data["addToCart"]["cart"]) == _lines(await _read(api, cart)) == with_the_cap
    assert _retries(caplog) == 1


async def test_a_second_field_that_loses_twice_answers_conflict_and_the_first_is_kept(
    api: GraphQLClient, impatient: Impatient, demo_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    cart, cap, before = await _cart_and_product(api)
    contender = Contender(demo_store, impatient.db, record_id=cart.id, product_id=cap)

    with caplog.at_level(logging.WARNING, logger="ordergraph.database"):
        async with contender.contending(yields=False, at_write=2), asyncio.timeout(FINISHES_WITHIN_SECONDS):
            data = await impatient.client.execute(CREATE_THEN_ADD, _add_cap(cart, cap))

    created, refused = data["createCart"], data["addToCart"]
    assert (created["userErrors"], refused) == ([], {"cart": None, "userErrors": [{"code": "CONFLICT"}]})
    kept = await _read(api, Cart(created["cart"]["id"], created["secret"]))
    assert (kept["id"], kept["kind"], kept["lines"]) == (created["cart"]["id"], "CART", [])
    assert await _read(api, cart) == before
    assert _retries(caplog) == 1
