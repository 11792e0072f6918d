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

    def served(values: Sequence[custom_field_models.CustomFieldValue]) -> Any:
        # The order's values served and grouped by line once per request, keyed by the loaded list itself as
        # the ledger is (a page of 100 orders with 5 lines each asks 600 times).
        known = loaders.computed.get(("custom field values", id(values)))
        if known is not None and known[0] is values:
            return known[1].get(line_id, [])
        definitions = [loaders.custom_field_definition_by_id.load(value.definition_id) for value in values]

        def grouped(*found: custom_field_models.CustomFieldDefinition | None) -> list[CustomFieldValue]:
            by_line = _by_line(values, found)
            loaders.computed[("custom field values", id(values))] = (values, by_line)
            return by_line.get(line_id, [])

        return loaded.then(definitions, grouped)

    return loaded.then([loaders.custom_field_values_by_order_id.load(order_id)], served)


def _by_line(
    values: Sequence[custom_field_models.CustomFieldValue],
    definitions: Sequence[custom_field_models.CustomFieldDefinition | None],
) -> dict[int | None, list[CustomFieldValue]]:
    """The served values by line id (None: the order's own), in the values' order."""
    by_line: dict[int | None, list[CustomFieldValue]] = {}
    for value, definition in zip(values, definitions, strict=True):
        if definition is not None:
            by_line.setdefault(value.order_line_id, []).append(
                CustomFieldValue(
                    system_name=definition.system_name, name=definition.name, type=definition.type, value=value.value
                )
            )
    return by_line
