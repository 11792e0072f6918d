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


@strawberry.type
class OrderLine:
    type: OrderLineType  # type: ignore[valid-type]
    product_number: str | None
    product_name: str
    variant_id: str | None
    variant_text: str | None
    unit_id: str | None
    quantity: Decimal
    unit_price: Price
    price: Price
    discount_total: Price
    weight: Decimal | None
    volume: Decimal | None

    @strawberry.field
    def id(self, root: strawberry.Parent[order_models.OrderLine]) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field(description="For a line discount, the product line it discounts.")
    def parent_line_id(self, root: strawberry.Parent[order_models.OrderLine]) -> strawberry.ID | None:
        return _optional_id(root.parent_line_id)

    @strawberry.field
    def product_id(self, root: strawberry.Parent[order_models.OrderLine]) -> strawberry.ID | None:
        return _optional_id(root.product_id)

    @strawberry.field
    def stock_location_id(self, root: strawberry.Parent[order_models.OrderLine]) -> strawberry.ID | None:
        return _optional_id(root.stock_location_id)

    @strawberry.field
    def custom_fields(
        self, root: strawberry.Parent[order_models.OrderLine], info: strawberry.Info[Context]
    ) -> list[CustomFieldValue]:
        return custom_fields.values_of(info, order_id=root.order_id, line_id=root.id)  # type: ignore[no-any-return]


def _optional_id(key: int | None) -> strawberry.ID | None:
    return strawberry.ID(str(key)) if key is not None else None
