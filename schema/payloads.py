"""Mutation payloads: every one carries `userErrors`."""

from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.catalog import Price, TrackAndTrace
from schema.types.custom_fields import CustomFieldDefinition
from schema.types.flows import Flow, State
from schema.types.orders import Order
from schema.types.recurring import RecurringSchedule
from schema.types.returns import Return


@strawberry.type
class OrderPayload:
    order: Order | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderResult:
    order_id: strawberry.ID
    order: Order | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class BulkOrderPayload:
    results: list[OrderResult]

    @strawberry.field(description="True when every requested order succeeded.")
    def ok(self) -> bool:
        return all(not result.user_errors for result in self.results)


@strawberry.type
class CartPayload:
    cart: Order | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="Returned once, when a cart is created: the storefront keeps it to reach the cart again.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FlowPayload:
    flow: Flow | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class StatePayload:
    state: State | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TrackAndTracePayload:
    track_and_trace: TrackAndTrace | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReturnPayload:
    return_: Return | None = strawberry.field(default=None, name="return")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CustomFieldPayload:
    definition: CustomFieldDefinition | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RecurringPayload:
    schedule: RecurringSchedule | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SalesSummaryRow:
    key: str
    orders: int
    total: Price
