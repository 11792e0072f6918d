"""The shop's side of a completed demo order: edits, captures, refunds, cancelling, the flow, tracking, returns.

Each step is the operation an admin mutation runs, in its own transaction (a money movement in its own
short ones), at the moment the plan gives it (`Plan.at`: hours after the start on a 14-day span).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import OrderLineType, RecurringUnit
from models.orders import Order
from resolvers.channels import recurring
from resolvers.core import orders
from resolvers.core.bulk import Outcome
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.demo.plans import Plan, Story
from resolvers.demo.tools import STAFF, DemoStepFailed, Tools
from resolvers.editing import edit_lines, editing
from resolvers.fulfilment import state_changes, tracking
from resolvers.payments import cancellation, capture, refunds, release
from resolvers.returns import return_refunds, returns

# The ORDER flow's states in the order its rules allow, and when an order enters each (hours after checkout).
FLOW = (("Picked", 24), ("Shipped", 48), ("Completed", 120))
CENT = Decimal("0.01")


async def handle(tools: Tools, plan: Plan, order: Order) -> None:
    """Take a completed order through the plan's story: its money, its way through the flow, what came after."""
    steps = Steps(tools, plan, order.public_id)
    if plan.story is Story.CANCELLED:
        await steps.cancel()
        return
    if plan.story is Story.EDITED:
        await steps.edit_down()
    await steps.take_payment(order)
    await steps.move_through_flow()
    await steps.after_delivery(order)


