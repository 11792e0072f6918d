"""The storefront through HTTP: carts, prices, checkout, access. On SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from models.enums import Role
from tests.conftest import GraphQLClient, Store, make_token
from tests.storefront_helpers import (
    ADD,
    COMPLETE,
    ORDER_QUERY,
    REMOVE_LINE,
    SET_DETAILS,
    START,
    UPDATE_LINE,
    Cart,
    amounts,
    assert_parts_add_up,
    catalogue,
    checkout,
    create_cart,
    filled_cart,
    mutate,
    stock_of,
    succeed,
    transactions_of,
)

D = Decimal


async def _cart_filled_step_by_step(api: GraphQLClient) -> Cart:
    """An anonymous cart: created empty, two shirts (added one at a time) and a cookbook, then Ann's details."""
    ids = await catalogue(api)
    cart, empty = await create_cart(api)
    assert empty["kind"] == "CART"
    assert empty["lines"] == []
    assert empty["total"] == {"withVat": "0.00", "withoutVat": "0.00", "vat": "0.00", "vatPercent": "0.00"}

    lines = [{"productId": ids["TSHIRT-BLK-M"], "quantity": "1"}, {"productId": ids["BOOK-COOK"], "quantity": "1"}]
    await succeed(api, ADD, {"c": cart.id, "s": cart.secret, "l": lines})
    added = await succeed(
        api, ADD, {"c": cart.id, "s": cart.secret, "l": [{"productId": ids["TSHIRT-BLK-M"], "quantity": "1"}]}
    )
    assert [(line["productNumber"], D(line["quantity"])) for line in added["lines"]] == [
        ("TSHIRT-BLK-M", D(2)),
        ("BOOK-COOK", D(1)),
    ]
    details = {
        "customer": {"email": "ann@example.com", "firstName": "Ann", "country": "Denmark", "countryCode": "DK"},
        "paymentMethodId": ids["Card"],
        "shippingMethodId": ids["Flat rate"],
        "customerComment": "Leave it at the door.",
    }
    detailed = await succeed(api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": details})
    assert detailed["customer"]["email"] == "ann@example.com"
    assert detailed["paymentMethod"] == {"name": "Card"}
    return cart


async def test_an_anonymous_shopper_goes_from_an_empty_cart_to_a_completed_authorized_order(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    cart = await _cart_filled_step_by_step(api)

    started = await checkout(api, cart)
    assert started["id"].startswith("ORDER")
    assert started["previousIds"] == [cart.id]
    assert started["complete"] is False

    completed = await succeed(api, COMPLETE, {"o": started["id"], "s": cart.secret, "k": "journey-1"})

    assert completed["id"] == started["id"]
    assert completed["complete"] is True
    assert completed["completedAt"] is not None
    assert completed["flow"] == {"name": "Orders"}
    assert completed["state"] == {"name": "Received"}
    # 2 x 19.95 + 29.00 + 4.95 shipping; Card has no fee.
    assert amounts(completed["total"]) == (D("73.85"), D("64.88"), D("8.97"))
    assert D(completed["authorizedAmount"]) == D("73.85")
    assert completed["captureState"] == "NOT_CAPTURED"
    [authorization] = completed["transactions"]
    assert authorization["kind"] == "AUTHORIZE"
    assert authorization["status"] == "SUCCEEDED"
    assert D(authorization["amount"]) == D("73.85")
    assert authorization["currency"] == "EUR"
    assert authorization["provider"] == "test"
    assert authorization["transactionNumber"].startswith("TEST")
    assert authorization["cardNumber"] == "XXXX XXXX XXXX 4242"
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == D(118)
    assert await stock_of(demo_store, "BOOK-COOK") == D(39)
    assert completed["events"] == []  # staff data: the shopper reads it empty
    events = (await admin.execute(ORDER_QUERY, {"id": completed["id"]}))["order"]["events"]
    sources = [(event["source"], event["level"], event["actor"]) for event in events]
    assert ("cart", "INFO", "anonymous") in sources
    assert ("checkout", "INFO", "anonymous") in sources
    assert ("payment", "INFO", "anonymous") in sources
    assert events[-1]["message"] == "Checkout completed: 73.85 EUR authorized."

    by_cart_id = (await api.execute(ORDER_QUERY, {"id": cart.id, "s": cart.secret}))["order"]
    assert by_cart_id["id"] == started["id"]


async def test_price_parts_add_up_on_every_line_and_total(api: GraphQLClient) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(
        api, ids, lines=(("TSHIRT-BLK-M", "3"), ("SOCKS-3PK", "7"), ("BOOK-NOVEL", "2"), ("MUG-CER", "1.5"))
    )
    await succeed(api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"paymentMethodId": ids["Invoice"]}})

    order = (await api.execute(ORDER_QUERY, {"id": cart.id, "s": cart.secret}))["order"]

    for line in order["lines"]:
        assert_parts_add_up(line["unitPrice"])
        assert_parts_add_up(line["price"])
    for name in ("subtotal", "discountTotal", "priceBeforeFees", "paymentFee", "shippingFee", "total"):
        assert_parts_add_up(order[name])
    line_sum = [sum(amounts(line["price"])[part] for line in order["lines"]) for part in range(3)]
    assert list(amounts(order["subtotal"])) == line_sum
    assert amounts(order["priceBeforeFees"]) == amounts(order["subtotal"])
    fees = [amounts(order["paymentFee"])[part] + amounts(order["shippingFee"])[part] for part in range(3)]
    assert list(amounts(order["total"])) == [amounts(order["priceBeforeFees"])[part] + fees[part] for part in range(3)]
    # 59.85 + 69.93 + 25.98 + 13.43 (1.5 x 8.95 = 13.425, rounded per line) + 2.50 + 4.95
    assert amounts(order["total"]) == (D("176.64"), D("146.50"), D("30.14"))
    assert D(order["weight"]) == D("2.8500")


