"""What an order's transactions add up to: authorized, captured, refunded, and its capture state.

Pure functions over the transaction rows; the amounts are never stored apart from the ledger.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable
from decimal import Decimal

from models.enums import CaptureState, TransactionKind, TransactionStatus
from models.payments import Transaction
from resolvers.payments import payment_providers

ZERO = Decimal(0)


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

    @property
    def capturable(self) -> Decimal:
        return self.authorized - self.captured - self.pending_capture

    @property
    def refundable(self) -> Decimal:
        return self.captured - self.refunded - self.pending_refund


def amounts(transactions: Iterable[Transaction]) -> Amounts:
    transactions = list(transactions)
    totals: dict[tuple[TransactionKind, TransactionStatus], Decimal] = {}
    for transaction in transactions:
        key = (transaction.kind, transaction.status)
        totals[key] = totals.get(key, ZERO) + transaction.amount

    def total(kind: TransactionKind, status: TransactionStatus = TransactionStatus.SUCCEEDED) -> Decimal:
        return totals.get((kind, status), ZERO)

    # A succeeded CANCEL voids the authorization it cancels.
    authorized = total(TransactionKind.AUTHORIZE) - total(TransactionKind.CANCEL)
    return Amounts(
        authorized=max(authorized, ZERO),
        captured=total(TransactionKind.CAPTURE),
        refunded=total(TransactionKind.REFUND),
        pending_capture=total(TransactionKind.CAPTURE, TransactionStatus.PENDING),
        pending_refund=total(TransactionKind.REFUND, TransactionStatus.PENDING),
        pending_cancel=total(TransactionKind.CANCEL, TransactionStatus.PENDING),
        pending_count=sum(1 for transaction in transactions if transaction.status is TransactionStatus.PENDING),
    )


def capture_state(ledger: Amounts, *, provider_name: str | None) -> CaptureState:
    if provider_name is None or not payment_providers.capabilities(provider_name).capture:
        return CaptureState.NOT_SUPPORTED
    if ledger.captured <= ZERO:
        return CaptureState.NOT_CAPTURED
    if ledger.captured < ledger.authorized:
        return CaptureState.SPLIT_CAPTURED
    return CaptureState.CAPTURED


def authorization_expires_at(transactions: Iterable[Transaction]) -> datetime.datetime | None:
    """When the latest succeeded authorization lapses at the provider, if the provider said."""
    latest = None
    for transaction in transactions:
        if transaction.kind is TransactionKind.AUTHORIZE and transaction.status is TransactionStatus.SUCCEEDED:
            latest = transaction
    return latest.expires_at if latest is not None else None
