"""The shop and its catalogue and setup: currencies, products, payment and shipping methods, track and trace."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import money
from models.base import Base, quantity_column, text_column


class Currency(Base):
    __tablename__ = "currencies"

    code: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # Exchange factor against the shop's default currency (1 for the default itself).
    rate: Mapped[Decimal] = mapped_column(money.ExactDecimal(money.RATE_SCALE))
    minor_unit: Mapped[int] = mapped_column(default=2)


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    default_currency_code: Mapped[str] = mapped_column(sa.ForeignKey("currencies.code"))
    prices_include_vat: Mapped[bool] = mapped_column(default=True)
    default_vat_percent: Mapped[Decimal] = mapped_column(default=Decimal(25))
    is_default: Mapped[bool] = mapped_column(default=False)

    default_currency: Mapped[Currency] = relationship(lazy="raise")


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (sa.UniqueConstraint("number", "variant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(255), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    variant_id: Mapped[str | None] = mapped_column(sa.String(255))
    variant_text: Mapped[str | None] = mapped_column(sa.String(255))
    # In the shop's default currency, with or without VAT as the shop says.
    price: Mapped[Decimal]
    vat_percent: Mapped[Decimal]
    stock: Mapped[Decimal] = quantity_column(default=Decimal(0))
    weight: Mapped[Decimal | None] = quantity_column()
    volume: Mapped[Decimal | None] = quantity_column()
    is_active: Mapped[bool] = mapped_column(default=True)


class PaymentMethod(Base):
    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    code: Mapped[str | None] = mapped_column(sa.String(25))
    # The plug-in provider name, e.g. `manual` or `test`.
    provider: Mapped[str] = mapped_column(sa.String(50))
    fee: Mapped[Decimal] = mapped_column(default=Decimal(0))
    fee_vat_percent: Mapped[Decimal] = mapped_column(default=Decimal(0))
    is_active: Mapped[bool] = mapped_column(default=True)


class ShippingMethod(Base):
    __tablename__ = "shipping_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    code: Mapped[str | None] = mapped_column(sa.String(25))
    description: Mapped[str | None] = mapped_column(sa.Text)
    # The fee when no rule matches.
    fee: Mapped[Decimal] = mapped_column(default=Decimal(0))
    fee_vat_percent: Mapped[Decimal] = mapped_column(default=Decimal(0))
    is_active: Mapped[bool] = mapped_column(default=True)

    fee_rules: Mapped[list[ShippingFeeRule]] = relationship(
        lazy="raise", order_by="ShippingFeeRule.sort_order", cascade="all, delete-orphan"
    )


class ShippingFeeRule(Base):
    """A fee that applies when every condition it sets holds; the first match in sort order wins."""

    __tablename__ = "shipping_fee_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipping_method_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shipping_methods.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(255))
    sort_order: Mapped[int] = mapped_column(default=0)
    country_code: Mapped[str | None] = mapped_column(sa.String(2))
    # Bounds on the order total (in the default currency, with VAT) and weight; min inclusive, max exclusive.
    min_total: Mapped[Decimal | None]
    max_total: Mapped[Decimal | None]
    min_weight: Mapped[Decimal | None] = quantity_column()
    max_weight: Mapped[Decimal | None] = quantity_column()
    fee: Mapped[Decimal]


class TrackAndTrace(Base):
    __tablename__ = "track_and_traces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    # URL template with {Parameter} placeholders; browsers do not take much longer URLs.
    url_template: Mapped[str] = text_column(nullable=False, max_length=2000)
    is_deleted: Mapped[bool] = mapped_column(default=False)