class Steps:
    """The steps of one order, each refused step raised as DemoStepFailed naming the record and the step."""

    def __init__(self, tools: Tools, plan: Plan, order_id: str) -> None:
        self.tools, self.plan, self.order_id = tools, plan, order_id

    async def cancel(self) -> None:
        self._settled(
            "cancel",
            await cancellation.cancel(
                self.tools.sessions, providers=self.tools.providers, order_ids=[self.order_id],
                reason="The customer changed their mind.", actor=STAFF.actor, now=self.plan.at(6),
                timeout_seconds=self.tools.timeout_seconds,
            ),
        )  # fmt: skip

    async def edit_down(self) -> None:
        """Two edits before the capture, two versions kept: a loyalty discount, then the last line removed."""
        discount = editing.Changes(
            add_order_discounts=[edit_lines.OrderDiscount(name="Loyalty 10 %", percent=Decimal(10))]
        )
        await self._edit("an order discount", discount, at=2)
        async with self.tools.transaction() as session:
            order = await _order(session, self.order_id)
            products = [
                line for line in await edit_lines.load(session, order=order) if line.type is OrderLineType.PRODUCT
            ]
        removal = editing.Changes(lines=[edit_lines.LineChange(line_id=str(products[-1].id), remove=True)])
        await self._edit("a line removed", removal, at=3)

    async def take_payment(self, order: Order) -> None:
        """Capture as the story says: nothing, in full, in two parts, or declined by the gateway."""
        story = self.plan.story
        if story in (Story.INVOICE, Story.AUTHORIZED):
            return
        if story is Story.SPLIT_CAPTURED:
            total = order.total.with_vat
            await self._capture((total * Decimal("0.4")).quantize(CENT), at=20)
            await self._capture((total * Decimal("0.3")).quantize(CENT), at=44)
            return
        if story is Story.CAPTURE_DECLINED:
            [outcome] = await self._capture_outcomes(None, at=20)
            if outcome.error is None or outcome.error.code is not ErrorCode.PROVIDER_DECLINED:
                raise DemoStepFailed(self.plan.reference, "a declined capture", _unexpected(outcome))
            return
        await self._capture(None, at=20)
        if story is Story.EDITED:  # the edits lowered the total: what is left of the authorization is let go
            self._settled("release", [await release.release(
                self.tools.sessions, providers=self.tools.providers, order_id=self.order_id, idempotency_key=None,
                actor=STAFF.actor, now=self.plan.at(21), timeout_seconds=self.tools.timeout_seconds,
            )])  # fmt: skip

    async def move_through_flow(self) -> None:
        """Move the order state by state up to the plan's final one, with its tracking once it is shipped."""
        for state, hours in FLOW:
            if self.plan.final_state == "Received":
                return
            async with self.tools.transaction() as session:
                outcomes = await state_changes.change_state(
                    session, order_ids=[self.order_id], state_id=self.tools.ids.order_states[state],
                    now=self.plan.at(hours), actor=STAFF.actor, composer=self.tools.composer,
                )  # fmt: skip
                self._settled(f"the move to {state}", outcomes)
                if state == "Shipped":
                    await tracking.set_tracking(
                        session, order_id=self.order_id, track_and_trace_id=self.tools.ids.track_and_trace,
                        tracking_number=f"00370{self.plan.reference[len('DEMO-'):]}{self.plan.started_at:%m%d}",
                        parameters=None, now=self.plan.at(hours), actor=STAFF.actor,
                    )  # fmt: skip
            if state == self.plan.final_state:
                return

    async def after_delivery(self, order: Order) -> None:
        """Refunds, returns and subscriptions: what happens once the order is out."""
        story = self.plan.story
        if story in (Story.REFUNDED_PART, Story.REFUNDED_FULL):
            part = (order.total.with_vat * Decimal("0.25")).quantize(CENT) if story is Story.REFUNDED_PART else None
            self._settled("refund", [await refunds.refund(
                self.tools.sessions, providers=self.tools.providers, order_id=self.order_id, amount=part,
                reason="Goodwill: the parcel arrived late.", idempotency_key=None, actor=STAFF.actor,
                now=self.plan.at(200), timeout_seconds=self.tools.timeout_seconds,
            )])  # fmt: skip
        elif story in (Story.RETURN_REQUESTED, Story.RETURNED_PART):
            await self._return(received=story is Story.RETURNED_PART)
        elif story is Story.RECURRING:
            await self._subscribe()

    async def _return(self, *, received: bool) -> None:
        """One piece of the first line comes back: requested; or received (restocked) and refunded."""
        try:
            async with self.tools.transaction() as session:
                order = await _order(session, self.order_id)
                first = next(
                    line for line in await edit_lines.load(session, order=order) if line.type is OrderLineType.PRODUCT
                )
                request = returns.LineRequest(order_line_id=str(first.id), quantity=Decimal(1), reason="Too small")
                requested = await returns.create(
                    session, order_id=self.order_id, lines=[request], comment=None, now=self.plan.at(220),
                    actor=STAFF.actor,
                )  # fmt: skip
            if not received:
                return
            async with self.tools.transaction() as session:
                await returns.receive(session, return_id=str(requested.id), now=self.plan.at(260), actor=STAFF.actor)
        except DomainError as error:
            raise DemoStepFailed(self.plan.reference, "the return", error) from error
        refunded = await return_refunds.refund(
            self.tools.sessions, providers=self.tools.providers, return_id=str(requested.id), amount=None,
            idempotency_key=None, actor=STAFF.actor, now=self.plan.at(270), timeout_seconds=self.tools.timeout_seconds,
        )  # fmt: skip
        if refunded.error is not None:
            raise DemoStepFailed(self.plan.reference, "the return's refund", refunded.error)

    async def _subscribe(self) -> None:
        """Make the order the template of a schedule whose first occurrence is a week after it."""
        assert self.plan.recurring is not None
        interval, unit = self.plan.recurring
        try:
            async with self.tools.transaction() as session:
                await recurring.create(
                    session, template_order_id=self.order_id, interval=interval, unit=RecurringUnit(unit),
                    start_at=self.plan.started_at + datetime.timedelta(days=7), ends_at=None,
                    now=self.plan.at(1), actor=STAFF.actor,
                )  # fmt: skip
        except DomainError as error:
            raise DemoStepFailed(self.plan.reference, "the subscription", error) from error

    async def _edit(self, step: str, changes: editing.Changes, *, at: float) -> None:
        try:
            async with self.tools.transaction() as session:
                await editing.edit(
                    session, order_id=self.order_id, expected_revision=None, changes=changes, now=self.plan.at(at),
                    actor=STAFF.actor,
                )  # fmt: skip
        except DomainError as error:
            raise DemoStepFailed(self.plan.reference, f"the edit ({step})", error) from error

    async def _capture(self, amount: Decimal | None, *, at: float) -> None:
        self._settled("capture", await self._capture_outcomes(amount, at=at))

    async def _capture_outcomes(self, amount: Decimal | None, *, at: float) -> list[Outcome]:
        return await capture.capture(
            self.tools.sessions, providers=self.tools.providers, order_ids=[self.order_id], amount=amount,
            idempotency_key=None, actor=STAFF.actor, now=self.plan.at(at), timeout_seconds=self.tools.timeout_seconds,
        )  # fmt: skip

    def _settled(self, step: str, outcomes: Sequence[Outcome]) -> None:
        for outcome in outcomes:
            if outcome.error is not None:
                raise DemoStepFailed(self.plan.reference, step, outcome.error)


async def _order(session: AsyncSession, public_id: str) -> Order:
    found = await orders.find(session, public_id)
    assert found is not None, f"{public_id} was made a moment ago"
    return found


def _unexpected(outcome: Outcome) -> DomainError:
    return outcome.error or DomainError(ErrorCode.INVALID, "The gateway approved a capture it should have declined.")
