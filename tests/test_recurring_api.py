"""Recurring orders through HTTP: create, run due, run again, cancel, the schedule on orders, access."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from tests import payment_factories, return_helpers
from tests.conftest import GraphQLClient, Store
from tests.storefront_helpers import CREATE_CART, catalogue
from tests.test_payments_api import CAPTURE

SCHEDULE = "id interval unit nextRunAt endsAt active templateOrder { id } generatedOrders { id }"
CREATE = f"""mutation($input: RecurringInput!) {{
  createRecurring(input: $input) {{ schedule {{ {SCHEDULE} }} userErrors {{ field code }} }} }}"""
CANCEL = (
    f"""mutation($id: ID!) {{ cancelRecurring(id: $id) {{ schedule {{ {SCHEDULE} }} userErrors {{ field code }} }} }}"""
)
RUN = """mutation($now: DateTime) { runDueRecurring(now: $now) {
  ok results { orderId userErrors { field code } order {
    id kind complete customer { name email } delivery { city } currency { code }
    lines { productNumber quantity unitPrice { withVat } price { withVat } }
    paymentMethod { name } shippingMethod { name } state { name } total { withVat }
    captureState authorizedAmount transactions { kind }
    events { source message actor }
    generatedBy { id } recurring { id }
  } } } }"""
LIST = f"query($active: Boolean) {{ recurringSchedules(activeOnly: $active) {{ {SCHEDULE} }} }}"
TEMPLATE_QUERY = "query($id: ID!) { order(id: $id) { recurring { id } generatedBy { id } } }"
IMPORT = """mutation($o: [ImportOrderInput!]!) { importOrders(orders: $o) { results { orderId } } }"""
START = "2027-01-31T09:00:00+00:00"
D = Decimal


async def _template(admin: GraphQLClient, external_id: str = "SUB-1") -> str:
    ids = await catalogue(admin)
    sale = {
        "channel": "web",
        "externalId": external_id,
        "customer": {"name": "Grace Hopper", "email": "grace@example.com", "countryCode": "DK"},
        "delivery": {"city": "Aarhus", "countryCode": "DK"},
        "lines": [{"productId": ids["SOCKS-3PK"], "quantity": "2"}, {"productId": ids["MUG-CER"], "quantity": "1"}],
        "paymentMethodId": ids["Card"],
        "shippingMethodId": ids["Flat rate"],
        "paid": True,
    }
    [result] = (await admin.execute(IMPORT, {"o": [sale]}))["importOrders"]["results"]
    return str(result["orderId"])


async def _create(admin: GraphQLClient, template: str, **fields: Any) -> dict[str, Any]:
    given = {"templateOrderId": template, "interval": 1, "unit": "MONTH", "startAt": START, **fields}
    return (await admin.execute(CREATE, {"input": given}))["createRecurring"]


@contextlib.asynccontextmanager
async def _foreign_keys_off(store: Store) -> AsyncIterator[AsyncConnection]:
    """A committed transaction in which the store does not check foreign keys (a raw SQLite connection has
    them off; PostgreSQL skips its constraint triggers for a replica session)."""
    engine = create_async_engine(store.url)
    try:
        async with engine.begin() as connection:
            if not store.is_sqlite:
                await connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            yield connection
    finally:
        await engine.dispose()


async def _run(client: GraphQLClient, now: str | None) -> dict[str, Any]:
    return (await client.execute(RUN, {"now": now}))["runDueRecurring"]


async def test_a_schedule_generates_a_copy_when_due_and_nothing_twice(admin: GraphQLClient, demo_store: Store) -> None:
    template = await _template(admin)

    created = await _create(admin, template)

    assert created["userErrors"] == []
    schedule = created["schedule"]
    assert {key: value for key, value in schedule.items() if key != "id"} == {
        "interval": 1, "unit": "MONTH", "nextRunAt": START, "endsAt": None, "active": True,
        "templateOrder": {"id": template}, "generatedOrders": [],
    }  # fmt: skip
    assert (await admin.execute(TEMPLATE_QUERY, {"id": template}))["order"] == {
        "recurring": {"id": schedule["id"]},
        "generatedBy": None,
    }
    assert await _run(admin, "2027-01-31T08:59:59+00:00") == {"ok": True, "results": []}

    run = await _run(admin, START)

    assert run["ok"] is True
    [result] = run["results"]
    order = result["order"]
    assert result["orderId"] == order["id"] != template
    assert {key: value for key, value in order.items() if key not in ("id", "events")} == {
        "kind": "ORDER",
        "complete": True,
        "customer": {"name": "Grace Hopper", "email": "grace@example.com"},
        "delivery": {"city": "Aarhus"},
        "currency": {"code": "EUR"},
        "lines": [
            {"productNumber": "SOCKS-3PK", "quantity": "2.00", "unitPrice": {"withVat": "9.99"},
             "price": {"withVat": "19.98"}},
            {"productNumber": "MUG-CER", "quantity": "1.00", "unitPrice": {"withVat": "8.95"},
             "price": {"withVat": "8.95"}},
        ],
        "paymentMethod": {"name": "Card"},
        "shippingMethod": {"name": "Flat rate"},
        "state": {"name": "Received"},
        "total": {"withVat": "33.88"},
        "captureState": "NOT_CAPTURED",
        "authorizedAmount": "0.00",
        "transactions": [],
        "generatedBy": {"id": schedule["id"]},
        "recurring": None,
    }  # fmt: skip
    assert order["events"] == [
        {"source": "recurring", "actor": "admin:test-admin",
         "message": f"Generated by recurring schedule {schedule['id']} for {START} from {template}; "
                    "in state Received, payment to be collected."}
    ]  # fmt: skip
    [listed] = (await admin.execute(LIST, {"active": True}))["recurringSchedules"]
    assert (listed["nextRunAt"], listed["generatedOrders"]) == ("2027-02-28T09:00:00+00:00", [{"id": order["id"]}])
    assert await _run(admin, START) == {"ok": True, "results": []}


async def test_concurrent_runs_generate_each_occurrence_once(admin: GraphQLClient, demo_store: Store) -> None:
    template = await _template(admin)
    await _create(admin, template)

    runs = await asyncio.gather(*(_run(admin, "2027-03-01T00:00:00+00:00") for _ in range(4)))

    generated = [result["orderId"] for run in runs for result in run["results"]]
    assert len(generated) == len(set(generated)) == 2
    [listed] = (await admin.execute(LIST, {"active": True}))["recurringSchedules"]
    assert [order["id"] for order in listed["generatedOrders"]] == sorted(generated, key=lambda i: int(i[5:]))


async def test_a_cancelled_schedule_generates_nothing(admin: GraphQLClient, demo_store: Store) -> None:
    template = await _template(admin)
    schedule_id = (await _create(admin, template))["schedule"]["id"]

    cancelled = (await admin.execute(CANCEL, {"id": schedule_id}))["cancelRecurring"]

    assert (cancelled["schedule"]["active"], cancelled["userErrors"]) == (False, [])
    again = (await admin.execute(CANCEL, {"id": schedule_id}))["cancelRecurring"]
    assert again == {"schedule": None, "userErrors": [{"field": ["id"], "code": "ALREADY_DONE"}]}
    unknown = (await admin.execute(CANCEL, {"id": "424242"}))["cancelRecurring"]
    assert unknown == {"schedule": None, "userErrors": [{"field": ["id"], "code": "NOT_FOUND"}]}
    assert await _run(admin, "2028-01-01T00:00:00+00:00") == {"ok": True, "results": []}
    assert (await admin.execute(LIST, {"active": True}))["recurringSchedules"] == []
    assert [s["id"] for s in (await admin.execute(LIST, {"active": False}))["recurringSchedules"]] == [schedule_id]
    assert (await _create(admin, template))["userErrors"] == []  # a new schedule once the old one is stopped


async def test_schedules_refused_at_their_fields(admin: GraphQLClient, demo_store: Store) -> None:
    template = await _template(admin)
    cart = (await admin.execute(CREATE_CART, {"d": None}))["createCart"]["cart"]["id"]
    await _create(admin, template)

    refusals = [
        await _create(admin, "ORDER424242"),
        await _create(admin, cart),
        await _create(admin, template, interval=0),
        await _create(admin, template, endsAt="2027-01-01T00:00:00+00:00"),
        await _create(admin, template),
    ]

    assert [(payload["schedule"], payload["userErrors"]) for payload in refusals] == [
        (None, [{"field": ["input", "templateOrderId"], "code": "NOT_FOUND"}]),
        (None, [{"field": ["input", "templateOrderId"], "code": "INVALID"}]),
        (None, [{"field": ["input", "interval"], "code": "INVALID"}]),
        (None, [{"field": ["input", "endsAt"], "code": "INVALID"}]),
        (None, [{"field": ["input", "templateOrderId"], "code": "ALREADY_DONE"}]),
    ]
    assert len((await admin.execute(LIST, {"active": False}))["recurringSchedules"]) == 1


async def test_only_admins_manage_schedules(admin: GraphQLClient, storefront: GraphQLClient, demo_store: Store) -> None:
    template = await _template(admin)
    forbidden = [{"field": None, "code": "FORBIDDEN"}]

    assert await _create(storefront, template) == {"schedule": None, "userErrors": forbidden}
    assert (await storefront.execute(CANCEL, {"id": "1"}))["cancelRecurring"]["userErrors"] == forbidden
    run = await storefront.execute(RUN.replace("field code", "field code message"), {"now": START})
    assert run["runDueRecurring"]["ok"] is False
    assert [r["orderId"] for r in run["runDueRecurring"]["results"]] == ["runDueRecurring"]
    response = await storefront.post(LIST, {"active": True})
    assert [error["message"] for error in response.json()["errors"]] == ["Only an admin may read this."]
    assert (await admin.execute(LIST, {"active": False}))["recurringSchedules"] == []


async def test_a_schedule_the_store_refuses_stays_due_others_run(admin: GraphQLClient, demo_store: Store) -> None:
    healthy = await _template(admin)
    broken = await _template(admin, "SUB-2")
    healthy_id = (await _create(admin, healthy))["schedule"]["id"]
    broken_id = (await _create(admin, broken))["schedule"]["id"]
    # The template's shop is gone (removed behind the store's back): its copy breaks a foreign key, not the
    # one-order-per-occurrence rule.
    async with _foreign_keys_off(demo_store) as connection:
        await connection.execute(sa.text("UPDATE orders SET shop_id = 424242 WHERE public_id = :id"), {"id": broken})

    first = await _run(admin, START)
    again = await _run(admin, START)

    assert first["ok"] is False
    [generated, refused] = first["results"]
    assert (generated["userErrors"], generated["order"]["generatedBy"]) == ([], {"id": healthy_id})
    assert (refused["orderId"], refused["order"], refused["userErrors"]) == (
        f"schedule:{broken_id}", None, [{"field": None, "code": "INVALID"}],
    )  # fmt: skip
    assert [(r["orderId"], r["userErrors"]) for r in again["results"]] == [
        (f"schedule:{broken_id}", [{"field": None, "code": "INVALID"}])
    ]
    schedules = {s["id"]: s for s in (await admin.execute(LIST, {"active": True}))["recurringSchedules"]}
    assert (schedules[broken_id]["nextRunAt"], schedules[broken_id]["generatedOrders"]) == (START, [])
    assert (schedules[healthy_id]["nextRunAt"], len(schedules[healthy_id]["generatedOrders"])) == (
        "2027-02-28T09:00:00+00:00", 1,
    )  # fmt: skip


CHARGED = """mutation($now: DateTime) { runDueRecurring(now: $now) {
  ok results { orderId userErrors { code message } order { id total { withVat } } } } }"""
GENERATED = """query($id: ID!) { order(id: $id) { id complete paymentDelta captureState authorizedAmount
  transactions { kind status amount transactionNumber } events { source level message } } }"""


async def _card_template(api: GraphQLClient, admin: GraphQLClient) -> tuple[str, str]:
    """An order checked out by Card through the storefront (2 T-shirts, a cookbook, Flat rate: 73.85), and its
    authorization's number at the gateway: the saved payment its generated orders are charged to."""
    placed = await return_helpers.placed_order(api, admin, capture=False)
    order = (await admin.execute(GENERATED, {"id": placed.id}))["order"]
    return placed.id, order["transactions"][0]["transactionNumber"]


