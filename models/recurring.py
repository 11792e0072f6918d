"""Recurring (subscription) schedules: new orders from a template order."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column
from models.enums import RecurringUnit


class RecurringSchedule(Base):
    __tablename__ = "recurring_schedules"
    __table_args__ = (sa.Index("ix_recurring_schedules_active_next_run_at", "is_active", "next_run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    interval: Mapped[int]
    unit: Mapped[RecurringUnit] = mapped_column(enum_column(RecurringUnit))
    next_run_at: Mapped[datetime.datetime]
    ends_at: Mapped[datetime.datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime.datetime]
    cancelled_at: Mapped[datetime.datetime | None]
