"""Returns (RMA) of completed orders: the return, its lines, and the refund transaction that settles it.

Each return line points to the order line it gives back, so what was returned of a line can be
counted; the status and the RETURN flow state are kept apart (see `resolvers.returns.return_states`).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column, quantity_column, text_column
from models.enums import ReturnStatus


class Return(Base):
    __tablename__ = "returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    status: Mapped[ReturnStatus] = mapped_column(enum_column(ReturnStatus))
    state_id: Mapped[int | None] = mapped_column(sa.ForeignKey("states.id"))
    comment: Mapped[str | None] = text_column()
    rejection_reason: Mapped[str | None] = text_column()
    refund_amount: Mapped[Decimal | None]
    created_at: Mapped[datetime.datetime]
    received_at: Mapped[datetime.datetime | None]
    refunded_at: Mapped[datetime.datetime | None]
    # The REFUND transaction of this return, set when it is reserved: settling that row (at once or by
    # reconciliation) concludes the return, and while it is PENDING no second refund may start.
    refund_transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("transactions.id"))


class ReturnLine(Base):
    __tablename__ = "return_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(sa.ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id"))
    quantity: Mapped[Decimal] = quantity_column()
    reason: Mapped[str | None] = text_column()
    restock: Mapped[bool] = mapped_column(default=True)
