"""Catalogue and setup queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import strawberry

from models import catalog as catalog_models
from models import custom_fields as custom_field_models
from models.enums import CustomFieldTarget as DomainCustomFieldTarget
from resolvers.setup import catalog
from schema.context import Context
from schema.enums import CustomFieldTarget
from schema.types.catalog import PaymentMethod, Product, ShippingMethod, TrackAndTrace
from schema.types.custom_fields import CustomFieldDefinition


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="Active products of the catalogue in product number order, for every caller.")
    async def products(
        self,
        info: strawberry.Info[Context],
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Only products whose name or number contains this text (case-insensitive)."
            ),
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="How many: at most ORDERGRAPH_MAX_PAGE_SIZE (250).")
        ] = 50,
    ) -> list[Product]:
        rows: Sequence[catalog_models.Product] = await catalog.products(
            info.context.session, search=search, first=50 if first is None else first
        )
        return rows  # type: ignore[return-value]

    @strawberry.field(description="The active payment methods a cart may choose.")
    async def payment_methods(self, info: strawberry.Info[Context]) -> list[PaymentMethod]:
        return await catalog.payment_methods(info.context.session)  # type: ignore[return-value]

    @strawberry.field(description="The active shipping methods a cart may choose.")
    async def shipping_methods(self, info: strawberry.Info[Context]) -> list[ShippingMethod]:
        return await catalog.shipping_methods(info.context.session)  # type: ignore[return-value]

    @strawberry.field(description="The carriers' tracking configurations that are not deleted.")
    async def track_and_traces(self, info: strawberry.Info[Context]) -> list[TrackAndTrace]:
        return await catalog.track_and_traces(info.context.session)  # type: ignore[return-value]

    @strawberry.field(description="The shop's custom fields, so a client knows what it may write.")
    async def custom_field_definitions(
        self,
        info: strawberry.Info[Context],
        target: Annotated[
            CustomFieldTarget | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only the fields of orders or of order lines; left out, both."),
        ] = None,
    ) -> list[CustomFieldDefinition]:
        rows: Sequence[custom_field_models.CustomFieldDefinition] = await catalog.custom_field_definitions(
            info.context.session, target=DomainCustomFieldTarget(target) if target is not None else None
        )
        return rows  # type: ignore[return-value]
