"""changeState through HTTP: per-order results in request order, whole-request refusals, access."""

from __future__ import annotations

from typing import Any

from tests import factories
from tests.conftest import GraphQLClient, Store

CHANGE = """mutation($ids: [ID!]!, $state: ID!) {
  changeState(orderIds: $ids, stateId: $state) {
    ok
    results { orderId order { id revision state { name } flow { name } events { source message actor } }
              userErrors { field code } }
  }
}"""


async def _state_ids(client: GraphQLClient) -> dict[str, str]:
    data = await client.execute("query { flows(kind: ORDER) { states { id name } } }")
    return {state["name"]: state["id"] for state in data["flows"][0]["states"]}


async def _orders(client: GraphQLClient, ids: list[str]) -> list[dict[str, Any]]:
    rows = []
    for public_id in ids:
        data = await client.execute(
            "query($id: ID!) { order(id: $id) { id revision state { name } events { source } } }", {"id": public_id}
        )
        rows.append(data["order"])
    return rows


async def test_change_state_answers_per_order_in_request_order(admin: GraphQLClient, demo_store: Store) -> None:
    first, second = await factories.committed_orders(demo_store.db, 2)
    [shipped] = await factories.committed_orders(demo_store.db, 1, state="Shipped")
    states = await _state_ids(admin)

    data = await admin.execute(CHANGE, {"ids": [second, "ORDER424242", shipped, first], "state": states["Picked"]})

    payload = data["changeState"]
    assert payload["ok"] is False
    assert [(r["orderId"], r["userErrors"]) for r in payload["results"]] == [
        (second, []),
        ("ORDER424242", [{"field": ["orderIds", "1"], "code": "NOT_FOUND"}]),
        (shipped, [{"field": ["stateId"], "code": "TRANSITION_NOT_ALLOWED"}]),
        (first, []),
    ]
    assert payload["results"][0]["order"] == {
        "id": second,
        "revision": 2,
        "state": {"name": "Picked"},
        "flow": {"name": "Orders"},
        "events": [
            {"source": "changeState", "message": "State changed from Received to Picked.", "actor": "admin:test-admin"}
        ],
    }
    assert [row["state"]["name"] for row in await _orders(admin, [first, second, shipped])] == [
        "Picked",
        "Picked",
        "Shipped",
    ]


async def test_an_unknown_state_refuses_every_order_and_changes_nothing(
    admin: GraphQLClient, demo_store: Store
) -> None:
    ids = await factories.committed_orders(demo_store.db, 2)
    before = await _orders(admin, ids)

    data = await admin.execute(CHANGE, {"ids": ids, "state": "987654"})

    assert [(r["orderId"], r["order"], r["userErrors"]) for r in data["changeState"]["results"]] == [
        (public_id, None, [{"field": ["stateId"], "code": "NOT_FOUND"}]) for public_id in ids
    ]
    assert await _orders(admin, ids) == before


async def test_an_empty_id_list_is_invalid_and_an_oversized_one_a_top_level_error(
    admin: GraphQLClient, demo_store: Store
) -> None:
    ids = await factories.committed_orders(demo_store.db, 1)
    states = await _state_ids(admin)
    before = await _orders(admin, ids)

    empty = (await admin.execute(CHANGE, {"ids": [], "state": states["Picked"]}))["changeState"]
    oversized = (await admin.post(CHANGE, {"ids": ids * 1001, "state": states["Picked"]})).json()

    assert empty == {
        "ok": False,
        "results": [{"orderId": "", "order": None, "userErrors": [{"field": ["orderIds"], "code": "INVALID"}]}],
    }
    assert oversized["data"] is None
    assert oversized["errors"][0]["message"] == "`orderIds` may hold at most 1000 items."
    assert await _orders(admin, ids) == before


async def test_change_state_is_for_admins(storefront: GraphQLClient, admin: GraphQLClient, demo_store: Store) -> None:
    ids = await factories.committed_orders(demo_store.db, 1)
    states = await _state_ids(admin)

    data = await storefront.execute(CHANGE, {"ids": ids, "state": states["Picked"]})

    assert data["changeState"]["results"] == [
        {"orderId": ids[0], "order": None, "userErrors": [{"field": None, "code": "FORBIDDEN"}]}
    ]
    assert [row["state"]["name"] for row in await _orders(admin, ids)] == ["Received"]


async def test_orders_asked_for_through_fragments_are_answered_as_the_move_left_them(
    admin: GraphQLClient, demo_store: Store
) -> None:
    ids = await factories.committed_orders(demo_store.db, 2)
    states = await _state_ids(admin)
    document = """mutation($ids: [ID!]!, $state: ID!) { changeState(orderIds: $ids, stateId: $state) { ...Moved } }
      fragment Moved on BulkOrderPayload {
        results { ... on OrderResult { orderId order { id revision state { name } } } } }"""

    data = await admin.execute(document, {"ids": ids, "state": states["Picked"]})

    assert data["changeState"]["results"] == [
        {"orderId": public_id, "order": {"id": public_id, "revision": 2, "state": {"name": "Picked"}}}
        for public_id in ids
    ]