async def test_a_generated_order_is_charged_to_the_templates_saved_payment(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    template, saved_payment = await _card_template(api, admin)
    await _create(admin, template)

    run = (await admin.execute(CHARGED, {"now": START}))["runDueRecurring"]

    [result] = run["results"]
    assert (run["ok"], result["userErrors"], result["order"]["total"]) == (True, [], {"withVat": "73.85"})
    order = (await admin.execute(GENERATED, {"id": result["orderId"]}))["order"]
    assert (order["paymentDelta"], order["captureState"], order["authorizedAmount"]) == (
        "0.00",
        "NOT_CAPTURED",
        "73.85",
    )
    [charge] = order["transactions"]
    assert (charge["kind"], charge["status"], charge["amount"]) == ("AUTHORIZE", "SUCCEEDED", "73.85")
    assert charge["transactionNumber"] != saved_payment  # a new authorization, charged to the saved one
    assert {"source": "recurring", "level": "INFO",
            "message": "Recurring charge: 73.85 EUR authorized on the saved payment."} in order["events"]  # fmt: skip
    [operation] = [
        row for row in await payment_factories.provider_books(demo_store.db)
        if row.transaction_number == charge["transactionNumber"]
    ]  # fmt: skip
    assert (operation.operation, operation.amount, operation.is_approved) == ("authorize", D("73.85"), True)
    captured = (await admin.execute(CAPTURE, {"ids": [result["orderId"]]}))["capture"]
    assert captured["ok"] is True


async def test_a_declined_charge_leaves_the_generated_order_unpaid_with_a_failed_row_and_an_event(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    template, _ = await _card_template(api, admin)
    edit = """mutation($id: ID!) { edit(orderId: $id, input: {customer: {email: "decline-authorize@example.com"}}) {
      userErrors { code } } }"""
    assert (await admin.execute(edit, {"id": template}))["edit"]["userErrors"] == []
    schedule = (await _create(admin, template))["schedule"]

    run = (await admin.execute(CHARGED, {"now": START}))["runDueRecurring"]

    [result] = run["results"]
    assert (run["ok"], [e["code"] for e in result["userErrors"]], result["order"]) == (
        False, ["PROVIDER_DECLINED"], None,
    )  # fmt: skip
    [listed] = (await admin.execute(LIST, {"active": True}))["recurringSchedules"]
    assert (listed["id"], listed["generatedOrders"]) == (schedule["id"], [{"id": result["orderId"]}])
    order = (await admin.execute(GENERATED, {"id": result["orderId"]}))["order"]
    assert (order["complete"], order["paymentDelta"], order["captureState"], order["authorizedAmount"]) == (
        True, "73.85", "NOT_CAPTURED", "0.00",
    )  # fmt: skip
    assert [(t["kind"], t["status"]) for t in order["transactions"]] == [("AUTHORIZE", "FAILED")]
    assert {
        "source": "recurring", "level": "WARNING",
        "message": "Recurring charge of 73.85 EUR declined: the order stays unpaid.",
    } in order["events"]  # fmt: skip
    assert (await admin.execute(CHARGED, {"now": START}))["runDueRecurring"] == {"ok": True, "results": []}
