"""Quotes through HTTP: cart → quote → admin edits and offers → the customer accepts or rejects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from models.enums import Role, TransactionKind, TransactionStatus
from tests.conftest import GraphQLClient, Store, make_token
from tests.storefront_helpers import (
    ADD,
    ERRORS,
    ORDER,
    ORDER_QUERY,
    Cart,
    catalogue,
    create_cart,
    filled_cart,
    mutate,
    stock_of,
    succeed,
)

D = Decimal
QUOTE = f"{ORDER} quoteStatus paymentDelta versions {{ number actor summary }}"
SUBMIT = f"""mutation($c: ID!, $s: String, $m: String) {{
  submitQuote(cartId: $c, secret: $s, comment: $m) {{ order {{ {QUOTE} }} {ERRORS} }} }}"""
ACCEPT = (
    f"""mutation($q: ID!, $s: String) {{ acceptQuote(quoteId: $q, secret: $s) {{ order {{ {QUOTE} }} {ERRORS} }} }}"""
)
REJECT = f"""mutation($q: ID!, $s: String, $r: String) {{
  rejectQuote(quoteId: $q, secret: $s, reason: $r) {{ order {{ {QUOTE} }} {ERRORS} }} }}"""
EDIT = f"""mutation($o: ID!, $r: Int, $i: EditOrderInput!) {{
  edit(orderId: $o, expectedRevision: $r, input: $i) {{ order {{ {QUOTE} }} {ERRORS} }} }}"""
CHANGE_STATE = """mutation($o: [ID!]!, $s: ID!) {
  changeState(orderIds: $o, stateId: $s) { ok results { userErrors { code message } } } }"""


async def quote_states(admin: GraphQLClient) -> dict[str, str]:
    data = await admin.execute("{ flows(kind: QUOTE) { isDefault states { id name } } }")
    [flow] = [flow for flow in data["flows"] if flow["isDefault"]]
    return {state["name"]: state["id"] for state in flow["states"]}


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


async def _offer(admin: GraphQLClient, quote_id: str) -> None:
    """Move a quote to Offered, where the customer may accept it."""
    offered = await mutate(admin, CHANGE_STATE, {"o": [quote_id], "s": (await quote_states(admin))["Offered"]})
    assert offered["ok"] is True, offered


async def _offered_quote(api: GraphQLClient, admin: GraphQLClient) -> tuple[Cart, dict[str, Any]]:
    """A shopper's filled cart (by its secret) submitted for a quote, and the quote moved to Offered."""
    cart = await filled_cart(api, await catalogue(api))
    quote = await succeed(api, SUBMIT, {"c": cart.id, "s": cart.secret})
    await _offer(admin, quote["id"])
    return cart, quote


