"""Moving orders through their flows: `changeState`, bulk, each order judged alone.

A state with rules may move only to their targets; a state without rules to any
state of a flow of the same kind. A deleted target, a target of another kind, a
deleted order or the state the order is in already are refused. All accepted
orders move with one UPDATE (revision bumped) and one multi-row INSERT of events;
the target state's mails are queued in the same transaction (`resolvers.mail`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import FlowKind, WebhookEvent
from models.flows import Flow, State, StateRule
from models.orders import Order
from models.settings import get_settings
from resolvers.core import bulk, notifications
from resolvers.core.errors import DomainError, ErrorCode, not_found
from resolvers.fulfilment import mail
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
) -> list[bulk.Outcome]:
    """Move each order to the state, one outcome per requested id in request order.

    Raises INVALID for an empty or oversized id list and NOT_FOUND for an unknown state
    (the whole request is refused); per order: NOT_FOUND, TRANSITION_NOT_ALLOWED, ALREADY_DONE.
    """
    bulk.check_ids(order_ids)
    outcomes = await bulk.find_many(session, order_ids, for_update=True)
    found = [outcome.order for outcome in outcomes if outcome.order is not None]
    target_key = parse_id(state_id)
    states = await _states_with_kinds(session, {target_key} | {order.state_id for order in found})
    if target_key is None or target_key not in states:
        raise not_found("State", state_id, ["stateId"])
    target, target_kind = states[target_key]
    rules = await _rules_from(session, {order.state_id for order in found if order.state_id is not None})
    for outcome in outcomes:
        if outcome.order is not None:
            outcome.error = _refusal(outcome.order, target, target_kind, rules)
    moving = {o.order.id: o.order for o in outcomes if o.error is None and o.order is not None}
    messages = {
        order.id: f"State changed from {_name(states, order.state_id)} to {target.name}." for order in moving.values()
    }
    await bulk.update_orders(
        session, moving.values(), values={"state_id": target.id, "flow_id": target.flow_id}, now=now
    )
    await bulk.record_events(session, messages, source=EVENT_SOURCE, actor=actor, now=now)
    notifications.notify_all(session, event=WebhookEvent.ORDER_STATE_CHANGED, orders=moving.values(), now=now)
    await on_state_changed(session, state=target, orders=list(moving.values()), now=now, composer=composer)
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


def _refusal(order: Order, target: State, target_kind: FlowKind, rules: dict[int, set[int]]) -> DomainError | None:
    field = ["stateId"]
    if order.is_deleted:
        return DomainError(ErrorCode.TRANSITION_NOT_ALLOWED, f"Order {order.public_id} is deleted.", field)
    if target.is_deleted:
        return DomainError(ErrorCode.TRANSITION_NOT_ALLOWED, f"State {target.name} is deleted.", field)
    if target_kind.value != order.kind.value:
        message = (
            f"State {target.name} belongs to a {target_kind.value} flow; {order.public_id} is a {order.kind.value}."
        )
        return DomainError(ErrorCode.TRANSITION_NOT_ALLOWED, message, field)
    if order.state_id == target.id:
        return DomainError(ErrorCode.ALREADY_DONE, f"Order {order.public_id} is in state {target.name} already.", field)
    allowed = rules.get(order.state_id) if order.state_id is not None else None
    if allowed and target.id not in allowed:
        message = f"The rules of the state of {order.public_id} do not allow a move to {target.name}."
        return DomainError(ErrorCode.TRANSITION_NOT_ALLOWED, message, field)
    return None


async def _states_with_kinds(session: AsyncSession, state_ids: set[int | None]) -> dict[int, tuple[State, FlowKind]]:
    keys = [key for key in state_ids if key is not None]
    if not keys:
        return {}
    rows = await session.execute(
        sa.select(State, Flow.kind).join(Flow, Flow.id == State.flow_id).where(State.id.in_(keys))
    )
    return {state.id: (state, kind) for state, kind in rows.all()}


async def _rules_from(session: AsyncSession, state_ids: set[int]) -> dict[int, set[int]]:
    if not state_ids:
        return {}
    rows = await session.execute(
        sa.select(StateRule.from_state_id, StateRule.to_state_id).where(StateRule.from_state_id.in_(state_ids))
    )
    rules: dict[int, set[int]] = defaultdict(set)
    for from_id, to_id in rows.all():
        rules[from_id].add(to_id)
    return rules


def _name(states: dict[int, tuple[State, FlowKind]], state_id: int | None) -> str:
    return states[state_id][0].name if state_id is not None and state_id in states else "(none)"
