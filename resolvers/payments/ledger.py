"""What an order's transactions add up to: authorized, captured, refunded, what is still open to capture.

Pure functions over the transaction rows; the amounts are never stored apart from the ledger.

An order may hold several authorizations (checkout's, then incremental ones after an edit). A
capture or a void draws, in the order the rows were reserved, on the authorizations that were live
when it was made, oldest first (and on any other left, should the live ones not cover it), so each
authorization knows what of it is still open. What is open of an authorization that has lapsed
cannot be captured any more.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal

from models.enums import TransactionKind, TransactionStatus
from models.payments import Transaction

ZERO = Decimal(0)
DRAWING = (TransactionKind.CAPTURE, TransactionKind.CANCEL)


@dataclasses.dataclass(frozen=True, slots=True)
class Amounts:
    authorized: Decimal
    captured: Decimal
    refunded: Decimal
    # Reserved by PENDING rows: counted against what is still available, so no race can overspend.
    pending_capture: Decimal
    pending_refund: Decimal
    # A PENDING CANCEL is voiding the authorization: nothing more may be captured meanwhile.
    pending_cancel: Decimal = ZERO
    # Every PENDING row of any kind (an authorization, a capture, a refund or a cancel in flight).
    pending_count: int = 0
    pending_authorize: Decimal = ZERO
    # Authorized, not captured, not voided, and not lapsed: what captures may still take (settled rows only).
    open: Decimal = ZERO
    # Authorized, not captured, not voided, but lapsed at the provider.
    lapsed: Decimal = ZERO
    # What succeeded refunds settled of a negative paymentDelta, and what refunds in flight will.
    settled: Decimal = ZERO
    pending_settling: Decimal = ZERO

    @property
    def capturable(self) -> Decimal:
        return max(self.open - self.pending_capture, ZERO)

    @property
    def refundable(self) -> Decimal:
        return self.captured - self.refunded - self.pending_refund


@dataclasses.dataclass(slots=True)
class OpenAuthorization:
    """A succeeded authorization and what of it no capture or void has drawn yet."""

    transaction: Transaction
    open: Decimal

    def is_live(self, at: datetime.datetime | None) -> bool:
        expires_at = self.transaction.expires_at
        return at is None or expires_at is None or expires_at > at


def amounts(transactions: Iterable[Transaction], *, now: datetime.datetime | None = None) -> Amounts:
    """The order's amounts; `now` tells lapsed authorizations apart (None: every authorization counts as live)."""
    rows = in_ledger_order(transactions)
    totals: dict[tuple[TransactionKind, TransactionStatus], Decimal] = {}
    settling = {TransactionStatus.SUCCEEDED: ZERO, TransactionStatus.PENDING: ZERO}
    for transaction in rows:
        key = (transaction.kind, transaction.status)
        totals[key] = totals.get(key, ZERO) + transaction.amount
        if transaction.kind is TransactionKind.REFUND and transaction.status in settling:
            settling[transaction.status] += transaction.delta_settled or ZERO

    def total(kind: TransactionKind, status: TransactionStatus = TransactionStatus.SUCCEEDED) -> Decimal:
        return totals.get((kind, status), ZERO)

    opened = open_authorizations(rows)
    # A succeeded CANCEL voids the authorization it cancels.
    authorized = total(TransactionKind.AUTHORIZE) - total(TransactionKind.CANCEL)
    return Amounts(
        authorized=max(authorized, ZERO),
        captured=total(TransactionKind.CAPTURE),
        refunded=total(TransactionKind.REFUND),
        pending_capture=total(TransactionKind.CAPTURE, TransactionStatus.PENDING),
        pending_refund=total(TransactionKind.REFUND, TransactionStatus.PENDING),
        pending_cancel=total(TransactionKind.CANCEL, TransactionStatus.PENDING),
        pending_count=sum(1 for transaction in rows if transaction.status is TransactionStatus.PENDING),
        pending_authorize=total(TransactionKind.AUTHORIZE, TransactionStatus.PENDING),
        open=sum((entry.open for entry in opened if entry.is_live(now)), ZERO),
        lapsed=sum((entry.open for entry in opened if not entry.is_live(now)), ZERO),
        settled=settling[TransactionStatus.SUCCEEDED],
        pending_settling=settling[TransactionStatus.PENDING],
    )


def open_authorizations(transactions: Iterable[Transaction]) -> list[OpenAuthorization]:
    """Each succeeded authorization with what is open of it, after every succeeded capture and void drew on it."""
    opened: list[OpenAuthorization] = []
    for transaction in in_ledger_order(transactions):
        if transaction.status is not TransactionStatus.SUCCEEDED:
            continue
        if transaction.kind is TransactionKind.AUTHORIZE:
            opened.append(OpenAuthorization(transaction, transaction.amount))
        elif transaction.kind in DRAWING:
            _draw(opened, transaction.amount, at=transaction.created_at)
    return opened


def authorization_expires_at(
    transactions: Iterable[Transaction], *, now: datetime.datetime
) -> datetime.datetime | None:
    """When the earliest authorization that can still be captured lapses; None when none can (or none says)."""
    expiries = [
        entry.transaction.expires_at
        for entry in open_authorizations(transactions)
        if entry.open > 0 and entry.is_live(now) and entry.transaction.expires_at is not None
    ]
    return min(expiries, default=None)


def in_ledger_order(transactions: Iterable[Transaction]) -> Sequence[Transaction]:
    """The rows in the order they were reserved: by key, not by `created_at` (the clock of the request that
    reserved them), since requests reserve under the order's lock in an order their clocks need not follow."""
    return sorted(transactions, key=lambda transaction: transaction.id)


def _draw(opened: list[OpenAuthorization], amount: Decimal, *, at: datetime.datetime) -> None:
    # Live ones first (a stable sort keeps them oldest first), then whatever else is open.
    for entry in sorted(opened, key=lambda entry: not entry.is_live(at)):
        taken = min(entry.open, amount)
        entry.open -= taken
        amount -= taken
        if amount <= 0:
            return
