"""Custom field definitions and values."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from schema.enums import CustomFieldTarget, CustomFieldType


@strawberry.type
class CustomFieldDefinition:
    system_name: str
    name: str
    target: CustomFieldTarget  # type: ignore[valid-type]
    type: CustomFieldType  # type: ignore[valid-type]
    options: list[str] | None
    required: bool = strawberry.field(resolver=lambda root: root.is_required)  # type: ignore[misc]


@strawberry.type
class CustomFieldValue:
    system_name: str
    name: str
    type: CustomFieldType  # type: ignore[valid-type]
    value: JSON | None
