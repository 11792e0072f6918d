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


@strawberry.type
class ReturnLine:
    quantity: Decimal
    reason: str | None
    restock: bool

    @strawberry.field
    def order_line_id(self, root: strawberry.Parent[return_models.ReturnLine]) -> strawberry.ID:
        return strawberry.ID(str(root.order_line_id))


@strawberry.type
class Return:
    id: strawberry.ID
    status: ReturnStatus  # type: ignore[valid-type]
    created_at: datetime.datetime
    refund_amount: Decimal | None
    comment: str | None
    rejection_reason: str | None = strawberry.field(description="Why the return was rejected.")
    received_at: datetime.datetime | None
    refunded_at: datetime.datetime | None

    @strawberry.field
    async def order(
        self, root: strawberry.Parent[return_models.Return], info: strawberry.Info[Context]
    ) -> Annotated[Order, strawberry.lazy("schema.types.orders")]:
        return await info.context.loaders.order_by_id.load(root.order_id)

    @strawberry.field
    async def lines(
        self, root: strawberry.Parent[return_models.Return], info: strawberry.Info[Context]
    ) -> list[ReturnLine]:
        return await info.context.loaders.return_lines_by_return_id.load(root.id)

    @strawberry.field(description="Where the return stands in its RETURN flow.")
    async def state(
        self, root: strawberry.Parent[return_models.Return], info: strawberry.Info[Context]
    ) -> Annotated[State, strawberry.lazy("schema.types.flows")] | None:
        return await info.context.loaders.state_by_id.load(root.state_id) if root.state_id is not None else None
