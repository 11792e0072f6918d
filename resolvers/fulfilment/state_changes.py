"""Moving orders through their flows: `changeState`, bulk, each order judged alone, and its dry run.

Each order is judged by `transitions.Judge`, so by the rules of `resolvers.core.lifecycle`: closed
records, other kinds, unfinished checkouts into ORDER states, deleted states, the current state's rules
and the target's requirements. All accepted orders move with one UPDATE (revision bumped) and one
multi-row INSERT of events; the target state's mails are queued in the same transaction (`resolvers.mail`).
A dry run (previewStateChange) runs the very same change in a savepoint and rolls it back.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

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


async def change_state(
    session: AsyncSession,
    *,
    order_ids: Sequence[str],
    state_id: str,
    now: datetime.datetime,
    actor: str | None,
    composer: mail.Composer | None = None,
    dry_run: bool = False,
) -> list[bulk.Outcome]:
    """Move each order to the state, one outcome per requested id in request order.

    `dry_run` (previewStateChange) runs the very same change in a savepoint and rolls it back: the
    outcomes it would give, each moved order detached from the session with its state after the move.
    Raises INVALID for an empty or oversized id list and NOT_FOUND for an unknown state
    (the whole request is refused); per order: NOT_FOUND, CLOSED, TRANSITION_NOT_ALLOWED, ALREADY_DONE.
    """
    if not dry_run:
        return await _move(session, order_ids=order_ids, state_id=state_id, now=now, actor=actor, composer=composer)
    savepoint = await session.begin_nested()
    try:
        outcomes = await _move(session, order_ids=order_ids, state_id=state_id, now=now, actor=actor, composer=composer)
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
) -> list[bulk.Outcome]:
    bulk.check_ids(order_ids)
    outcomes = await bulk.find_many(session, order_ids, for_update=True)
    found = [outcome.order for outcome in outcomes if outcome.order is not None]
    target_key = parse_id(state_id)
    state_ids = {target_key} if target_key is not None else set()
    judge = await transitions.judge_moves(session, found, state_ids=state_ids, now=now)
    if target_key is None or target_key not in judge.states:
        raise not_found("State", state_id, ["stateId"])
    target = judge.states[target_key][0]
    for outcome in outcomes:
        if outcome.order is not None:
            outcome.error = judge.refusal(outcome.order, target.id)
    moving = {o.order.id: o.order for o in outcomes if o.error is None and o.order is not None}
    messages = {
        order.id: f"State changed from {_name(judge, order.state_id)} to {target.name}." for order in moving.values()
    }
    await bulk.update_orders(
        session, moving.values(), values={"state_id": target.id, "flow_id": target.flow_id}, now=now
    )
    await bulk.record_events(session, messages, source=EVENT_SOURCE, actor=actor, now=now)
    notifications.notify_all(session, event=WebhookEvent.ORDER_STATE_CHANGED, orders=moving.values(), now=now)
    await on_state_changed(session, state=target, orders=list(moving.values()), now=now, composer=composer)
    return outcomes


def _name(judge: transitions.Judge, state_id: int | None) -> str:
    return judge.states[state_id][0].name if state_id is not None and state_id in judge.states else "(none)"