async def test_the_whole_quote_journey(api: GraphQLClient, admin: GraphQLClient, demo_store: Store) -> None:
    customer = api.as_role(await make_token(demo_store, Role.CUSTOMER, customer_id="c-ada"))
    ids = await catalogue(api)
    cart = await filled_cart(customer, ids, details={"displayName": "Autumn uniforms"})

    quote = await succeed(customer, SUBMIT, {"c": cart.id, "m": "Can you do 3 shirts?"})

    assert quote["kind"] == "QUOTE"
    assert quote["id"].startswith("QUOTE")
    assert quote["previousIds"] == [cart.id]
    assert (quote["quoteStatus"], quote["flow"]["name"], quote["state"]["name"]) == ("OPEN", "Quotes", "Requested")
    assert (quote["displayName"], quote["customerComment"]) == ("Autumn uniforms", "Can you do 3 shirts?")
    assert D(quote["total"]["withVat"]) == D("73.85")
    assert D(quote["paymentDelta"]) == D("73.85")
    assert quote["events"] == []  # staff data: the customer reads it empty
    as_staff = (await admin.execute(ORDER_QUERY, {"id": quote["id"]}))["order"]
    assert as_staff["events"][-1]["message"] == f"Quote requested: cart {cart.id} became {quote['id']}."

    too_early = await mutate(customer, ACCEPT, {"q": quote["id"]})
    assert (codes(too_early), too_early["userErrors"][0]["field"]) == (["TRANSITION_NOT_ALLOWED"], ["quoteId"])

    shirt = quote["lines"][0]["id"]
    changes = {"lines": [{"lineId": shirt, "quantity": "3", "discountPercent": "10"}], "comment": "3 for 53.86"}
    edited = await succeed(admin, EDIT, {"o": quote["id"], "r": quote["revision"], "i": changes})
    assert D(edited["total"]["withVat"]) == D("87.81")
    summary = f"comment; line {shirt} quantity 3; line {shirt} discount 10%"
    assert edited["versions"] == [{"number": 1, "actor": "admin:test-admin", "summary": summary}]
    await _offer(admin, quote["id"])

    other = api.as_role(await make_token(demo_store, Role.CUSTOMER, customer_id="c-bob"))
    for stranger in (other, api):
        refused = await mutate(stranger, ACCEPT, {"q": quote["id"]})
        assert (codes(refused), refused["order"]) == (["NOT_FOUND"], None)

    accepted = await succeed(customer, ACCEPT, {"q": quote["id"]})

    assert (accepted["kind"], accepted["complete"], accepted["quoteStatus"]) == ("ORDER", True, "ACCEPTED")
    assert accepted["id"].startswith("ORDER")
    assert accepted["previousIds"] == [cart.id, quote["id"]]
    assert (accepted["flow"]["name"], accepted["state"]["name"]) == ("Orders", "Received")
    assert accepted["displayName"] == "Autumn uniforms"
    assert D(accepted["total"]["withVat"]) == D("87.81")
    assert D(accepted["authorizedAmount"]) == D("87.81")
    assert D(accepted["paymentDelta"]) == D(0)
    assert [(t["kind"], t["status"], D(t["amount"])) for t in accepted["transactions"]] == [
        (TransactionKind.AUTHORIZE.value, TransactionStatus.SUCCEEDED.value, D("87.81"))
    ]
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == D(117)
    assert await stock_of(demo_store, "BOOK-COOK") == D(39)

    again = await mutate(customer, ACCEPT, {"q": quote["id"]})
    assert codes(again) == ["ALREADY_DONE"]
    by_old_id = await customer.execute(ORDER_QUERY, {"id": quote["id"]})
    assert by_old_id["order"]["id"] == accepted["id"]


