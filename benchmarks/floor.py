"""The raw floor of the admin page: the same orders and relations through the bare driver, into dicts, into orjson.

What `orders(first: N, filter: {kind: ORDER})` with lines, transactions, events and custom fields would
answer, built without an ORM, GraphQL or access checks: the least a server of this data could do.
SQLite reads through aiosqlite, PostgreSQL through asyncpg.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

import orjson

_ORDERS_SQL = """
SELECT o.id, o.public_id, o.revision, o.created_at, o.total_with_vat, o.total_without_vat, o.total_vat,
       o.total_vat_percent, s.name, f.name
FROM orders o LEFT JOIN states s ON s.id = o.state_id LEFT JOIN flows f ON f.id = o.flow_id
WHERE o.kind = 'ORDER' AND NOT o.is_deleted ORDER BY o.created_at DESC, o.id DESC LIMIT {limit}"""
# What the page's orders hold, first column the order id; {ids} is where the page's order ids go.
_LINES_SQL = (
    "SELECT order_id, product_number, product_name, quantity, price_with_vat, price_without_vat, price_vat, "
    "price_vat_percent FROM order_lines WHERE order_id IN ({ids}) ORDER BY sort_order, id"
)
_TRANSACTIONS_SQL = (
    "SELECT order_id, kind, status, amount FROM transactions WHERE order_id IN ({ids}) ORDER BY created_at, id"
)
_EVENTS_SQL = "SELECT order_id, source, message FROM order_events WHERE order_id IN ({ids}) ORDER BY at, id"
_CUSTOM_FIELDS_SQL = (
    "SELECT v.order_id, d.system_name, v.value FROM custom_field_values v JOIN custom_field_definitions d "
    "ON d.id = v.definition_id WHERE v.order_id IN ({ids}) ORDER BY v.id"
)

# (sql, page's order ids) -> rows, one per driver.
Fetch = Callable[[str, Sequence[int]], Awaitable[Sequence[Sequence[Any]]]]


def sqlite_fetch(connection: Any) -> Fetch:
    """Rows from an aiosqlite connection; SQLite keeps money as integers scaled by 10**4."""

    async def fetch(sql: str, ids: Sequence[int]) -> Sequence[Sequence[Any]]:
        cursor = await connection.execute(sql.format(ids=",".join("?" * len(ids))), list(ids))
        return await cursor.fetchall()  # type: ignore[no-any-return]

    return fetch


def postgres_fetch(connection: Any) -> Fetch:
    """Rows from an asyncpg connection (NUMERIC money arrives as Decimal)."""

    async def fetch(sql: str, ids: Sequence[int]) -> Sequence[Sequence[Any]]:
        if not ids:
            return await connection.fetch(sql)  # type: ignore[no-any-return]
        return await connection.fetch(sql.format(ids="SELECT unnest($1::bigint[])"), list(ids))  # type: ignore[no-any-return]

    return fetch


async def page(fetch: Fetch, *, first: int, scaled_money: bool) -> bytes:
    """The first `first` orders with their relations, encoded as the GraphQL response would be."""
    money = _scaled if scaled_money else _decimal
    orders = await fetch(_ORDERS_SQL.format(limit=int(first)), [])
    ids = [row[0] for row in orders]
    nodes = {row[0]: _order(row, money) for row in orders}
    for row in await fetch(_LINES_SQL, ids):
        nodes[row[0]]["lines"].append(
            {
                "productNumber": row[1],
                "productName": row[2],
                "quantity": money(row[3]),
                "price": _price(row, 4, money),
                "customFields": [],
            }
        )
    for row in await fetch(_TRANSACTIONS_SQL, ids):
        nodes[row[0]]["transactions"].append({"kind": row[1], "status": row[2], "amount": money(row[3])})
    for row in await fetch(_EVENTS_SQL, ids):
        nodes[row[0]]["events"].append({"source": row[1], "message": row[2]})
    for row in await fetch(_CUSTOM_FIELDS_SQL, ids):
        value = orjson.loads(row[2]) if isinstance(row[2], str | bytes) else row[2]
        nodes[row[0]]["customFields"].append({"systemName": row[1], "value": value})
    edges = [{"cursor": str(order_id), "node": nodes[order_id]} for order_id in ids]
    return orjson.dumps({"data": {"orders": {"totalCount": len(ids), "edges": edges}}})


def _order(row: Sequence[Any], money: Callable[[Any], str]) -> dict[str, Any]:
    return {
        "id": row[1],
        "revision": row[2],
        "createdAt": row[3],
        "total": _price(row, 4, money),
        "state": {"name": row[8]},
        "flow": {"name": row[9]},
        "lines": [],
        "transactions": [],
        "events": [],
        "customFields": [],
    }


def _price(row: Sequence[Any], first: int, money: Callable[[Any], str]) -> dict[str, str]:
    """The four parts of a price stored in the row's columns from `first` on."""
    return {
        "withVat": money(row[first]),
        "withoutVat": money(row[first + 1]),
        "vat": money(row[first + 2]),
        "vatPercent": money(row[first + 3]),
    }


def _scaled(value: int) -> str:
    return format(Decimal(value).scaleb(-4), "f")


def _decimal(value: Decimal) -> str:
    return format(value, "f")
