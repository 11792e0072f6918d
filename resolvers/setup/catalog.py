"""The catalogue and setup as storefronts and admins read them: the default shop, currencies (and the
columns an order keeps one in), products by id or active ones (searchable), methods, track and trace
configurations and custom field definitions.

Reading only: the demo seed, `custom_fields`, `fulfilment.flow_setup` and `fulfilment.tracking` write
what a shop sets up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import Currency, PaymentMethod, Product, ShippingMethod, Shop, TrackAndTrace
from models.custom_fields import CustomFieldDefinition
from models.enums import CustomFieldTarget
from resolvers.core import validation
from resolvers.core.errors import DomainError, ErrorCode, not_found

# What an order keeps of its currency, in columns `currency_<field>`: it stays as it was at checkout.
CURRENCY_FIELDS = ("code", "name", "rate", "minor_unit")


async def default_shop(session: AsyncSession) -> Shop:
    """The shop orders are placed in (the store holds one default shop).

    Its default currency comes in the same statement: `currency` then finds it in the session.
    """
    statement = (
        sa.select(Shop, Currency)
        .join(Currency, Currency.code == Shop.default_currency_code)
        .order_by(Shop.is_default.desc(), Shop.id)
        .limit(1)
    )
    shop = await session.scalar(statement)
    if shop is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No shop is set up: run `ordergraph seed --demo` or create one.")
    return shop


async def currency(session: AsyncSession, code: str, *, field: Sequence[str]) -> Currency:
    """The currency with this code, in any case; NOT_FOUND at `field` for an unknown or blank one."""
    found = await session.get(Currency, code.strip().upper()) if code.strip() else None
    if found is None:
        raise not_found("Currency", code, field)
    return found


def currency_values(currency: Currency) -> dict[str, Any]:
    """The currency as an order keeps it, as it is now: `currency_<field>` for each of CURRENCY_FIELDS."""
    return {f"currency_{name}": getattr(currency, name) for name in CURRENCY_FIELDS}


async def products_by_id(session: AsyncSession, ids: Iterable[str], *, only_active: bool) -> dict[str, Product]:
    """Products by their id as given; unknown ones (and inactive ones, when `only_active`) are left out."""
    numeric = {key for key in map(validation.integer_id, ids) if key is not None}
    statement = sa.select(Product).where(Product.id.in_(numeric))
    if only_active:
        statement = statement.where(Product.is_active)
    return {str(product.id): product for product in (await session.scalars(statement)).all()}


async def products(session: AsyncSession, *, search: str | None, first: int) -> Sequence[Product]:
    statement = sa.select(Product).where(Product.is_active).order_by(Product.number, Product.id).limit(first)
    if search:
        pattern = f"%{_escape_like(search.strip().lower())}%"
        statement = statement.where(
            sa.or_(
                sa.func.lower(Product.name).like(pattern, escape="\\"),
                sa.func.lower(Product.number).like(pattern, escape="\\"),
            )
        )
    return (await session.scalars(statement)).all()


async def payment_methods(session: AsyncSession) -> Sequence[PaymentMethod]:
    return (
        await session.scalars(sa.select(PaymentMethod).where(PaymentMethod.is_active).order_by(PaymentMethod.id))
    ).all()


async def shipping_methods(session: AsyncSession) -> Sequence[ShippingMethod]:
    return (
        await session.scalars(sa.select(ShippingMethod).where(ShippingMethod.is_active).order_by(ShippingMethod.id))
    ).all()


async def track_and_traces(session: AsyncSession) -> Sequence[TrackAndTrace]:
    return (
        await session.scalars(
            sa.select(TrackAndTrace).where(sa.not_(TrackAndTrace.is_deleted)).order_by(TrackAndTrace.id)
        )
    ).all()


async def custom_field_definitions(
    session: AsyncSession, *, target: CustomFieldTarget | None
) -> Sequence[CustomFieldDefinition]:
    statement = sa.select(CustomFieldDefinition).order_by(
        CustomFieldDefinition.target, CustomFieldDefinition.system_name
    )
    if target is not None:
        statement = statement.where(CustomFieldDefinition.target == target)
    return (await session.scalars(statement)).all()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
