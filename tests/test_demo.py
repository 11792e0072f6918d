"""`seed --demo`'s customers and orders: every kind, flow state and capture state, ledgers that hold, twice safe;
and the scripts of `examples/`, run against the app over the demo.

The demo is seeded once per store (a module fixture: it is the slow part); each test reads it through
the API or the store, and the one that seeds again checks that nothing changed. An example runs on a
copy of it of its own (`demo_copy`), as it changes what it works on.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime
import os
import pathlib
import shutil
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from models import database
from models.catalog import Product
from models.enums import OrderKind, Role
from models.orders import Order, OrderLine
from models.payments import Transaction
from models.returns import ReturnLine
from models.settings import Settings
from resolvers.demo import orders as demo_orders
from resolvers.demo import plans
from resolvers.demo.customers import CUSTOMERS
from resolvers.demo.plans import Story
from resolvers.payments import ledger
from resolvers.setup import demo
from schema.app import create_app
from tests import demo_helpers
from tests.access_world import store_rows
from tests.conftest import (
    POSTGRES_URL,
    STORES,
    GraphQLClient,
    Store,
    _admin_sql,
    _run_in_thread,
    _with_database,
    make_token,
)
from tests.test_payments_crash import Server


@pytest.fixture(scope="module", params=STORES)
def seeded_shop(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[demo_helpers.SeededShop]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite+aiosqlite:///{path}"
        yield demo_helpers.SeededShop("sqlite", url, _run_in_thread(demo_helpers.seed_demo(url)))
        return
    template = request.getfixturevalue("postgres_template")
    assert POSTGRES_URL is not None
    name = f"og_demo_{uuid.uuid4().hex[:10]}"
    _run_in_thread(_admin_sql(POSTGRES_URL, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = _with_database(POSTGRES_URL, name)
    yield demo_helpers.SeededShop("postgres", url, _run_in_thread(demo_helpers.seed_demo(url)))
    _run_in_thread(_admin_sql(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def shop(seeded_shop: demo_helpers.SeededShop) -> AsyncIterator[Store]:
    db = database.connect(Settings(pool_size=5), url=seeded_shop.url)
    yield Store(seeded_shop.name, seeded_shop.url, db)
    await db.dispose()


@pytest.fixture
async def shop_admin(shop: Store) -> AsyncIterator[GraphQLClient]:
    app = create_app(Settings(database_url=shop.url), db=shop.db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test") as http:
        yield GraphQLClient(http, await make_token(shop, Role.ADMIN))


# How many records of each story the demo plans.
RECIPE = {story: count for story, count, _ in plans.RECIPE}


async def test_the_demo_has_every_kind_flow_state_and_capture_state(
    shop_admin: GraphQLClient, seeded_shop: demo_helpers.SeededShop
) -> None:
    carts, quotes, orders = [await demo_helpers.every_record(shop_admin, kind) for kind in ("CART", "QUOTE", "ORDER")]
    completed = [order for order in orders if order["complete"] and not order["cancelled"]]

    assert seeded_shop.report.made == seeded_shop.report.planned == sum(RECIPE.values())
    assert seeded_shop.report.generated > 0
    assert len(carts) + len(quotes) + len(orders) == seeded_shop.report.made + seeded_shop.report.generated
    assert len(carts) == RECIPE[Story.CART]
    assert {(quote["quoteStatus"], quote["state"]["name"]) for quote in quotes} == {
        ("OPEN", "Requested"), ("OPEN", "Offered"), ("REJECTED", "Offered"),
    }  # fmt: skip
    assert {order["quoteStatus"] for order in orders} == {None, "ACCEPTED"}
    assert sum(1 for order in orders if not order["complete"]) == RECIPE[Story.CHECKOUT_STARTED]
    assert sum(1 for order in orders if order["cancelled"]) == RECIPE[Story.CANCELLED]
    assert {order["state"]["name"] for order in completed} == {"Received", "Picked", "Shipped", "Completed"}
    assert {order["captureState"] for order in completed} == {
        "NOT_SUPPORTED",
        "NOT_CAPTURED",
        "SPLIT_CAPTURED",
        "CAPTURED",
    }
    assert {order["currency"]["code"] for order in orders} == {"EUR", "DKK", "USD"}
    assert len({record["customerId"] for record in [*carts, *quotes, *orders]} - {None}) == len(CUSTOMERS)


async def test_the_demo_orders_went_through_every_operation(shop_admin: GraphQLClient) -> None:
    orders = await demo_helpers.every_record(shop_admin, "ORDER")
    shipped = [order for order in orders if order["state"] and order["state"]["name"] in ("Shipped", "Completed")]
    refunded = [order for order in orders if Decimal(order["refundedAmount"]) > 0]
    captures = collections.Counter(
        (order["id"], transaction["status"])
        for order in orders
        for transaction in order["transactions"]
        if transaction["kind"] == "CAPTURE"
    )

    assert shipped
    assert all(order["trackingNumber"] and order["trackingUrl"] for order in shipped)
    assert any(order["refundedAmount"] == order["capturedAmount"] for order in refunded)  # in full
    assert any(Decimal(order["refundedAmount"]) < Decimal(order["capturedAmount"]) for order in refunded)
    assert {ret["status"] for order in orders for ret in order["returns"]} == {"REQUESTED", "REFUNDED"}
    assert any(count >= 2 for (_, status), count in captures.items() if status == "SUCCEEDED")  # split captures
    assert any(status == "FAILED" for _, status in captures)  # declined by the gateway
    assert any(len(order["versions"]) >= 2 for order in orders)
    assert any(
        line["type"] == "DISCOUNT" and line["parentLineId"] is None for order in orders for line in order["lines"]
    )
    assert sum(1 for order in orders if order["recurring"]) == RECIPE[Story.RECURRING]
    assert sum(1 for order in orders if order["generatedBy"]) > 3


async def test_the_demo_is_spread_over_the_last_ninety_days(shop_admin: GraphQLClient) -> None:
    orders = await demo_helpers.every_record(shop_admin, "ORDER")
    created = sorted(datetime.datetime.fromisoformat(str(order["createdAt"])) for order in orders)
    now = datetime.datetime.now(datetime.UTC)

    assert now - datetime.timedelta(days=91) < created[0] < now - datetime.timedelta(days=60)
    assert now - datetime.timedelta(days=2) < created[-1] <= now
    assert sum(1 for at in created if at > now - datetime.timedelta(days=30)) > len(created) // 4


async def test_every_demo_ledger_and_stock_holds(shop: Store) -> None:
    async with shop.db.read_sessions() as session:
        transactions = collections.defaultdict(list)
        for transaction in (await session.scalars(sa.select(Transaction))).all():
            transactions[transaction.order_id].append(transaction)
        returned = dict(
            (
                await session.execute(
                    sa.select(ReturnLine.order_line_id, sa.func.sum(ReturnLine.quantity)).group_by(
                        ReturnLine.order_line_id
                    )
                )
            ).all()
        )
        ordered = dict((await session.execute(sa.select(OrderLine.id, OrderLine.quantity))).all())
        stock = dict((await session.execute(sa.select(Product.number, Product.stock))).all())
        sold = await demo_helpers.sold_less_restocked(session)
        order_count = await session.scalar(
            sa.select(sa.func.count()).select_from(Order).where(Order.kind == OrderKind.ORDER)
        )

    amounts = [ledger.amounts(rows) for rows in transactions.values()]
    assert len(transactions) > 100
    assert order_count
    assert all(amount.captured <= amount.authorized for amount in amounts)
    assert all(amount.refunded <= amount.captured for amount in amounts)
    assert all(amount.pending_count == 0 for amount in amounts)
    assert returned
    assert all(quantity <= ordered[line] for line, quantity in returned.items())
    assert min(stock.values()) >= 0
    assert {number: Decimal(initial) - sold.get(number, 0) for number, *_, initial, _ in demo.PRODUCTS} == stock


async def test_seeding_again_changes_nothing_and_says_so(shop: Store) -> None:
    before = await store_rows(shop)

    again = await demo_helpers.seed_demo(shop.url)

    assert again.added_nothing
    assert (again.made, again.generated) == (0, 0)
    assert demo_orders.summary(again).startswith(f"demo orders: all {again.planned} there already, nothing added; ")
    assert await store_rows(shop) == before


# ---------------------------------------------------------------- the examples

QUOTES = """{ orders(first: 100, filter: {kind: QUOTE}) {
  edges { node { id customerId quoteStatus state { name } } } } }"""
ORDER = "query($id: ID!) { order(id: $id) { id complete quoteStatus state { name } capturedAmount refundedAmount } }"


@pytest.fixture
async def demo_copy(seeded_shop: demo_helpers.SeededShop, tmp_path: pathlib.Path) -> AsyncIterator[Store]:
    """A copy of the seeded demo for one test to change."""
    if seeded_shop.name == "sqlite":
        path = tmp_path / "copy.db"
        shutil.copyfile(sa.make_url(seeded_shop.url).database or "", path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        assert POSTGRES_URL is not None
        name = f"og_copy_{uuid.uuid4().hex[:10]}"
        template = sa.make_url(seeded_shop.url).database
        await _admin_sql(POSTGRES_URL, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        url = _with_database(POSTGRES_URL, name)
    db = database.connect(Settings(pool_size=5), url=url)
    yield Store(seeded_shop.name, url, db)
    await db.dispose()
    if seeded_shop.name != "sqlite":
        await _admin_sql(POSTGRES_URL or "", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclasses.dataclass
class Rig:
    """An example's surroundings: the demo copy it runs on, clients of the app over it, and what it printed."""

    store: Store
    transport: httpx.ASGITransport
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]
    opened: list[httpx.AsyncClient] = dataclasses.field(default_factory=list)

    def client(self, token: str | None) -> httpx.AsyncClient:
        """A client at the URL the examples post to, with a token or without."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.opened.append(
            httpx.AsyncClient(transport=self.transport, base_url="http://ordergraph.test", headers=headers)
        )
        return self.opened[-1]

    async def admin(self) -> GraphQLClient:
        return GraphQLClient(self.client(None), await make_token(self.store, Role.ADMIN))

    def example(self, name: str) -> Any:
        return demo_helpers.example(name, self.monkeypatch)

    def printed(self) -> list[str]:
        return self.capsys.readouterr().out.splitlines()


@pytest.fixture
async def rig(
    demo_copy: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> AsyncIterator[Rig]:
    app = create_app(Settings(database_url=demo_copy.url), db=demo_copy.db)
    made = Rig(demo_copy, httpx.ASGITransport(app=app), monkeypatch, capsys)
    yield made
    for client in made.opened:
        await client.aclose()


async def test_the_storefront_example_checks_out(rig: Rig) -> None:
    order_id = await rig.example("storefront").main(rig.client(None))

    printed = rig.printed()
    admin = await rig.admin()
    order = (await admin.execute(ORDER, {"id": order_id}))["order"]
    assert order == {
        "id": order_id, "complete": True, "quoteStatus": None, "state": {"name": "Received"},
        "capturedAmount": "0.00", "refundedAmount": "0.00",
    }  # fmt: skip
    assert [line.split(" ")[0] for line in printed] == ["cart", "shipping", "checkout", "order"]
    assert printed[0].startswith("cart CART")
    assert ": 2 lines, " in printed[0]
    assert printed[2].endswith(f" is now {order_id}")
    assert printed[3].startswith(f"order {order_id} complete in state Received: ")
    assert printed[3].endswith(" capture state NOT_CAPTURED")


async def test_the_admin_example_edits_captures_moves_and_refunds_an_order(rig: Rig) -> None:
    admin = await rig.admin()

    order_id = await rig.example("admin").main(rig.client(admin.token))

    printed = rig.printed()
    order = (await admin.execute(ORDER, {"id": order_id}))["order"]
    listed, *rest = printed
    assert listed.endswith(" orders in Received with a card authorization to capture; the newest:")
    assert rest[0].startswith(f"  {order_id}  ")
    preview = next(line for line in rest if line.startswith("preview of a 5.00 goodwill discount: total "))
    before, after = (Decimal(total) for total in preview.rsplit(" ", 3)[1::2])
    assert after == before - 5
    assert f"edited: revision {_revision(rest, order_id) + 1}, versions kept 1" in rest
    half = (after / 2).quantize(Decimal("0.01"))
    assert f"captured {half} of {after}: capture state SPLIT_CAPTURED" in rest
    assert rest[-2:] == ["moved to Picked", f"refunded 2.50: 2.50 of {half} captured is refunded"]
    assert order == {
        "id": order_id, "complete": True, "quoteStatus": None, "state": {"name": "Picked"},
        "capturedAmount": str(half), "refundedAmount": "2.50",
    }  # fmt: skip


async def test_the_customer_center_example_accepts_an_offered_quote_and_rejects_an_open_one(rig: Rig) -> None:
    admin = await rig.admin()
    quotes = [edge["node"] for edge in (await admin.execute(QUOTES))["orders"]["edges"]]
    open_quotes = [quote for quote in quotes if quote["quoteStatus"] == "OPEN"]
    offered = next(quote for quote in open_quotes if quote["state"]["name"] == "Offered")
    rejecting = next(quote["customerId"] for quote in open_quotes if quote["customerId"] != offered["customerId"])
    customer_center = rig.example("customer_center")

    order_id = await customer_center.main(rig.client(await make_token(rig.store, Role.CUSTOMER, offered["customerId"])))
    as_rejecting = rig.client(await make_token(rig.store, Role.CUSTOMER, rejecting))
    rejected_id = await customer_center.main(as_rejecting, reject=True)

    printed = rig.printed()
    accepted = (await admin.execute(ORDER, {"id": order_id}))["order"]
    rejected = (await admin.execute(ORDER, {"id": rejected_id}))["order"]
    assert (accepted["complete"], accepted["quoteStatus"]) == (True, "ACCEPTED")
    assert accepted["state"] == {"name": "Received"}
    assert f"paying {offered['id']} by card" in printed
    assert f"accepted {offered['id']}: it is now order {order_id} in state Received" in printed
    assert rejected_id in {quote["id"] for quote in open_quotes if quote["customerId"] == rejecting}
    assert (rejected["complete"], rejected["quoteStatus"]) == (False, "REJECTED")
    assert f"rejected {rejected_id}: REJECTED" in printed
    assert [line.split(" ")[1] for line in printed if line[0].isdigit()] == ["carts", "quotes", "orders"] * 2


async def test_the_examples_run_from_the_command_line_against_a_served_demo(demo_copy: Store) -> None:
    if demo_copy.name != "sqlite":
        pytest.skip("the command line and the server are the same over either store; SQLite is enough")
    admin, customer = await make_token(demo_copy, Role.ADMIN), await make_token(demo_copy, Role.CUSTOMER, "ann")
    server = Server(demo_copy.url, crash_after=None)
    env = {key: value for key, value in os.environ.items() if key != "ORDERGRAPH_TOKEN"}

    async def run(script: str, *arguments: str, token: str | None = None) -> tuple[int | None, str, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(demo_helpers.EXAMPLES / script), "--url", server.base_url, *arguments,
            env={**env, "ORDERGRAPH_TOKEN": token} if token else env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
        return process.returncode, out.decode(), err.decode()

    try:
        await server.ready()
        bought = await run("storefront.py")
        worked = await run("admin.py", token=admin)
        answered = await run("customer_center.py", "--reject", token=customer)
        refused = await run("admin.py")  # no token: the order list is for admins
    finally:
        server.stop()

    assert bought[::2] == (0, "")
    assert " complete in state Received: " in bought[1].splitlines()[-1]
    assert worked[::2] == (0, "")
    assert worked[1].splitlines()[-2] == "moved to Picked"
    assert answered[::2] == (0, "")
    assert answered[1].splitlines()[0].endswith(" carts")
    assert answered[1].splitlines()[-1].startswith("rejected QUOTE")
    assert refused[0] == 1
    assert "GraphQLFailed" in refused[2]
    assert "FORBIDDEN" in refused[2]


def _revision(printed: list[str], order_id: str) -> int:
    opened = next(line for line in printed if line.startswith(f"{order_id} ("))
    return int(opened.split("revision ")[1].split(")")[0])


async def test_seed_stops_with_one_line_when_the_catalogue_cannot_serve_the_demo(store: Store) -> None:
    async with store.db.write_sessions() as session, session.begin():
        await demo.seed(session, now=datetime.datetime.now(datetime.UTC))
        await session.execute(sa.update(Product).values(stock=0))  # sold out since the catalogue was seeded
    env = {**os.environ, "DATABASE_URL": store.url}

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ordergraph", "seed", "--demo", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)

    async with store.db.read_sessions() as session:
        references = (await session.scalars(sa.select(Order.reference).where(Order.reference.is_not(None)))).all()
    assert process.returncode == 1
    assert out.decode() == ""
    [line] = err.decode().strip().splitlines()
    assert line.startswith("seed --demo stopped: DEMO-")
    assert " was refused (OUT_OF_STOCK): " in line
    refused = line.split(": ")[1]
    # The records before the refusal, and the refused one's steps before it, stay (as requests' would).
    assert sorted(references) == [f"DEMO-{index:04d}" for index in range(1, int(refused.removeprefix("DEMO-")) + 1)]
