"""Transaction: one payment transaction of an order (authorize, capture, refund, cancel) as its provider answered it.

Apart from `orders` because it is the payment record, read by `Order.transactions`; the amounts an
order derives from its transactions (captureState, authorizedAmount…) stay fields of `Order`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import strawberry

from schema.enums import TransactionKind, TransactionStatus


@strawberry.type
class Transaction:
    id: strawberry.ID
    kind: TransactionKind  # type: ignore[valid-type]
    status: TransactionStatus  # type: ignore[valid-type]
    amount: Decimal
    currency: str
    provider: str
    transaction_number: str | None = strawberry.field(description="The payment provider's own transaction number.")
    card_type: str | None
    card_number: str | None = strawberry.field(description="Masked except the last 4 digits.")
    message: str | None
    created_at: datetime.datetime
    expires_at: datetime.datetime | None = strawberry.field(
        description="When an authorization lapses at the provider, if it says."
    )
