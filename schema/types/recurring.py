"""RecurringSchedule: a subscription as admins read it, linked both ways to the orders it concerns.

The schedule points to its template order and the orders it generated; `Order.recurring` and
`Order.generatedBy` point back, hence the lazy Order references.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from models import recurring as recurring_models
from schema.context import Context
from schema.enums import RecurringUnit

if TYPE_CHECKING:
    from schema.types.orders import Order


@strawberry.type(description="A subscription: new orders generated from a template order on a schedule.")
class RecurringSchedule:
    id: strawberry.ID = strawberry.field(description="The schedule's id.")
    interval: int = strawberry.field(description="How many units between two generated orders.")
    unit: RecurringUnit = strawberry.field(description="The unit of the interval.")  # type: ignore[valid-type]
    next_run_at: datetime.datetime = strawberry.field(description="When the worker generates the next order.")
    ends_at: datetime.datetime | None = strawberry.field(
        description="When it stops generating; null runs until stopped."
    )

    @strawberry.field(description="Whether it still generates orders (cancelRecurring ends it).")
    def active(self, root: strawberry.Parent[recurring_models.RecurringSchedule]) -> bool:
        return root.is_active

    @strawberry.field(description="The order every generated order copies (lines, customer, payment and shipping).")
    async def template_order(
        self, root: strawberry.Parent[recurring_models.RecurringSchedule], info: strawberry.Info[Context]
    ) -> Annotated[Order, strawberry.lazy("schema.types.orders")]:
        return await info.context.loaders.order_by_id.load(root.template_order_id)

    @strawberry.field(description="The orders it generated, oldest first.")
    async def generated_orders(
        self, root: strawberry.Parent[recurring_models.RecurringSchedule], info: strawberry.Info[Context]
    ) -> list[Annotated[Order, strawberry.lazy("schema.types.orders")]]:
        return await info.context.loaders.orders_by_schedule_id.load(root.id)