async def test_a_danish_cart_is_priced_in_kroner_at_the_kept_rate(api: GraphQLClient) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids, details={"currencyCode": "DKK"})
    await succeed(api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"paymentMethodId": ids["Invoice"]}})

    order = (await api.execute(ORDER_QUERY, {"id": cart.id, "s": cart.secret}))["order"]

    assert order["currency"] == {"code": "DKK", "name": "Danish krone", "rate": "7.46"}
    shirt, book = order["lines"]
    # 19.95 EUR x 7.46 = 148.827, shown as 148.83 a unit.
    assert amounts(shirt["unitPrice"]) == (D("148.83"), D("119.06"), D("29.77"))
    assert amounts(shirt["price"]) == (D("297.66"), D("238.13"), D("59.53"))
    assert amounts(book["price"]) == (D("216.34"), D("216.34"), D("0"))
    assert amounts(order["subtotal"]) == (D("514.00"), D("454.47"), D("59.53"))
    assert amounts(order["paymentFee"]) == (D("18.65"), D("14.92"), D("3.73"))
    assert amounts(order["shippingFee"]) == (D("36.93"), D("29.54"), D("7.39"))
    assert amounts(order["total"]) == (D("569.58"), D("498.93"), D("70.65"))


async def test_changing_the_currency_reprices_the_cart(api: GraphQLClient) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)

    repriced = await succeed(api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"currencyCode": "usd"}})

    assert repriced["currency"]["code"] == "USD"
    # 19.95 x 1.085 = 21.645 → 21.65 a unit; 29.00 x 1.085 = 31.465 → 31.47.
    assert [amounts(line["unitPrice"])[0] for line in repriced["lines"]] == [D("21.65"), D("31.47")]
    assert amounts(repriced["total"])[0] == D("43.30") + D("31.47") + D("5.37")


