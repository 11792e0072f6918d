"""An order's money against its total: paymentDelta, the capture state, and what a movement may take.

    paymentDelta = total - captured - open + settled          (design.md, "Payments after the order changes")

`open` is what is authorized and neither captured, voided nor lapsed (`ledger`); `settled` is what
refunds settled of an earlier negative delta. A cancelled order owes nothing: its total counts as
zero. Positive: money still to secure (`authorize`, then `capture`); negative: money to give back
(`refund` of what was captured, `releaseAuthorization` of what was not); zero: settled.

A refund made while the delta is negative settles it first, up to its size; the part it settles is
written on the REFUND row when it is reserved (`Transaction.delta_settled`). A return's refund and
a refund beyond the delta are money given back on purpose: they leave the delta as it was.

Plans judge movements as if every PENDING row had succeeded (`planned_delta`, `still_needed`), so
two movements in flight at once never secure, take or settle the same money twice.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from models.enums import CaptureState
from models.orders import Order
from resolvers.payments import ledger, payment_providers
from resolvers.payments.ledger import ZERO


@dataclasses.dataclass(frozen=True, slots=True)
class Position:
    owed: Decimal
    amounts: ledger.Amounts

    @property
    def payment_delta(self) -> Decimal:
        """The delta of the settled rows, as `Order.paymentDelta` serves it."""
        amounts = self.amounts
        return self.owed - amounts.captured - amounts.open + amounts.settled

    @property
    def planned_delta(self) -> Decimal:
        """The delta once every PENDING row has succeeded."""
        amounts = self.amounts
        captured = amounts.captured + amounts.pending_capture
        # A void in flight takes what is open and not being captured; a lapsed rest it voids is not open anyway.
        still_open = max(amounts.open - amounts.pending_capture - amounts.pending_cancel, ZERO)
        settled = amounts.settled + amounts.pending_settling
        return self.owed - captured - still_open - amounts.pending_authorize + settled

    @property
    def still_needed(self) -> Decimal:
        """What captures may still take for the order to be paid: paymentDelta + capturable, in flight counted."""
        amounts = self.amounts
        return self.owed - amounts.captured - amounts.pending_capture + amounts.settled + amounts.pending_settling

    def settles(self, refund: Decimal) -> Decimal:
        """The part of a refund of `refund` that settles a negative delta (the rest is given on purpose)."""
        return min(refund, max(-self.planned_delta, ZERO))


def position(order: Order, amounts: ledger.Amounts) -> Position:
    """The order's position; `amounts` should tell lapsed authorizations apart (`ledger.amounts(…, now=…)`)."""
    return Position(ZERO if order.is_cancelled else order.total.with_vat, amounts)


def capture_state(held: Position, *, provider_name: str | None) -> CaptureState:
    """NOT_SUPPORTED without a capturing provider; else over every authorization and the total (design.md)."""
    if provider_name is None or not payment_providers.capabilities(provider_name).capture:
        return CaptureState.NOT_SUPPORTED
    if held.amounts.captured <= ZERO:
        return CaptureState.NOT_CAPTURED
    if held.amounts.open > ZERO or held.payment_delta > ZERO:
        return CaptureState.SPLIT_CAPTURED
    return CaptureState.CAPTURED
