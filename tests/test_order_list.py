"""The order list in the domain: keyset pages, every filter, every sort."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import CaptureState, OrderKind, TransactionKind, TransactionStatus
from models.orders import Order
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.payments import delta, ledger, transaction_rows
from resolvers.reporting import order_list
from tests import factories

SUCCEEDED = TransactionStatus.SUCCEEDED


async def _ids(session: AsyncSession, **kwargs: object) -> list[str]:
    page = await order_list.page(session, first=250, **kwargs)  # type: ignore[arg-type]
    return [row.order.public_id for row in page.rows]


async def _walk(session: AsyncSession, *, size: int, backwards: bool = False, **kwargs: object) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        if backwards:
            page = await order_list.page(session, filter=order_list.Filter(), last=size, before=cursor, **kwargs)  # type: ignore[arg-type]
            seen = [row.order.public_id for row in page.rows] + seen
            more = page.has_previous_page
            cursor = page.rows[0].cursor if page.rows else None
        else:
            page = await order_list.page(session, filter=order_list.Filter(), first=size, after=cursor, **kwargs)  # type: ignore[arg-type]
            seen += [row.order.public_id for row in page.rows]
            more = page.has_next_page
            cursor = page.rows[-1].cursor if page.rows else None
        if not more:
            return seen


@pytest.mark.parametrize("sort", list(order_list.SortField))
@pytest.mark.parametrize("descending", [True, False])
async def test_pages_cover_every_order_once_in_both_directions(
    seeded: AsyncSession, now: datetime.datetime, sort: order_list.SortField, descending: bool
) -> None:
    # Ties on every sort value, and half not completed (NULL completedAt).
    for position in range(7):
        await factories.create_order(
            seeded,
            now=now,
            created_at=now + datetime.timedelta(hours=position % 3),
            is_complete=position % 2 == 0,
            lines=[factories.Line("MUG-CER", Decimal(position % 2 + 1))],
        )
    everything = await _ids(seeded, filter=order_list.Filter(), sort=sort, descending=descending)

    forwards = await _walk(seeded, size=2, sort=sort, descending=descending)
    backwards = await _walk(seeded, size=3, backwards=True, sort=sort, descending=descending)

    assert len(everything) == 7
    assert forwards == everything
    assert backwards == everything


async def test_pages_are_stable_under_inserts(seeded: AsyncSession, now: datetime.datetime) -> None:
    created = [await factories.create_order(seeded, now=now + datetime.timedelta(minutes=i)) for i in range(5)]
    first = await order_list.page(seeded, filter=order_list.Filter(), first=2)
    await factories.create_order(seeded, now=now + datetime.timedelta(hours=1))  # newest: lands before the cursor

    second = await order_list.page(seeded, filter=order_list.Filter(), first=2, after=first.rows[-1].cursor)

    assert [row.order.public_id for row in first.rows] == [created[4].public_id, created[3].public_id]
    assert [row.order.public_id for row in second.rows] == [created[2].public_id, created[1].public_id]
    assert (second.has_next_page, second.has_previous_page) == (True, True)


async def test_sorts(seeded: AsyncSession, now: datetime.datetime) -> None:
    cheap = await factories.create_order(seeded, now=now, lines=[factories.Line("MUG-CER")])
    dear = await factories.create_order(
        seeded, now=now - datetime.timedelta(days=1), lines=[factories.Line("WATCH-STEEL")]
    )
    open_ = await factories.create_order(seeded, now=now, is_complete=False, lines=[factories.Line("CAP-NAVY")])

    async def sorted_by(sort: order_list.SortField, descending: bool) -> list[str]:
        return await _ids(seeded, filter=order_list.Filter(), sort=sort, descending=descending)

    assert await sorted_by(order_list.SortField.TOTAL, True) == [dear.public_id, open_.public_id, cheap.public_id]
    assert await sorted_by(order_list.SortField.ID, False) == [cheap.public_id, dear.public_id, open_.public_id]
    assert await sorted_by(order_list.SortField.CREATED_AT, False) == [dear.public_id, cheap.public_id, open_.public_id]
    assert await sorted_by(order_list.SortField.COMPLETED_AT, False) == [
        dear.public_id,
        cheap.public_id,
        open_.public_id,
    ]
    assert await sorted_by(order_list.SortField.COMPLETED_AT, True) == [
        open_.public_id,
        cheap.public_id,
        dear.public_id,
    ]


async def _one_order_for_each_filter(session: AsyncSession, now: datetime.datetime) -> list[Order]:
    """Orders a to d, each alone in what some filter matches, and a deleted one."""
    authorize = (TransactionKind.AUTHORIZE, SUCCEEDED, Decimal("100"))
    a = await factories.create_order(
        session,
        now=now,
        state="Received",
        payment_method="Card",
        transactions=[authorize],
        customer_id="C1",
        customer_company="Acme A/S",
        lines=[factories.Line("SNEAKER-42", unit_price=Decimal(100))],
    )
    b = await factories.create_order(
        session,
        now=now + datetime.timedelta(days=1),
        state="Picked",
        payment_method="Card",
        customer_name="Grace Hopper",
        customer_email="grace@navy.example",
        transactions=[authorize, (TransactionKind.CAPTURE, SUCCEEDED, Decimal(40))],
        delivery_name="Dock 7",
    )
    c = await factories.create_order(
        session,
        now=now + datetime.timedelta(days=2),
        state=None,
        payment_method="Card",
        is_complete=False,
        transactions=[authorize, (TransactionKind.CAPTURE, SUCCEEDED, Decimal(100))],
    )
    d = await factories.create_order(
        session, now=now, kind=OrderKind.QUOTE, state=None, payment_method="Invoice", is_complete=False
    )
    deleted = await factories.create_order(session, now=now, is_deleted=True)
    b.is_exported = True
    await session.flush()
    return [a, b, c, d, deleted]


async def test_the_capture_state_filter_agrees_with_the_field_over_the_total(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    # One T-shirt, 19.95: captured in full, then raised by an edit (10.00 of it captured), then edited down.
    paid = [
        (TransactionKind.AUTHORIZE, SUCCEEDED, Decimal("19.95")),
        (TransactionKind.CAPTURE, SUCCEEDED, Decimal("19.95")),
    ]
    raised = [(TransactionKind.AUTHORIZE, SUCCEEDED, Decimal(10)), (TransactionKind.CAPTURE, SUCCEEDED, Decimal(10))]
    captured = await factories.create_order(seeded, now=now, payment_method="Card", transactions=paid)
    owing = await factories.create_order(seeded, now=now, payment_method="Card", transactions=raised)
    lowered = await factories.create_order(
        seeded, now=now, payment_method="Card", transactions=paid, lines=[factories.Line("SOCKS-3PK")]
    )

    found = {
        state: set(await _ids(seeded, filter=order_list.Filter(capture_state=state)))
        for state in (CaptureState.SPLIT_CAPTURED, CaptureState.CAPTURED)
    }

    assert found == {
        CaptureState.SPLIT_CAPTURED: {owing.public_id},
        CaptureState.CAPTURED: {captured.public_id, lowered.public_id},
    }
    for order in (captured, owing, lowered):
        rows = await transaction_rows.transactions_of(seeded, order_id=order.id)
        held = delta.position(order, ledger.amounts(rows, now=now))
        assert order.public_id in found[delta.capture_state(held, provider_name="test")]


async def test_every_filter(seeded: AsyncSession, now: datetime.datetime) -> None:
    received = await factories.state_named(seeded, "Received")
    picked = await factories.state_named(seeded, "Picked")
    a, b, c, d, deleted = await _one_order_for_each_filter(seeded, now)

    async def matching(**kwargs: object) -> set[str]:
        return set(await _ids(seeded, filter=order_list.Filter(**kwargs)))  # type: ignore[arg-type]

    assert await matching(kind=OrderKind.QUOTE) == {d.public_id}
    assert await matching(flow_id=str(received.flow_id)) == {a.public_id, b.public_id}
    assert await matching(state_ids=[str(picked.id)]) == {b.public_id}
    assert await matching(capture_state=CaptureState.NOT_CAPTURED) == {a.public_id}
    assert await matching(capture_state=CaptureState.SPLIT_CAPTURED) == {b.public_id}
    assert await matching(capture_state=CaptureState.CAPTURED) == {c.public_id}
    assert await matching(capture_state=CaptureState.NOT_SUPPORTED) == {d.public_id}
    assert await matching(customer_id="C1") == {a.public_id}
    assert await matching(search="acme") == {a.public_id}
    assert await matching(search="GRACE@NAVY") == {b.public_id}
    assert await matching(search="dock") == {b.public_id}
    assert await matching(search="sneaker-4") == {a.public_id}
    assert await matching(search=d.public_id.lower()) == {d.public_id}
    assert await matching(search="100%") == set()
    assert await matching(created_from=now + datetime.timedelta(days=1)) == {b.public_id, c.public_id}
    assert await matching(created_to=now + datetime.timedelta(days=1)) == {a.public_id, d.public_id}
    assert await matching(completed=False) == {c.public_id, d.public_id}
    assert await matching(is_exported=True) == {b.public_id}
    assert deleted.public_id in await matching(include_deleted=True)
    assert deleted.public_id not in await matching()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"after": "not a cursor"}, ["after"]),
        ({"before": "WyJJRCIsMSwxXQ"}, ["before"]),  # a cursor of the ID sort, used with CREATED_AT
        ({"after": "WyJDUkVBVEVEX0FUIiwieCIsMV0"}, ["after"]),  # a cursor whose value is not a time
    ],
)
async def test_malformed_cursors_are_invalid(seeded: AsyncSession, kwargs: dict[str, str], field: list[str]) -> None:
    with pytest.raises(DomainError) as raised:
        await order_list.page(seeded, filter=order_list.Filter(), **kwargs)  # type: ignore[arg-type]

    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID, field)


async def test_unknown_flow_or_state_in_a_filter_is_not_found(seeded: AsyncSession) -> None:
    received = await factories.state_named(seeded, "Received")

    with pytest.raises(DomainError) as flow:
        await order_list.page(seeded, filter=order_list.Filter(flow_id="777777"))
    with pytest.raises(DomainError) as state:
        await order_list.page(seeded, filter=order_list.Filter(state_ids=[str(received.id), "x"]))

    assert (flow.value.code, flow.value.field) == (ErrorCode.NOT_FOUND, ["filter", "flowId"])
    assert (state.value.code, state.value.field) == (ErrorCode.NOT_FOUND, ["filter", "stateIds", "1"])
