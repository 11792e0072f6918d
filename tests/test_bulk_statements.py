"""Bulk capture and changeState send the same number of statements to the store for 3 orders as for 9.

The test gateway keeps its books in the same store; its statements are the provider's, not ours, and
are left out of the count.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from models.enums import Role
from models.settings import Settings
from schema.app import create_app
from tests import payment_factories as factories
from tests.conftest import GraphQLClient, StatementCounter, Store, make_token
from tests.lifecycle_helpers import state_ids

RESULTS = "ok results { orderId order { id revision captureState state { name } } userErrors { code } }"
CAPTURE = f"mutation($ids: [ID!]!) {{ capture(orderIds: $ids) {{ {RESULTS} }} }}"
CHANGE = f"mutation($ids: [ID!]!, $s: ID!) {{ changeState(orderIds: $ids, stateId: $s) {{ {RESULTS} }} }}"
# The benchmark's answer: ids and errors, no orders, so the orders are judged over a few columns and not read.
CHANGE_IDS = """mutation($ids: [ID!]!, $s: ID!) {
  changeState(orderIds: $ids, stateId: $s) { ok results { orderId userErrors { code } } } }"""


@pytest.fixture
async def admin_app(demo_store: Store) -> AsyncIterator[tuple[GraphQLClient, Any]]:
    app = create_app(Settings(database_url=demo_store.url), db=demo_store.db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test") as http:
        admin = GraphQLClient(http, await make_token(demo_store, Role.ADMIN))
        await admin.execute("{ paymentMethods { id } }")  # the token's first use writes last_used_at, once a minute
        yield admin, app.state.providers


async def _counted(
    admin: GraphQLClient, counter: StatementCounter, document: str, variables: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    counter.statements.clear()
    [payload] = (await admin.execute(document, variables)).values()
    ours = [statement for statement in counter.statements if "test_provider_operations" not in statement]
    return len(ours), payload


async def test_bulk_capture_costs_the_same_statements_for_any_number_of_orders(
    admin_app: tuple[GraphQLClient, Any], demo_store: Store, count_statements: StatementCounter
) -> None:
    admin, providers = admin_app
    now = datetime.datetime.now(datetime.UTC)
    counts = []
    for size in (3, 9):
        ids = [await factories.authorized_order(demo_store.db, providers, now=now) for _ in range(size)]
        count, payload = await _counted(admin, count_statements, CAPTURE, {"ids": ids})
        assert payload["ok"] is True, payload
        assert [(result["orderId"], result["order"]["captureState"]) for result in payload["results"]] == [
            (public_id, "CAPTURED") for public_id in ids
        ]
        counts.append(count)

    # PostgreSQL inserts the new rows of all orders in one statement each; SQLite's driver cannot send
    # an INSERT … RETURNING for many rows, so there each order adds its row and its two events.
    per_order = 3 if demo_store.is_sqlite else 0
    assert counts[1] - counts[0] == per_order * 6, count_statements.statements
    assert counts[0] <= (21 if demo_store.is_sqlite else 15), counts


async def test_change_state_costs_the_same_statements_for_any_number_of_orders(
    admin_app: tuple[GraphQLClient, Any], demo_store: Store, count_statements: StatementCounter
) -> None:
    admin, providers = admin_app
    picked = (await state_ids(admin))[("ORDER", "Picked")]
    now = datetime.datetime.now(datetime.UTC)
    counts = []
    for size in (3, 9):
        ids = [await factories.authorized_order(demo_store.db, providers, now=now) for _ in range(size)]
        count, payload = await _counted(admin, count_statements, CHANGE, {"ids": ids, "s": picked})
        assert payload["ok"] is True, payload
        assert {result["order"]["state"]["name"] for result in payload["results"]} == {"Picked"}
        counts.append(count)

    assert counts[0] == counts[1], count_statements.statements
    assert counts[1] <= 12, counts

    lean = []
    for size in (3, 9):
        ids = [await factories.authorized_order(demo_store.db, providers, now=now) for _ in range(size)]
        count, payload = await _counted(admin, count_statements, CHANGE_IDS, {"ids": ids, "s": picked})
        assert payload == {"ok": True, "results": [{"orderId": public_id, "userErrors": []} for public_id in ids]}
        lean.append(count)
        assert "customer_email" not in " ".join(count_statements.statements)  # no order was read whole
    # the token, the judged columns of the orders, states with their rules, UPDATE, INSERT of events, the
    # webhook endpoints, and on PostgreSQL the sales rollup's fold
    assert lean == [6 if demo_store.is_sqlite else 7] * 2, count_statements.statements
