"""Order flows, their states and the rules between states (EcomOrderFlow, EcomOrderStates, EcomOrderStateRules)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column, text_column
from models.enums import FlowKind


def _one_default_per(column: str, *, name: str) -> sa.Index:
    """At most one row per `column` value has `is_default` set (a partial unique index)."""
    return sa.Index(
        name, column, unique=True, sqlite_where=sa.text("is_default"), postgresql_where=sa.text("is_default")
    )


class Flow(Base):
    __tablename__ = "flows"
    __table_args__ = (_one_default_per("kind", name="uq_flows_default_per_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str | None] = text_column()
    kind: Mapped[FlowKind] = mapped_column(enum_column(FlowKind))
    is_default: Mapped[bool] = mapped_column(default=False)


class State(Base):
    __tablename__ = "states"
    __table_args__ = (_one_default_per("flow_id", name="uq_states_default_per_flow"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[int] = mapped_column(sa.ForeignKey("flows.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str | None] = text_column()
    color: Mapped[str | None] = mapped_column(sa.String(32))
    sort_order: Mapped[int] = mapped_column(default=0)
    is_default: Mapped[bool] = mapped_column(default=False)
    allow_edit: Mapped[bool] = mapped_column(default=False)
    allow_order: Mapped[bool] = mapped_column(default=False)
    exclude_from_statistics: Mapped[bool] = mapped_column(default=False)
    is_deleted: Mapped[bool] = mapped_column(default=False)
    # Mail sent when an order enters the state; no template means no mail.
    mail_template: Mapped[str | None] = mapped_column(sa.String(255))
    mail_subject: Mapped[str | None] = mapped_column(sa.String(255))
    mail_sender_email: Mapped[str | None] = mapped_column(sa.String(255))
    mail_sender_name: Mapped[str | None] = mapped_column(sa.String(255))
    mail_send_to_customer: Mapped[bool] = mapped_column(default=True)
    mail_send_to_delivery_email: Mapped[bool] = mapped_column(default=False)
    mail_other_recipients: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    mail_other_template: Mapped[str | None] = mapped_column(sa.String(255))
    # System name of an order custom field whose value is one more recipient address.
    mail_recipient_field: Mapped[str | None] = mapped_column(sa.String(255))
    # What an order must meet to enter the state (`StateRequirement` values).
    requirements: Mapped[list[str]] = mapped_column(sa.JSON, default=list)


class StateRule(Base):
    __tablename__ = "state_rules"
    __table_args__ = (
        sa.UniqueConstraint("from_state_id", "to_state_id"),
        # Deleting a state cascades to the rules that lead to it (migration 0002).
        sa.Index("ix_state_rules_to_state_id", "to_state_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    from_state_id: Mapped[int] = mapped_column(sa.ForeignKey("states.id", ondelete="CASCADE"), index=True)
    to_state_id: Mapped[int] = mapped_column(sa.ForeignKey("states.id", ondelete="CASCADE"))
