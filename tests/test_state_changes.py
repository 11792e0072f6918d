"""changeState in the domain: rules, kinds, deleted states, set-based writes."""

from __future__ import annotations

import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import FlowKind, OrderKind
from models.orders import Order, OrderEvent
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.fulfilment import flow_setup, state_changes
from tests import factories
from tests.conftest import StatementCounter


async def _snapshot(session: AsyncSession) -> list[tuple[str, int | None, int]]:
    rows = await session.execute(sa.select(Order.public_id, Order.state_id, Order.revision).order_by(Order.id))
    return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def test_each_order_is_judged_alone(seeded: AsyncSession, now: datetime.datetime) -> None:
    received = await factories.state_named(seeded, "Received")
    shipped = await factories.state_named(seeded, "Shipped")
    picked = await factories.state_named(seeded, "Picked")
    from_received = await factories.create_order(seeded, now=now, state="Received")
    from_shipped = await factories.create_order(seeded, now=now, state="Shipped")
    quote = await factories.create_order(seeded, now=now, kind=OrderKind.QUOTE, state=None)
    deleted = await factories.create_order(seeded, now=now, state="Received", is_deleted=True)
    later = now + datetime.timedelta(minutes=5)

    outcomes = await state_changes.change_state(
        seeded,
        order_ids=[
            from_received.public_id,
            from_shipped.public_id,
            "ORDER999999",
            quote.public_id,
            deleted.public_id,
            "x",
        ],
        state_id=str(picked.id),
        now=later,
        actor="admin:test",
    )

    assert [
        (o.requested_id, o.error.code if o.error else None, o.error.field if o.error else None) for o in outcomes
    ] == [
        (from_received.public_id, None, None),
        (from_shipped.public_id, ErrorCode.TRANSITION_NOT_ALLOWED, ["stateId"]),
        ("ORDER999999", ErrorCode.NOT_FOUND, ["orderIds", "2"]),
        (quote.public_id, ErrorCode.TRANSITION_NOT_ALLOWED, ["stateId"]),
        (deleted.public_id, ErrorCode.CLOSED, ["stateId"]),
        ("x", ErrorCode.NOT_FOUND, ["orderIds", "5"]),
    ]
    expected = [
        (from_received.public_id, picked.id, 2),
        (from_shipped.public_id, shipped.id, 1),
        (quote.public_id, None, 1),
        (deleted.public_id, received.id, 1),
    ]
    event_order_id = from_received.id
    seeded.expire_all()
    assert await _snapshot(seeded) == expected
    events = (await seeded.scalars(sa.select(OrderEvent))).all()
    assert [(e.order_id, e.source, e.message, e.actor, e.at) for e in events] == [
        (event_order_id, "changeState", "State changed from Received to Picked.", "admin:test", later)
    ]


async def test_a_state_without_rules_moves_anywhere_in_its_kind_but_not_to_a_deleted_state(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    received = await factories.state_named(seeded, "Received")
    other = await flow_setup.create_flow(
        seeded, name="Marketplace", description=None, kind=FlowKind.ORDER, is_default=False
    )
    elsewhere = await flow_setup.create_state(seeded, flow_id=str(other.id), name="Elsewhere")
    gone = await flow_setup.create_state(seeded, flow_id=str(other.id), name="Gone")
    await flow_setup.delete_state(seeded, state_id=str(gone.id))
    order = await factories.create_order(seeded, now=now, state="Completed")

    [moved] = await state_changes.change_state(
        seeded, order_ids=[order.public_id], state_id=str(elsewhere.id), now=now, actor=None
    )
    [again] = await state_changes.change_state(
        seeded, order_ids=[order.public_id], state_id=str(elsewhere.id), now=now, actor=None
    )
    [to_deleted] = await state_changes.change_state(
        seeded, order_ids=[order.public_id], state_id=str(gone.id), now=now, actor=None
    )
    [back] = await state_changes.change_state(
        seeded, order_ids=[order.public_id], state_id=str(received.id), now=now, actor=None
    )

    assert moved.error is None
    assert (order.state_id, order.flow_id, order.revision) == (received.id, received.flow_id, 3)
    assert again.error is not None
    assert again.error.code is ErrorCode.ALREADY_DONE
    assert to_deleted.error is not None
    assert to_deleted.error.code is ErrorCode.TRANSITION_NOT_ALLOWED
    assert back.error is None


@pytest.mark.parametrize("bad", [[], ["ORDER1"] * 1001])
async def test_empty_or_oversized_requests_are_refused(seeded: AsyncSession, bad: list[str]) -> None:
    picked = await factories.state_named(seeded, "Picked")

    with pytest.raises(DomainError) as raised:
        await state_changes.change_state(
            seeded, order_ids=bad, state_id=str(picked.id), now=datetime.datetime.now(datetime.UTC), actor=None
        )

    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID, ["orderIds"])


async def test_a_thousand_orders_move_with_a_fixed_number_of_statements(
    seeded: AsyncSession, now: datetime.datetime, count_statements: StatementCounter
) -> None:
    picked = await factories.state_named(seeded, "Picked")
    created = [await factories.create_order(seeded, now=now, lines=()) for _ in range(1000)]
    count_statements.statements.clear()

    ids = [order.public_id for order in created]
    outcomes = await state_changes.change_state(
        seeded, order_ids=ids, state_id=str(picked.id), now=now, actor="admin:bulk", with_orders=False
    )

    assert all(outcome.error is None and outcome.order is None for outcome in outcomes)
    # the judged columns of the orders, states with their rules, UPDATE, INSERT of events (SQLite may split a
    # multi-row INSERT into batches); the orders themselves are not read.
    assert len([s for s in count_statements.statements if not s.lstrip().upper().startswith("INSERT")]) == 3
    assert " orders.total_with_vat, " in count_statements.statements[0]
    assert " orders.customer_email, " not in count_statements.statements[0]
    assert await seeded.scalar(sa.select(sa.func.count()).select_from(OrderEvent)) == 1000
    assert set((await seeded.scalars(sa.select(Order.state_id))).all()) == {picked.id}