async def test_a_line_quantity_is_updated_and_zero_removes_the_line(api: GraphQLClient) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    order = (await api.execute(ORDER_QUERY, {"id": cart.id, "s": cart.secret}))["order"]
    shirt, book = order["lines"]

    updated = await succeed(api, UPDATE_LINE, {"c": cart.id, "s": cart.secret, "line": shirt["id"], "q": "5"})
    assert D(updated["lines"][0]["quantity"]) == D(5)
    assert amounts(updated["lines"][0]["price"])[0] == D("99.75")
    assert updated["revision"] > order["revision"]

    emptied = await succeed(api, UPDATE_LINE, {"c": cart.id, "s": cart.secret, "line": shirt["id"], "q": "0"})
    assert [line["productNumber"] for line in emptied["lines"]] == ["BOOK-COOK"]

    removed = await succeed(api, REMOVE_LINE, {"c": cart.id, "s": cart.secret, "line": book["id"]})
    assert removed["lines"] == []
    assert amounts(removed["subtotal"])[0] == D(0)


FEE = "id lines { id } shippingFee { withVat } shippingFeeRuleName"
FEE_CREATE = f"mutation($d: CartDetailsInput) {{ createCart(details: $d) {{ secret cart {{ {FEE} }} }} }}"
FEE_ADD = f"""mutation($c: ID!, $s: String, $l: [CartLineInput!]!) {{
  addToCart(cartId: $c, secret: $s, lines: $l) {{ cart {{ {FEE} }} userErrors {{ code }} }} }}"""
FEE_UPDATE = f"""mutation($c: ID!, $s: String, $line: ID!, $q: Decimal!) {{
  updateCartLine(cartId: $c, secret: $s, lineId: $line, quantity: $q) {{ cart {{ {FEE} }} userErrors {{ code }} }} }}"""
FEE_DETAILS = f"""mutation($c: ID!, $s: String, $d: CartDetailsInput!) {{
  setCartDetails(cartId: $c, secret: $s, details: $d) {{ cart {{ {FEE} }} userErrors {{ code }} }} }}"""
FEE_START = f"""mutation($c: ID!, $s: String) {{
  startCheckout(cartId: $c, secret: $s) {{ order {{ {FEE} }} userErrors {{ code }} }} }}"""


async def test_the_shipping_fee_follows_the_methods_rules_through_every_cart_change(api: GraphQLClient) -> None:
    """Parcel: free over 100 in Denmark, 4.95 in Denmark, 9.95 elsewhere (its flat fee) below 5 kg."""
    ids = await catalogue(api)
    parcel = {"paymentMethodId": ids["Card"], "shippingMethodId": ids["Parcel"], "customer": {"countryCode": "DK"}}
    created = (await api.execute(FEE_CREATE, {"d": parcel}))["createCart"]
    cart = {"c": created["cart"]["id"], "s": created["secret"]}
    fees = [_fee(created["cart"])]
    jeans = [{"productId": ids["JEANS-32-32"], "quantity": "2"}]
    added = await succeed(api, FEE_ADD, {**cart, "l": jeans})
    fees.append(_fee(added))
    fees.append(_fee(await succeed(api, FEE_UPDATE, {**cart, "line": added["lines"][0]["id"], "q": "1"})))
    flat_then_parcel = [{"shippingMethodId": ids["Flat rate"]}, {**parcel, "delivery": {"countryCode": "SE"}}]
    fees += [_fee(await succeed(api, FEE_DETAILS, {**cart, "d": details})) for details in flat_then_parcel]
    fees.append(_fee(await succeed(api, FEE_START, cart)))

    assert fees == [
        ("4.95", "Denmark"),
        ("0.00", "Free in Denmark over 100"),
        ("4.95", "Denmark"),
        ("4.95", None),
        ("9.95", None),
        ("9.95", None),
    ]


def _fee(cart: dict[str, Any]) -> tuple[str, str | None]:
    return cart["shippingFee"]["withVat"], cart["shippingFeeRuleName"]


