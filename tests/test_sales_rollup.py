"""The sales rollup agrees with the orders after any sequence of changes, each committed through HTTP.

A seeded random walk of checkouts, imports, state changes, edits, captures, refunds, cancels, deletes
and state settings; after every step salesSummary (from the rollup) equals the summary computed from
the orders alone, for whole-day ranges and ranges that cut days, and on PostgreSQL nothing is left
unfolded once a request committed.
"""

from __future__ import annotations

import datetime
import importlib
import random
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa

from models.orders import Order
from models.statistics import SalesRollup, SalesRollupChange
from resolvers.reporting import statistics
from tests import storefront_helpers as shop
from tests.conftest import GraphQLClient, Store
from tests.lifecycle_helpers import CHANGE, UPDATE_STATE, state_ids

STEPS = 24
SUMMARY = """query($from: DateTime!, $to: DateTime!, $g: String!) {
  salesSummary(from: $from, to: $to, groupBy: $g) { key orders total { withVat withoutVat vat vatPercent } } }"""
RESULTS = "ok results { orderId userErrors { code } }"
CAPTURE = f"mutation($ids: [ID!]!) {{ capture(orderIds: $ids) {{ {RESULTS} }} }}"
CANCEL = f"mutation($ids: [ID!]!) {{ cancel(orderIds: $ids) {{ {RESULTS} }} }}"
DELETE = f"mutation($ids: [ID!]!) {{ delete(orderIds: $ids) {{ {RESULTS} }} }}"
REFUND = "mutation($id: ID!, $a: Decimal) { refund(orderId: $id, amount: $a) { userErrors { code } } }"
EDIT = """mutation($id: ID!, $i: EditOrderInput!) { edit(orderId: $id, input: $i) { userErrors { code } } }"""
IMPORT = f"mutation($o: [ImportOrderInput!]!) {{ importOrders(orders: $o) {{ {RESULTS} }} }}"
LINES = "query($id: ID!) { order(id: $id) { lines { id type } } }"
CURRENCIES = ("EUR", "DKK", "USD")


class Walk:
    """The orders made so far and one step of each kind, chosen by a seeded random generator."""

    def __init__(self, admin: GraphQLClient, ids: dict[str, str], states: dict[tuple[str, str], str]) -> None:
        self.admin, self.ids, self.random = admin, ids, random.Random(12)
        self.order_states = [state for (kind, _), state in states.items() if kind == "ORDER"]
        self.orders: list[str] = []
        self.imports = 0

    def some(self) -> list[str]:
        return self.random.sample(self.orders, k=min(len(self.orders), self.random.randint(1, 3)))

    async def checkout(self) -> None:
        details = {"currencyCode": self.random.choice(CURRENCIES)}
        cart = await shop.filled_cart(self.admin, self.ids, details=details)
        order = await shop.checkout(self.admin, cart)
        await shop.succeed(self.admin, shop.COMPLETE, {"o": order["id"], "s": cart.secret, "k": None})
        self.orders.append(order["id"])

    async def import_order(self) -> None:
        self.imports += 1
        day = datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC) + datetime.timedelta(hours=7 * self.imports)
        sale = {
            "channel": "pos",
            "externalId": f"R-{self.imports}",
            "createdAt": day.isoformat(),
            "currencyCode": self.random.choice(CURRENCIES),
            "lines": [{"productId": self.ids["BOOK-COOK"], "quantity": str(self.random.randint(1, 3))}],
            "paid": self.random.random() < 0.5,
            "stateId": self.random.choice(self.order_states),
        }
        [result] = (await self.admin.execute(IMPORT, {"o": [sale]}))["importOrders"]["results"]
        self.orders.append(result["orderId"])

    async def change_state(self) -> None:
        await self.admin.execute(CHANGE, {"ids": self.some(), "state": self.random.choice(self.order_states)})

    async def edit(self) -> None:
        order_id = self.random.choice(self.orders)
        lines = (await self.admin.execute(LINES, {"id": order_id}))["order"]["lines"]
        products = [line["id"] for line in lines if line["type"] == "PRODUCT"]
        change = {"lineId": self.random.choice(products), "quantity": str(self.random.randint(1, 4))}
        await self.admin.execute(EDIT, {"id": order_id, "i": {"lines": [change]}})

    async def capture(self) -> None:
        await self.admin.execute(CAPTURE, {"ids": self.some()})

    async def refund(self) -> None:
        await self.admin.execute(REFUND, {"id": self.random.choice(self.orders), "a": "1.00"})

    async def cancel(self) -> None:
        await self.admin.execute(CANCEL, {"ids": self.some()})

    async def delete(self) -> None:
        await self.admin.execute(DELETE, {"ids": self.some()})

    async def exclude_a_state(self) -> None:
        state = self.random.choice(self.order_states)
        update = {"excludeFromStatistics": self.random.random() < 0.5}
        await self.admin.execute(UPDATE_STATE, {"id": state, "i": update})

    def steps(self) -> list[Callable[[], Awaitable[None]]]:
        weighted = [(self.checkout, 4), (self.import_order, 2), (self.change_state, 3), (self.edit, 2)]
        weighted += [(self.capture, 2), (self.refund, 1), (self.cancel, 1), (self.delete, 1), (self.exclude_a_state, 1)]
        return [step for step, weight in weighted for _ in range(weight)]


