"""Lifecycle integrity through HTTP: each finding of the issue as a merchant met it, refused and changing nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models.enums import ReturnStatus, Role, TransactionKind, TransactionStatus
from models.flows import State
from models.orders import OrderLine, OrderVersion
from models.returns import Return
from resolvers.core import orders
from tests import factories
from tests.conftest import GraphQLClient, Store, make_token
from tests.lifecycle_helpers import ERRORS, UPDATE_STATE, change, codes, state_ids, stored
from tests.return_helpers import placed_order
from tests.storefront_helpers import START, Cart, catalogue, create_cart, filled_cart, succeed

D = Decimal
CANCEL = "mutation($ids: [ID!]!) { cancel(orderIds: $ids) { ok } }"
SUBMIT_QUOTE = f"""mutation($c: ID!, $s: String) {{
  submitQuote(cartId: $c, secret: $s) {{ order {{ id state {{ name }} }} {ERRORS} }} }}"""
EDIT = f"""mutation($o: ID!, $i: EditOrderInput!) {{
  edit(orderId: $o, input: $i) {{ order {{ id revision lines {{ id quantity }} }} {ERRORS} }} }}"""
CREATE_STATE = f"""mutation($i: StateInput!) {{
  createState(input: $i) {{ state {{ id name requirements mail {{ template }} }} {ERRORS} }} }}"""
NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)
# Without `order` in the results, changeState judges rows of the orders' judged columns, not the orders.
IDS_ONLY_PREVIEW = """mutation($ids: [ID!]!, $state: ID!) {
  previewStateChange(orderIds: $ids, stateId: $state) { results { orderId userErrors { code message } } } }"""


async def _committed(store: Store, **kwargs: Any) -> str:
    return await factories.committed_order(store.db, **kwargs)


async def _with_return(
    store: Store, *, ordered: Decimal, returned: Decimal, status: ReturnStatus, state: str = "Received"
) -> tuple[str, str]:
    """A committed order of `ordered` T-shirts and a cookbook, with one return of `returned` T-shirts; its id and
    the T-shirt line's id."""
    lines = (factories.Line("TSHIRT-BLK-M", ordered), factories.Line("BOOK-COOK"))
    async with store.db.write_sessions() as session, session.begin():
        order = await factories.create_order(session, now=NOW, state=state, lines=lines)
        await factories.add_return(session, order, quantity=returned, status=status)
        line_id = await session.scalar(
            sa.select(OrderLine.id).where(OrderLine.order_id == order.id).order_by(OrderLine.sort_order)
        )
        return order.public_id, str(line_id)


async def _from_a_cart(api: GraphQLClient, document: str) -> tuple[Cart, dict[str, Any]]:
    """A filled cart turned into a record by `document` (startCheckout, submitQuote): the cart and the record."""
    cart = await filled_cart(api, await catalogue(api))
    return cart, await succeed(api, document, {"c": cart.id, "s": cart.secret})


async def _edit_line(admin: GraphQLClient, public_id: str, line_id: str, **change: Any) -> dict[str, Any]:
    data = await admin.execute(EDIT, {"o": public_id, "i": {"lines": [{"lineId": line_id, **change}]}})
    return data["edit"]  # type: ignore[no-any-return]


async def _lines_and_versions(store: Store, public_id: str) -> tuple[Any, ...]:
    async with store.db.read_sessions() as session:
        order = await orders.find(session, public_id)
        assert order is not None
        lines = (
            await session.execute(sa.select(OrderLine.id, OrderLine.quantity).where(OrderLine.order_id == order.id))
        ).all()
        versions = await session.scalar(
            sa.select(sa.func.count()).select_from(OrderVersion).where(OrderVersion.order_id == order.id)
        )
        return (order.revision, order.total.with_vat, sorted(tuple(line) for line in lines), versions)


# ---------------------------------------------------------------- closed records


