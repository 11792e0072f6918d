"""What the demo tests share: seeding a store as `seed --demo` does, reading every record back, the stock
the orders took, and the example scripts as modules."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import importlib
import pathlib
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import database
from models.catalog import Product
from models.enums import ReturnStatus
from models.orders import Order, OrderLine
from models.returns import Return, ReturnLine
from models.settings import Settings
from resolvers.demo import orders as demo_orders
from resolvers.fulfilment import mail
from resolvers.payments import payment_providers
from resolvers.setup import demo
from tests.conftest import GraphQLClient

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


@dataclasses.dataclass(frozen=True)
class SeededShop:
    name: str
    url: str
    report: demo_orders.Report


async def seed_demo(url: str) -> demo_orders.Report:
    """What `ordergraph seed --demo` does: the catalogue, then the customers' orders."""
    settings = Settings(database_url=url)
    db = database.connect(settings)
    try:
        async with db.write_sessions() as session, session.begin():
            await demo.seed(session, now=datetime.datetime.now(datetime.UTC))
        return await demo_orders.seed(
            db.write_sessions,
            providers=payment_providers.Providers(db.write_sessions),
            composer=mail.composer_from(settings),
            timeout_seconds=settings.provider_timeout_seconds,
            now=datetime.datetime.now(datetime.UTC),
        )
    finally:
        await db.dispose()


LIST = """query($kind: OrderKind, $after: String) {
  orders(first: 100, after: $after, filter: {kind: $kind}) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node {
      id kind complete cancelled quoteStatus reference customerId createdAt captureState
      state { name } currency { code } trackingNumber trackingUrl
      authorizedAmount capturedAmount refundedAmount
      lines { type parentLineId } versions { number } returns { status }
      transactions { kind status } recurring { id } generatedBy { id }
    } }
  }
}"""


async def every_record(admin: GraphQLClient, kind: str) -> list[dict[str, Any]]:
    """Every record of a kind through the admin order list, page by page."""
    records: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await admin.execute(LIST, {"kind": kind, "after": after}))["orders"]
        records += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return records
        after = page["pageInfo"]["endCursor"]


async def sold_less_restocked(session: AsyncSession) -> dict[str, Decimal]:
    """Per product: what the orders holding stock took, less what received returns put back."""
    taken = (
        sa.select(Product.number, sa.func.sum(OrderLine.quantity))
        .join(OrderLine, OrderLine.product_id == Product.id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.is_stock_taken)
        .group_by(Product.number)
    )
    restocked = (
        sa.select(Product.number, sa.func.sum(ReturnLine.quantity))
        .join(OrderLine, OrderLine.product_id == Product.id)
        .join(ReturnLine, ReturnLine.order_line_id == OrderLine.id)
        .join(Return, Return.id == ReturnLine.return_id)
        .where(ReturnLine.restock, Return.status.in_([ReturnStatus.RECEIVED, ReturnStatus.REFUNDED]))
        .group_by(Product.number)
    )
    net: dict[str, Decimal] = collections.defaultdict(Decimal)
    for number, quantity in (await session.execute(taken)).all():
        net[number] += Decimal(quantity)
    for number, quantity in (await session.execute(restocked)).all():
        net[number] -= Decimal(quantity)
    return dict(net)


def example(name: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An example script imported as a module, as `python examples/<name>.py` finds its neighbours."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return importlib.import_module(name)
