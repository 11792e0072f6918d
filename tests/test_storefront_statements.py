"""How many statements each storefront mutation sends to the store, through HTTP, as upper bounds.

The bounds are the counts measured when they were set: a change that adds a statement or a round
trip to a shopper's path fails here, and one that removes some lowers the bound with it.
"""

from __future__ import annotations

from typing import Any

from tests import storefront_helpers as shop
from tests.conftest import GraphQLClient, StatementCounter

SHOWN = "id total { withVat } lines { id quantity }"
ERRORS = "userErrors { code }"
CREATE = f"mutation {{ createCart {{ secret cart {{ {SHOWN} }} {ERRORS} }} }}"
ADD = f"""mutation($c: ID!, $s: String, $l: [CartLineInput!]!) {{
  addToCart(cartId: $c, secret: $s, lines: $l) {{ cart {{ {SHOWN} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($c: ID!, $s: String, $line: ID!, $q: Decimal!) {{
  updateCartLine(cartId: $c, secret: $s, lineId: $line, quantity: $q) {{ cart {{ {SHOWN} }} {ERRORS} }} }}"""
DETAILS = f"""mutation($c: ID!, $s: String, $d: CartDetailsInput!) {{
  setCartDetails(cartId: $c, secret: $s, details: $d) {{ cart {{ {SHOWN} }} {ERRORS} }} }}"""
START = f"""mutation($c: ID!, $s: String) {{
  startCheckout(cartId: $c, secret: $s) {{ order {{ {SHOWN} }} {ERRORS} }} }}"""
COMPLETE = f"""mutation($o: ID!, $s: String) {{
  completeCheckout(orderId: $o, secret: $s) {{ order {{ {SHOWN} complete }} {ERRORS} }} }}"""
SUBMIT = f"""mutation($c: ID!, $s: String) {{
  submitQuote(cartId: $c, secret: $s) {{ order {{ {SHOWN} }} {ERRORS} }} }}"""

# Measured per operation on each store when these were set (SQLite, PostgreSQL).
BOUNDS = {
    # Were 9, 12/11, 9, 8, 15 and 11: a setup row (shop, payment or shipping method) was read again once
    # nothing referred to it, and each read in between flushed the order's changes so far as an UPDATE of its own.
    "createCart": (7, 7),
    # Were 11/10, 8, 7, 11 and 10: the shop, the order's payment and shipping methods and the fee rules were read
    # one by one after the cart's lock (now they come with it; two methods chosen at once come together, the
    # default shop with its currency), and a new or changed line was written, then priced.
    "addToCart": (8, 7),
    "updateCartLine": (6, 6),
    "setCartDetails addresses": (5, 5),
    "setCartDetails payment and shipping": (6, 6),
    "startCheckout": (6, 6),
    # Was 24 and 25: settling re-read the row and looked its order up apart; then 22 and 23: the payment
    # method's provider was read apart from the lock. PostgreSQL's one more statement folds the order into
    # the sales rollup.
    "completeCheckout": (21, 22),
    # Was 13: the cart's shop, methods and fee rules read one by one after its lock.
    "submitQuote": (9, 9),
}


async def test_statements_per_storefront_mutation(
    api: GraphQLClient, count_statements: StatementCounter, demo_store: Any
) -> None:
    ids = await shop.catalogue(api)
    counts: dict[str, int] = {}

    async def run(name: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        count_statements.statements.clear()
        data = await api.execute(document, variables)
        counts[name] = count_statements.count
        [payload] = data.values()
        assert payload["userErrors"] == [], (name, payload)
        return payload  # type: ignore[no-any-return]

    created = await run("createCart", CREATE, {})
    cart = {"c": created["cart"]["id"], "s": created["secret"]}
    lines = [{"productId": ids["TSHIRT-BLK-M"], "quantity": "2"}, {"productId": ids["BOOK-COOK"], "quantity": "1"}]
    added = await run("addToCart", ADD, {**cart, "l": lines})
    await run("updateCartLine", UPDATE, {**cart, "line": added["cart"]["lines"][0]["id"], "q": "3"})
    customer = {"email": "shopper@example.com", "country": "Denmark", "countryCode": "DK", "name": "Ada"}
    await run("setCartDetails addresses", DETAILS, {**cart, "d": {"customer": customer, "delivery": customer}})
    methods = {"paymentMethodId": ids["Card"], "shippingMethodId": ids["Flat rate"]}
    await run("setCartDetails payment and shipping", DETAILS, {**cart, "d": methods})
    started = await run("startCheckout", START, cart)
    completed = await run("completeCheckout", COMPLETE, {"o": started["order"]["id"], "s": cart["s"]})
    assert completed["order"]["complete"] is True

    quote_cart = await shop.filled_cart(api, ids)
    await run("submitQuote", SUBMIT, {"c": quote_cart.id, "s": quote_cart.secret})

    column = 0 if demo_store.is_sqlite else 1
    over = {name: (counts[name], bound[column]) for name, bound in BOUNDS.items() if counts[name] > bound[column]}
    assert over == {}, counts
