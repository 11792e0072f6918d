"""Benchmark data written straight into the store with multi-row inserts (SQLite or PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from models import database
from models.catalog import Product
from models.custom_fields import CustomFieldDefinition, CustomFieldValue
from models.flows import Flow, State
from models.orders import Order, OrderEvent, OrderLine, OrderNumber
from models.payments import Transaction
from models.settings import Settings
from resolvers.setup import demo

FULL_ORDERS = 10_000
BARE_ORDERS = 90_000
BATCH = 5_000
FULL_NUMBERS = range(BARE_ORDERS + 1, BARE_ORDERS + FULL_ORDERS + 1)
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
CURRENCIES = (
    ("EUR", "Euro", Decimal(1)),
    ("DKK", "Danish krone", Decimal("7.46")),
    ("USD", "US dollar", Decimal("1.085")),
)
PRODUCTS = ("MUG-CER", "CAP-NAVY", "SOCKS-3PK", "BAG-TOTE", "UMBRELLA")


@dataclasses.dataclass
class Generated:
    total: int
    received_numbers: list[int]
    picked_state_id: int


async def generate(url: str) -> Generated:
    """Seed the demo setup, then 90,000 bare completed orders and the 10,000 newest, full ones.

    The full orders are the newest so that the admin page (newest first) shows orders with lines,
    transactions, an event and custom fields, as a shop's order list does.
    """
    db = database.connect(Settings(), url=url)
    async with db.write_sessions() as session, session.begin():
        await demo.seed(session, now=START)
        session.add(
            CustomFieldDefinition(system_name="Channel", name="Channel", target="ORDER", type="TEXT", is_required=False)
        )
    await db.dispose()
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        ids = await _setup_ids(connection)
        for first in range(1, FULL_ORDERS + BARE_ORDERS + 1, BATCH):
            numbers = range(first, min(first + BATCH, FULL_ORDERS + BARE_ORDERS + 1))
            await _insert(connection, numbers, ids)
        # Checkouts in the HTTP workloads take stock: enough that none runs out.
        await connection.execute(sa.update(Product).values(stock=Decimal(10_000_000)))
        if engine.dialect.name == "postgresql":
            await _advance_sequences(connection)
    # Planner statistics, as a store that has been running would have them (autovacuum may not have run yet).
    async with engine.connect() as connection:
        await connection.execute(sa.text("ANALYZE"))
        await connection.commit()
    await engine.dispose()
    return Generated(FULL_ORDERS + BARE_ORDERS, list(FULL_NUMBERS), ids["picked"])


async def _advance_sequences(connection: Any) -> None:
    """Move PostgreSQL's id sequences past the ids written explicitly, so the next insert gets a new one."""
    for table, column in (("orders", "id"), ("order_numbers", "number")):
        await connection.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), (SELECT max({column}) FROM {table}))"
            )
        )


async def _setup_ids(connection: Any) -> dict[str, int]:
    async def one(statement: Any) -> int:
        return (await connection.execute(statement)).scalar_one()

    flow_id = await one(sa.select(Flow.id).where(Flow.kind == "ORDER", Flow.is_default))
    return {
        "flow": flow_id,
        "received": await one(sa.select(State.id).where(State.flow_id == flow_id, State.name == "Received")),
        "picked": await one(sa.select(State.id).where(State.flow_id == flow_id, State.name == "Picked")),
        "completed": await one(sa.select(State.id).where(State.flow_id == flow_id, State.name == "Completed")),
        "card": await one(sa.text("SELECT id FROM payment_methods WHERE provider = 'test'")),
        "shop": await one(sa.text("SELECT id FROM shops ORDER BY id LIMIT 1")),
        "channel": await one(sa.select(CustomFieldDefinition.id)),
    }


