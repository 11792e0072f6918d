"""Catalogue and setup types: shop, currency, product, payment and shipping methods, track and trace.

Resolvers return model rows; plain fields are read from the row by name, computed ones
have a resolver here. A `money.Price` serves as the `Price` type the same way (hence the
`type: ignore[return-value]`: the GraphQL type describes the shape, not the class).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated

import strawberry

from models import catalog, money
from resolvers.fulfilment import tracking
from resolvers.payments import payment_providers
from resolvers.storefront import shipping
from schema.context import Context


@strawberry.type(
    description="A price in DynamicWeb's four parts, each a Decimal string in the currency of what it prices "
    "(an order's currency on an order, the shop's default currency in the catalogue), at its minor unit."
)
class Price:
    with_vat: Decimal = strawberry.field(description="The amount including VAT.")
    without_vat: Decimal = strawberry.field(description="The amount excluding VAT.")
    vat: Decimal = strawberry.field(description="The VAT part: withVat − withoutVat.")  # noqa: RUF001
    vat_percent: Decimal = strawberry.field(description='The VAT rate in percent, e.g. "25.00"; 0 without VAT.')


@strawberry.type(description="A currency the shop sells in.")
class Currency:
    code: str = strawberry.field(description="The ISO 4217 code, e.g. EUR.")
    name: str = strawberry.field(description="The display name, e.g. Euro.")
    rate: Decimal = strawberry.field(description="Exchange factor against the shop's default currency.")


@strawberry.type(description="The shop: how it states prices and its default currency.")
class Shop:
    id: strawberry.ID = strawberry.field(description="The shop's id.")
    name: str = strawberry.field(description="The shop's name.")
    prices_include_vat: bool = strawberry.field(description="Whether catalogue prices include VAT.")

    @strawberry.field(description="The standard VAT rate of the shop's products.")
    def standard_vat_percent(self, root: strawberry.Parent[catalog.Shop]) -> Decimal:
        return root.default_vat_percent

    @strawberry.field(description="The currency catalogue prices are stated in and new carts start in.")
    async def default_currency(self, root: strawberry.Parent[catalog.Shop], info: strawberry.Info[Context]) -> Currency:
        return await info.context.loaders.currency_by_code.load(root.default_currency_code)


@strawberry.type(description="A product of the catalogue.")
class Product:
    id: strawberry.ID = strawberry.field(description="The product id lines refer to (productId).")
    number: str = strawberry.field(description="The product number (SKU).")
    name: str = strawberry.field(description="The product name, copied onto order lines.")
    variant_id: str | None = strawberry.field(description="The variant's id; null for a product without variants.")
    variant_text: str | None = strawberry.field(description="The variant as shown to a shopper, e.g. Red, XL.")
    stock: Decimal = strawberry.field(description="Units in stock; completing a checkout takes from it.")
    weight: Decimal | None = strawberry.field(description="The weight of one unit; null when not recorded.")
    volume: Decimal | None = strawberry.field(description="The volume of one unit; null when not recorded.")

    @strawberry.field(description="One unit in the shop's default currency.")
    async def unit_price(self, root: strawberry.Parent[catalog.Product], info: strawberry.Info[Context]) -> Price:
        return await _in_default_currency(info, money.unit_price, root.price, vat_percent=root.vat_percent)


@strawberry.type(description="A way to pay, backed by a payment provider that says what it supports.")
class PaymentMethod:
    id: strawberry.ID = strawberry.field(description="The id to pass as paymentMethodId.")
    name: str = strawberry.field(description="The method's name as shown to a shopper.")
    code: str | None = strawberry.field(description="The shop's own code for the method, if it has one.")
    provider: str = strawberry.field(description="The payment provider behind it, e.g. manual or test.")

    @strawberry.field(description="The method's fee in the shop's default currency.")
    async def fee(self, root: strawberry.Parent[catalog.PaymentMethod], info: strawberry.Info[Context]) -> Price:
        return await _in_default_currency(info, money.price_of, root.fee, vat_percent=root.fee_vat_percent)

    @strawberry.field(description="Whether its provider captures online (false: capture state NOT_SUPPORTED).")
    def supports_capture(self, root: strawberry.Parent[catalog.PaymentMethod]) -> bool:
        return payment_providers.capabilities(root.provider).capture

    @strawberry.field(description="Whether capture may take less than what is capturable.")
    def supports_partial_capture(self, root: strawberry.Parent[catalog.PaymentMethod]) -> bool:
        return payment_providers.capabilities(root.provider).partial_capture

    @strawberry.field(description="Whether captured money can be refunded through its provider.")
    def supports_refund(self, root: strawberry.Parent[catalog.PaymentMethod]) -> bool:
        return payment_providers.capabilities(root.provider).refund

    @strawberry.field(description="Whether an authorization can be voided (cancel, releaseAuthorization).")
    def supports_cancel(self, root: strawberry.Parent[catalog.PaymentMethod]) -> bool:
        return payment_providers.capabilities(root.provider).cancel


@strawberry.type(description="A way to ship, with a fee and fee rules (by country, order total, weight).")
class ShippingMethod:
    id: strawberry.ID = strawberry.field(description="The id to pass as shippingMethodId.")
    name: str = strawberry.field(description="The method's name as shown to a shopper.")
    code: str | None = strawberry.field(description="The shop's own code for the method, if it has one.")
    description: str | None = strawberry.field(description="The shop's text about the method, if any.")

    @strawberry.field(
        description="The fee this method would charge for the given cart, after its fee rules, in the cart's "
        "currency; null unless the caller may read the cart without a secret (an admin, the cart's customer)."
    )
    async def fee_for(
        self,
        root: strawberry.Parent[catalog.ShippingMethod],
        info: strawberry.Info[Context],
        cart_id: Annotated[strawberry.ID, strawberry.argument(description="The cart (or order) to price.")],
    ) -> Price | None:
        return await shipping.fee_for_order(  # type: ignore[return-value]
            info.context.session, method_id=root.id, order_public_id=str(cart_id), viewer=info.context.viewer
        )


@strawberry.type(description="A carrier's tracking page: setTracking fills its URL template for an order.")
class TrackAndTrace:
    id: strawberry.ID = strawberry.field(description="The id to pass as trackAndTraceId.")
    name: str = strawberry.field(description="The carrier's name, e.g. PostNord.")
    url_template: str = strawberry.field(
        description="URL template with {Parameter} placeholders, e.g. https://track.example/?code={TrackingNumber}."
    )

    @strawberry.field(
        description="The template's placeholders in order; TrackingNumber, OrderId, Zip and CountryCode are filled "
        "from the order, any other from setTracking's parameters."
    )
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
