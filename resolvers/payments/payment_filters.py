"""WHERE clauses over `Order` derived from the payment ledger, for the order list's filters.

`authorization_expires_before(moment)`: the order has a succeeded authorization whose
latest expiry is before `moment`, it is not voided, and it is not fully captured: the
orders an admin should capture before the money lapses. Correlated subqueries over
`transactions`, exact on both stores (SQLite sums the scaled integers of `ExactDecimal`).
"""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa

from models.enums import TransactionKind, TransactionStatus
from models.orders import Order
from models.payments import Transaction


def authorization_expires_before(moment: datetime.datetime) -> sa.ColumnElement[bool]:
    """Orders holding an unvoided, not fully captured authorization that lapses before `moment`."""
    latest_expiry = (
        sa.select(sa.func.max(Transaction.expires_at))
        .where(_succeeded(TransactionKind.AUTHORIZE))
        .correlate(Order)
        .scalar_subquery()
    )
    still_capturable = (
        _total(TransactionKind.AUTHORIZE) - _total(TransactionKind.CANCEL) - _total(TransactionKind.CAPTURE)
    )
    return sa.and_(latest_expiry < moment, still_capturable > 0)


def _succeeded(kind: TransactionKind) -> sa.ColumnElement[bool]:
    return sa.and_(
        Transaction.order_id == Order.id, Transaction.kind == kind, Transaction.status == TransactionStatus.SUCCEEDED
    )


def _total(kind: TransactionKind) -> Any:
    return sa.func.coalesce(
        sa.select(sa.func.sum(Transaction.amount)).where(_succeeded(kind)).correlate(Order).scalar_subquery(), 0
    )
