"""OrderLine: a product, discount or fee line of an order, with its prices and custom field values.

Apart from `orders` to keep that module to the order itself; the line's model row is the root, and
the ids it refers to are served as GraphQL IDs.
"""

from __future__ import annotations

from decimal import Decimal

import strawberry

from models import orders as order_models
from schema.context import Context
from schema.enums import OrderLineType
from schema.types import custom_fields
from schema.types.catalog import Price
from schema.types.custom_fields import CustomFieldValue


@strawberry.type(
    description="A line of an order: a product, a discount or a tax, with its prices in the order's currency."
)
class OrderLine:
    type: OrderLineType = strawberry.field(description="What the line is.")  # type: ignore[valid-type]
    product_number: str | None = strawberry.field(
        description="The product number (SKU) as it was when added; null for discounts."
    )
    product_name: str = strawberry.field(description="The product's name as it was when added, or the discount's name.")
    variant_id: str | None = strawberry.field(description="The product variant's id, if any.")
    variant_text: str | None = strawberry.field(description="The product variant as shown to a shopper, if any.")
    unit_id: str | None = strawberry.field(
        description="The unit the quantity counts (e.g. a box of 12), if the shop uses units."
    )
    quantity: Decimal = strawberry.field(description="How many units (a Decimal string; 1 for a discount).")
    unit_price: Price = strawberry.field(description="The price of one unit.")
    price: Price = strawberry.field(
        description="Unit price times quantity, rounded to the currency's minor unit, before the line's discounts."
    )
    discount_total: Price = strawberry.field(
        description="Its line discounts added up (a negative price; zero when none)."
    )
    weight: Decimal | None = strawberry.field(
        description="The weight of one unit, as the product had it; null when not recorded."
    )
    volume: Decimal | None = strawberry.field(
        description="The volume of one unit, as the product had it; null when not recorded."
    )

    @strawberry.field(description="The line's id (lineId in edits and returns).")
    def id(self, root: strawberry.Parent[order_models.OrderLine]) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field(description="For a line discount, the product line it discounts.")
    def parent_line_id(self, root: strawberry.Parent[order_models.OrderLine]) -> strawberry.ID | None:
        return _optional_id(root.parent_line_id)

    @strawberry.field(
        description="The catalogue product; null for discounts and taxes, or a product not in the catalogue."
    )
    def product_id(self, root: strawberry.Parent[order_models.OrderLine]) -> strawberry.ID | None:
        return _optional_id(root.product_id)

    @strawberry.field(description="The stock location it is taken from, if the shop has several.")
    def stock_location_id(self, root: strawberry.Parent[order_models.OrderLine]) -> strawberry.ID | None:
        return _optional_id(root.stock_location_id)

    @strawberry.field(description="Values of the shop's order-line custom fields set on it.")
    def custom_fields(
        self, root: strawberry.Parent[order_models.OrderLine], info: strawberry.Info[Context]
    ) -> list[CustomFieldValue]:
        return custom_fields.values_of(info, order_id=root.order_id, line_id=root.id)  # type: ignore[no-any-return]


def _optional_id(key: int | None) -> strawberry.ID | None:
    return strawberry.ID(str(key)) if key is not None else None
