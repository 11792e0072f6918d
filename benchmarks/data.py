"""Benchmark data written straight into the store with multi-row inserts, and the raw-driver floor of the admin list."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from typing import Any

import aiosqlite
import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from models import database
from models.custom_fields import CustomFieldDefinition, CustomFieldValue
from models.flows import Flow, State
from models.orders import Order, OrderEvent, OrderLine, OrderNumber
from models.payments import Transaction
from models.settings import Settings
from resolvers.setup import demo

FULL_ORDERS = 10_000
BARE_ORDERS = 90_000
BATCH = 5_000
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
    """Seed the demo setup, then 10,000 full orders and 90,000 bare completed ones."""
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
    await engine.dispose()
    return Generated(FULL_ORDERS + BARE_ORDERS, list(range(1, FULL_ORDERS + 1)), ids["picked"])


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
        full = number <= FULL_ORDERS
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


# ---------------------------------------------------------------- the floor

_ORDERS_SQL = """
SELECT o.id, o.public_id, o.revision, o.created_at, o.total_with_vat, o.total_without_vat, o.total_vat,
       o.total_vat_percent, s.name, f.name
FROM orders o LEFT JOIN states s ON s.id = o.state_id LEFT JOIN flows f ON f.id = o.flow_id
WHERE o.kind = 'ORDER' AND o.is_deleted = 0 ORDER BY o.created_at DESC, o.id DESC LIMIT 100"""
# What the page's orders hold, first column the order id; {marks} is one placeholder per order.
_LINES_SQL = (
    "SELECT order_id, product_number, product_name, quantity, price_with_vat, price_without_vat, price_vat, "
    "price_vat_percent FROM order_lines WHERE order_id IN ({marks}) ORDER BY sort_order, id"
)
_TRANSACTIONS_SQL = (
    "SELECT order_id, kind, status, amount FROM transactions WHERE order_id IN ({marks}) ORDER BY created_at, id"
)
_EVENTS_SQL = "SELECT order_id, source, message FROM order_events WHERE order_id IN ({marks}) ORDER BY at, id"
_CUSTOM_FIELDS_SQL = (
    "SELECT v.order_id, d.system_name, v.value FROM custom_field_values v JOIN custom_field_definitions d "
    "ON d.id = v.definition_id WHERE v.order_id IN ({marks}) ORDER BY v.id"
)


async def floor_list(raw: aiosqlite.Connection) -> bytes:
    """The same 100 orders and relations through the raw driver, built into dicts and encoded with orjson."""
    orders = await (await raw.execute(_ORDERS_SQL)).fetchall()
    ids = [row[0] for row in orders]
    nodes = {row[0]: _floor_order(row) for row in orders}
    for row in await _floor_rows(raw, _LINES_SQL, ids):
        nodes[row[0]]["lines"].append(
            {
                "productNumber": row[1],
                "productName": row[2],
                "quantity": _money(row[3]),
                "price": _floor_price(row, 4),
                "customFields": [],
            }
        )
    for row in await _floor_rows(raw, _TRANSACTIONS_SQL, ids):
        nodes[row[0]]["transactions"].append({"kind": row[1], "status": row[2], "amount": _money(row[3])})
    for row in await _floor_rows(raw, _EVENTS_SQL, ids):
        nodes[row[0]]["events"].append({"source": row[1], "message": row[2]})
    for row in await _floor_rows(raw, _CUSTOM_FIELDS_SQL, ids):
        nodes[row[0]]["customFields"].append({"systemName": row[1], "value": orjson.loads(row[2])})
    edges = [{"cursor": str(order_id), "node": nodes[order_id]} for order_id in ids]
    return orjson.dumps({"data": {"orders": {"totalCount": len(ids), "edges": edges}}})


def _floor_order(row: Any) -> dict[str, Any]:
    return {
        "id": row[1],
        "revision": row[2],
        "createdAt": row[3],
        "total": _floor_price(row, 4),
        "state": {"name": row[8]},
        "flow": {"name": row[9]},
        "lines": [],
        "transactions": [],
        "events": [],
        "customFields": [],
    }


def _floor_price(row: Any, first: int) -> dict[str, str]:
    """The four parts of a price stored in the row's columns from `first` on."""
    return {
        "withVat": _money(row[first]),
        "withoutVat": _money(row[first + 1]),
        "vat": _money(row[first + 2]),
        "vatPercent": _money(row[first + 3]),
    }


async def _floor_rows(raw: aiosqlite.Connection, sql: str, ids: list[int]) -> Any:
    return await (await raw.execute(sql.format(marks=",".join("?" * len(ids))), ids)).fetchall()


def _money(value: int) -> str:
    return format(Decimal(value).scaleb(-4), "f")
