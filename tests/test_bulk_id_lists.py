"""Every bulk mutation taking orderIds refuses an empty list with INVALID at `orderIds`, never a silent `ok: true`."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import GraphQLClient, Store

RESULTS = "ok results { orderId order { id } userErrors { field message code } }"
BULK_MUTATIONS = {
    "capture": f"mutation {{ capture(orderIds: []) {{ {RESULTS} }} }}",
    "cancel": f'mutation {{ cancel(orderIds: [], reason: "r") {{ {RESULTS} }} }}',
    "delete": f"mutation {{ delete(orderIds: []) {{ {RESULTS} }} }}",
    "markExported": f"mutation {{ markExported(orderIds: []) {{ {RESULTS} }} }}",
    "changeState": f'mutation {{ changeState(orderIds: [], stateId: "1") {{ {RESULTS} }} }}',
}
ORDER = "query($id: ID!) { order(id: $id) { id revision cancelled deleted isExported events { message } } }"


@pytest.mark.parametrize("name", BULK_MUTATIONS)
async def test_an_empty_id_list_is_invalid_and_changes_nothing(
    admin: GraphQLClient, demo_store: Store, name: str
) -> None:
    [public_id] = await factories.committed_orders(demo_store.db, 1)
    before = await admin.execute(ORDER, {"id": public_id})

    payload = (await admin.execute(BULK_MUTATIONS[name]))[name]

    assert payload == {
        "ok": False,
        "results": [
            {
                "orderId": "",
                "order": None,
                "userErrors": [{"field": ["orderIds"], "message": "Give at least one order id.", "code": "INVALID"}],
            }
        ],
    }
    assert await admin.execute(ORDER, {"id": public_id}) == before


@pytest.mark.parametrize("name", BULK_MUTATIONS)
async def test_an_empty_id_list_from_a_non_admin_is_forbidden_not_ok(storefront: GraphQLClient, name: str) -> None:
    payload = (await storefront.execute(BULK_MUTATIONS[name]))[name]

    assert payload["ok"] is False
    assert [(r["orderId"], [e["code"] for e in r["userErrors"]]) for r in payload["results"]] == [("", ["FORBIDDEN"])]
