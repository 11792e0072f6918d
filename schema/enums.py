"""GraphQL enums, derived from the domain's StrEnums so the two never drift."""

from __future__ import annotations

import enum

import strawberry

from models import enums
from resolvers.core import lifecycle

OrderKind = strawberry.enum(enums.OrderKind, name="OrderKind")
CaptureState = strawberry.enum(
    enums.CaptureState, name="CaptureState", description="Capture states as DynamicWeb names them."
)
TransactionKind = strawberry.enum(enums.TransactionKind, name="TransactionKind")
TransactionStatus = strawberry.enum(enums.TransactionStatus, name="TransactionStatus")
OrderLineType = strawberry.enum(enums.OrderLineType, name="OrderLineType")
QuoteStatus = strawberry.enum(enums.QuoteStatus, name="QuoteStatus")
EventLevel = strawberry.enum(enums.EventLevel, name="EventLevel")
FlowKind = strawberry.enum(enums.FlowKind, name="FlowKind")
CustomFieldTarget = strawberry.enum(enums.CustomFieldTarget, name="CustomFieldTarget")
CustomFieldType = strawberry.enum(enums.CustomFieldType, name="CustomFieldType")
ReturnStatus = strawberry.enum(enums.ReturnStatus, name="ReturnStatus")
RecurringUnit = strawberry.enum(enums.RecurringUnit, name="RecurringUnit")
StateRequirement = strawberry.enum(
    lifecycle.StateRequirement,
    name="StateRequirement",
    description="A requirement an order must meet before it may enter a state (checked by changeState).",
)


@strawberry.enum
class OrderSortField(enum.Enum):
    CREATED_AT = "CREATED_AT"
    MODIFIED_AT = "MODIFIED_AT"
    COMPLETED_AT = "COMPLETED_AT"
    TOTAL = "TOTAL"
    ID = "ID"


@strawberry.enum
class SortDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum
class ChangeKind(enum.Enum):
    ADDED = "ADDED"
    REMOVED = "REMOVED"
    CHANGED = "CHANGED"


WebhookEvent = strawberry.enum(
    enums.WebhookEvent,
    name="WebhookEvent",
    description="What happened to an order. On the wire the type is dotted and lower case: order.created, "
    "payment.captured…",
)
DeliveryStatus = strawberry.enum(enums.DeliveryStatus, name="DeliveryStatus")
