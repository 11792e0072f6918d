"""Return and ReturnLine: a return (RMA) of a completed order as clients read it.

Its `status` is where the return stands in its own life (REQUESTED, RECEIVED, REFUNDED, REJECTED);
`state` is where it stands in the RETURN flow. Order is a lazy reference, as `Order.returns` points back.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from models import returns as return_models
from schema.context import Context
from schema.enums import ReturnStatus

if TYPE_CHECKING:
    from schema.types.flows import State
    from schema.types.orders import Order


@strawberry.type(description="One order line of a return and how many of it come back.")
class ReturnLine:
    quantity: Decimal = strawberry.field(description="How many units come back.")
    reason: str | None = strawberry.field(description="Why, as the customer or admin gave it.")
    restock: bool = strawberry.field(description="Whether receiving it puts the units back in stock.")

    @strawberry.field(description="The order line returned.")
    def order_line_id(self, root: strawberry.Parent[return_models.ReturnLine]) -> strawberry.ID:
        return strawberry.ID(str(root.order_line_id))


@strawberry.type(
    description="A return (RMA) of a completed order: requested, received (restocked), refunded or rejected."
)
class Return:
    id: strawberry.ID = strawberry.field(description="The return's id.")
    status: ReturnStatus = strawberry.field(description="Where the return stands in its own life.")  # type: ignore[valid-type]
    created_at: datetime.datetime = strawberry.field(description="When it was requested.")
    refund_amount: Decimal | None = strawberry.field(
        description="What its refund gave back (a Decimal string in the order's currency); null until refunded."
    )
    comment: str | None = strawberry.field(description="A comment given with the return.")
    rejection_reason: str | None = strawberry.field(description="Why the return was rejected.")
    received_at: datetime.datetime | None = strawberry.field(
        description="When its products were received; null until then."
    )
    refunded_at: datetime.datetime | None = strawberry.field(
        description="When its refund went through; null until then."
    )

    @strawberry.field(description="The order returned from.")
    async def order(
        self, root: strawberry.Parent[return_models.Return], info: strawberry.Info[Context]
    ) -> Annotated[Order, strawberry.lazy("schema.types.orders")]:
        return await info.context.loaders.order_by_id.load(root.order_id)

    @strawberry.field(description="What comes back.")
    async def lines(
        self, root: strawberry.Parent[return_models.Return], info: strawberry.Info[Context]
    ) -> list[ReturnLine]:
        return await info.context.loaders.return_lines_by_return_id.load(root.id)

    @strawberry.field(description="Where the return stands in its RETURN flow.")
    async def state(
        self, root: strawberry.Parent[return_models.Return], info: strawberry.Info[Context]
    ) -> Annotated[State, strawberry.lazy("schema.types.flows")] | None:
        return await info.context.loaders.state_by_id.load(root.state_id) if root.state_id is not None else None
