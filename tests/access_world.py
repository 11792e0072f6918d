"""The callers and records of the access tests: customer Ann's carts, quotes and orders, made through the API.

`World` makes each record on first use, as a shop would (Ann's storefront calls, an admin's setup and
payment calls), so every refused call in a test meets the same records and every allowed call can get
fresh ones. `compose` writes the document of one root field from the served schema: variables typed as
the schema types the arguments, and the smallest selection that shows whether the call was refused.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import graphql
import sqlalchemy as sa

from models.access import ApiToken
from models.base import Base
from models.enums import Role
from models.settings import Settings
from schema import root
from tests.conftest import GraphQLClient, Store, make_token
from tests.storefront_helpers import catalogue

SERVED = graphql.build_schema(root.build(Settings()).as_str())
ROOT_TYPES = {"query": SERVED.query_type, "mutation": SERVED.mutation_type}
CUSTOMER_ID, OTHER_CUSTOMER_ID = "c-ann", "c-bob"
WRONG_SECRET = "not-the-secret"
_unique = itertools.count(1)


def operation_of(field: str) -> str:
    """`query` or `mutation`: the root type that serves the field."""
    [operation] = [name for name, type_ in ROOT_TYPES.items() if type_ is not None and field in type_.fields]
    return operation


def compose(field: str, arguments: dict[str, Any], selection: str | None = None) -> str:
    """The document calling one root field with `arguments` as variables of the field's argument types."""
    operation = operation_of(field)
    root_type = ROOT_TYPES[operation]
    assert root_type is not None
    definition = root_type.fields[field]
    variables = ", ".join(f"${name}: {definition.args[name].type}" for name in arguments)
    passed = ", ".join(f"{name}: ${name}" for name in arguments)
    head = f"{operation}({variables})" if arguments else operation
    call = f"{field}({passed})" if arguments else field
    return f"{head} {{ {call} {selection if selection is not None else smallest_selection(definition.type)} }}"


def smallest_selection(type_: graphql.GraphQLOutputType) -> str:
    """Enough of a result to judge it: a payload's errors, a bulk payload's results, a record's id."""
    named = graphql.get_named_type(type_)
    if not isinstance(named, graphql.GraphQLObjectType):
        return ""
    if "results" in named.fields:
        return "{ ok results { orderId userErrors { code field } } }"
    if "userErrors" in named.fields:
        return "{ userErrors { code field } }"
    return "{ id }" if "id" in named.fields else "{ __typename }"


@dataclasses.dataclass(frozen=True)
class Clients:
    anonymous: GraphQLClient
    storefront: GraphQLClient
    customer: GraphQLClient
    other_customer: GraphQLClient
    admin: GraphQLClient

    @classmethod
    async def of(cls, api: GraphQLClient, store: Store) -> Clients:
        return cls(
            anonymous=api,
            storefront=api.as_role(await make_token(store, Role.STOREFRONT)),
            customer=api.as_role(await make_token(store, Role.CUSTOMER, customer_id=CUSTOMER_ID)),
            other_customer=api.as_role(await make_token(store, Role.CUSTOMER, customer_id=OTHER_CUSTOMER_ID)),
            admin=api.as_role(await make_token(store, Role.ADMIN)),
        )


@dataclasses.dataclass(frozen=True)
class Record:
    """A cart, quote or order as its customer knows it: its current id, its secret, a product line."""

    id: str
    secret: str
    line_id: str


async def call(client: GraphQLClient, field: str, arguments: dict[str, Any], selection: str) -> Any:
    """Call a root field that must succeed; its result."""
    data = await client.execute(compose(field, arguments, selection), arguments)
    result = data[field]
    if isinstance(result, dict) and "userErrors" in result:
        assert result["userErrors"] == [], (field, result["userErrors"])
    return result


Made = TypeVar("Made")


def made_once(method: Callable[..., Awaitable[Made]]) -> Callable[..., Awaitable[Made]]:
    """A World method whose record is made on the first call and answered again after."""

    @functools.wraps(method)
    async def once(world: World, *arguments: Any) -> Made:
        key = (method.__name__, *arguments)
        if key not in world.made:
            world.made[key] = await method(world, *arguments)
        return world.made[key]  # type: ignore[no-any-return]

    return once


