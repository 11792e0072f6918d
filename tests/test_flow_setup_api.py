"""Setting up flows, states and rules through HTTP as an admin."""

from __future__ import annotations

from typing import Any

from tests import return_helpers
from tests.conftest import GraphQLClient

FLOW_FIELDS = "flow { id name kind isDefault states { name isDefault } } userErrors { field message code }"
STATE_FIELDS = (
    "state { id name sortOrder isDefault isDeleted allowEdit allowedNext { name } "
    "mail { template subject senderEmail sendToCustomer sendToDeliveryEmail otherRecipients } } "
    "userErrors { field message code }"
)


async def _flows(client: GraphQLClient, kind: str) -> list[dict[str, Any]]:
    data = await client.execute(
        "query($k: FlowKind) { flows(kind: $k) { id name isDefault states { id name isDefault isDeleted } } }",
        {"k": kind},
    )
    return data["flows"]


async def _create_flow(
    client: GraphQLClient, name: str, *, is_default: bool = False, kind: str = "ORDER"
) -> dict[str, Any]:
    data = await client.execute(
        f"mutation($i: FlowInput!) {{ createFlow(input: $i) {{ {FLOW_FIELDS} }} }}",
        {"i": {"name": name, "kind": kind, "isDefault": is_default}},
    )
    return data["createFlow"]


async def test_a_new_default_flow_unsets_the_old_one(admin: GraphQLClient) -> None:
    created = await _create_flow(admin, "Marketplace", is_default=True)

    assert created["userErrors"] == []
    assert created["flow"]["isDefault"] is True
    assert [(flow["name"], flow["isDefault"]) for flow in await _flows(admin, "ORDER")] == [
        ("Orders", False),
        ("Marketplace", True),
    ]


async def test_flow_update_keeps_the_default_and_refuses_a_kind_change_of_the_default(admin: GraphQLClient) -> None:
    [orders] = await _flows(admin, "ORDER")

    renamed = await admin.execute(
        f'mutation($id: ID!) {{ updateFlow(id: $id, input: {{name: "Web orders", kind: ORDER}}) {{ {FLOW_FIELDS} }} }}',
        {"id": orders["id"]},
    )
    refused = await admin.execute(
        f'mutation($id: ID!) {{ updateFlow(id: $id, input: {{name: "X", kind: QUOTE}}) {{ {FLOW_FIELDS} }} }}',
        {"id": orders["id"]},
    )

    assert renamed["updateFlow"]["flow"]["name"] == "Web orders"
    assert renamed["updateFlow"]["flow"]["isDefault"] is True
    assert refused["updateFlow"]["flow"] is None
    assert refused["updateFlow"]["userErrors"][0]["code"] == "INVALID"
    assert refused["updateFlow"]["userErrors"][0]["field"] == ["input", "kind"]
    assert [(flow["name"], flow["isDefault"]) for flow in await _flows(admin, "ORDER")] == [("Web orders", True)]


async def test_delete_flow(admin: GraphQLClient) -> None:
    [orders] = await _flows(admin, "ORDER")
    extra = (await _create_flow(admin, "Extra"))["flow"]

    default_refused = await admin.execute(
        "mutation($id: ID!) { deleteFlow(id: $id) { deletedId userErrors { field code } } }", {"id": orders["id"]}
    )
    deleted = await admin.execute(
        "mutation($id: ID!) { deleteFlow(id: $id) { deletedId userErrors { field code } } }", {"id": extra["id"]}
    )
    unknown = await admin.execute('mutation { deleteFlow(id: "999999") { deletedId userErrors { field code } } }')

    assert default_refused["deleteFlow"] == {"deletedId": None, "userErrors": [{"field": ["id"], "code": "INVALID"}]}
    assert deleted["deleteFlow"] == {"deletedId": extra["id"], "userErrors": []}
    assert unknown["deleteFlow"] == {"deletedId": None, "userErrors": [{"field": ["id"], "code": "NOT_FOUND"}]}
    assert [flow["name"] for flow in await _flows(admin, "ORDER")] == ["Orders"]


