"""Order.transitions and previewStateChange through HTTP: they answer what changeState then does.

The table test crosses every state of the demo flows (and a deleted one) with a set of records, on
the demo flows as they are and again with requirements set on three states.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models.enums import FlowKind, OrderKind, QuoteStatus, ReturnStatus, TransactionKind, TransactionStatus
from models.mail import OutboxMail
from tests import factories
from tests.conftest import GraphQLClient, StatementCounter, Store
from tests.lifecycle_helpers import ERRORS, READ, UPDATE_STATE, change, state_ids, stored

D = Decimal
NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)
AUTHORIZED = (TransactionKind.AUTHORIZE, TransactionStatus.SUCCEEDED, D("19.95"))
CAPTURED = (AUTHORIZED, (TransactionKind.CAPTURE, TransactionStatus.SUCCEEDED, D("19.95")))
CARD = {"payment_method": "Card"}
# The records of the table: `factories.create_order` arguments, and whether the record has an open return.
RECORDS: dict[str, tuple[dict[str, Any], bool]] = {
    "cart": ({"kind": OrderKind.CART, "state": "New", "is_complete": False}, False),
    "unfinished checkout": ({"state": "New", "state_kind": FlowKind.CART, "is_complete": False}, False),
    "completed": ({**CARD, "transactions": [AUTHORIZED]}, False),
    "split-captured": (
        {**CARD, "transactions": [AUTHORIZED, (TransactionKind.CAPTURE, TransactionStatus.SUCCEEDED, D("10.00"))]},
        False,
    ),
    "captured": ({**CARD, "transactions": CAPTURED}, False),
    "cancelled": ({"is_cancelled": True}, False),
    "deleted": ({"is_cancelled": True, "is_deleted": True}, False),
    "quote open": ({"kind": OrderKind.QUOTE, "state": "Requested", "is_complete": False}, False),
    "quote rejected": (
        {"kind": OrderKind.QUOTE, "state": "Requested", "is_complete": False, "quote_status": QuoteStatus.REJECTED},
        False,
    ),
    "open return": ({**CARD, "state": "Shipped", "transactions": CAPTURED}, True),
}
REQUIREMENTS = {"Picked": ["CAPTURED"], "Shipped": ["TRACKING_SET"], "Completed": ["NO_OPEN_RETURN", "TRACKING_SET"]}
# Where each record may go: on the demo flows, and with REQUIREMENTS set.
ALLOWED = {
    "cart": set(),
    "unfinished checkout": set(),
    "completed": {"Picked"},
    "split-captured": {"Picked"},
    "captured": {"Picked"},
    "cancelled": set(),
    "deleted": set(),
    "quote open": {"Offered", "Closed"},
    "quote rejected": set(),
    "open return": {"Completed"},
}
ALLOWED_WITH_REQUIREMENTS = {**ALLOWED, "completed": set(), "split-captured": set(), "open return": set()}


async def _records(store: Store) -> dict[str, str]:
    """One fresh committed record of each kind in RECORDS; their ids by name."""
    async with store.db.write_sessions() as session, session.begin():
        created = {}
        for name, (arguments, has_open_return) in RECORDS.items():
            order = await factories.create_order(session, now=NOW, **arguments)
            if has_open_return:
                await factories.add_return(session, order, status=ReturnStatus.REQUESTED)
            created[name] = order.public_id
        return created


async def _all_states(admin: GraphQLClient) -> list[dict[str, Any]]:
    """Every state of the default flows, deleted ones too, with its flow's kind."""
    data = await admin.execute("{ flows { kind isDefault states { id name isDeleted } } }")
    return [{**state, "kind": flow["kind"]} for flow in data["flows"] if flow["isDefault"] for state in flow["states"]]


async def _table(admin: GraphQLClient, store: Store, allowed: dict[str, set[str]]) -> int:
    """For every state and record: transitions, previewStateChange and changeState agree; the rows checked."""
    rows = 0
    for state in await _all_states(admin):
        records = await _records(store)
        ids = list(records.values())
        before = {public_id: await stored(store, public_id) for public_id in ids}
        listed = {public_id: (await admin.execute(READ, {"id": public_id}))["order"] for public_id in ids}

        preview = await change(admin, ids, state["id"], preview=True)
        after_preview = {public_id: await stored(store, public_id) for public_id in ids}
        changed = await change(admin, ids, state["id"])

        assert after_preview == before, state["name"]
        assert preview["results"] == changed["results"], state["name"]
        for (name, public_id), result in zip(records.items(), changed["results"], strict=True):
            rows += 1
            where = f"{name} → {state['kind']} {state['name']}"
            transition = _transition_to(listed[public_id], state["id"])
            error = result["userErrors"][0] if result["userErrors"] else None
            if transition is None:  # its current state, or a state of another kind: changeState refuses it
                assert error is not None, where
                assert error["code"] in ("ALREADY_DONE", "TRANSITION_NOT_ALLOWED", "CLOSED"), where
            else:
                assert (transition["allowed"], transition["code"], transition["reason"]) == (
                    error is None,
                    error["code"] if error else None,
                    error["message"] if error else None,
                ), where
            moved = transition is not None and state["name"] in allowed[name]
            assert (error is None) is moved, where
            if moved:
                assert result["order"]["state"] == {"name": state["name"]}, where
            else:
                assert await stored(store, public_id) == before[public_id], where
    return rows


