"""A field that fails leaves its siblings, the response and the session intact."""

from __future__ import annotations

from tests.conftest import GraphQLClient
from tests.storefront_helpers import catalogue, filled_cart

QUERY = """query($id: ID!) { order(id: $id) {
  id lines { id } events { id } transactions { id } version(number: 9) { number } compare(from: 9) { from }
} }"""


async def test_an_unknown_version_is_a_visible_error_and_nothing_else_breaks(
    api: GraphQLClient, admin: GraphQLClient
) -> None:
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)

    for _ in range(5):
        body = (await admin.post(QUERY, {"id": cart.id})).json()

        assert body["data"] == {"order": None}
        assert [error["message"] for error in body["errors"]] == ["Version 9 was not found."]
    still = await admin.execute("query($id: ID!) { order(id: $id) { id lines { id } } }", {"id": cart.id})
    assert still["order"]["id"] == cart.id
