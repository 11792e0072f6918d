"""Custom fields on carts: validated by type on every write, required ones enforced when checkout completes."""

from __future__ import annotations

from tests.conftest import GraphQLClient
from tests.storefront_helpers import ADD, COMPLETE, SET_DETAILS, catalogue, checkout, filled_cart, mutate

DEFINE = """mutation($i: CustomFieldDefinitionInput!) {
  createCustomFieldDefinition(input: $i) { definition { systemName } userErrors { code } } }"""
FIELDS = (
    "query($id: ID!, $s: String) { order(id: $id, secret: $s) { customFields { systemName type value } "
    "lines { productNumber customFields { systemName value } } } }"
)


async def _define(admin: GraphQLClient) -> None:
    for definition in (
        {"systemName": "Channel", "name": "Channel", "target": "ORDER", "type": "LIST", "options": ["web", "phone"],
         "required": True},
        {"systemName": "GiftNote", "name": "Gift note", "target": "ORDER_LINE", "type": "TEXT"},
    ):  # fmt: skip
        assert (await admin.execute(DEFINE, {"i": definition}))["createCustomFieldDefinition"]["userErrors"] == []


async def test_cart_custom_fields_are_validated_written_and_served(api: GraphQLClient, admin: GraphQLClient) -> None:
    await _define(admin)
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)

    wrong = await mutate(api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"customFields": [
        {"systemName": "Channel", "value": "fax"}]}})  # fmt: skip
    right = await mutate(api, SET_DETAILS, {"c": cart.id, "s": cart.secret, "d": {"customFields": [
        {"systemName": "Channel", "value": "web"}]}})  # fmt: skip
    line = await mutate(api, ADD, {"c": cart.id, "s": cart.secret, "l": [
        {"productId": ids["MUG-CER"], "quantity": "1", "customFields": [{"systemName": "GiftNote", "value": "For Ann"}]}
    ]})  # fmt: skip
    served = (await api.execute(FIELDS, {"id": cart.id, "s": cart.secret}))["order"]

    assert [(error["code"], error["field"]) for error in wrong["userErrors"]] == [
        ("INVALID", ["details", "customFields", "0", "value"])
    ]
    assert right["userErrors"] == []
    assert line["userErrors"] == []
    assert served["customFields"] == [{"systemName": "Channel", "type": "LIST", "value": "web"}]
    assert {"productNumber": "MUG-CER", "customFields": [{"systemName": "GiftNote", "value": "For Ann"}]} in served[
        "lines"
    ]


async def test_a_required_order_field_is_enforced_when_checkout_completes(
    api: GraphQLClient, admin: GraphQLClient
) -> None:
    await _define(admin)
    ids = await catalogue(api)
    cart = await filled_cart(api, ids)
    order = await checkout(api, cart)

    refused = await mutate(api, COMPLETE, {"o": order["id"], "s": cart.secret})
    await mutate(api, SET_DETAILS, {"c": order["id"], "s": cart.secret, "d": {"customFields": [
        {"systemName": "Channel", "value": "phone"}]}})  # fmt: skip
    again = await checkout(api, cart)
    completed = await mutate(api, COMPLETE, {"o": again["id"], "s": cart.secret})

    assert refused["order"] is None
    assert [(error["code"], error["field"]) for error in refused["userErrors"]] == [
        ("INVALID", ["customFields", "Channel"])
    ]
    assert completed["userErrors"] == []
    assert completed["order"]["complete"] is True
