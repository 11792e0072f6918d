"""importOrders through HTTP: the imported order, idempotent re-imports, per-input errors, states, access."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models.flows import State
from models.orders import Order
from tests.conftest import GraphQLClient, Store
from tests.storefront_helpers import catalogue, events_of, stock_of

PRICE = "{ withVat withoutVat vat vatPercent }"
ORDER = f"""
  id kind complete completedAt createdAt revision cancelled deleted
  currency {{ code name rate }}
  customer {{ name email countryCode }} delivery {{ name city }}
  lines {{ type productNumber productName quantity unitPrice {PRICE} price {PRICE}
           customFields {{ systemName value }} }}
  subtotal {PRICE} paymentFee {PRICE} shippingFee {PRICE} total {PRICE}
  paymentMethod {{ name }} shippingMethod {{ name }} flow {{ name }} state {{ name }}
  captureState authorizedAmount capturedAmount
  transactions {{ kind status amount currency provider message }}
  events {{ source level message actor }}
"""
IMPORT = f"""mutation($orders: [ImportOrderInput!]!) {{
  importOrders(orders: $orders) {{ ok results {{ orderId order {{ {ORDER} }} userErrors {{ field code message }} }} }}
}}"""
CREATED_AT = "2026-11-20T09:30:00+00:00"


async def _import(client: GraphQLClient, orders: list[dict[str, Any]]) -> dict[str, Any]:
    return (await client.execute(IMPORT, {"orders": orders}))["importOrders"]


def _sale(ids: dict[str, str], external_id: str = "R-1001", **overrides: Any) -> dict[str, Any]:
    sale = {
        "channel": "pos-copenhagen",
        "externalId": external_id,
        "createdAt": CREATED_AT,
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "countryCode": "DK"},
        "delivery": {"name": "Ada Lovelace", "city": "Copenhagen"},
        "lines": [
            {"productId": ids["TSHIRT-BLK-M"], "quantity": "2"},
            {"productId": ids["BOOK-COOK"], "quantity": "1"},
        ],
        "paymentMethodId": ids["Card"],
        "shippingMethodId": ids["Flat rate"],
        "paid": True,
    }
    sale.update(overrides)
    return sale


async def _order_count(store: Store) -> int:
    async with store.db.read_sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(Order)) or 0)


async def _state_ids(client: GraphQLClient, kind: str) -> dict[str, str]:
    data = await client.execute("query($k: FlowKind) { flows(kind: $k) { states { id name } } }", {"k": kind})
    return {state["name"]: state["id"] for state in data["flows"][0]["states"]}


async def test_an_import_is_a_completed_paid_order_with_exact_totals(admin: GraphQLClient, demo_store: Store) -> None:
    ids = await catalogue(admin)
    tshirts_before = await stock_of(demo_store, "TSHIRT-BLK-M")

    payload = await _import(admin, [_sale(ids)])

    assert payload["ok"] is True
    [result] = payload["results"]
    order = result["order"]
    assert result["orderId"] == order["id"]
    assert order["id"].startswith("ORDER")
    assert (order["kind"], order["complete"], order["cancelled"], order["deleted"]) == ("ORDER", True, False, False)
    assert order["createdAt"] == order["completedAt"] == CREATED_AT
    assert order["currency"] == {"code": "EUR", "name": "Euro", "rate": "1.00"}
    assert order["customer"] == {"name": "Ada Lovelace", "email": "ada@example.com", "countryCode": "DK"}
    assert order["delivery"] == {"name": "Ada Lovelace", "city": "Copenhagen"}
    assert [(line["productNumber"], line["quantity"], line["price"]) for line in order["lines"]] == [
        ("TSHIRT-BLK-M", "2.00", {"withVat": "39.90", "withoutVat": "31.92", "vat": "7.98", "vatPercent": "25.00"}),
        ("BOOK-COOK", "1.00", {"withVat": "29.00", "withoutVat": "29.00", "vat": "0.00", "vatPercent": "0.00"}),
    ]
    assert order["subtotal"] == {"withVat": "68.90", "withoutVat": "60.92", "vat": "7.98", "vatPercent": "13.10"}
    assert order["shippingFee"] == {"withVat": "4.95", "withoutVat": "3.96", "vat": "0.99", "vatPercent": "25.00"}
    assert order["total"]["withVat"] == "73.85"
    assert (order["paymentMethod"], order["shippingMethod"]) == ({"name": "Card"}, {"name": "Flat rate"})
    assert (order["flow"], order["state"]) == ({"name": "Orders"}, {"name": "Received"})
    assert (order["captureState"], order["authorizedAmount"], order["capturedAmount"]) == ("CAPTURED", "73.85", "73.85")
    assert order["transactions"] == [
        {"kind": kind, "status": "SUCCEEDED", "amount": "73.85", "currency": "EUR", "provider": "external",
         "message": "paid outside ordergraph"}
        for kind in ("AUTHORIZE", "CAPTURE")
    ]  # fmt: skip
    assert order["events"] == [
        {"source": "import", "level": "INFO", "actor": "admin:test-admin",
         "message": "Imported from pos-copenhagen as R-1001: 2 lines, total 73.85 EUR."},
        {"source": "import", "level": "INFO", "actor": "admin:test-admin",
         "message": "Paid outside ordergraph: 73.85 EUR captured."},
    ]  # fmt: skip
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == tshirts_before - 2


async def test_an_unpaid_import_in_another_currency_keeps_its_rate_and_records_no_payment(
    admin: GraphQLClient, demo_store: Store
) -> None:
    ids = await catalogue(admin)
    sale = _sale(ids, currencyCode="dkk", paid=False, paymentMethodId=ids["Invoice"], shippingMethodId=None)
    sale["lines"] = [{"productId": ids["TSHIRT-BLK-M"], "quantity": "1"}]

    [result] = (await _import(admin, [sale]))["results"]

    order = result["order"]
    assert order["currency"] == {"code": "DKK", "name": "Danish krone", "rate": "7.46"}
    assert order["lines"][0]["unitPrice"]["withVat"] == "148.83"  # 19.95 x 7.46, rounded
    assert order["paymentFee"]["withVat"] == "18.65"  # 2.50 x 7.46
    assert order["total"]["withVat"] == "167.48"
    assert (order["captureState"], order["capturedAmount"], order["transactions"]) == ("NOT_SUPPORTED", "0.00", [])
    assert [event["message"] for event in order["events"]] == [
        "Imported from pos-copenhagen as R-1001: 1 line, total 167.48 DKK."
    ]


async def test_importing_the_same_key_again_answers_the_first_order_and_changes_nothing(
    admin: GraphQLClient, demo_store: Store
) -> None:
    ids = await catalogue(admin)
    [first] = (await _import(admin, [_sale(ids)]))["results"]
    stock_before = await stock_of(demo_store, "TSHIRT-BLK-M")
    events_before = await events_of(demo_store, first["orderId"])
    count_before = await _order_count(demo_store)

    changed = _sale(ids, lines=[{"productId": ids["SOCKS-3PK"], "quantity": "9"}], paid=False)
    payload = await _import(admin, [changed, _sale(ids)])

    assert payload["ok"] is True
    assert [result["orderId"] for result in payload["results"]] == [first["orderId"], first["orderId"]]
    assert [result["order"] for result in payload["results"]] == [first["order"], first["order"]]
    assert await _order_count(demo_store) == count_before
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock_before
    assert await events_of(demo_store, first["orderId"]) == events_before


async def test_the_same_key_twice_in_one_request_makes_one_order(admin: GraphQLClient, demo_store: Store) -> None:
    ids = await catalogue(admin)
    count_before = await _order_count(demo_store)

    payload = await _import(admin, [_sale(ids, "R-7"), _sale(ids, "R-8"), _sale(ids, " R-7 ")])

    first, second, again = payload["results"]
    assert again["orderId"] == first["orderId"] != second["orderId"]
    assert await _order_count(demo_store) == count_before + 2


async def test_concurrent_imports_of_one_key_create_one_order(admin: GraphQLClient, demo_store: Store) -> None:
    ids = await catalogue(admin)
    stock_before = await stock_of(demo_store, "TSHIRT-BLK-M")
    count_before = await _order_count(demo_store)

    payloads = await asyncio.gather(*(_import(admin, [_sale(ids, "R-RACE")]) for _ in range(6)))

    assert all(payload["ok"] for payload in payloads)
    assert len({payload["results"][0]["orderId"] for payload in payloads}) == 1
    assert await _order_count(demo_store) == count_before + 1
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock_before - 2


async def test_bad_inputs_answer_at_their_paths_and_write_nothing(admin: GraphQLClient, demo_store: Store) -> None:
    ids = await catalogue(admin)
    quote_states = await _state_ids(admin, "QUOTE")
    tshirt = {"productId": ids["TSHIRT-BLK-M"], "quantity": "1"}
    stock_before = await stock_of(demo_store, "TSHIRT-BLK-M")
    count_before = await _order_count(demo_store)
    bad = [
        _sale(ids, "B-1", lines=[tshirt, {"productId": "999999", "quantity": "1"}]),
        _sale(ids, "B-2", lines=[{"productId": ids["TSHIRT-BLK-M"], "quantity": "0"}]),
        _sale(ids, "B-3", currencyCode="XXX"),
        _sale(ids, "B-4", stateId=quote_states["Requested"]),
        _sale(ids, "B-5", customer={"zip": "9" * 51}),
        _sale(ids, "B-6", lines=[]),
        _sale(ids, "B-7", paymentMethodId="424242"),
        {**_sale(ids), "channel": "c" * 101},
        _sale(ids, "B-9", stateId="424242"),
    ]

    payload = await _import(admin, [*bad, _sale(ids, "GOOD")])

    assert payload["ok"] is False
    results = payload["results"]
    assert [(r["orderId"], r["order"], [(e["field"], e["code"]) for e in r["userErrors"]]) for r in results[:-1]] == [
        ("pos-copenhagen:B-1", None, [(["orders", "0", "lines", "1", "productId"], "NOT_FOUND")]),
        ("pos-copenhagen:B-2", None, [(["orders", "1", "lines", "0", "quantity"], "INVALID")]),
        ("pos-copenhagen:B-3", None, [(["orders", "2", "currencyCode"], "NOT_FOUND")]),
        ("pos-copenhagen:B-4", None, [(["orders", "3", "stateId"], "TRANSITION_NOT_ALLOWED")]),
        ("pos-copenhagen:B-5", None, [(["orders", "4", "customer", "zip"], "INVALID")]),
        ("pos-copenhagen:B-6", None, [(["orders", "5", "lines"], "INVALID")]),
        ("pos-copenhagen:B-7", None, [(["orders", "6", "paymentMethodId"], "NOT_FOUND")]),
        (f"{'c' * 101}:R-1001", None, [(["orders", "7", "channel"], "INVALID")]),
        ("pos-copenhagen:B-9", None, [(["orders", "8", "stateId"], "NOT_FOUND")]),
    ]
    assert results[-1]["userErrors"] == []
    assert await _order_count(demo_store) == count_before + 1
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock_before - 2


async def test_a_chosen_state_is_used_and_a_deleted_one_refused(admin: GraphQLClient, demo_store: Store) -> None:
    ids = await catalogue(admin)
    states = await _state_ids(admin, "ORDER")
    async with demo_store.db.write_sessions() as session, session.begin():
        await session.execute(sa.update(State).where(State.id == int(states["Picked"])).values(is_deleted=True))

    payload = await _import(
        admin, [_sale(ids, "S-1", stateId=states["Shipped"]), _sale(ids, "S-2", stateId=states["Picked"])]
    )

    shipped, picked = payload["results"]
    assert (shipped["order"]["flow"], shipped["order"]["state"]) == ({"name": "Orders"}, {"name": "Shipped"})
    assert [(e["field"], e["code"]) for e in picked["userErrors"]] == [
        (["orders", "1", "stateId"], "TRANSITION_NOT_ALLOWED")
    ]


async def test_an_import_beyond_the_stock_is_refused_as_checkout_refuses_it_and_writes_nothing(
    admin: GraphQLClient, demo_store: Store
) -> None:
    ids = await catalogue(admin)
    sunglasses_before = await stock_of(demo_store, "SUNGLASSES")
    tshirts_before = await stock_of(demo_store, "TSHIRT-BLK-M")
    count_before = await _order_count(demo_store)
    tshirts = {"productId": ids["TSHIRT-BLK-M"], "quantity": "2"}
    beyond = _sale(ids, "OOS-1", lines=[tshirts, {"productId": ids["SUNGLASSES"], "quantity": "5"}], paid=True)
    a_million = _sale(ids, "OOS-2", lines=[{"productId": ids["BOOK-COOK"], "quantity": "1000000"}])
    # Two lines of one product are summed, as at checkout: 2 + 2 of 3 sunglasses is too many.
    summed = _sale(ids, "OOS-3", lines=[{"productId": ids["SUNGLASSES"], "quantity": "2"}] * 2)

    payload = await _import(admin, [beyond, a_million, summed, _sale(ids, "OOS-OK")])

    assert payload["ok"] is False
    refused = payload["results"][:3]
    assert [(r["orderId"], r["order"], [(e["field"], e["code"]) for e in r["userErrors"]]) for r in refused] == [
        ("pos-copenhagen:OOS-1", None, [(["orders", "0", "lines", "1", "quantity"], "OUT_OF_STOCK")]),
        ("pos-copenhagen:OOS-2", None, [(["orders", "1", "lines", "0", "quantity"], "OUT_OF_STOCK")]),
        ("pos-copenhagen:OOS-3", None, [(["orders", "2", "lines", "1", "quantity"], "OUT_OF_STOCK")]),
    ]
    assert refused[0]["userErrors"][0]["message"].endswith("(SUNGLASSES) asks for 5; 3 in stock.")
    assert payload["results"][3]["userErrors"] == []
    assert await _order_count(demo_store) == count_before + 1
    assert await stock_of(demo_store, "SUNGLASSES") == sunglasses_before == Decimal(3)
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == tshirts_before - 2
    async with demo_store.db.read_sessions() as session:
        imported = (await session.scalars(sa.select(Order.external_id).where(Order.import_channel.is_not(None)))).all()
    assert imported == ["OOS-OK"]


async def test_line_custom_fields_are_written_and_validated(admin: GraphQLClient, demo_store: Store) -> None:
    ids = await catalogue(admin)
    await admin.execute(
        """mutation { createCustomFieldDefinition(input: {systemName: "engraving", name: "Engraving",
             target: ORDER_LINE, type: TEXT}) { userErrors { code } } }"""
    )
    count_before = await _order_count(demo_store)
    good = _sale(ids, "CF-1", lines=[{**_line(ids), "customFields": [{"systemName": "engraving", "value": "A.L."}]}])
    bad = _sale(ids, "CF-2", lines=[{**_line(ids), "customFields": [{"systemName": "nope", "value": "x"}]}])

    payload = await _import(admin, [good, bad])

    written, refused = payload["results"]
    assert written["order"]["lines"][0]["customFields"] == [{"systemName": "engraving", "value": "A.L."}]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["orders", "1", "lines", "0", "customFields", "0", "systemName"], "INVALID")
    ]
    assert await _order_count(demo_store) == count_before + 1


async def test_only_admins_may_import(storefront: GraphQLClient, admin: GraphQLClient, demo_store: Store) -> None:
    ids = await catalogue(admin)
    count_before = await _order_count(demo_store)

    payload = await _import(storefront, [_sale(ids)])

    assert payload == {
        "ok": False,
        "results": [
            {"orderId": "pos-copenhagen:R-1001", "order": None,
             "userErrors": [{"field": None, "code": "FORBIDDEN", "message": "Only an admin may do this."}]}
        ],
    }  # fmt: skip
    assert await _order_count(demo_store) == count_before


async def test_an_empty_list_is_a_top_level_error(admin: GraphQLClient) -> None:
    response = await admin.post(IMPORT, {"orders": []})

    assert [error["message"] for error in response.json()["errors"]] == ["`orders` may not be empty."]


def _line(ids: dict[str, str]) -> dict[str, Any]:
    return {"productId": ids["MUG-CER"], "quantity": "1"}
