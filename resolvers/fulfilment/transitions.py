"""Judging state changes of many orders at once: the facts `lifecycle.move_refusal` needs, read set-based.

changeState (and so previewStateChange, which runs it and rolls back) and `Order.transitions` judge
through the same `Judge`, so what a merchant is shown can never differ from what a change does:

    states, rules  the target states (changeState) or every state of the flows of the orders' kinds
                   (transitions), deleted ones too, with the current states, each joined to the rules
                   from it: one SELECT
    fulfilment     only when a judged state has requirements: the transactions, the payment providers
                   and the open returns of the orders: three SELECTs

`paymentDelta` and the capture state here are the ones `Order` serves (`payments.delta`), at the `now`
the caller passes: an authorization that lapsed by then is not capturable.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import PaymentMethod
from models.enums import CaptureState, FlowKind, ReturnStatus
from models.flows import Flow, State, StateRule
from models.orders import Order
from models.payments import Transaction
from models.returns import Return
from resolvers.core import lifecycle
from resolvers.core.errors import DomainError
from resolvers.payments import delta, ledger

OPEN_RETURN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED)


@dataclasses.dataclass(frozen=True, slots=True)
class Transition:
    """A state an order could move to, and why changeState would refuse it (None: it would not)."""

    state: State
    refusal: DomainError | None

    @property
    def allowed(self) -> bool:
        return self.refusal is None


@dataclasses.dataclass(frozen=True, slots=True)
class Judge:
    """Everything needed to judge moves of some orders to some states."""

    states: dict[int, tuple[State, FlowKind]]
    rules: dict[int, frozenset[int]]
    fulfilment: dict[int, lifecycle.Fulfilment]

    def refusal(self, order: Order, state_id: int) -> DomainError | None:
        """Why changeState refuses to move `order` to the state (one of `states`), or None."""
        state, kind = self.states[state_id]
        target = lifecycle.Target(
            id=state.id,
            name=state.name,
            kind=kind,
            is_deleted=state.is_deleted,
            requirements=lifecycle.requirements_of(state.requirements),
        )
        rule_targets = self.rules.get(order.state_id, frozenset()) if order.state_id is not None else frozenset()
        return lifecycle.move_refusal(
            order, target, rule_targets=rule_targets, fulfilment=self.fulfilment.get(order.id)
        )

    def transitions(self, order: Order) -> list[Transition]:
        """Every state of the flows of the order's kind but its current one, in flow and sort order."""
        return [
            Transition(state, self.refusal(order, state.id))
            for state, kind in self.states.values()
            if kind.value == order.kind.value and state.id != order.state_id
        ]


async def judge_moves(
    session: AsyncSession, orders: Sequence[Order], *, state_ids: set[int], now: datetime.datetime
) -> Judge:
    """A judge of moves of `orders` to the states `state_ids` (those that exist; the caller checks) at `now`."""
    current = {order.state_id for order in orders if order.state_id is not None}
    states, rules = await _states_and_rules(session, sa.or_(State.id.in_(state_ids | current)))
    judged = [states[key][0] for key in state_ids if key in states]
    return await _judge(session, orders, states, rules, judged=judged, now=now)


async def transitions_of(
    session: AsyncSession, orders: Sequence[Order], *, now: datetime.datetime
) -> list[list[Transition]]:
    """Each order's transitions (`Judge.transitions`) at `now`, in the orders' order, read for all at once."""
    if not orders:
        return []
    kinds = {FlowKind(order.kind.value) for order in orders}
    current = {order.state_id for order in orders if order.state_id is not None}
    states, rules = await _states_and_rules(session, sa.or_(Flow.kind.in_(kinds), State.id.in_(current)))
    judged = [state for state, kind in states.values() if kind in kinds]
    judge = await _judge(session, orders, states, rules, judged=judged, now=now)
    return [judge.transitions(order) for order in orders]


# ---------------------------------------------------------------- helpers


async def _judge(
    session: AsyncSession,
    orders: Sequence[Order],
    states: dict[int, tuple[State, FlowKind]],
    rules: dict[int, frozenset[int]],
    *,
    judged: list[State],
    now: datetime.datetime,
) -> Judge:
    if not orders or not any(state.requirements for state in judged):
        return Judge(states=states, rules=rules, fulfilment={})
    money = await _money(session, orders, now=now)
    open_returns = await _open_returns(session, [order.id for order in orders])
    fulfilment = {
        order.id: lifecycle.Fulfilment(
            capture_state=money[order.id][0],
            payment_delta=money[order.id][1],
            open_return_ids=tuple(open_returns.get(order.id, ())),
        )
        for order in orders
    }
    return Judge(states=states, rules=rules, fulfilment=fulfilment)


async def _states_and_rules(
    session: AsyncSession, condition: sa.ColumnElement[bool]
) -> tuple[dict[int, tuple[State, FlowKind]], dict[int, frozenset[int]]]:
    """States with their flow's kind, in flow and sort order, and the rules from each of them (every state
    that can be an order's current one is among them)."""
    rows = await session.execute(
        sa.select(State, Flow.kind, StateRule.to_state_id)
        .join(Flow, Flow.id == State.flow_id)
        .outerjoin(StateRule, StateRule.from_state_id == State.id)
        .where(condition)
        .order_by(Flow.id, State.sort_order, State.id, StateRule.id)
    )
    states: dict[int, tuple[State, FlowKind]] = {}
    rules: dict[int, set[int]] = defaultdict(set)
    for state, kind, to_id in rows.all():
        states.setdefault(state.id, (state, kind))
        if to_id is not None:
            rules[state.id].add(to_id)
    return states, {from_id: frozenset(targets) for from_id, targets in rules.items()}


async def _money(
    session: AsyncSession, orders: Sequence[Order], *, now: datetime.datetime
) -> dict[int, tuple[CaptureState, Decimal]]:
    """Each order's capture state and paymentDelta, as `Order.captureState` and `Order.paymentDelta` serve them."""
    rows = await session.scalars(
        sa.select(Transaction)
        .where(Transaction.order_id.in_([order.id for order in orders]))
        .order_by(Transaction.created_at, Transaction.id)
    )
    transactions: dict[int, list[Transaction]] = defaultdict(list)
    for transaction in rows.all():
        transactions[transaction.order_id].append(transaction)
    providers = await _providers(session, {order.payment_method_id for order in orders})
    money = {}
    for order in orders:
        held = delta.position(order, ledger.amounts(transactions[order.id], now=now))
        state = delta.capture_state(held, provider_name=providers.get(order.payment_method_id))
        money[order.id] = (state, held.payment_delta)
    return money


async def _providers(session: AsyncSession, method_ids: set[int | None]) -> dict[int | None, str]:
    keys = [key for key in method_ids if key is not None]
    if not keys:
        return {}
    rows = await session.execute(sa.select(PaymentMethod.id, PaymentMethod.provider).where(PaymentMethod.id.in_(keys)))
    return {method_id: provider for method_id, provider in rows.all()}


async def _open_returns(session: AsyncSession, order_ids: list[int]) -> dict[int, list[int]]:
    rows = await session.execute(
        sa.select(Return.order_id, Return.id)
        .where(Return.order_id.in_(order_ids), Return.status.in_(OPEN_RETURN_STATUSES))
        .order_by(Return.id)
    )
    grouped: dict[int, list[int]] = defaultdict(list)
    for order_id, return_id in rows.all():
        grouped[order_id].append(return_id)
    return grouped