async def test_a_flow_holding_returns_is_neither_deleted_nor_changed_in_kind(
    api: GraphQLClient, admin: GraphQLClient
) -> None:
    placed = await return_helpers.placed_order(api, admin)
    [returns_flow] = await _flows(admin, "RETURN")
    escalations = (await _create_flow(admin, "Escalations", kind="RETURN", is_default=True))["flow"]
    await admin.execute(
        'mutation($f: ID!) { createState(input: {flowId: $f, name: "Waiting"}) { userErrors { code } } }',
        {"f": escalations["id"]},
    )
    returned = await return_helpers.created(admin, placed.id, [return_helpers.line(placed.line_ids["BOOK-COOK"], "1")])
    await admin.execute(
        f"""mutation($id: ID!) {{ updateFlow(id: $id, input: {{name: "Returns", kind: RETURN, isDefault: true}}) {{
          {FLOW_FIELDS} }} }}""",
        {"id": returns_flow["id"]},
    )
    before = await _flows(admin, "RETURN")

    deleted = await admin.execute(
        "mutation($id: ID!) { deleteFlow(id: $id) { deletedId userErrors { field message code } } }",
        {"id": escalations["id"]},
    )
    kind_changed = await admin.execute(
        f'mutation($id: ID!) {{ updateFlow(id: $id, input: {{name: "E", kind: ORDER}}) {{ {FLOW_FIELDS} }} }}',
        {"id": escalations["id"]},
    )

    message = f"Flow {escalations['id']} still holds 1 return: move them to another flow first."
    assert deleted["deleteFlow"] == {
        "deletedId": None,
        "userErrors": [{"field": ["id"], "message": message, "code": "INVALID"}],
    }
    assert kind_changed["updateFlow"] == {
        "flow": None,
        "userErrors": [
            {
                "field": ["input", "kind"],
                "message": f"Flow {escalations['id']} holds 1 return: it cannot change kind.",
                "code": "INVALID",
            }
        ],
    }
    assert await _flows(admin, "RETURN") == before
    [kept] = (await admin.execute(return_helpers.ORDER, {"id": placed.id}))["order"]["returns"]
    assert (kept["id"], kept["state"]) == (returned["id"], {"name": "Waiting"})


async def test_states_mail_defaults_and_soft_delete(admin: GraphQLClient) -> None:
    flow = (await _create_flow(admin, "Marketplace"))["flow"]
    create = f"mutation($i: StateInput!) {{ createState(input: $i) {{ {STATE_FIELDS} }} }}"
    first = (await admin.execute(create, {"i": {"flowId": flow["id"], "name": "New"}}))["createState"]["state"]
    mail = {"template": "order-state.html", "subject": "Packed", "otherRecipients": ["ops@example.com"]}
    second = (await admin.execute(create, {"i": {"flowId": flow["id"], "name": "Packed", "mail": mail}}))["createState"]

    made_default = (
        await admin.execute(
            "mutation($id: ID!) { updateState(id: $id, input: "
            f'{{isDefault: true, clearMail: true, name: "Packed!"}}) {{ {STATE_FIELDS} }} }}',
            {"id": second["state"]["id"]},
        )
    )["updateState"]
    delete = "mutation($id: ID!) { deleteState(id: $id) { deletedId userErrors { field code } } }"
    default_refused = (await admin.execute(delete, {"id": second["state"]["id"]}))["deleteState"]
    deleted = (await admin.execute(delete, {"id": first["id"]}))["deleteState"]
    again = (await admin.execute(delete, {"id": first["id"]}))["deleteState"]

    assert first["isDefault"] is True
    assert first["sortOrder"] == 10
    assert second["state"]["sortOrder"] == 20
    assert second["state"]["mail"] == {
        "template": "order-state.html",
        "subject": "Packed",
        "senderEmail": None,
        "sendToCustomer": True,
        "sendToDeliveryEmail": False,
        "otherRecipients": ["ops@example.com"],
    }
    assert made_default["userErrors"] == []
    assert (made_default["state"]["name"], made_default["state"]["isDefault"], made_default["state"]["mail"]) == (
        "Packed!",
        True,
        None,
    )
    assert default_refused == {"deletedId": None, "userErrors": [{"field": ["id"], "code": "INVALID"}]}
    assert deleted == {"deletedId": first["id"], "userErrors": []}
    assert again == {"deletedId": None, "userErrors": [{"field": ["id"], "code": "ALREADY_DONE"}]}
    [_, marketplace] = await _flows(admin, "ORDER")
    assert [(s["name"], s["isDefault"], s["isDeleted"]) for s in marketplace["states"]] == [
        ("New", False, True),
        ("Packed!", True, False),
    ]


