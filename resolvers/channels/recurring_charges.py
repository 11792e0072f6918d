"""Charging a generated recurring order: its total authorized on the template's saved payment.

Once the generation committed (`recurring.run_due`), each generated order whose provider takes money
online is authorized for its total through the money engine (`CHARGE`, in its own short
transactions), charged to the template's authorization, which the provider keeps as a saved
payment. The charge's row is tagged, so reconciliation settles a late one with the same events.

    approved           an AUTHORIZE row and an event; the order's paymentDelta is 0, capture takes it
    declined           a FAILED row and a WARNING event; the order stays complete and unpaid
                       (paymentDelta its total), its outcome PROVIDER_DECLINED
    no saved payment   the template's provider takes nothing online (`manual`) or it was paid outside
                       ordergraph: not charged, payment is collected as for an invoice

Once only: the plan refuses an order that has an authorization already. A process that stops
between generating and charging leaves the order unpaid, with a positive paymentDelta that an
admin's `authorize` can settle.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models import money
from models.catalog import PaymentMethod
from models.enums import EventLevel, TransactionKind
from models.orders import Order
from models.payments import Transaction
from models.recurring import RecurringSchedule
from resolvers.core import bulk, events, orders
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.payments import authorization, engine, payment_providers, purposes, transaction_rows
from resolvers.payments.purposes import Settlement

EVENT_SOURCE = "recurring"


async def saved_payments(session: AsyncSession, generated: Sequence[Order]) -> dict[int, str]:
    """The saved payment to charge for each generated order (by its key) whose provider takes money online."""
    charged: dict[int, str] = {}
    for order in generated:
        provider = await session.scalar(
            sa.select(PaymentMethod.provider).where(PaymentMethod.id == order.payment_method_id)
        )
        if provider is None or not payment_providers.capabilities(provider).capture:
            continue
        schedule = await session.get_one(RecurringSchedule, order.generated_by_schedule_id)
        template_rows = await transaction_rows.transactions_of(session, order_id=schedule.template_order_id)
        saved = transaction_rows.authorization_number(template_rows)
        if saved is not None:
            charged[order.id] = saved
    return charged


async def charge(
    sessions: engine.Sessions,
    *,
    providers: payment_providers.Providers,
    generated: bulk.Outcome,
    saved_payments: Mapping[int, str],
    actor: str | None,
    now: datetime.datetime,
    timeout_seconds: float,
) -> bulk.Outcome:
    """Charge a generated order to its saved payment, if it has one: its outcome, with the charge's error if any."""
    saved_payment = saved_payments.get(generated.order.id) if generated.order is not None else None
    if saved_payment is None:
        return generated
    movement = engine.Movement(
        purpose=CHARGE,
        plan=engine.pure(lambda facts: _plan(facts, saved_payment=saved_payment, now=now)),
        actor=actor,
        now=now,
        timeout_seconds=timeout_seconds,
    )
    [charged] = await engine.run(
        sessions, providers=providers, requested_ids=[generated.requested_id], movement=movement
    )
    return bulk.Outcome(generated.requested_id, charged.order or generated.order, charged.error)


class _Charge:
    """A generated order's charge to its template's saved payment (`purposes.Purpose`): its events."""

    kind = TransactionKind.AUTHORIZE
    tag = "recurring"

    async def owns(self, session: AsyncSession, settled: Settlement) -> bool:
        return settled.transaction is not None and settled.transaction.purpose == self.tag

    async def mark(self, session: AsyncSession, transaction: Transaction) -> None:
        transaction.purpose = self.tag
        await session.flush()

    async def succeeded(self, session: AsyncSession, settled: Settlement) -> None:
        orders.touch(settled.order, now=settled.now)
        self._record(session, settled, "Recurring charge: {amount} authorized on the saved payment.", EventLevel.INFO)
        await session.flush()

    async def failed(self, session: AsyncSession, settled: Settlement) -> None:
        message = "Recurring charge of {amount} declined: the order stays unpaid."
        self._record(session, settled, message, EventLevel.WARNING)
        await session.flush()

    def _record(self, session: AsyncSession, settled: Settlement, message: str, level: EventLevel) -> None:
        order, transaction = settled.order, settled.transaction
        assert transaction is not None, "a charge has a row"
        amount = money.shown(
            transaction.amount, currency_code=order.currency_code, minor_unit=order.currency_minor_unit
        )
        events.record(
            session, order_id=order.id, source=EVENT_SOURCE, message=message.format(amount=amount),
            actor=settled.actor, now=settled.now, level=level,
        )  # fmt: skip


CHARGE = purposes.register(_Charge())


def _plan(facts: engine.Facts, *, saved_payment: str, now: datetime.datetime) -> engine.Plan:
    """The generated order's total (what paymentDelta says is missing), once: a second charge is ALREADY_DONE."""
    if any(transaction.kind is TransactionKind.AUTHORIZE for transaction in facts.transactions):
        raise DomainError(ErrorCode.ALREADY_DONE, f"{facts.order.public_id} is charged already.")
    planned = authorization.plan(facts, amount=None, now=now)
    return dataclasses.replace(planned, saved_payment=saved_payment, reserved=CHARGE.mark)
