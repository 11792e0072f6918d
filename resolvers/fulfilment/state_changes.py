"""Moving orders through their flows: `changeState`, bulk, each order judged alone, and its dry run.

Each order is judged by `transitions.Judge`, so by the rules of `resolvers.core.lifecycle`: closed
records, other kinds, unfinished checkouts into ORDER states, deleted states, the current state's rules
and the target's requirements. All accepted orders move with one UPDATE (revision bumped) and one
multi-row INSERT of events; the target state's mails are queued in the same transaction (`resolvers.mail`).
A dry run (previewStateChange) runs the very same change in a savepoint and rolls it back.
"""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Collection, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import WebhookEvent
from models.flows import State
from models.orders import Order
from models.settings import get_settings
from resolvers.core import bulk, notifications
from resolvers.core.errors import not_found
from resolvers.fulfilment import mail, transitions
from resolvers.fulfilment.flows import parse_id

EVENT_SOURCE = "changeState"
# What judging a move reads of an order (`transitions.Judge` and `lifecycle.move_refusal`, requirements
# included), under the attributes' own names, so a row of these is judged as the order itself would be.
# Loading 1,000 orders whole as ORM objects (~110 columns each) was most of a bulk change's time, so a
# caller that does not want the orders back gets rows of these; the state's mails then read the moved
# orders after the move.
JUDGED = (
    Order.id,
    Order.public_id,
    Order.kind,
    Order.state_id,
    Order.is_complete,
    Order.is_cancelled,
    Order.is_deleted,
    Order.quote_status,
    Order.tracking_number,
    Order.currency_code,
    Order.currency_minor_unit,
    Order.payment_method_id,
    Order.total,
)


async def change_state(
    session: AsyncSession,
    *,
    order_ids: Sequence[str],
    state_id: str,
    now: datetime.datetime,
    actor: str | None,
    composer: mail.Composer | None = None,
    dry_run: bool = False,
    with_orders: bool = True,
) -> list[bulk.Outcome]:
    """Move each order to the state, one outcome per requested id in request order.

    `dry_run` (previewStateChange) runs the very same change in a savepoint and rolls it back: the
    outcomes it would give, each moved order detached from the session with its state after the move.
    `with_orders=False` leaves the moved orders out of the outcomes (a caller that answers with their ids and
    errors alone): they are then not read at all.
    Raises INVALID for an empty or oversized id list and NOT_FOUND for an unknown state
    (the whole request is refused); per order: NOT_FOUND, CLOSED, TRANSITION_NOT_ALLOWED, ALREADY_DONE.
    """

    def move() -> Awaitable[list[bulk.Outcome]]:
        return _move(
            session, order_ids=order_ids, state_id=state_id, now=now, actor=actor, composer=composer,
            with_orders=with_orders,
        )  # fmt: skip

    if not dry_run:
        return await move()
    savepoint = await session.begin_nested()
    try:
        outcomes = await move()
        for order in {id(o.order): o.order for o in outcomes if o.error is None and o.order is not None}.values():
            session.expunge(order)
    finally:
        await savepoint.rollback()
    return outcomes


async def on_state_changed(
    session: AsyncSession,
    *,
    state: State,
    orders: Sequence[Order],
    now: datetime.datetime,
    composer: mail.Composer | None = None,
) -> None:
    """Run in the same transaction after orders entered `state`: queue the state's mails.

    Any path that puts orders in a state calls it. `composer` says where templates come from;
    left out, it is the one the process settings configure.
    """
    if state.mail_template and orders:
        await mail.queue_state_mails(
            session, state=state, orders=orders, now=now, composer=composer or mail.composer_from(get_settings())
        )


async def _move(
    session: AsyncSession,
    *,
    order_ids: Sequence[str],
    state_id: str,
    now: datetime.datetime,
    actor: str | None,
    composer: mail.Composer | None,
    with_orders: bool,
) -> list[bulk.Outcome]:
    bulk.check_ids(order_ids)
    found = await bulk.find_rows(session, order_ids, (Order,) if with_orders else JUDGED, for_update=True)
    target_key = parse_id(state_id)
    state_ids = {target_key} if target_key is not None else set()
    judge = await transitions.judge_moves(
        session, [row for _, row, _ in found if row is not None], state_ids=state_ids, now=now
    )
    if target_key is None or target_key not in judge.states:
        raise not_found("State", state_id, ["stateId"])
    target = judge.states[target_key][0]
    judged = [(requested, row, error or judge.refusal(row, target.id)) for requested, row, error in found]
    moving = {row.id: row for _, row, error in judged if error is None}
    messages = {
        key: f"State changed from {_name(judge, row.state_id)} to {target.name}." for key, row in moving.items()
    }
    values = {"state_id": target.id, "flow_id": target.flow_id}
    if with_orders:
        await bulk.update_orders(session, moving.values(), values=values, now=now)
        moved = moving
    else:
        await bulk.update_by_id(session, moving, values=values, now=now)
        moved = await _orders_by_id(session, moving) if target.mail_template else {}
    await bulk.record_events(session, messages, source=EVENT_SOURCE, actor=actor, now=now)
    notifications.notify_all(session, event=WebhookEvent.ORDER_STATE_CHANGED, order_ids=moving, now=now)
    await on_state_changed(session, state=target, orders=list(moved.values()), now=now, composer=composer)
    return [
        bulk.Outcome(requested, moved.get(row.id) if error is None else None, error) for requested, row, error in judged
    ]


async def _orders_by_id(session: AsyncSession, order_ids: Collection[int]) -> dict[int, Order]:
    """The orders as the change left them, in the order of `order_ids`."""
    if not order_ids:
        return {}
    rows = await session.scalars(
        sa.select(Order).where(Order.id.in_(order_ids)).execution_options(populate_existing=True)
    )
    by_id = {order.id: order for order in rows.all()}
    return {key: by_id[key] for key in order_ids}


def _name(judge: transitions.Judge, state_id: int | None) -> str:
    return judge.states[state_id][0].name if state_id is not None and state_id in judge.states else "(none)"