async def test_unsetting_the_default_state_or_mail_with_clear_mail_is_refused(admin: GraphQLClient) -> None:
    [orders] = await _flows(admin, "ORDER")
    received = orders["states"][0]["id"]

    data = await admin.execute(
        f"""mutation($id: ID!) {{
          a: updateState(id: $id, input: {{isDefault: false}}) {{ {STATE_FIELDS} }}
          b: updateState(id: $id, input: {{clearMail: true, mail: {{template: "t", subject: "s"}}}}) {{
            {STATE_FIELDS} }}
          c: updateState(id: $id, input: {{name: "  "}}) {{ {STATE_FIELDS} }}
        }}""",
        {"id": received},
    )

    assert [
        (data[key]["state"], data[key]["userErrors"][0]["field"], data[key]["userErrors"][0]["code"]) for key in "abc"
    ] == [
        (None, ["input", "isDefault"], "INVALID"),
        (None, ["input", "clearMail"], "INVALID"),
        (None, ["input", "name"], "INVALID"),
    ]
    [unchanged] = await _flows(admin, "ORDER")
    assert unchanged == orders


async def test_set_state_rules(admin: GraphQLClient) -> None:
    [orders] = await _flows(admin, "ORDER")
    [quotes] = await _flows(admin, "QUOTE")
    received, picked, shipped, completed = (state["id"] for state in orders["states"])
    mutation = f"mutation($s: ID!, $t: [ID!]!) {{ setStateRules(stateId: $s, toStateIds: $t) {{ {STATE_FIELDS} }} }}"

    replaced = (await admin.execute(mutation, {"s": received, "t": [shipped, completed, shipped]}))["setStateRules"]
    other_kind = (await admin.execute(mutation, {"s": received, "t": [picked, quotes["states"][0]["id"]]}))[
        "setStateRules"
    ]
    itself = (await admin.execute(mutation, {"s": received, "t": [received]}))["setStateRules"]
    unknown = (await admin.execute(mutation, {"s": received, "t": ["424242"]}))["setStateRules"]
    cleared = (await admin.execute(mutation, {"s": picked, "t": []}))["setStateRules"]

    assert [state["name"] for state in replaced["state"]["allowedNext"]] == ["Shipped", "Completed"]
    assert other_kind["userErrors"] == [
        {"field": ["toStateIds", "1"], "message": other_kind["userErrors"][0]["message"], "code": "INVALID"}
    ]
    assert itself["userErrors"][0]["code"] == "INVALID"
    assert unknown["userErrors"][0]["field"] == ["toStateIds", "0"]
    assert unknown["userErrors"][0]["code"] == "NOT_FOUND"
    assert cleared["state"]["allowedNext"] == []
    data = await admin.execute("query($s: ID!) { state(id: $s) { allowedNext { name } } }", {"s": received})
    assert data["state"]["allowedNext"] == [{"name": "Shipped"}, {"name": "Completed"}]


async def test_setup_is_for_admins_only(storefront: GraphQLClient, admin: GraphQLClient) -> None:
    data = await storefront.execute(
        'mutation { createFlow(input: {name: "Sneaky", kind: ORDER}) { flow { id } userErrors { field code } } }'
    )

    assert data["createFlow"] == {"flow": None, "userErrors": [{"field": None, "code": "FORBIDDEN"}]}
    assert [flow["name"] for flow in await _flows(admin, "ORDER")] == ["Orders"]
