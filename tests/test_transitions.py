"""Lifecycle integrity in the domain: every path asks `lifecycle`, transitions are read set-based, a dry run
writes nothing, and where new records start."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import FlowKind, OrderKind, ReturnStatus, TransactionKind, TransactionStatus
from models.mail import OutboxMail
from models.orders import Order, OrderEvent, OrderLine
from resolvers.core import access, lifecycle
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.editing import edit_lines, editing
from resolvers.fulfilment import flow_setup, state_changes, transitions
from resolvers.payments import capture, engine
from resolvers.returns import returns
from resolvers.storefront import carts
from tests import factories
from tests.conftest import StatementCounter

D = Decimal


async def _written(session: AsyncSession) -> tuple[object, ...]:
    """What the store holds (column reads, whatever the session's objects say)."""
    rows = (await session.execute(sa.select(Order.public_id, Order.state_id, Order.revision).order_by(Order.id))).all()
    events = await session.scalar(sa.select(sa.func.count()).select_from(OrderEvent))
    mails = await session.scalar(sa.select(sa.func.count()).select_from(OutboxMail))
    return (tuple(tuple(row) for row in rows), events, mails)


async def test_a_dry_run_answers_as_the_change_and_writes_nothing(seeded: AsyncSession, now: datetime.datetime) -> None:
    shipped = await factories.state_named(seeded, "Shipped")
    picked = await factories.create_order(seeded, now=now, state="Picked")
    cancelled = await factories.create_order(seeded, now=now, state="Picked", is_cancelled=True)
    ids = [picked.public_id, cancelled.public_id, "ORDER424242"]
    before = await _written(seeded)

    preview = await state_changes.change_state(
        seeded, order_ids=ids, state_id=str(shipped.id), now=now, actor="admin:test", dry_run=True
    )
    after_preview = await _written(seeded)
    real = await state_changes.change_state(seeded, order_ids=ids, state_id=str(shipped.id), now=now, actor=None)

    assert after_preview == before
    answers = [[(o.requested_id, o.error.code if o.error else None) for o in outcomes] for outcomes in (preview, real)]
    assert (
        answers[0]
        == answers[1]
        == [
            (picked.public_id, None),
            (cancelled.public_id, ErrorCode.CLOSED),
            ("ORDER424242", ErrorCode.NOT_FOUND),
        ]
    )
    assert preview[0].order is not None
    assert (preview[0].order.state_id, preview[0].order.revision) == (shipped.id, 2)
    assert preview[0].order not in seeded  # detached: the session forgot the move


async def test_a_dry_run_to_an_unknown_state_raises_and_writes_nothing(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    order = await factories.create_order(seeded, now=now)
    before = await _written(seeded)

    with pytest.raises(DomainError) as raised:
        await state_changes.change_state(
            seeded, order_ids=[order.public_id], state_id="987654", now=now, actor=None, dry_run=True
        )

    assert (raised.value.code, raised.value.field) == (ErrorCode.NOT_FOUND, ["stateId"])
    assert await _written(seeded) == before


async def test_transitions_of_many_orders_cost_the_same_statements_as_of_one(
    seeded: AsyncSession, now: datetime.datetime, count_statements: StatementCounter
) -> None:
    picked = await factories.state_named(seeded, "Picked")
    await flow_setup.update_state(
        seeded, state_id=str(picked.id), changes={}, requirements=[lifecycle.StateRequirement.CAPTURED]
    )
    one = [await factories.create_order(seeded, now=now, payment_method="Card")]
    many = [
        await factories.create_order(seeded, now=now, state=name, payment_method="Card")
        for name in ("Received", "Shipped") * 25
    ]
    counts = []
    for batch in (one, many):
        count_statements.statements.clear()
        found = await transitions.transitions_of(seeded, batch, now=now)
        counts.append(count_statements.count)

    assert counts == [4, 4]  # states with their rules, transactions, payment providers, open returns
    assert [(t.state.name, t.refusal.code if t.refusal else None) for t in found[1]] == [
        ("Received", ErrorCode.TRANSITION_NOT_ALLOWED),
        ("Picked", ErrorCode.TRANSITION_NOT_ALLOWED),
        ("Completed", None),
    ]


async def test_an_edit_respects_returned_quantities(seeded: AsyncSession, now: datetime.datetime) -> None:
    order = await factories.create_order(seeded, now=now, lines=(factories.Line("TSHIRT-BLK-M", D(3)),))
    await factories.add_return(seeded, order, quantity=D(2), status=ReturnStatus.REFUNDED)
    line = (await seeded.scalars(sa.select(OrderLine).where(OrderLine.order_id == order.id))).one()
    line_id, revision = line.id, order.revision

    with pytest.raises(DomainError) as raised:
        await editing.edit(
            seeded, order_id=order.public_id, expected_revision=None, now=now, actor=None,
            changes=editing.Changes(lines=[edit_lines.LineChange(line_id=str(line_id), quantity=D("1.5"))]),
        )  # fmt: skip

    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID, ["input", "lines", "0", "quantity"])
    assert raised.value.message == f"Line {line_id} (TSHIRT-BLK-M) has 2 returned: its quantity cannot go below 2."
    assert line.quantity == D(3)  # refused before the line was touched
    assert order.revision == revision


@pytest.mark.parametrize("closed", [{"is_cancelled": True}, {"is_cancelled": True, "is_deleted": True}])
async def test_capture_and_returns_ask_the_closed_rule(
    seeded: AsyncSession, now: datetime.datetime, closed: dict[str, bool]
) -> None:
    order = await factories.create_order(
        seeded, now=now, payment_method="Card",
        transactions=[(TransactionKind.AUTHORIZE, TransactionStatus.SUCCEEDED, D("19.95"))], **closed,
    )  # fmt: skip
    line = (await seeded.scalars(sa.select(OrderLine.id).where(OrderLine.order_id == order.id))).one()
    facts = engine.Facts(order=order, transactions=[], provider_name="test")

    with pytest.raises(DomainError) as captured:
        capture.plan(facts, amount=None, now=now)
    with pytest.raises(DomainError) as returned:
        await returns.create(
            seeded, order_id=order.public_id, lines=[returns.LineRequest(str(line), D(1))], comment=None, now=now,
            actor=None,
        )  # fmt: skip

    assert (captured.value.code, returned.value.code, returned.value.field) == (
        ErrorCode.CLOSED,
        ErrorCode.CLOSED,
        ["orderId"],
    )


async def test_a_new_cart_enters_the_default_cart_state(seeded: AsyncSession, now: datetime.datetime) -> None:
    new = await factories.state_named(seeded, "New", kind=FlowKind.CART)

    cart, _ = await carts.create(
        seeded, viewer=access.ANONYMOUS, details=None, ip=None, referrer=None, accept_language=None, now=now, actor=None
    )

    assert (cart.kind, cart.flow_id, cart.state_id) == (OrderKind.CART, new.flow_id, new.id)


async def test_state_setup_checks_templates_and_requirements(seeded: AsyncSession) -> None:
    orders_flow = (await factories.state_named(seeded, "Received")).flow_id
    offered = await factories.state_named(seeded, "Offered", kind=FlowKind.QUOTE)
    extra = await flow_setup.create_flow(seeded, name="Pickup", description=None, kind=FlowKind.ORDER, is_default=False)
    await flow_setup.create_state(
        seeded, flow_id=str(extra.id), name="Ready", requirements=[lifecycle.StateRequirement.TRACKING_SET]
    )

    with pytest.raises(DomainError) as missing:
        await flow_setup.create_state(
            seeded, flow_id=str(orders_flow), name="Packed",
            mail=flow_setup.StateMail(template="missing.html", subject="Packed"),
        )  # fmt: skip
    with pytest.raises(DomainError) as on_a_quote:
        await flow_setup.update_state(
            seeded, state_id=str(offered.id), changes={}, requirements=[lifecycle.StateRequirement.CAPTURED]
        )
    with pytest.raises(DomainError) as kind_change:
        await flow_setup.update_flow(
            seeded, flow_id=str(extra.id), name="Pickup", description=None, kind=FlowKind.QUOTE, is_default=False
        )

    assert [(e.value.code, e.value.field) for e in (missing, on_a_quote, kind_change)] == [
        (ErrorCode.INVALID, ["input", "mail", "template"]),
        (ErrorCode.INVALID, ["input", "requirements"]),
        (ErrorCode.INVALID, ["input", "kind"]),
    ]
    await seeded.refresh(offered)
    assert offered.requirements == []
