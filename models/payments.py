"""The payment ledger, idempotency records, and the `test` provider's own ledger."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column
from models.enums import TransactionKind, TransactionStatus


class Transaction(Base):
    """One money movement; the order's authorized, captured and refunded amounts derive from these rows."""

    __tablename__ = "transactions"
    __table_args__ = (sa.Index("ix_transactions_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TransactionKind] = mapped_column(enum_column(TransactionKind))
    status: Mapped[TransactionStatus] = mapped_column(enum_column(TransactionStatus))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    provider: Mapped[str] = mapped_column(sa.String(50))
    # Sent to the provider with the call, so a retried call is recognised there and never doubled.
    reference: Mapped[str] = mapped_column(sa.String(100), unique=True)
    transaction_number: Mapped[str | None] = mapped_column(sa.String(255))
    card_type: Mapped[str | None] = mapped_column(sa.String(100))
    card_number: Mapped[str | None] = mapped_column(sa.String(50))
    message: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime.datetime]
    settled_at: Mapped[datetime.datetime | None]
    expires_at: Mapped[datetime.datetime | None]
    # What the row is for when its kind alone does not say: "authorize" (an incremental authorization),
    # "release" (a CANCEL that leaves the order as it is), "recurring" (a generated order's charge).
    purpose: Mapped[str | None] = mapped_column(sa.String(30))
    # A REFUND's part that settled a negative paymentDelta, decided when it was reserved; None: it settled nothing.
    delta_settled: Mapped[Decimal | None]


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (sa.UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The mutation the key belongs to: keys are scoped per mutation.
    scope: Mapped[str] = mapped_column(sa.String(50))
    key: Mapped[str] = mapped_column(sa.String(255))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime.datetime] = mapped_column(index=True)


class TestProviderOperation(Base):
    """The simulated gateway's own books, so reconciliation can ask it what happened to a reference."""

    __tablename__ = "test_provider_operations"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(100), unique=True)
    operation: Mapped[str] = mapped_column(sa.String(20))
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3))
    is_approved: Mapped[bool]
    transaction_number: Mapped[str | None] = mapped_column(sa.String(255))
    message: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime.datetime]