async def test_bad_lines_name_the_field_and_change_nothing(api: GraphQLClient) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    before = (await api.execute(ORDER_QUERY, {"id": cart.id, "s": cart.secret}))["order"]

    unknown = await mutate(
        api,
        ADD,
        {
            "c": cart.id,
            "s": cart.secret,
            "l": [{"productId": ids["MUG-CER"], "quantity": "1"}, {"productId": "999999", "quantity": "1"}],
        },
    )
    negative = await mutate(
        api, ADD, {"c": cart.id, "s": cart.secret, "l": [{"productId": ids["MUG-CER"], "quantity": "-1"}]}
    )
    too_precise = await mutate(
        api, ADD, {"c": cart.id, "s": cart.secret, "l": [{"productId": ids["MUG-CER"], "quantity": "0.00001"}]}
    )
    custom = await mutate(
        api,
        ADD,
        {
            "c": cart.id,
            "s": cart.secret,
            "l": [{"productId": ids["MUG-CER"], "quantity": "1", "customFields": [{"systemName": "gift", "value": 1}]}],
        },
    )
    no_line = await mutate(api, UPDATE_LINE, {"c": cart.id, "s": cart.secret, "line": "999999", "q": "1"})
    bad_method = await mutate(api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"paymentMethodId": "999"}})
    bad_currency = await mutate(api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"currencyCode": "XYZ"}})

    assert unknown["cart"] is None
    assert [(e["code"], e["field"]) for e in unknown["userErrors"]] == [("NOT_FOUND", ["lines", "1", "productId"])]
    assert [(e["code"], e["field"]) for e in negative["userErrors"]] == [("INVALID", ["lines", "0", "quantity"])]
    assert [(e["code"], e["field"]) for e in too_precise["userErrors"]] == [("INVALID", ["lines", "0", "quantity"])]
    assert custom["userErrors"] == [
        {
            "code": "INVALID",
            "field": ["lines", "0", "customFields", "0", "systemName"],
            "message": "No ORDER_LINE field is named gift.",
        }
    ]
    assert [(e["code"], e["field"]) for e in no_line["userErrors"]] == [("NOT_FOUND", ["lineId"])]
    assert [(e["code"], e["field"]) for e in bad_method["userErrors"]] == [
        ("NOT_FOUND", ["details", "paymentMethodId"])
    ]
    assert [(e["code"], e["field"]) for e in bad_currency["userErrors"]] == [("NOT_FOUND", ["details", "currencyCode"])]
    after = (await api.execute(ORDER_QUERY, {"id": cart.id, "s": cart.secret}))["order"]
    assert after == before


async def test_a_cart_is_reached_only_with_its_secret(api: GraphQLClient, storefront: GraphQLClient) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    add_one = [{"productId": ids["MUG-CER"], "quantity": "1"}]

    assert (await api.execute(ORDER_QUERY, {"id": cart.id}))["order"] is None
    assert (await api.execute(ORDER_QUERY, {"id": cart.id, "s": "wrong"}))["order"] is None
    assert (await storefront.execute(ORDER_QUERY, {"id": cart.id}))["order"] is None
    assert (await api.execute(ORDER_QUERY, {"id": cart.id, "s": cart.secret}))["order"]["id"] == cart.id

    wrong = await mutate(api, ADD, {"c": cart.id, "s": "wrong", "l": add_one})
    missing = await mutate(api, ADD, {"c": "CART999999", "s": cart.secret, "l": add_one})
    no_secret = await mutate(api, START, {"c": cart.id})
    assert wrong["cart"] is None
    assert [(e["code"], e["field"]) for e in wrong["userErrors"]] == [("NOT_FOUND", ["cartId"])]
    assert [(e["code"], e["field"]) for e in missing["userErrors"]] == [("NOT_FOUND", ["cartId"])]
    assert wrong["userErrors"][0]["message"] == f"Order {cart.id} was not found."
    assert [e["code"] for e in no_secret["userErrors"]] == ["NOT_FOUND"]
    completed = await mutate(api, COMPLETE, {"o": cart.id, "s": "wrong"})
    assert [e["code"] for e in completed["userErrors"]] == ["NOT_FOUND"]


