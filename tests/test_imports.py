"""Imports in the domain: two imports of one key racing each other meet at the unique constraint."""

from __future__ import annotations

import asyncio
import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models.catalog import Product
from models.orders import Order
from resolvers.channels import imports
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.storefront import carts
from tests.conftest import Store

NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)


async def _sale(store: Store, external_id: str) -> imports.ImportInput:
    async with store.db.read_sessions() as session:
        product_id = await session.scalar(sa.select(Product.id).where(Product.number == "MUG-CER"))
    return imports.ImportInput(
        channel="marketplace", external_id=external_id, lines=[carts.LineInput(str(product_id), Decimal(3))]
    )


async def _imported(store: Store) -> list[tuple[str | None, str | None]]:
    async with store.db.read_sessions() as session:
        rows = await session.execute(sa.select(Order.import_channel, Order.external_id).order_by(Order.id))
        return [(channel, external_id) for channel, external_id in rows.all()]


async def _mug_stock(store: Store) -> Decimal:
    async with store.db.read_sessions() as session:
        stock = await session.scalar(sa.select(Product.stock).where(Product.number == "MUG-CER"))
    assert stock is not None
    return stock


async def test_the_import_that_loses_a_race_answers_the_winners_order(demo_store: Store) -> None:
    sale = await _sale(demo_store, "M-1")
    stock_before = await _mug_stock(demo_store)

    async with demo_store.db.write_sessions() as first, demo_store.db.write_sessions() as second:
        [won] = await imports.import_orders(first, inputs=[sale], now=NOW, actor="test")
        # PostgreSQL: the second inserts and waits on the unique index; SQLite: it waits for the write lock.
        racing = asyncio.create_task(imports.import_orders(second, inputs=[sale], now=NOW, actor="test"))
        await asyncio.sleep(0.3)
        assert not racing.done()
        await first.commit()
        [lost] = await racing
        await second.commit()

    assert won.error is None
    assert lost.error is None
    assert lost.requested_id == won.requested_id
    assert lost.order is not None
    assert lost.order.public_id == won.requested_id
    assert await _imported(demo_store) == [("marketplace", "M-1")]
    assert await _mug_stock(demo_store) == stock_before - 3


@pytest.mark.parametrize(("size", "message"), [(0, "Give at least one order"), (1001, "At most 1000 orders")])
async def test_an_empty_or_oversized_list_is_refused_whole(demo_store: Store, size: int, message: str) -> None:
    sale = await _sale(demo_store, "M-2")

    async with demo_store.db.write_sessions() as session:
        with pytest.raises(DomainError) as refused:
            await imports.import_orders(session, inputs=[sale] * size, now=NOW, actor="test")
        await session.rollback()

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, ["orders"])
    assert refused.value.message.startswith(message)
    assert await _imported(demo_store) == []