class World:
    """Ann's records and the shop's spare setup, each made once, on first use."""

    def __init__(self, clients: Clients) -> None:
        self.clients = clients
        self.made: dict[tuple[Any, ...], Any] = {}

    @made_once
    async def ids(self) -> dict[str, str]:
        """Product numbers and method names to their ids."""
        return await catalogue(self.clients.anonymous)

    async def new_cart(self, client: GraphQLClient | None = None) -> Record:
        """A fresh cart (Ann's unless another client makes it) with two shirts, Card payment and Flat rate."""
        ids, client = await self.ids(), client or self.clients.customer
        created = await call(client, "createCart", {}, "{ secret cart { id } userErrors { code } }")
        cart_id, secret = created["cart"]["id"], created["secret"]
        lines = [{"productId": ids["TSHIRT-BLK-M"], "quantity": "2"}]
        filled = await call(
            client, "addToCart", {"cartId": cart_id, "secret": secret, "lines": lines},
            "{ cart { lines { id } } userErrors { code } }",
        )  # fmt: skip
        details = {"paymentMethodId": ids["Card"], "shippingMethodId": ids["Flat rate"]}
        details["customer"] = {"email": "ann@example.com", "country": "Denmark", "countryCode": "DK"}
        await call(client, "setCartDetails", {"cartId": cart_id, "secret": secret, "details": details}, ERRORS)
        return Record(cart_id, secret, filled["cart"]["lines"][0]["id"])

    @made_once
    async def cart(self) -> Record:
        return await self.new_cart()

    @made_once
    async def other_cart_secret(self) -> str:
        """The secret of an anonymous shopper's cart, not Ann's."""
        return (await self.new_cart(self.clients.anonymous)).secret

    async def turned_cart(self, mutation: str) -> Record:
        """A fresh cart of Ann's that `mutation` (startCheckout, submitQuote) gave a new id."""
        cart = await self.new_cart()
        turned = await call(self.clients.customer, mutation, {"cartId": cart.id}, ORDER_ID)
        return dataclasses.replace(cart, id=turned["order"]["id"])

    @made_once
    async def checkout(self) -> Record:
        return await self.turned_cart("startCheckout")

    @made_once
    async def quote(self) -> Record:
        return await self.turned_cart("submitQuote")

    @made_once
    async def order(self) -> Record:
        """Ann's completed order, authorized by the test gateway, in Received."""
        started = await self.checkout()
        await call(self.clients.customer, "completeCheckout", {"orderId": started.id}, ORDER_ID)
        return started

    @made_once
    async def captured_order(self) -> Record:
        order = await self.order()
        await call(self.clients.admin, "capture", {"orderIds": [order.id]}, "{ ok }")
        return order

    @made_once
    async def offered_quote(self) -> Record:
        """Ann's quote in Offered, where she may accept it."""
        quote = await self.quote()
        offered = await self.state_id("QUOTE", "Offered")
        await call(self.clients.admin, "changeState", {"orderIds": [quote.id], "stateId": offered}, "{ ok }")
        return quote

    @made_once
    async def requested_return(self) -> str:
        order = await self.captured_order()
        lines = [{"orderLineId": order.line_id, "quantity": "1"}]
        created = await call(self.clients.admin, "createReturn", {"orderId": order.id, "lines": lines}, RETURN_ID)
        return created["return"]["id"]  # type: ignore[no-any-return]

    @made_once
    async def received_return(self) -> str:
        return_id = await self.requested_return()
        await call(self.clients.admin, "receiveReturn", {"returnId": return_id}, RETURN_ID)
        return return_id

    @made_once
    async def schedule(self) -> str:
        given = {"templateOrderId": (await self.order()).id, "interval": 1, "unit": "MONTH"}
        created = await call(self.clients.admin, "createRecurring", {"input": given}, "{ schedule { id } }")
        return created["schedule"]["id"]  # type: ignore[no-any-return]

    @made_once
    async def state_id(self, kind: str, name: str) -> str:
        """A state of the default flow of a kind, by name."""
        flows = await call(self.clients.admin, "flows", {"kind": kind}, "{ isDefault states { id name } }")
        [flow] = [flow for flow in flows if flow["isDefault"]]
        return next(state["id"] for state in flow["states"] if state["name"] == name)  # type: ignore[no-any-return]

    @made_once
    async def spare_flow(self) -> tuple[str, str, str]:
        """A flow no order is in: its id, its default state and another state."""
        admin = self.clients.admin
        flow = await call(admin, "createFlow", {"input": {"name": unique_name("Spare"), "kind": "ORDER"}}, FLOW_ID)
        flow_id = flow["flow"]["id"]
        states = [
            await call(admin, "createState", {"input": {"flowId": flow_id, "name": name}}, STATE_ID)
            for name in ("First", "Second")
        ]
        return flow_id, states[0]["state"]["id"], states[1]["state"]["id"]

    @made_once
    async def track_and_trace(self) -> str:
        given = {"name": unique_name("Carrier"), "urlTemplate": TRACKING_URL}
        created = await call(self.clients.admin, "createTrackAndTrace", {"input": given}, TRACK_AND_TRACE_ID)
        return created["trackAndTrace"]["id"]  # type: ignore[no-any-return]

    @made_once
    async def webhook(self) -> str:
        """An endpoint for every event (nothing delivers it: the worker does not run here)."""
        given = {"url": "http://127.0.0.1:9/hook", "events": ["TRACKING_SET"]}
        created = await call(self.clients.admin, "createWebhook", {"input": given}, WEBHOOK_ID)
        return created["webhook"]["id"]  # type: ignore[no-any-return]

    @made_once
    async def webhook_delivery(self) -> str:
        """A delivery of the endpoint above, queued by setting tracking on Ann's order."""
        webhook_id = await self.webhook()
        order_id, carrier = (await self.order()).id, await self.track_and_trace()
        tracking = {"orderId": order_id, "trackAndTraceId": carrier, "trackingNumber": "00370799999"}
        await call(self.clients.admin, "setTracking", tracking, ORDER_ID)
        read = await self.clients.admin.execute(
            "query($id: ID!) { webhook(id: $id) { deliveries { id } } }", {"id": webhook_id}
        )
        return read["webhook"]["deliveries"][0]["id"]  # type: ignore[no-any-return]

    @made_once
    async def custom_field(self) -> str:
        """The system name of an ORDER text field."""
        name = unique_name("Note")
        given = {"systemName": name, "name": name, "target": "ORDER", "type": "TEXT"}
        await call(self.clients.admin, "createCustomFieldDefinition", {"input": given}, ERRORS)
        return name