async def test_a_cancelled_order_moves_nowhere_and_gets_no_shipping_mail(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    placed = await placed_order(api, admin, capture=False)
    assert (await admin.execute(CANCEL, {"ids": [placed.id]}))["cancel"]["ok"] is True
    states = await state_ids(admin)
    before = await stored(demo_store, placed.id)

    to_picked = await change(admin, [placed.id], states["ORDER", "Picked"])
    to_shipped = await change(admin, [placed.id], states["ORDER", "Shipped"])

    assert [result["userErrors"] for result in (to_picked["results"] + to_shipped["results"])] == [
        [{"field": ["stateId"], "message": f"{placed.id} is cancelled: it is closed.", "code": "CLOSED"}],
        [{"field": ["stateId"], "message": f"{placed.id} is cancelled: it is closed.", "code": "CLOSED"}],
    ]
    assert await stored(demo_store, placed.id) == before  # no state, no revision, no event, no "on its way" mail


async def test_every_operation_on_a_cancelled_order_is_closed_but_deleting_it(
    admin: GraphQLClient, demo_store: Store
) -> None:
    public_id = await _committed(demo_store, is_cancelled=True, payment_method="Card")
    [postnord] = (await admin.execute("{ trackAndTraces { id } }"))["trackAndTraces"][:1]
    async with demo_store.db.read_sessions() as session:
        order = await orders.find(session, public_id)
        assert order is not None
        line_id = await session.scalar(sa.select(OrderLine.id).where(OrderLine.order_id == order.id))
    before = await stored(demo_store, public_id)
    documents: list[tuple[str, dict[str, Any]]] = [
        (EDIT, {"o": public_id, "i": {"comment": "x"}}),
        (
            'mutation($o: ID!, $t: ID!) { setTracking(orderId: $o, trackAndTraceId: $t, trackingNumber: "1") '
            f"{{ {ERRORS} }} }}",
            {"o": public_id, "t": postnord["id"]},
        ),
        (
            f"mutation($o: ID!, $l: ID!) {{ createReturn(orderId: $o, lines: [{{orderLineId: $l, quantity: 1}}]) "
            f"{{ {ERRORS} }} }}",
            {"o": public_id, "l": str(line_id)},
        ),
        (f"mutation($o: [ID!]!) {{ capture(orderIds: $o) {{ results {{ {ERRORS} }} }} }}", {"o": [public_id]}),
    ]

    answers = [await admin.execute(document, variables) for document, variables in documents]

    errors = [payload.get("userErrors") or payload["results"][0]["userErrors"] for payload in (
        next(iter(answer.values())) for answer in answers
    )]  # fmt: skip
    assert [[error["code"] for error in found] for found in errors] == [["CLOSED"]] * 4
    assert await stored(demo_store, public_id) == before
    deleted = await admin.execute(
        f"mutation($o: [ID!]!) {{ delete(orderIds: $o) {{ ok results {{ {ERRORS} }} }} }}", {"o": [public_id]}
    )
    assert deleted["delete"]["ok"] is True


async def test_an_unfinished_unpaid_checkout_cannot_enter_an_order_state(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    _, started = await _from_a_cart(api, START)
    states = await state_ids(admin)
    before = await stored(demo_store, started["id"])

    moved = await change(admin, [started["id"]], states["ORDER", "Picked"])

    assert moved["results"][0]["userErrors"] == [
        {
            "field": ["stateId"],
            "message": f"The checkout of {started['id']} is not complete: ORDER states are for completed orders.",
            "code": "CLOSED",
        }
    ]
    assert await stored(demo_store, started["id"]) == before
    assert started["state"] == {"name": "New"}  # it keeps its cart's state until it completes


async def test_a_rejected_quote_cannot_be_moved_back_into_offered(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    cart, quote = await _from_a_cart(api, SUBMIT_QUOTE)
    states = await state_ids(admin)
    assert codes(await change(admin, [quote["id"]], states["QUOTE", "Offered"])) == [[]]
    assert codes(await change(admin, [quote["id"]], states["QUOTE", "Requested"])) == [[]]
    reject = f"mutation($q: ID!, $s: String) {{ rejectQuote(quoteId: $q, secret: $s) {{ {ERRORS} }} }}"
    assert (await admin.execute(reject, {"q": quote["id"], "s": cart.secret}))["rejectQuote"]["userErrors"] == []
    before = await stored(demo_store, quote["id"])

    moved = await change(admin, [quote["id"]], states["QUOTE", "Offered"])

    assert codes(moved) == [["CLOSED"]]
    assert moved["results"][0]["userErrors"][0]["message"] == f"{quote['id']} is rejected: it is closed."
    assert await stored(demo_store, quote["id"]) == before


# ---------------------------------------------------------------- where new records start


async def test_new_carts_enter_the_default_state_of_the_default_cart_flow(
    api: GraphQLClient, admin: GraphQLClient
) -> None:
    _, first = await create_cart(api)
    flow = await admin.execute(
        'mutation { createFlow(input: {name: "Web carts", kind: CART, isDefault: true}) { flow { id } } }'
    )
    flow_id = flow["createFlow"]["flow"]["id"]
    created = await admin.execute(CREATE_STATE, {"i": {"flowId": flow_id, "name": "Browsing"}})
    assert created["createState"]["userErrors"] == []

    _, second = await create_cart(api)

    assert (first["flow"], first["state"]) == ({"name": "Carts"}, {"name": "New"})
    assert (second["flow"], second["state"]) == ({"name": "Web carts"}, {"name": "Browsing"})


# ---------------------------------------------------------------- edits and returns agree


async def test_removing_a_line_with_a_return_is_refused_not_an_internal_error(
    admin: GraphQLClient, demo_store: Store
) -> None:
    public_id, line_id = await _with_return(demo_store, ordered=D(2), returned=D(1), status=ReturnStatus.REQUESTED)
    before = await _lines_and_versions(demo_store, public_id)

    payload = await _edit_line(admin, public_id, line_id, remove=True)

    assert payload == {
        "order": None,
        "userErrors": [
            {
                "field": ["input", "lines", "0", "remove"],
                "message": f"Line {line_id} (TSHIRT-BLK-M) has returns (1 returned): it cannot be removed.",
                "code": "INVALID",
            }
        ],
    }
    assert await _lines_and_versions(demo_store, public_id) == before


async def test_a_line_cannot_be_reduced_below_its_returned_quantity(admin: GraphQLClient, demo_store: Store) -> None:
    public_id, line_id = await _with_return(demo_store, ordered=D(3), returned=D(2), status=ReturnStatus.RECEIVED)
    before = await _lines_and_versions(demo_store, public_id)

    below = await _edit_line(admin, public_id, line_id, quantity="1")
    unchanged = await _lines_and_versions(demo_store, public_id)
    down_to_it = await _edit_line(admin, public_id, line_id, quantity="2")

    assert below["userErrors"] == [
        {
            "field": ["input", "lines", "0", "quantity"],
            "message": f"Line {line_id} (TSHIRT-BLK-M) has 2 returned: its quantity cannot go below 2.",
            "code": "INVALID",
        }
    ]
    assert unchanged == before
    assert down_to_it["userErrors"] == []
    assert down_to_it["order"]["lines"][0] == {"id": line_id, "quantity": "2.00"}


async def test_a_rejected_return_does_not_hold_a_quantity_but_keeps_its_line(
    admin: GraphQLClient, demo_store: Store
) -> None:
    public_id, line_id = await _with_return(demo_store, ordered=D(2), returned=D(2), status=ReturnStatus.REJECTED)

    reduced = await _edit_line(admin, public_id, line_id, quantity="1")
    removed = await _edit_line(admin, public_id, line_id, remove=True)

    assert reduced["userErrors"] == []
    assert [(e["code"], e["field"]) for e in removed["userErrors"]] == [("INVALID", ["input", "lines", "0", "remove"])]


# ---------------------------------------------------------------- state mails and requirements on save


async def test_a_state_mail_naming_a_missing_template_is_refused_on_save(admin: GraphQLClient) -> None:
    states = await state_ids(admin)
    flow = (await admin.execute("{ flows(kind: ORDER) { id } }"))["flows"][0]
    missing = {"template": "no-such-template.html", "subject": "Hi"}
    other_missing = {"template": "order-state.html", "subject": "Hi", "otherTemplate": "ops-missing.txt"}
    before = await admin.execute("{ flows(kind: ORDER) { states { id name mail { template } } } }")

    created = await admin.execute(CREATE_STATE, {"i": {"flowId": flow["id"], "name": "Packed", "mail": missing}})
    updated = await admin.execute(UPDATE_STATE, {"id": states["ORDER", "Picked"], "i": {"mail": other_missing}})
    unchanged = await admin.execute("{ flows(kind: ORDER) { states { id name mail { template } } } }")
    accepted = await admin.execute(
        UPDATE_STATE,
        {"id": states["ORDER", "Picked"], "i": {"mail": {"template": "order-state.html", "subject": "Hi"}}},
    )

    assert created["createState"] == {
        "state": None,
        "userErrors": [
            {
                "field": ["input", "mail", "template"],
                "message": "There is no mail template no-such-template.html.",
                "code": "INVALID",
            }
        ],
    }
    assert updated["updateState"]["userErrors"] == [
        {
            "field": ["input", "mail", "otherTemplate"],
            "message": "There is no mail template ops-missing.txt.",
            "code": "INVALID",
        }
    ]
    assert unchanged == before
    assert accepted["updateState"]["state"]["mail"] == {"template": "order-state.html", "otherTemplate": None}


async def test_requirements_are_set_with_update_state_and_checked_by_change_state(
    admin: GraphQLClient, demo_store: Store
) -> None:
    states = await state_ids(admin)
    picked, shipped, completed = (states["ORDER", name] for name in ("Picked", "Shipped", "Completed"))
    paid = ((TransactionKind.AUTHORIZE, TransactionStatus.SUCCEEDED, D("19.95")),)
    captured = (*paid, (TransactionKind.CAPTURE, TransactionStatus.SUCCEEDED, D("19.95")))
    unpaid = await _committed(demo_store, payment_method="Card", transactions=paid)
    settled = await _committed(demo_store, payment_method="Card", transactions=captured)
    untracked = await _committed(demo_store, state="Picked")
    tracked = await _committed(demo_store, state="Picked", tracking_number="00370712345")
    returning, _ = await _with_return(
        demo_store, ordered=D(1), returned=D(1), status=ReturnStatus.REQUESTED, state="Shipped"
    )
    for state_id, requirements in (
        (picked, ["CAPTURED"]),
        (shipped, ["TRACKING_SET"]),
        (completed, ["NO_OPEN_RETURN"]),
    ):
        set_ = await admin.execute(UPDATE_STATE, {"id": state_id, "i": {"requirements": requirements}})
        assert set_["updateState"]["state"]["requirements"] == requirements
    before = [await stored(demo_store, public_id) for public_id in (unpaid, untracked, returning)]
    moves = ((picked, [unpaid, settled]), (shipped, [untracked, tracked]), (completed, [returning]))
    previews = [
        (await admin.execute(IDS_ONLY_PREVIEW, {"ids": ids, "state": state_id}))["previewStateChange"]
        for state_id, ids in moves
    ]

    to_picked, to_shipped, to_completed = [await change(admin, ids, state_id) for state_id, ids in moves]

    messages = [
        r["userErrors"][0]["message"] if r["userErrors"] else None
        for payload in (to_picked, to_shipped, to_completed)
        for r in payload["results"]
    ]
    assert [r["userErrors"][0]["message"] if r["userErrors"] else None for p in previews for r in p["results"]] == (
        messages
    )
    assert messages == [
        f"{unpaid} does not meet the requirements of state Picked: "
        "CAPTURED (captureState is NOT_CAPTURED, paymentDelta 0.00 EUR).",
        None,
        f"{untracked} does not meet the requirements of state Shipped: TRACKING_SET (no tracking number is set).",
        None,
        f"{returning} does not meet the requirements of state Completed: NO_OPEN_RETURN (return "
        f"{await _only_return_id(demo_store, returning)} is open).",
    ]
    assert codes(to_picked) == [["TRANSITION_NOT_ALLOWED"], []]
    assert [await stored(demo_store, public_id) for public_id in (unpaid, untracked, returning)] == before
    cleared = await admin.execute(UPDATE_STATE, {"id": picked, "i": {"requirements": []}})
    assert cleared["updateState"]["state"]["requirements"] == []
    assert codes(await change(admin, [unpaid], picked)) == [[]]


async def _only_return_id(store: Store, public_id: str) -> int:
    async with store.db.read_sessions() as session:
        order = await orders.find(session, public_id)
        assert order is not None
        return int(await session.scalar(sa.select(Return.id).where(Return.order_id == order.id)) or 0)


async def test_requirements_are_for_order_flows_and_staff_data(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    states = await state_ids(admin)
    quote_state = await admin.execute(
        UPDATE_STATE, {"id": states["QUOTE", "Offered"], "i": {"requirements": ["TRACKING_SET"]}}
    )
    order_state = await admin.execute(
        UPDATE_STATE, {"id": states["ORDER", "Received"], "i": {"requirements": ["CAPTURED", "CAPTURED"]}}
    )
    customer = api.as_role(await make_token(demo_store, Role.CUSTOMER, "c-ada"))
    public_id = await _committed(demo_store, customer_id="c-ada")

    seen = await customer.execute(
        "query($id: ID!) { order(id: $id) { state { name requirements } transitions { allowed } } }", {"id": public_id}
    )

    assert quote_state["updateState"]["userErrors"] == [
        {
            "field": ["input", "requirements"],
            "message": "Requirements are for states of ORDER flows, not of a QUOTE flow.",
            "code": "INVALID",
        }
    ]
    assert order_state["updateState"]["state"]["requirements"] == ["CAPTURED"]
    assert seen["order"] == {"state": {"name": "Received", "requirements": []}, "transitions": []}
    async with demo_store.db.read_sessions() as session:
        offered = await session.get_one(State, int(states["QUOTE", "Offered"]))
        assert offered.requirements == []
