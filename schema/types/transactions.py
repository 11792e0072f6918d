"""Transaction: one payment transaction of an order (authorize, capture, refund, cancel) as its provider answered it.

Apart from `orders` because it is the payment record, read by `Order.transactions`; the amounts an
order derives from its transactions (captureState, authorizedAmount…) stay fields of `Order`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import strawberry

from schema.enums import TransactionKind, TransactionStatus


@strawberry.type(
    description="One payment transaction of an order with its provider (authorize, capture, refund, cancel)."
)
class Transaction:
    id: strawberry.ID = strawberry.field(description="The transaction's id.")
    kind: TransactionKind = strawberry.field(description="What it did.")  # type: ignore[valid-type]
    status: TransactionStatus = strawberry.field(description="Where it stands with the provider.")  # type: ignore[valid-type]
    amount: Decimal = strawberry.field(description="The amount, a Decimal string in `currency`.")
    currency: str = strawberry.field(description="The ISO 4217 code of the amount, the order's currency.")
    provider: str = strawberry.field(description="The payment provider that handled it, e.g. test.")
    transaction_number: str | None = strawberry.field(description="The payment provider's own transaction number.")
    card_type: str | None = strawberry.field(
        description="The card brand the provider reported, e.g. VISA; null when none."
    )
    card_number: str | None = strawberry.field(description="Masked except the last 4 digits.")
    message: str | None = strawberry.field(description="The provider's answer or the reason of a failure.")
    created_at: datetime.datetime = strawberry.field(description="When it was made.")
    expires_at: datetime.datetime | None = strawberry.field(
        description="When an authorization lapses at the provider, if it says."
    )