ERRORS = "{ userErrors { code } }"
ORDER_ID = "{ order { id } userErrors { code } }"
RETURN_ID = "{ return { id } userErrors { code } }"
FLOW_ID = "{ flow { id } userErrors { code } }"
STATE_ID = "{ state { id } userErrors { code } }"
TRACK_AND_TRACE_ID = "{ trackAndTrace { id } userErrors { code } }"
WEBHOOK_ID = "{ webhook { id } userErrors { code } }"
TRACKING_URL = "https://track.example/?code={TrackingNumber}"


def unique_name(prefix: str) -> str:
    """A name no other record of the run has (flows, carriers, custom fields, import ids)."""
    return f"{prefix}{next(_unique)}"


# When a token was last used records the call itself, not a change the call made.
_NOT_A_CHANGE = frozenset({ApiToken.__table__.c.last_used_at})


async def store_rows(store: Store) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as text: two equal dumps mean that nothing changed."""
    async with store.db.read_sessions() as session:
        dump = {}
        for table in Base.metadata.sorted_tables:
            columns = [column for column in table.columns if column not in _NOT_A_CHANGE]
            rows = (await session.execute(sa.select(*columns))).all()
            dump[table.name] = sorted(tuple(str(value) for value in row) for row in rows)
    return dump


def days_ago(days: int) -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)