def _transition_to(order: dict[str, Any], state_id: str) -> dict[str, Any] | None:
    return next((t for t in order["transitions"] if t["state"]["id"] == state_id), None)


async def test_transitions_preview_and_change_state_agree_on_the_demo_flows(
    admin: GraphQLClient, demo_store: Store
) -> None:
    rows = await _table(admin, demo_store, ALLOWED)

    assert rows == 11 * len(RECORDS)


async def test_they_agree_with_requirements_and_a_deleted_state(admin: GraphQLClient, demo_store: Store) -> None:
    states = await state_ids(admin)
    for name, requirements in REQUIREMENTS.items():
        payload = await admin.execute(UPDATE_STATE, {"id": states["ORDER", name], "i": {"requirements": requirements}})
        assert payload["updateState"]["userErrors"] == []
    flow_id = (await admin.execute("{ flows(kind: ORDER) { id } }"))["flows"][0]["id"]
    lost = await admin.execute(
        f'mutation($f: ID!) {{ createState(input: {{flowId: $f, name: "Lost"}}) {{ state {{ id }} {ERRORS} }} }}',
        {"f": flow_id},
    )
    await admin.execute(
        "mutation($id: ID!) { deleteState(id: $id) { deletedId } }", {"id": lost["createState"]["state"]["id"]}
    )

    rows = await _table(admin, demo_store, ALLOWED_WITH_REQUIREMENTS)

    assert rows == 12 * len(RECORDS)


async def test_transitions_explain_every_refusal(admin: GraphQLClient, demo_store: Store) -> None:
    records = await _records(demo_store)

    cancelled = (await admin.execute(READ, {"id": records["cancelled"]}))["order"]
    completed = (await admin.execute(READ, {"id": records["completed"]}))["order"]
    cart = (await admin.execute(READ, {"id": records["cart"]}))["order"]

    closed = f"{records['cancelled']} is cancelled: it is closed."
    assert [(t["state"]["name"], t["allowed"], t["code"], t["reason"]) for t in cancelled["transitions"]] == [
        ("Picked", False, "CLOSED", closed),
        ("Shipped", False, "CLOSED", closed),
        ("Completed", False, "CLOSED", closed),
    ]
    rules = f"The rules of the state of {records['completed']} do not allow a move to "
    assert [(t["state"]["name"], t["allowed"], t["code"], t["reason"]) for t in completed["transitions"]] == [
        ("Picked", True, None, None),
        ("Shipped", False, "TRANSITION_NOT_ALLOWED", rules + "Shipped."),
        ("Completed", False, "TRANSITION_NOT_ALLOWED", rules + "Completed."),
    ]
    assert cart["transitions"] == []  # the demo CART flow has one state, the cart's own


async def test_a_preview_writes_nothing_and_shows_the_order_after_the_move(
    admin: GraphQLClient, demo_store: Store
) -> None:
    public_id = await factories.committed_order(demo_store.db, state="Picked")
    shipped = (await state_ids(admin))["ORDER", "Shipped"]
    before = await stored(demo_store, public_id)

    preview = await change(admin, [public_id], shipped, preview=True)
    after_preview = await stored(demo_store, public_id)
    changed = await change(admin, [public_id], shipped)

    assert preview == changed
    assert preview["results"][0]["order"] == {
        "id": public_id,
        "revision": 2,
        "state": {"name": "Shipped"},
        "flow": {"name": "Orders"},
    }
    assert after_preview == before
    async with demo_store.db.read_sessions() as session:
        mails = await session.scalar(sa.select(sa.func.count()).select_from(OutboxMail))
    assert mails == 1  # the real change's "on its way" mail, none from the preview


async def test_the_order_list_reads_transitions_with_a_fixed_number_of_statements(
    admin: GraphQLClient, demo_store: Store, count_statements: StatementCounter
) -> None:
    states = await state_ids(admin)
    await admin.execute(UPDATE_STATE, {"id": states["ORDER", "Picked"], "i": {"requirements": ["CAPTURED"]}})
    await factories.committed_orders(demo_store.db, 100, **CARD, transactions=CAPTURED)
    query = """query($first: Int) { orders(first: $first, filter: {kind: ORDER}) {
      edges { node { id transitions { state { name } allowed code } } } } }"""

    async def counted(size: int) -> tuple[int, list[dict[str, Any]]]:
        count_statements.statements.clear()
        edges = (await admin.execute(query, {"first": size}))["orders"]["edges"]
        return count_statements.count, edges

    (ten, ten_edges), (hundred, edges) = await counted(10), await counted(100)

    # the token, the page; for the transitions: states with their rules, transactions, payment providers, open
    # returns
    assert (ten, hundred, len(ten_edges), len(edges)) == (6, 6, 10, 100), count_statements.statements
    assert edges[0]["node"]["transitions"] == [
        {"state": {"name": "Picked"}, "allowed": True, "code": None},
        {"state": {"name": "Shipped"}, "allowed": False, "code": "TRANSITION_NOT_ALLOWED"},
        {"state": {"name": "Completed"}, "allowed": False, "code": "TRANSITION_NOT_ALLOWED"},
    ]