async def test_a_customer_reaches_their_own_cart_without_its_secret(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    ids = await catalogue(api)
    ann = api.as_role(await make_token(demo_store, Role.CUSTOMER, "ann"))
    bob = api.as_role(await make_token(demo_store, Role.CUSTOMER, "bob"))
    cart, created = await create_cart(ann)
    assert created["customerId"] == "ann"
    add_one = [{"productId": ids["MUG-CER"], "quantity": "1"}]

    own = await succeed(ann, ADD, {"c": cart.id, "l": add_one})
    assert len(own["lines"]) == 1
    assert (await ann.execute(ORDER_QUERY, {"id": cart.id}))["order"]["id"] == cart.id
    assert (await bob.execute(ORDER_QUERY, {"id": cart.id}))["order"] is None
    other = await mutate(bob, ADD, {"c": cart.id, "l": add_one})
    assert [e["code"] for e in other["userErrors"]] == ["NOT_FOUND"]
    assert (await admin.execute(ORDER_QUERY, {"id": cart.id}))["order"]["id"] == cart.id

    # Bob holding the secret reaches the cart but does not take it over from Ann.
    by_secret = await succeed(bob, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"displayName": "Shared"}})
    assert by_secret["customerId"] == "ann"


async def test_completed_orders_cannot_be_changed_as_carts(api: GraphQLClient) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    order = await checkout(api, cart)
    await succeed(api, COMPLETE, {"o": order["id"], "s": cart.secret})

    added = await mutate(
        api, ADD, {"c": order["id"], "s": cart.secret, "l": [{"productId": ids["MUG-CER"], "quantity": "1"}]}
    )
    details = await mutate(api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"customerComment": "late"}})
    removed = await mutate(api, REMOVE_LINE, {"c": order["id"], "s": cart.secret, "line": order["lines"][0]["id"]})
    restarted = await mutate(api, START, {"c": cart.id, "s": cart.secret})

    for payload in (added, details, removed):
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_EDITABLE"]
    assert [e["code"] for e in restarted["userErrors"]] == ["ALREADY_DONE"]


async def test_starting_checkout_twice_returns_the_same_order(api: GraphQLClient) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)

    first = await checkout(api, cart)
    again = await succeed(api, START, {"c": cart.id, "s": cart.secret})

    assert again["id"] == first["id"]
    assert again["previousIds"] == [cart.id]


async def test_an_empty_cart_cannot_be_checked_out(api: GraphQLClient) -> None:
    cart, _ = await create_cart(api)

    payload = await mutate(api, START, {"c": cart.id, "s": cart.secret})

    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["cartId"])]


@pytest.mark.parametrize("number", ["SUNGLASSES", "WALLET"])
async def test_out_of_stock_names_the_line_and_changes_nothing(
    api: GraphQLClient, demo_store: Store, number: str
) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids, lines=(("TSHIRT-BLK-M", "2"), (number, "4")))
    order = await checkout(api, cart)
    before = (await api.execute(ORDER_QUERY, {"id": order["id"], "s": cart.secret}))["order"]
    stock_before = await stock_of(demo_store, "TSHIRT-BLK-M")

    payload = await mutate(api, COMPLETE, {"o": order["id"], "s": cart.secret})

    [error] = payload["userErrors"]
    assert (error["code"], error["field"]) == ("OUT_OF_STOCK", ["lines", "1", "quantity"])
    assert number in error["message"]
    after = (await api.execute(ORDER_QUERY, {"id": order["id"], "s": cart.secret}))["order"]
    assert after == before
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == stock_before
    assert await transactions_of(demo_store, order["id"]) == []
