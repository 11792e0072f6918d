"""Write transactions serialize: concurrent read-then-write never loses an update, on either store."""

from __future__ import annotations

import asyncio
import datetime
from decimal import Decimal

import sqlalchemy as sa

from models.catalog import Product
from models.database import lock_rows
from tests.conftest import Store


async def test_concurrent_read_then_write_loses_no_update(demo_store: Store) -> None:
    async with demo_store.db.read_sessions() as session:
        product_id, before = (
            await session.execute(sa.select(Product.id, Product.stock).where(Product.number == "MUG-CER"))
        ).one()

    async def take_one() -> None:
        async with demo_store.db.write_sessions() as session, session.begin():
            product = await session.scalar(lock_rows(sa.select(Product).where(Product.id == product_id)))
            assert product is not None
            await asyncio.sleep(0)  # let the others try to interleave
            product.stock = product.stock - 1

    await asyncio.gather(*(take_one() for _ in range(25)))

    async with demo_store.db.read_sessions() as session:
        after = await session.scalar(sa.select(Product.stock).where(Product.id == product_id))
    assert after == before - Decimal(25)


async def test_timestamps_come_back_aware_in_utc(demo_store: Store, now: datetime.datetime) -> None:
    from models.access import ApiToken
    from models.enums import Role

    local = now.astimezone(datetime.timezone(datetime.timedelta(hours=5)))
    async with demo_store.db.write_sessions() as session, session.begin():
        session.add(ApiToken(role=Role.ADMIN, token_hash="x" * 64, created_at=local))

    async with demo_store.db.read_sessions() as session:
        stored = await session.scalar(sa.select(ApiToken.created_at).where(ApiToken.token_hash == "x" * 64))

    assert stored == now
    assert stored is not None
    assert stored.tzinfo == datetime.UTC


async def test_ids_are_never_handed_out_twice(demo_store: Store) -> None:
    from models.enums import FlowKind
    from models.flows import Flow

    async with demo_store.db.write_sessions() as session, session.begin():
        flow = Flow(name="Short-lived", kind=FlowKind.RETURN)
        session.add(flow)
        await session.flush()
        first_id = flow.id
        await session.delete(flow)
    async with demo_store.db.write_sessions() as session, session.begin():
        again = Flow(name="Next", kind=FlowKind.RETURN)
        session.add(again)
        await session.flush()

    assert again.id > first_id
