"""DynamicWeb's order data through HTTP: channel and external id, referrer, language, reference, the shipping
fee rule, the standard VAT rate, an open quote's details chosen by its customer, and state mails to the
address in an order field, delivered to a real SMTP server."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models.catalog import Shop
from resolvers.fulfilment import mail_delivery
from tests import factories, mail_helpers
from tests.conftest import GraphQLClient, Store
from tests.storefront_helpers import (
    ADD,
    COMPLETE,
    ERRORS,
    ORDER,
    catalogue,
    checkout,
    create_cart,
    filled_cart,
    mutate,
    order_row,
    succeed,
)

D = Decimal
DATA = "externalId channel integrationOrderId referrer languageId reference shippingFeeRuleName standardVatPercent"
CART = f"{ORDER} {DATA}"
CREATE = f"mutation($d: CartDetailsInput) {{ createCart(details: $d) {{ secret cart {{ {CART} }} {ERRORS} }} }}"
DETAILS = f"""mutation($c: ID!, $s: String, $d: CartDetailsInput!) {{
  setCartDetails(cartId: $c, secret: $s, details: $d) {{ cart {{ {CART} quoteStatus }} {ERRORS} }} }}"""
READ = f"query($id: ID!, $s: String) {{ order(id: $id, secret: $s) {{ {CART} quoteStatus }} }}"
IMPORT = f"""mutation($orders: [ImportOrderInput!]!) {{
  importOrders(orders: $orders) {{ results {{ order {{ id {DATA} }} userErrors {{ field code }} }} }} }}"""
SUBMIT = f"mutation($c: ID!, $s: String) {{ submitQuote(cartId: $c, secret: $s) {{ order {{ {CART} }} {ERRORS} }} }}"
ACCEPT = f"""mutation($q: ID!, $s: String) {{
  acceptQuote(quoteId: $q, secret: $s) {{ order {{ {CART} quoteStatus authorizedAmount }} {ERRORS} }} }}"""
MAIL = "template subject senderEmail senderName sendToCustomer sendToDeliveryEmail otherRecipients otherTemplate"
UPDATE_STATE = f"""mutation($id: ID!, $i: StateUpdateInput!) {{
  updateState(id: $id, input: $i) {{ state {{ mail {{ {MAIL} recipientField }} }} {ERRORS} }} }}"""
CHANGE_STATE = "mutation($o: [ID!]!, $s: ID!) { changeState(orderIds: $o, stateId: $s) { ok } }"
EDIT = f"mutation($o: ID!, $i: EditOrderInput!) {{ edit(orderId: $o, input: $i) {{ order {{ {CART} }} {ERRORS} }} }}"


async def _create_with_headers(
    client: GraphQLClient, headers: dict[str, str], details: dict[str, Any] | None = None
) -> dict[str, Any]:
    """createCart sent with extra request headers; its payload."""
    response = await client.http.post("/graphql", json={"query": CREATE, "variables": {"d": details}}, headers=headers)
    body = response.json()
    assert response.status_code == 200, body
    assert not body.get("errors"), body
    payload: dict[str, Any] = body["data"]["createCart"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def _bought(api: GraphQLClient) -> tuple[dict[str, Any], str]:
    """A demo cart checked out and paid: the completed order as READ shows it, and the cart's secret."""
    cart = await filled_cart(api, await catalogue(api))
    completed = await succeed(api, COMPLETE, {"o": (await checkout(api, cart))["id"], "s": cart.secret, "k": None})
    return (await api.execute(READ, {"id": completed["id"], "s": cart.secret}))["order"], cart.secret


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


async def _offer(admin: GraphQLClient, quote_id: str) -> None:
    """Move a quote to Offered, where its customer may accept it."""
    flows = (await admin.execute("{ flows(kind: QUOTE) { states { id name } } }"))["flows"]
    offered = next(state["id"] for flow in flows for state in flow["states"] if state["name"] == "Offered")
    assert (await admin.execute(CHANGE_STATE, {"o": [quote_id], "s": offered}))["changeState"]["ok"] is True


async def test_an_imported_order_shows_its_channel_and_external_id(admin: GraphQLClient, api: GraphQLClient) -> None:
    ids = await catalogue(admin)
    sale = {
        "channel": "pos-copenhagen",
        "externalId": "R-1001",
        "lines": [{"productId": ids["BOOK-COOK"], "quantity": "1"}],
    }

    [result] = (await admin.execute(IMPORT, {"orders": [sale]}))["importOrders"]["results"]
    [again] = (await admin.execute(IMPORT, {"orders": [sale]}))["importOrders"]["results"]
    cart = (await _create_with_headers(api, {}))["cart"]

    assert result["userErrors"] == []
    imported = result["order"]
    assert (imported["channel"], imported["externalId"], imported["integrationOrderId"]) == (
        "pos-copenhagen",
        "R-1001",
        "R-1001",
    )
    assert again["order"] == imported
    read = (await admin.execute(READ, {"id": imported["id"]}))["order"]
    assert (read["channel"], read["externalId"], read["integrationOrderId"]) == ("pos-copenhagen", "R-1001", "R-1001")
    assert (cart["channel"], cart["externalId"], cart["integrationOrderId"]) == (None, None, None)


