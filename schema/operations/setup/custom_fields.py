"""Defining custom fields of orders and order lines (admin)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from models.enums import CustomFieldTarget, CustomFieldType
from resolvers.setup import custom_fields
from schema.context import Context
from schema.enums import CustomFieldTarget as CustomFieldTargetEnum
from schema.inputs import CustomFieldDefinitionInput
from schema.payloads import CustomFieldPayload, DeletePayload


@strawberry.type
class CustomFieldMutation:
    @strawberry.mutation(description="Defines a custom field on orders or order lines (admins only).")
    async def create_custom_field_definition(
        self,
        info: strawberry.Info[Context],
        input: Annotated[CustomFieldDefinitionInput, strawberry.argument(description="The new field.")],
    ) -> CustomFieldPayload:
        return await CustomFieldPayload.attempt(
            info.context,
            lambda session: custom_fields.create_definition(
                session, system_name=input.system_name, name=input.name, target=CustomFieldTarget(input.target),
                type=CustomFieldType(input.type), options=input.options, required=bool(input.required),
            ),
            admin_only=True,
        )  # fmt: skip

    @strawberry.mutation(description="Deletes a custom field and every value written for it (admins only).")
    async def delete_custom_field_definition(
        self,
        info: strawberry.Info[Context],
        system_name: Annotated[str, strawberry.argument(description="The field's system name.")],
        target: Annotated[
            CustomFieldTargetEnum, strawberry.argument(description="Whether it is a field of orders or of order lines.")  # type: ignore[valid-type]
        ],
    ) -> DeletePayload:
        return await DeletePayload.attempt(
            info.context,
            lambda session: custom_fields.delete_definition(
                session, system_name=system_name, target=CustomFieldTarget(target)
            ),
            admin_only=True,
        )
