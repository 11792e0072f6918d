"""Carts, quotes and orders (one table, told apart by kind), their ids, lines, versions and events."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models import money
from models.base import Base, enum_column, price_composite, quantity_column, text_column
from models.enums import EventLevel, OrderKind, OrderLineType, QuoteStatus

ADDRESS_FIELDS = (
    "company",
    "title",
    "first_name",
    "middle_name",
    "surname",
    "name",
    "address",
    "address2",
    "house_number",
    "zip",
    "city",
    "region",
    "country",
    "country_code",
    "phone",
    "cell",
    "email",
    "vat_reg_number",
    "ean",
    "customer_number",
)


# Index predicates, spelled exactly as the queries they serve spell their conditions: SQLite only uses a
# partial index when the query's WHERE repeats the index's WHERE term for term.
_LIVE = sa.column("is_deleted").is_(False)
_COUNTED = sa.and_(
    sa.column("is_complete").is_(True), sa.column("is_cancelled").is_(False), sa.column("is_deleted").is_(False)
)


class OrderNumber(Base):
    """Every public id ever issued: the one sequence behind CART17, QUOTE18, ORDER19, and the aliases."""

    __tablename__ = "order_numbers"
    __table_args__ = {"sqlite_autoincrement": True}

    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    prefix: Mapped[OrderKind] = mapped_column(enum_column(OrderKind))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime.datetime]


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        sa.UniqueConstraint("import_channel", "external_id"),
        sa.UniqueConstraint("generated_by_schedule_id", "recurring_due_at"),
        sa.Index("ix_orders_kind_created_at", "kind", "created_at", "id"),
        sa.Index("ix_orders_kind_modified_at", "kind", "modified_at", "id"),
        sa.Index("ix_orders_kind_completed_at", "kind", "completed_at", "id"),
        sa.Index("ix_orders_kind_total", "kind", "total_with_vat", "id"),
        sa.Index("ix_orders_state_id_created_at", "state_id", "created_at", "id"),
        sa.Index("ix_orders_customer_id_kind", "customer_id", "kind"),
        sa.Index("ix_orders_customer_email", "customer_email"),
        # The order list at a million orders (migration 0002): all kinds by date, by flow, a customer's own.
        sa.Index("ix_orders_created_at", "created_at", "id"),
        sa.Index("ix_orders_flow_id_created_at", "flow_id", "created_at", "id"),
        sa.Index("ix_orders_customer_id_created_at", "customer_id", "created_at", "id"),
        # Migration 0003. The list's exact totalCount counts live orders of a kind from this small index alone;
        # is_deleted is a key column too because SQLite only treats an index as covering when it holds every
        # column the query names, the predicate's included.
        sa.Index(
            "ix_orders_live_kind",
            "kind",
            "is_deleted",
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        ),
        # The sales summary reads its orders from this index alone (an index-only scan), never the table.
        sa.Index(
            "ix_orders_statistics",
            "kind",
            "completed_at",
            "state_id",
            "currency_rate",
            "total_with_vat",
            "total_without_vat",
            "is_complete",
            "is_cancelled",
            "is_deleted",
            sqlite_where=_COUNTED,
            postgresql_where=_COUNTED,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The current public id (`ORDER19`); earlier ones stay in order_numbers.
    public_id: Mapped[str] = mapped_column(sa.String(50), unique=True)
    number: Mapped[int] = mapped_column(unique=True)
    kind: Mapped[OrderKind] = mapped_column(enum_column(OrderKind))
    shop_id: Mapped[int] = mapped_column(sa.ForeignKey("shops.id"))
    # SHA-256 of the cart secret; the secret itself is returned once and never stored.
    secret_hash: Mapped[str | None] = mapped_column(sa.String(64))
    customer_id: Mapped[str | None] = mapped_column(sa.String(100))
    display_name: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime.datetime]
    modified_at: Mapped[datetime.datetime]
    completed_at: Mapped[datetime.datetime | None]
    checkout_started_at: Mapped[datetime.datetime | None]
    cancelled_at: Mapped[datetime.datetime | None]
    deleted_at: Mapped[datetime.datetime | None]
    is_complete: Mapped[bool] = mapped_column(default=False)
    is_cancelled: Mapped[bool] = mapped_column(default=False)
    is_deleted: Mapped[bool] = mapped_column(default=False)
    revision: Mapped[int] = mapped_column(default=1)
    flow_id: Mapped[int | None] = mapped_column(sa.ForeignKey("flows.id"))
    state_id: Mapped[int | None] = mapped_column(sa.ForeignKey("states.id"))
    quote_status: Mapped[QuoteStatus | None] = mapped_column(enum_column(QuoteStatus))
    quote_rejection_reason: Mapped[str | None] = text_column()

    customer_company: Mapped[str | None] = mapped_column(sa.String(255))
    customer_title: Mapped[str | None] = mapped_column(sa.String(255))
    customer_first_name: Mapped[str | None] = mapped_column(sa.String(255))
    customer_middle_name: Mapped[str | None] = mapped_column(sa.String(255))
    customer_surname: Mapped[str | None] = mapped_column(sa.String(255))
    customer_name: Mapped[str | None] = mapped_column(sa.String(255))
    customer_address: Mapped[str | None] = mapped_column(sa.String(255))
    customer_address2: Mapped[str | None] = mapped_column(sa.String(255))
    customer_house_number: Mapped[str | None] = mapped_column(sa.String(255))
    customer_zip: Mapped[str | None] = mapped_column(sa.String(50))
    customer_city: Mapped[str | None] = mapped_column(sa.String(255))
    customer_region: Mapped[str | None] = mapped_column(sa.String(50))
    customer_country: Mapped[str | None] = mapped_column(sa.String(50))
    customer_country_code: Mapped[str | None] = mapped_column(sa.String(50))
    customer_phone: Mapped[str | None] = mapped_column(sa.String(50))
    customer_cell: Mapped[str | None] = mapped_column(sa.String(50))
    customer_email: Mapped[str | None] = mapped_column(sa.String(255))
    customer_vat_reg_number: Mapped[str | None] = mapped_column(sa.String(50))
    customer_ean: Mapped[str | None] = mapped_column(sa.String(255))
    customer_customer_number: Mapped[str | None] = mapped_column(sa.String(255))

    delivery_company: Mapped[str | None] = mapped_column(sa.String(255))
    delivery_title: Mapped[str | None] = mapped_column(sa.String(255))
    delivery_first_name: Mapped[str | None] = mapped_column(sa.String(255))
    delivery_middle_name: Mapped[str | None] = mapped_column(sa.String(255))
    delivery_surname: Mapped[str | None] = mapped_column(sa.String(255))
    delivery_name: Mapped[str | None] = mapped_column(sa.String(255))
    delivery_address: Mapped[str | None] = mapped_column(sa.String(255))
    delivery_address2: Mapped[str | None] = mapped_column(sa.String(255))
    delivery_house_number: Mapped[str | None] = mapped_column(sa.String(255))
    delivery_zip: Mapped[str | None] = mapped_column(sa.String(50))
    delivery_city: Mapped[str | None] = mapped_column(sa.String(255))
    delivery_region: Mapped[str | None] = mapped_column(sa.String(50))
    delivery_country: Mapped[str | None] = mapped_column(sa.String(50))
    delivery_country_code: Mapped[str | None] = mapped_column(sa.String(50))
    delivery_phone: Mapped[str | None] = mapped_column(sa.String(50))
    delivery_cell: Mapped[str | None] = mapped_column(sa.String(50))
    delivery_email: Mapped[str | None] = mapped_column(sa.String(255))
    delivery_vat_reg_number: Mapped[str | None] = mapped_column(sa.String(50))
    delivery_ean: Mapped[str | None] = mapped_column(sa.String(255))
    delivery_customer_number: Mapped[str | None] = mapped_column(sa.String(255))

    comment: Mapped[str | None] = text_column()
    customer_comment: Mapped[str | None] = text_column()

    # The currency as it was when the order was placed.
    currency_code: Mapped[str] = mapped_column(sa.String(3))
    currency_name: Mapped[str] = mapped_column(sa.String(100))
    currency_rate: Mapped[Decimal] = mapped_column(money.ExactDecimal(money.RATE_SCALE))
    currency_minor_unit: Mapped[int] = mapped_column(default=2)

    payment_method_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payment_methods.id"))
    payment_fee: Mapped[money.Price] = price_composite("payment_fee")
    shipping_method_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shipping_methods.id"))
    shipping_fee: Mapped[money.Price] = price_composite("shipping_fee")
    voucher_code: Mapped[str | None] = mapped_column(sa.String(36))

    subtotal: Mapped[money.Price] = price_composite("subtotal")
    discount_total: Mapped[money.Price] = price_composite("discount_total")
    price_before_fees: Mapped[money.Price] = price_composite("price_before_fees")
    total: Mapped[money.Price] = price_composite("total")
    weight: Mapped[Decimal] = quantity_column(default=Decimal(0))
    volume: Mapped[Decimal] = quantity_column(default=Decimal(0))
    price_calculated_at: Mapped[datetime.datetime | None]

    # Stock is taken once at completion and given back once at cancellation.
    is_stock_taken: Mapped[bool] = mapped_column(default=False)

    track_and_trace_id: Mapped[int | None] = mapped_column(sa.ForeignKey("track_and_traces.id"))
    tracking_number: Mapped[str | None] = mapped_column(sa.String(255))
    tracking_parameters: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    ip: Mapped[str | None] = mapped_column(sa.String(255))
    referrer: Mapped[str | None] = mapped_column(sa.String(255))
    language_id: Mapped[str | None] = mapped_column(sa.String(50))
    is_exported: Mapped[bool] = mapped_column(default=False)
    integration_order_id: Mapped[str | None] = mapped_column(sa.String(255))
    import_channel: Mapped[str | None] = mapped_column(sa.String(100))
    external_id: Mapped[str | None] = mapped_column(sa.String(255))
    # DynamicWeb's order data: the customer's purchase-order number, the fee rule that set the shipping fee,
    # and the shop's standard VAT rate as it was when the order was priced.
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    shipping_fee_rule_name: Mapped[str | None] = mapped_column(sa.String(255))
    standard_vat_percent: Mapped[Decimal | None]

    generated_by_schedule_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("recurring_schedules.id", use_alter=True), index=True
    )
    recurring_due_at: Mapped[datetime.datetime | None]


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    # A line discount points at the product line it discounts; an order discount has none.
    parent_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order_lines.id", ondelete="CASCADE"))
    type: Mapped[OrderLineType] = mapped_column(enum_column(OrderLineType))
    sort_order: Mapped[int] = mapped_column(default=0)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id"), index=True)
    product_number: Mapped[str | None] = mapped_column(sa.String(255))
    product_name: Mapped[str] = mapped_column(sa.String(255))
    variant_id: Mapped[str | None] = mapped_column(sa.String(255))
    variant_text: Mapped[str | None] = mapped_column(sa.String(255))
    unit_id: Mapped[str | None] = mapped_column(sa.String(50))
    stock_location_id: Mapped[int | None]
    quantity: Mapped[Decimal] = quantity_column()
    # The unit amount the line is priced from (in the order currency), and whether an admin set it.
    unit_amount: Mapped[Decimal] = mapped_column(default=Decimal(0))
    is_unit_price_overridden: Mapped[bool] = mapped_column(default=False)
    vat_percent: Mapped[Decimal] = mapped_column(default=Decimal(0))
    # For discount lines: the discount as given (one of them).
    discount_amount: Mapped[Decimal | None]
    discount_percent: Mapped[Decimal | None]
    unit_price: Mapped[money.Price] = price_composite("unit_price")
    price: Mapped[money.Price] = price_composite("price")
    discount_total: Mapped[money.Price] = price_composite("discount_total")
    weight: Mapped[Decimal | None] = quantity_column()
    volume: Mapped[Decimal | None] = quantity_column()
    created_at: Mapped[datetime.datetime]
    modified_at: Mapped[datetime.datetime]


class OrderVersion(Base):
    """A snapshot of an order taken right before an edit."""

    __tablename__ = "order_versions"
    __table_args__ = (sa.UniqueConstraint("order_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    number: Mapped[int]
    created_at: Mapped[datetime.datetime]
    actor: Mapped[str | None] = mapped_column(sa.String(255))
    summary: Mapped[str | None] = mapped_column(sa.Text)
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class OrderEvent(Base):
    """The order's debugging info: what happened, where, by whom."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime.datetime]
    level: Mapped[EventLevel] = mapped_column(enum_column(EventLevel))
    source: Mapped[str] = mapped_column(sa.String(100))
    message: Mapped[str] = mapped_column(sa.Text)
    actor: Mapped[str | None] = mapped_column(sa.String(255))
