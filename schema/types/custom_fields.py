"""Custom field definitions, and the values an order or one of its lines carries.

`values_of` serves both `Order.customFields` and `OrderLine.customFields` from one loader of the
order's values (the lines' included), so a page of orders reads them in one query per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.scalars import JSON

from models import custom_fields as custom_field_models
from schema import loaded
from schema.context import Context
from schema.enums import CustomFieldTarget, CustomFieldType


@strawberry.type(
    description="A custom field the shop defines on orders or lines; every write validates values against it."
)
class CustomFieldDefinition:
    system_name: str = strawberry.field(
        description="The key clients write values under, e.g. GiftWrap; unique per target."
    )
    name: str = strawberry.field(description="The label shown to people.")
    target: CustomFieldTarget = strawberry.field(description="Whether it belongs to orders or to order lines.")  # type: ignore[valid-type]
    type: CustomFieldType = strawberry.field(description="The type every value must have.")  # type: ignore[valid-type]
    options: list[str] | None = strawberry.field(
        description="The allowed values of a LIST field; null for other types."
    )
    required: bool = strawberry.field(
        resolver=lambda root: root.is_required, description="Whether every write must give it a value."
    )  # type: ignore[misc]


@strawberry.type(description="The value of one custom field on an order or an order line.")
class CustomFieldValue:
    system_name: str = strawberry.field(description="The field's system name.")
    name: str = strawberry.field(description="The field's label.")
    type: CustomFieldType = strawberry.field(description="The field's type, which says how to read value.")  # type: ignore[valid-type]
    value: JSON | None = strawberry.field(
        description="The value as JSON: TEXT, LIST and DATE (YYYY-MM-DD) a string, INTEGER a number, DECIMAL a string "
        'like "12.50", BOOLEAN true or false.'
    )


def values_of(info: strawberry.Info[Context], *, order_id: int, line_id: int | None) -> Any:
    """The values of an order (line_id None) or of one of its lines, with their definitions (see `loaded`)."""
    loaders = info.context.loaders

    def with_definitions(values: Sequence[custom_field_models.CustomFieldValue]) -> Any:
        mine = [value for value in values if value.order_line_id == line_id]
        definitions = [loaders.custom_field_definition_by_id.load(value.definition_id) for value in mine]
        return loaded.then(definitions, lambda *found: _served(mine, found))

    return loaded.then([loaders.custom_field_values_by_order_id.load(order_id)], with_definitions)


def _served(
    values: Sequence[custom_field_models.CustomFieldValue],
    definitions: Sequence[custom_field_models.CustomFieldDefinition | None],
) -> list[CustomFieldValue]:
    return [
        CustomFieldValue(
            system_name=definition.system_name, name=definition.name, type=definition.type, value=value.value
        )
        for value, definition in zip(values, definitions, strict=True)
        if definition is not None
    ]
