"""Order and order-line custom fields: their definitions and the values written against them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column
from models.enums import CustomFieldTarget, CustomFieldType


class CustomFieldDefinition(Base):
    __tablename__ = "custom_field_definitions"
    __table_args__ = (sa.UniqueConstraint("target", "system_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    system_name: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.String(255))
    target: Mapped[CustomFieldTarget] = mapped_column(enum_column(CustomFieldTarget))
    type: Mapped[CustomFieldType] = mapped_column(enum_column(CustomFieldType))
    options: Mapped[list[str] | None] = mapped_column(sa.JSON)
    is_required: Mapped[bool] = mapped_column(default=False)


class CustomFieldValue(Base):
    __tablename__ = "custom_field_values"
    __table_args__ = (sa.UniqueConstraint("order_id", "order_line_id", "definition_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    # Set for order-line fields.
    order_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order_lines.id", ondelete="CASCADE"), index=True)
    definition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("custom_field_definitions.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
