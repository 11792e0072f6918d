"""Defining custom fields through HTTP."""

from __future__ import annotations

from tests.conftest import GraphQLClient

CREATE = """mutation($i: CustomFieldDefinitionInput!) {
  createCustomFieldDefinition(input: $i) {
    definition { systemName name target type options required }
    userErrors { field code }
  }
}"""
DELETE = """mutation($n: String!, $t: CustomFieldTarget!) {
  deleteCustomFieldDefinition(systemName: $n, target: $t) { deletedId userErrors { field code } }
}"""


async def _definitions(client: GraphQLClient) -> list[dict[str, object]]:
    return (await client.execute("query { customFieldDefinitions { systemName target } }"))["customFieldDefinitions"]


async def test_create_and_delete_a_definition(admin: GraphQLClient) -> None:
    channel = {
        "systemName": "Channel",
        "name": "Sales channel",
        "target": "ORDER",
        "type": "LIST",
        "options": ["web", "phone"],
        "required": True,
    }
    created = await admin.execute(CREATE, {"i": channel})
    deleted = await admin.execute(DELETE, {"n": "Channel", "t": "ORDER"})
    again = await admin.execute(DELETE, {"n": "Channel", "t": "ORDER"})

    assert created["createCustomFieldDefinition"] == {"definition": channel, "userErrors": []}
    assert deleted["deleteCustomFieldDefinition"]["userErrors"] == []
    assert again["deleteCustomFieldDefinition"] == {
        "deletedId": None,
        "userErrors": [{"field": ["systemName"], "code": "NOT_FOUND"}],
    }
    assert await _definitions(admin) == []


async def test_bad_definitions_are_refused(admin: GraphQLClient, storefront: GraphQLClient) -> None:
    base = {"systemName": "Gift", "name": "Gift", "target": "ORDER_LINE", "type": "BOOLEAN"}
    await admin.execute(CREATE, {"i": base})

    cases = [
        ({**base, "systemName": "9lives"}, ["input", "systemName"]),
        ({**base, "name": " "}, ["input", "name"]),
        ({**base, "systemName": "Colour", "type": "LIST", "options": []}, ["input", "options"]),
        ({**base, "systemName": "Colour", "options": ["a"]}, ["input", "options"]),
        (base, ["input", "systemName"]),
    ]
    for given, field in cases:
        data = await admin.execute(CREATE, {"i": given})
        assert data["createCustomFieldDefinition"] == {
            "definition": None,
            "userErrors": [{"field": field, "code": "INVALID"}],
        }
    forbidden = await storefront.execute(CREATE, {"i": {**base, "systemName": "Other"}})

    assert forbidden["createCustomFieldDefinition"]["userErrors"] == [{"field": None, "code": "FORBIDDEN"}]
    assert await _definitions(admin) == [{"systemName": "Gift", "target": "ORDER_LINE"}]