async def test_a_new_cart_keeps_the_referer_and_the_first_accept_language_tag(api: GraphQLClient) -> None:
    headers = {"Referer": "https://shop.example/autumn?utm=mail", "Accept-Language": "da-DK,da;q=0.9,en;q=0.8"}
    created = await _create_with_headers(api, headers)
    cart_id, secret = created["cart"]["id"], created["secret"]
    long_referrer = "https://shop.example/" + "x" * 300
    wildcard = await _create_with_headers(api, {"Referer": long_referrer, "Accept-Language": "*, en-GB;q=0.5"})
    bare = await _create_with_headers(api, {})

    later = await mutate(api, DETAILS, {"c": cart_id, "s": secret, "d": {"customerComment": "Gift wrap"}})
    read = (await api.execute(READ, {"id": cart_id, "s": secret}))["order"]

    assert (created["cart"]["referrer"], created["cart"]["languageId"]) == (headers["Referer"], "da-DK")
    assert (wildcard["cart"]["referrer"], wildcard["cart"]["languageId"]) == (long_referrer[:255], "en-GB")
    assert (bare["cart"]["referrer"], bare["cart"]["languageId"]) == (None, None)
    assert later["userErrors"] == []
    assert (read["referrer"], read["languageId"]) == (headers["Referer"], "da-DK")


async def test_the_cart_input_language_wins_over_the_header(api: GraphQLClient) -> None:
    created = await _create_with_headers(api, {"Accept-Language": "da-DK"}, {"languageId": "en-GB"})
    cart_id, secret = created["cart"]["id"], created["secret"]

    changed = await mutate(api, DETAILS, {"c": cart_id, "s": secret, "d": {"languageId": "de-DE"}})
    too_long = await mutate(api, DETAILS, {"c": cart_id, "s": secret, "d": {"languageId": "x" * 51}})
    read = (await api.execute(READ, {"id": cart_id, "s": secret}))["order"]

    assert created["cart"]["languageId"] == "en-GB"
    assert changed["cart"]["languageId"] == "de-DE"
    assert (too_long["cart"], [(e["field"], e["code"]) for e in too_long["userErrors"]]) == (
        None,
        [(["details", "languageId"], "INVALID")],
    )
    assert (read["languageId"], read["revision"]) == ("de-DE", changed["cart"]["revision"])


async def test_the_reference_comes_from_the_cart_details_and_stays_through_checkout(api: GraphQLClient) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids, details={"reference": "PO-4711"})
    created = (await api.execute(READ, {"id": cart.id, "s": cart.secret}))["order"]

    changed = await succeed(api, DETAILS, {"c": cart.id, "s": cart.secret, "d": {"reference": " PO-4712 "}})
    too_long = await mutate(api, DETAILS, {"c": cart.id, "s": cart.secret, "d": {"reference": "P" * 256}})
    started = await checkout(api, cart)
    completed = await succeed(api, COMPLETE, {"o": started["id"], "s": cart.secret, "k": None})
    read = (await api.execute(READ, {"id": completed["id"], "s": cart.secret}))["order"]

    assert created["reference"] == "PO-4711"
    assert changed["reference"] == "PO-4712"
    assert [(e["field"], e["code"]) for e in too_long["userErrors"]] == [(["details", "reference"], "INVALID")]
    assert (read["complete"], read["reference"]) == (True, "PO-4712")


async def test_the_fee_rule_that_set_the_shipping_fee_is_named(api: GraphQLClient) -> None:
    ids = await catalogue(api)
    cart, _ = await create_cart(api)
    shirt = {"productId": ids["TSHIRT-BLK-M"], "quantity": "1"}
    await succeed(api, ADD, {"c": cart.id, "s": cart.secret, "l": [shirt]})
    danish = {"shippingMethodId": ids["Parcel"], "customer": {"countryCode": "DK"}}
    variables = {"c": cart.id, "s": cart.secret}

    by_country = await succeed(api, DETAILS, {**variables, "d": danish})
    await succeed(api, ADD, {**variables, "l": [{**shirt, "quantity": "5"}]})
    over_100 = (await api.execute(READ, {"id": cart.id, "s": cart.secret}))["order"]
    swedish = await succeed(api, DETAILS, {**variables, "d": {"customer": {"countryCode": "SE"}}})
    flat = await succeed(api, DETAILS, {**variables, "d": {"shippingMethodId": ids["Flat rate"]}})

    seen = [(o["shippingFeeRuleName"], o["shippingFee"]["withVat"]) for o in (by_country, over_100, swedish, flat)]
    assert [(name, D(fee)) for name, fee in seen] == [
        ("Denmark", D("4.95")),
        ("Free in Denmark over 100", D("0.00")),
        (None, D("9.95")),
        (None, D("4.95")),
    ]


