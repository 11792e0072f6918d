"""Defining custom fields of orders and order lines (admin)."""

from __future__ import annotations

import strawberry

from models.enums import CustomFieldTarget, CustomFieldType
from resolvers.setup import custom_fields
from schema.context import Context
from schema.enums import CustomFieldTarget as CustomFieldTargetEnum
from schema.errors import attempt
from schema.guards import admin_errors
from schema.inputs import CustomFieldDefinitionInput
from schema.payloads import CustomFieldPayload, DeletePayload


@strawberry.type
class CustomFieldMutation:
    @strawberry.mutation
    async def create_custom_field_definition(
        self, info: strawberry.Info[Context], input: CustomFieldDefinitionInput
    ) -> CustomFieldPayload:
        if errors := admin_errors(info.context.viewer):
            return CustomFieldPayload(user_errors=errors)
        definition, errors = await attempt(
            info.context.session,
            lambda: custom_fields.create_definition(
                info.context.session,
                system_name=input.system_name,
                name=input.name,
                target=CustomFieldTarget(input.target),
                type=CustomFieldType(input.type),
                options=input.options,
                required=bool(input.required),
            ),
        )
        return CustomFieldPayload(definition=definition, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def delete_custom_field_definition(
        self,
        info: strawberry.Info[Context],
        system_name: str,
        target: CustomFieldTargetEnum,  # type: ignore[valid-type]
    ) -> DeletePayload:
        if errors := admin_errors(info.context.viewer):
            return DeletePayload(user_errors=errors)
        deleted_id, errors = await attempt(
            info.context.session,
            lambda: custom_fields.delete_definition(
                info.context.session,
                system_name=system_name,
                target=CustomFieldTarget(target),
            ),
        )
        return DeletePayload(deleted_id=strawberry.ID(str(deleted_id)) if deleted_id else None, user_errors=errors)
