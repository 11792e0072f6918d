"""Sales statistics (admin) and marking orders exported (admin, bulk)."""

from __future__ import annotations

import datetime
from typing import Annotated

import strawberry

from resolvers.core.errors import DomainError
from resolvers.reporting import exports, statistics
from schema import arguments
from schema.bulk import run_admin_bulk
from schema.context import Context
from schema.errors import ClientError
from schema.guards import require_admin
from schema.payloads import BulkOrderPayload, SalesSummaryRow


@strawberry.type
class StatisticsQuery:
    @strawberry.field(
        description=(
            "Totals of completed orders, leaving out states excluded from statistics. groupBy: DAY, MONTH or STATE."
        )
    )
    async def sales_summary(
        self,
        info: strawberry.Info[Context],
        from_: Annotated[
            datetime.datetime,
            strawberry.argument(name="from", description="The start, included: orders completed at or after it."),
        ],
        to: Annotated[
            datetime.datetime, strawberry.argument(description="The end, left out: orders completed before it.")
        ],
        group_by: Annotated[
            str,
            strawberry.argument(description="DAY or MONTH of completion (in UTC), or STATE; anything else is refused."),
        ] = "DAY",
    ) -> list[SalesSummaryRow]:
        require_admin(info.context.viewer)
        try:
            rows = await statistics.sales_summary(info.context.session, from_=from_, to=to, group_by=group_by)
        except DomainError as error:
            raise ClientError(error.message) from error
        # The rows have SalesSummaryRow's fields (total a money.Price, as Price reads it): served as they are.
        return rows  # type: ignore[return-value]


@strawberry.type
class ExportMutation:
    @strawberry.mutation(
        description="Marks orders exported to an integration, or not (admins only); the order list filters on it."
    )
    async def mark_exported(
        self,
        info: strawberry.Info[Context],
        order_ids: arguments.OrderIds,
        exported: Annotated[
            bool | None, strawberry.argument(description="true (or null) marks them exported, false not exported.")
        ] = True,
    ) -> BulkOrderPayload:
        context = info.context
        is_exported = exported is not False  # null marks them exported, as the default does
        return await run_admin_bulk(
            context,
            order_ids,
            lambda: exports.mark_exported(
                context.session, order_ids=[str(i) for i in order_ids], exported=is_exported, now=context.now,
                actor=context.viewer.actor,
            ),
        )  # fmt: skip