async def test_the_rollup_agrees_with_the_orders_after_every_step(admin: GraphQLClient, demo_store: Store) -> None:
    walk = Walk(admin, await shop.catalogue(admin), await state_ids(admin))
    await walk.checkout()
    await walk.import_order()
    steps = walk.steps()
    taken = []
    for _ in range(STEPS):
        step = walk.random.choice(steps)
        await step()
        taken.append(step.__name__)
        assert await _summaries(admin) == await _from_orders(demo_store), taken
        assert await _unfolded(demo_store) == 0, taken
    assert {"checkout", "import_order", "change_state", "edit", "capture", "cancel"} <= set(taken)
    assert any(row["orders"] for row in (await _summaries(admin))[0])


async def test_the_backfill_builds_the_rollup_the_triggers_keep(admin: GraphQLClient, demo_store: Store) -> None:
    walk = Walk(admin, await shop.catalogue(admin), await state_ids(admin))
    for step in (walk.checkout, walk.import_order, walk.change_state, walk.edit, walk.cancel, walk.checkout):
        await step()
    kept = await _rollup(demo_store)

    async with demo_store.db.write_engine.begin() as connection:
        await connection.run_sync(importlib.import_module("migrations.versions.0009_sales_rollup").backfill)

    assert await _rollup(demo_store) == kept
    assert sum(row[3] for row in kept) > 0, kept


async def test_ranges_with_one_edge_or_none_and_changes_not_folded_yet_agree_with_the_orders(
    admin: GraphQLClient, demo_store: Store
) -> None:
    walk = Walk(admin, await shop.catalogue(admin), await state_ids(admin))
    for step in (walk.checkout, walk.import_order, walk.checkout, walk.change_state):
        await step()
    now = datetime.datetime.now(datetime.UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    ranges = [
        (now - datetime.timedelta(minutes=30), now + datetime.timedelta(minutes=1)),  # no whole day
        (midnight - datetime.timedelta(days=30), now + datetime.timedelta(minutes=1)),  # the last day cut only
        (midnight - datetime.timedelta(days=30, hours=7), midnight),  # the first day cut only
    ]
    before = await _summaries(admin, ranges)
    assert before == await _from_orders(demo_store, ranges)
    assert any(row["orders"] for row in before[0]), before

    # A write outside the request sessions (a script, a console): PostgreSQL's triggers record its changes,
    # which nothing folds until a request session commits; readers add them meanwhile.
    async with demo_store.db.write_engine.begin() as connection:
        raised = sa.update(Order).where(Order.is_complete).values(total_with_vat=Order.total_with_vat + 1)
        await connection.execute(raised)

    after = await _summaries(admin, ranges)
    assert after == await _from_orders(demo_store, ranges)
    assert after != before
    unfolded = await _unfolded(demo_store)
    assert unfolded == 0 if demo_store.db.write_engine.dialect.name == "sqlite" else unfolded > 0


Ranges = list[tuple[datetime.datetime, datetime.datetime]]


def _ranges() -> Ranges:
    now = datetime.datetime.now(datetime.UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    whole = (midnight - datetime.timedelta(days=40), midnight + datetime.timedelta(days=1))
    cut = (midnight - datetime.timedelta(days=11, hours=5), now + datetime.timedelta(minutes=1))
    return [whole, cut]


async def _summaries(admin: GraphQLClient, ranges: Ranges | None = None) -> list[list[dict[str, Any]]]:
    answers = []
    for start, stop in ranges or _ranges():
        for group_by in ("DAY", "MONTH", "STATE"):
            variables = {"from": start.isoformat(), "to": stop.isoformat(), "g": group_by}
            answers.append((await admin.execute(SUMMARY, variables))["salesSummary"])
    return answers


async def _from_orders(store: Store, ranges: Ranges | None = None) -> list[list[dict[str, Any]]]:
    answers = []
    async with store.db.read_sessions() as session:
        for start, stop in ranges or _ranges():
            for group_by in ("DAY", "MONTH", "STATE"):
                rows = await statistics.sales_summary_from_orders(session, from_=start, to=stop, group_by=group_by)
                answers.append([_as_served(row) for row in rows])
    return answers


def _as_served(row: statistics.SummaryRow) -> dict[str, Any]:
    parts = ("with_vat", "without_vat", "vat", "vat_percent")
    names = ("withVat", "withoutVat", "vat", "vatPercent")
    total = {name: str(getattr(row.total, part)) for name, part in zip(names, parts, strict=True)}
    return {"key": row.key, "orders": row.orders, "total": total}


async def _unfolded(store: Store) -> int:
    async with store.db.read_sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(SalesRollupChange)) or 0)


async def _rollup(store: Store) -> list[tuple[Any, ...]]:
    """Each key's count and sums, added over its shards."""
    key = (SalesRollup.day, SalesRollup.state_key, SalesRollup.currency_rate)
    sums = (sa.func.sum(SalesRollup.orders), sa.func.sum(SalesRollup.total_with_vat))
    async with store.db.read_sessions() as session:
        rows = await session.execute(sa.select(*key, *sums).group_by(*key).having(sums[0] != 0))
        return sorted(tuple(row) for row in rows)