async def test_the_shops_standard_vat_rate_is_kept_on_the_order_when_it_is_priced(
    api: GraphQLClient, demo_store: Store
) -> None:
    order, secret = await _bought(api)
    async with demo_store.db.write_sessions() as session, session.begin():
        await session.execute(sa.update(Shop).values(default_vat_percent=D(20)))

    new_cart = (await _create_with_headers(api, {}))["cart"]
    shop_query = (
        "query($id: ID!, $s: String) { order(id: $id, secret: $s) { standardVatPercent shop { standardVatPercent } } }"
    )
    kept = (await api.execute(shop_query, {"id": order["id"], "s": secret}))["order"]

    assert D(order["standardVatPercent"]) == D(25)
    assert (D(kept["standardVatPercent"]), D(kept["shop"]["standardVatPercent"])) == (D(25), D(20))
    assert D(new_cart["standardVatPercent"]) == D(20)
    assert (await order_row(demo_store, order["id"])).standard_vat_percent == D(25)


async def test_the_secret_holder_chooses_the_methods_of_an_open_quote_and_accepts_it(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    ids = await catalogue(api)
    cart, _ = await create_cart(api)
    await succeed(
        api, ADD, {"c": cart.id, "s": cart.secret, "l": [{"productId": ids["TSHIRT-BLK-M"], "quantity": "2"}]}
    )
    quote = await succeed(api, SUBMIT, {"c": cart.id, "s": cart.secret})
    discount = {"lines": [{"lineId": quote["lines"][0]["id"], "discountPercent": "10"}]}
    negotiated = await succeed(admin, EDIT, {"o": quote["id"], "i": discount})
    variables = {"c": quote["id"], "s": cart.secret}

    other_currency = await mutate(api, DETAILS, {**variables, "d": {"currencyCode": "DKK"}})
    voucher = await mutate(api, DETAILS, {**variables, "d": {"voucherCode": "AUTUMN"}})
    add = await mutate(api, ADD, {**variables, "l": [{"productId": ids["BOOK-COOK"], "quantity": "1"}]})
    unchanged = (await admin.execute(READ, {"id": quote["id"]}))["order"]
    details = {
        "paymentMethodId": ids["Card"],
        "shippingMethodId": ids["Parcel"],
        "currencyCode": "EUR",
        "reference": "PO-77",
        "customer": {"email": "buyer@example.com", "countryCode": "DK"},
        "delivery": {"address": "Havnegade 1", "countryCode": "DK"},
    }
    chosen = await succeed(api, DETAILS, {**variables, "d": details})
    staff_view = (await admin.execute(READ, {"id": quote["id"]}))["order"]
    await _offer(admin, quote["id"])
    accepted = await succeed(api, ACCEPT, {"q": quote["id"], "s": cart.secret})

    assert [(e["field"], e["code"]) for p in (other_currency, voucher) for e in p["userErrors"]] == [
        (["details", "currencyCode"], "INVALID"),
        (["details", "voucherCode"], "INVALID"),
    ]
    assert codes(add) == ["NOT_EDITABLE"]
    assert {key: unchanged[key] for key in ("revision", "currency", "voucherCode", "lines", "total")} == {
        key: negotiated[key] for key in ("revision", "currency", "voucherCode", "lines", "total")
    }
    assert (chosen["kind"], chosen["quoteStatus"], chosen["id"]) == ("QUOTE", "OPEN", quote["id"])
    assert chosen["lines"] == negotiated["lines"]
    assert (chosen["paymentMethod"], chosen["shippingMethod"]) == ({"name": "Card"}, {"name": "Parcel"})
    # 2 x 19.95 less 10 % = 35.91; the Danish parcel rule under 100 EUR adds 4.95.
    assert (D(chosen["subtotal"]["withVat"]), D(chosen["shippingFee"]["withVat"])) == (D("35.91"), D("4.95"))
    assert (chosen["shippingFeeRuleName"], chosen["reference"]) == ("Denmark", "PO-77")
    assert D(chosen["total"]["withVat"]) == D("40.86")
    # Events are staff data: the secret holder reads none; the admin sees the quote's own source.
    assert chosen["events"] == []
    assert staff_view["events"][-1]["source"] == "quote"
    assert (accepted["kind"], accepted["complete"], accepted["quoteStatus"]) == ("ORDER", True, "ACCEPTED")
    assert (D(accepted["authorizedAmount"]), accepted["reference"]) == (D("40.86"), "PO-77")


async def test_a_rejected_quote_takes_no_details(api: GraphQLClient, demo_store: Store) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    quote = await succeed(api, SUBMIT, {"c": cart.id, "s": cart.secret})
    reject = "mutation($q: ID!, $s: String) { rejectQuote(quoteId: $q, secret: $s) { userErrors { code } } }"
    await api.execute(reject, {"q": quote["id"], "s": cart.secret})
    before = await order_row(demo_store, quote["id"])

    refused = await mutate(api, DETAILS, {"c": quote["id"], "s": cart.secret, "d": {"shippingMethodId": ids["Parcel"]}})

    after = await order_row(demo_store, quote["id"])
    assert (refused["cart"], [(e["field"], e["code"]) for e in refused["userErrors"]]) == (
        None,
        [(None, "NOT_EDITABLE")],
    )
    assert (after.shipping_method_id, after.revision) == (before.shipping_method_id, before.revision)


async def _order_states(admin: GraphQLClient) -> dict[str, dict[str, Any]]:
    flows = (await admin.execute(f"{{ flows(kind: ORDER) {{ states {{ id name mail {{ {MAIL} }} }} }} }}"))["flows"]
    return {state["name"]: state for flow in flows for state in flow["states"]}


async def test_a_state_mail_also_goes_to_the_address_in_an_order_field(admin: GraphQLClient, demo_store: Store) -> None:
    field = {"systemName": "BuyerEmail", "name": "Buyer's email", "target": "ORDER", "type": "TEXT"}
    create_field = (
        "mutation($i: CustomFieldDefinitionInput!) { createCustomFieldDefinition(input: $i) { userErrors { code } } }"
    )
    await admin.execute(create_field, {"i": field})
    states = await _order_states(admin)
    shipped = states["Shipped"]
    too_long = await mutate(
        admin, UPDATE_STATE, {"id": shipped["id"], "i": {"mail": {**shipped["mail"], "recipientField": "F" * 101}}}
    )
    saved = await mutate(
        admin, UPDATE_STATE, {"id": shipped["id"], "i": {"mail": {**shipped["mail"], "recipientField": " BuyerEmail "}}}
    )
    with_buyer, without, malformed = await factories.committed_orders(demo_store.db, 3, state="Received")
    for order_id, value in ((with_buyer, "buyer@example.com"), (malformed, "buyer at example.com")):
        edited = await mutate(
            admin, EDIT, {"o": order_id, "i": {"customFields": [{"systemName": "BuyerEmail", "value": value}]}}
        )
        assert edited["userErrors"] == []

    for state in ("Picked", "Shipped"):
        moved = await admin.execute(CHANGE_STATE, {"o": [with_buyer, without, malformed], "s": states[state]["id"]})
        assert moved["changeState"]["ok"] is True
    collector = mail_helpers.Collector()
    with mail_helpers.smtp_server(collector) as port:
        report = await mail_delivery.deliver_due(
            demo_store.db.write_sessions, options=mail_helpers.options(port), clock=mail_helpers.Clock.now()
        )

    assert [(e["field"], e["code"]) for e in too_long["userErrors"]] == [
        (["input", "mail", "recipientField"], "INVALID")
    ]
    assert saved["userErrors"] == []
    assert saved["state"]["mail"] == {**shipped["mail"], "recipientField": "BuyerEmail"}
    assert report == mail_delivery.Report(sent=3)
    assert sorted((str(r.message["Subject"]), r.recipients) for r in collector.received) == sorted(
        [
            (f"Your order {with_buyer} is on its way", ["ada@example.com", "buyer@example.com"]),
            (f"Your order {without} is on its way", ["ada@example.com"]),
            (f"Your order {malformed} is on its way", ["ada@example.com"]),
        ]
    )
    warnings = {}
    for order_id in (with_buyer, without, malformed):
        order = (await admin.execute(READ, {"id": order_id}))["order"]
        warnings[order_id] = [e["message"] for e in order["events"] if e["level"] == "WARNING"]
    assert warnings == {
        with_buyer: [],
        without: ["No Shipped mail to the order field BuyerEmail: it is empty."],
        malformed: ["No Shipped mail to the order field BuyerEmail: 'buyer at example.com' is not an address."],
    }
