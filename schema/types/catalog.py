"""Catalogue and setup types: shop, currency, product, payment and shipping methods, track and trace.

Resolvers return model rows; plain fields are read from the row by name, computed ones
have a resolver here. A `money.Price` serves as the `Price` type the same way (hence the
`type: ignore[return-value]`: the GraphQL type describes the shape, not the class).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import strawberry

from models import catalog, money
from resolvers.fulfilment import tracking
from resolvers.payments import payment_providers
from resolvers.storefront import shipping
from schema.context import Context


@strawberry.type(description="A price in DynamicWeb's four parts.")
class Price:
    with_vat: Decimal
    without_vat: Decimal
    vat: Decimal
    vat_percent: Decimal


@strawberry.type
class Currency:
    code: str
    name: str
    rate: Decimal = strawberry.field(description="Exchange factor against the shop's default currency.")


@strawberry.type
class Shop:
    id: strawberry.ID
    name: str
    prices_include_vat: bool

    @strawberry.field(description="The standard VAT rate of the shop's products.")
    def standard_vat_percent(self, root: strawberry.Parent[catalog.Shop]) -> Decimal:
        return root.default_vat_percent

    @strawberry.field
    async def default_currency(self, root: strawberry.Parent[catalog.Shop], info: strawberry.Info[Context]) -> Currency:
        return await info.context.loaders.currency_by_code.load(root.default_currency_code)


@strawberry.type
class Product:
    id: strawberry.ID
    number: str
    name: str
    variant_id: str | None
    variant_text: str | None
    stock: Decimal
    weight: Decimal | None
    volume: Decimal | None

    @strawberry.field(description="One unit in the shop's default currency.")
    async def unit_price(self, root: strawberry.Parent[catalog.Product], info: strawberry.Info[Context]) -> Price:
        return await _in_default_currency(info, money.unit_price, root.price, vat_percent=root.vat_percent)


@strawberry.type
class PaymentMethod:
    id: strawberry.ID
    name: str
    code: str | None
    provider: str = strawberry.field(description="The payment provider behind it, e.g. manual or test.")

    @strawberry.field(description="The method's fee in the shop's default currency.")
    async def fee(self, root: strawberry.Parent[catalog.PaymentMethod], info: strawberry.Info[Context]) -> Price:
        return await _in_default_currency(info, money.price_of, root.fee, vat_percent=root.fee_vat_percent)

    @strawberry.field
    def supports_capture(self, root: strawberry.Parent[catalog.PaymentMethod]) -> bool:
        return payment_providers.capabilities(root.provider).capture

    @strawberry.field
    def supports_partial_capture(self, root: strawberry.Parent[catalog.PaymentMethod]) -> bool:
        return payment_providers.capabilities(root.provider).partial_capture

    @strawberry.field
    def supports_refund(self, root: strawberry.Parent[catalog.PaymentMethod]) -> bool:
        return payment_providers.capabilities(root.provider).refund

    @strawberry.field
    def supports_cancel(self, root: strawberry.Parent[catalog.PaymentMethod]) -> bool:
        return payment_providers.capabilities(root.provider).cancel


@strawberry.type
class ShippingMethod:
    id: strawberry.ID
    name: str
    code: str | None
    description: str | None

    @strawberry.field(description="The fee this method would charge for the given cart, after its fee rules.")
    async def fee_for(
        self, root: strawberry.Parent[catalog.ShippingMethod], info: strawberry.Info[Context], cart_id: strawberry.ID
    ) -> Price | None:
        return await shipping.fee_for_order(  # type: ignore[return-value]
            info.context.session, method_id=root.id, order_public_id=str(cart_id), viewer=info.context.viewer
        )


@strawberry.type
class TrackAndTrace:
    id: strawberry.ID
    name: str
    url_template: str = strawberry.field(
        description="URL template with {Parameter} placeholders, e.g. https://track.example/?code={TrackingNumber}."
    )

    @strawberry.field
    def parameters(self, root: strawberry.Parent[catalog.TrackAndTrace]) -> list[str]:
        return tracking.parameters_of(root.url_template)


async def _in_default_currency(
    info: strawberry.Info[Context],
    pricing: Callable[..., money.Price],
    amount: Decimal,
    *,
    vat_percent: Decimal,
) -> Price:
    """`pricing` of a catalogue amount as the default shop states prices, at its currency's minor unit."""
    shop, currency = await info.context.default_shop_and_currency()
    return pricing(  # type: ignore[return-value]
        amount, vat_percent=vat_percent, includes_vat=shop.prices_include_vat, minor_unit=currency.minor_unit
    )