async def _insert(connection: Any, numbers: range, ids: dict[str, int]) -> None:
    orders, lines, transactions, events, values = [], [], [], [], []
    for number in numbers:
        full = number in FULL_NUMBERS
        at = START + datetime.timedelta(minutes=number * 3)
        code, name, rate = CURRENCIES[number % 3]
        gross = Decimal(5 * 25) * rate if full else Decimal(number % 200 + 1)
        net = (gross / Decimal("1.25")).quantize(Decimal("0.01"))
        orders.append(_order(number, at, ids, code, name, rate, gross, net, full))
        if not full:
            continue
        lines.extend(_lines(number, at, rate))
        transactions.extend(_transactions(number, at, code, gross))
        events.append(
            {"order_id": number, "at": at, "level": "INFO", "source": "checkout", "message": "Placed.", "actor": None}
        )
        values.append({"order_id": number, "order_line_id": None, "definition_id": ids["channel"], "value": "web"})
    await connection.execute(sa.insert(Order.__table__), orders)
    await connection.execute(
        sa.insert(OrderNumber.__table__),
        [
            {"number": o["number"], "prefix": "ORDER", "order_id": o["id"], "created_at": o["created_at"]}
            for o in orders
        ],
    )
    for table, rows in (
        (OrderLine, lines),
        (Transaction, transactions),
        (OrderEvent, events),
        (CustomFieldValue, values),
    ):
        if rows:
            await connection.execute(sa.insert(table.__table__), rows)


def _lines(number: int, at: datetime.datetime, rate: Decimal) -> list[dict[str, Any]]:
    """One line of each benchmark product, at 25 in the default currency."""
    unit = (Decimal(25) * rate).quantize(Decimal("0.01"))
    return [
        {
            "order_id": number,
            "type": "PRODUCT",
            "sort_order": position,
            "product_number": product,
            "product_name": product.title(),
            "quantity": Decimal(1),
            "unit_amount": unit,
            "vat_percent": Decimal(25),
            **_price("unit_price", unit),
            **_price("price", unit),
            **_price("discount_total", Decimal(0)),
            "created_at": at,
            "modified_at": at,
        }
        for position, product in enumerate(PRODUCTS)
    ]


def _transactions(number: int, at: datetime.datetime, code: str, gross: Decimal) -> list[dict[str, Any]]:
    """The authorization of the whole total and a capture of part of it."""
    return [
        {
            "order_id": number,
            "kind": kind,
            "status": "SUCCEEDED",
            "amount": amount,
            "currency": code,
            "provider": "test",
            "reference": f"bench-{kind}-{number}",
            "created_at": at,
        }
        for kind, amount in (("AUTHORIZE", gross.quantize(Decimal("0.01"))), ("CAPTURE", Decimal("10.00")))
    ]


def _order(
    number: int,
    at: datetime.datetime,
    ids: dict[str, int],
    code: str,
    name: str,
    rate: Decimal,
    gross: Decimal,
    net: Decimal,
    full: bool,
) -> dict[str, Any]:
    gross = gross.quantize(Decimal("0.01"))
    totals = {
        **_price("subtotal", gross, net),
        **_price("price_before_fees", gross, net),
        **_price("total", gross, net),
    }
    return {
        "id": number,
        "public_id": f"ORDER{number}",
        "number": number,
        "kind": "ORDER",
        "shop_id": ids["shop"],
        "customer_name": f"Customer {number}",
        "customer_email": f"customer{number}@example.com",
        "created_at": at,
        "modified_at": at,
        "completed_at": at,
        "is_complete": True,
        "revision": 1,
        "flow_id": ids["flow"],
        "state_id": ids["received"] if full else ids["completed"],
        "currency_code": code,
        "currency_name": name,
        "currency_rate": rate,
        "currency_minor_unit": 2,
        "payment_method_id": ids["card"],
        **_price("payment_fee", Decimal(0)),
        **_price("shipping_fee", Decimal(0)),
        **_price("discount_total", Decimal(0)),
        **totals,
    }


def _price(prefix: str, gross: Decimal, net: Decimal | None = None) -> dict[str, Decimal]:
    net = (gross / Decimal("1.25")).quantize(Decimal("0.01")) if net is None else net
    return {
        f"{prefix}_with_vat": gross,
        f"{prefix}_without_vat": net,
        f"{prefix}_vat": gross - net,
        f"{prefix}_vat_percent": Decimal(25),
    }