async def test_a_rejected_quote_can_be_neither_accepted_nor_edited(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    cart, quote = await _offered_quote(api, admin)

    wrong_secret = await mutate(api, REJECT, {"q": quote["id"], "s": "not-the-secret", "r": "Too dear"})
    rejected = await succeed(api, REJECT, {"q": quote["id"], "s": cart.secret, "r": "Too dear"})

    assert codes(wrong_secret) == ["NOT_FOUND"]
    assert (rejected["kind"], rejected["quoteStatus"]) == ("QUOTE", "REJECTED")
    as_staff = (await admin.execute(ORDER_QUERY, {"id": quote["id"]}))["order"]
    assert as_staff["events"][-1]["message"] == "Quote rejected: Too dear"
    accept = await mutate(api, ACCEPT, {"q": quote["id"], "s": cart.secret})
    reject_again = await mutate(api, REJECT, {"q": quote["id"], "s": cart.secret})
    edit = await mutate(admin, EDIT, {"o": quote["id"], "i": {"comment": "Please reconsider"}})
    assert (codes(accept), codes(reject_again), codes(edit)) == (["NOT_EDITABLE"], ["ALREADY_DONE"], ["CLOSED"])
    after = (await admin.execute(ORDER_QUERY, {"id": quote["id"]}))["order"]
    assert (after["kind"], after["revision"], after["transactions"]) == ("QUOTE", rejected["revision"], [])
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == D(120)


async def test_a_declined_acceptance_leaves_an_accepted_checkout_that_can_be_retried(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    await succeed(
        api,
        """mutation($c: ID!, $s: String, $d: CartDetailsInput!) {
          setCartDetails(cartId: $c, secret: $s, details: $d) { cart { id } userErrors { code } } }""",
        {"c": cart.id, "s": cart.secret, "d": {"customer": {"email": "decline-authorize@example.com"}}},
    )
    quote = await succeed(api, SUBMIT, {"c": cart.id, "s": cart.secret})
    await _offer(admin, quote["id"])

    declined = await mutate(api, ACCEPT, {"q": quote["id"], "s": cart.secret})

    assert codes(declined) == ["PROVIDER_DECLINED"]
    after = (await admin.execute(ORDER_QUERY, {"id": quote["id"]}))["order"]
    assert (after["kind"], after["complete"]) == ("ORDER", False)
    assert await stock_of(demo_store, "TSHIRT-BLK-M") == D(120)
    retried = await mutate(api, ACCEPT, {"q": quote["id"], "s": cart.secret})
    assert codes(retried) == ["PROVIDER_DECLINED"]


async def test_submitting_needs_a_cart_with_products(api: GraphQLClient, admin: GraphQLClient) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    quote = await succeed(api, SUBMIT, {"c": cart.id, "s": cart.secret})

    twice = await mutate(api, SUBMIT, {"c": cart.id, "s": cart.secret})
    empty = (await api.execute("mutation { createCart { cart { id } secret } }"))["createCart"]
    nothing = await mutate(api, SUBMIT, {"c": empty["cart"]["id"], "s": empty["secret"]})
    order_edit = await mutate(api, EDIT, {"o": quote["id"], "i": {"comment": "x"}})

    assert (codes(twice), twice["userErrors"][0]["field"]) == (["NOT_EDITABLE"], ["cartId"])
    assert codes(nothing) == ["INVALID"]
    assert codes(order_edit) == ["FORBIDDEN"]


async def test_a_quote_without_a_payment_method_is_refused_naming_it_until_an_admin_sets_one(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    ids = await catalogue(api)
    cart, _ = await create_cart(api)
    books = [{"productId": ids["BOOK-COOK"], "quantity": "2"}]  # 29.00 each, without VAT
    await succeed(api, ADD, {"c": cart.id, "s": cart.secret, "l": books})
    quote = await succeed(api, SUBMIT, {"c": cart.id, "s": cart.secret})
    negotiated = {"lines": [{"lineId": quote["lines"][0]["id"], "unitPrice": "15.00"}]}
    await succeed(admin, EDIT, {"o": quote["id"], "i": negotiated})
    await _offer(admin, quote["id"])
    before = (await admin.execute(ORDER_QUERY, {"id": quote["id"]}))["order"]

    refused = await mutate(api, ACCEPT, {"q": quote["id"], "s": cart.secret})

    assert refused["userErrors"] == [
        {
            "field": ["paymentMethodId"],
            "message": f"Choose a payment method for {quote['id']} before accepting it.",
            "code": "INVALID",
        }
    ]
    assert (await admin.execute(ORDER_QUERY, {"id": quote["id"]}))["order"] == before

    chosen = {"paymentMethodId": ids["Invoice"], "shippingMethodId": ids["Flat rate"], "reference": "PO-4711"}
    edited = await succeed(admin, EDIT, {"o": quote["id"], "i": chosen})
    # The negotiated 2 x 15.00 stays; the fees follow the methods: Invoice 2.50, Flat rate 4.95.
    assert [line["unitPrice"]["withVat"] for line in edited["lines"]] == ["15.00"]
    assert (edited["paymentFee"]["withVat"], edited["shippingFee"]["withVat"], edited["total"]["withVat"]) == (
        "2.50", "4.95", "37.45",
    )  # fmt: skip
    assert edited["versions"][-1]["summary"] == "reference; payment method Invoice; shipping method Flat rate"
    accepted = await succeed(api, ACCEPT, {"q": quote["id"], "s": cart.secret})
    assert (accepted["kind"], accepted["complete"], accepted["paymentMethod"], accepted["total"]["withVat"]) == (
        "ORDER", True, {"name": "Invoice"}, "37.45",
    )  # fmt: skip


async def test_an_edit_keeps_a_paid_orders_payment_method_and_refuses_unknown_methods(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    ids = await catalogue(api)
    cart, quote = await _offered_quote(api, admin)
    order = await succeed(api, ACCEPT, {"q": quote["id"], "s": cart.secret})

    switched = await mutate(admin, EDIT, {"o": order["id"], "i": {"paymentMethodId": ids["Invoice"]}})
    unknown = await mutate(admin, EDIT, {"o": order["id"], "i": {"shippingMethodId": "424242"}})

    assert [(e["code"], e["field"]) for e in switched["userErrors"]] == [("INVALID", ["input", "paymentMethodId"])]
    assert [(e["code"], e["field"]) for e in unknown["userErrors"]] == [("NOT_FOUND", ["input", "shippingMethodId"])]
    assert (await admin.execute(ORDER_QUERY, {"id": order["id"]}))["order"]["revision"] == order["revision"]
