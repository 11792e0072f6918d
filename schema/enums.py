"""GraphQL enums, derived from the domain's StrEnums so the two never drift, each value described."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TypeVar

import strawberry

from models import enums
from resolvers.core import lifecycle

EnumType = TypeVar("EnumType", bound=type[enum.Enum])


def described(domain_enum: EnumType, *, name: str, description: str, values: Mapping[str, str]) -> EnumType:
    """The GraphQL enum of a domain enum, with a description on every value (the domain stays GraphQL-free)."""
    graphql_enum = strawberry.enum(domain_enum, name=name, description=description)
    definition = graphql_enum.__strawberry_definition__  # type: ignore[attr-defined]
    names = {value.name for value in definition.values}
    if names != set(values):
        raise ValueError(f"{name}: descriptions do not match the values {sorted(names ^ set(values))}")
    for value in definition.values:
        value.description = values[value.name]
    return graphql_enum


OrderKind = described(
    enums.OrderKind,
    name="OrderKind",
    description="What a record of the orders table is; its public id starts with the kind (CART17, QUOTE18, ORDER19).",
    values={
        "CART": "A shopper's basket, open to changes, before checkout or quote submission.",
        "QUOTE": "A cart submitted for an offer (quoteStatus says whether it is open, accepted or rejected).",
        "ORDER": "An order: an unfinished checkout (complete false) or a completed order (complete true).",
    },
)
CaptureState = described(
    enums.CaptureState,
    name="CaptureState",
    description="How much of an order's money is captured, over all its authorizations and its total "
    "(capture state as DynamicWeb names it).",
    values={
        "NOT_SUPPORTED": "The payment method's provider cannot capture (the manual provider).",
        "NOT_CAPTURED": "Nothing is captured yet.",
        "SPLIT_CAPTURED": "Something is captured, and either something authorized is not captured yet or "
        "paymentDelta is positive (an edit raised the total).",
        "CAPTURED": "Something is captured, nothing authorized is left to capture and paymentDelta is not positive.",
    },
)
TransactionKind = described(
    enums.TransactionKind,
    name="TransactionKind",
    description="What a payment transaction did with the provider.",
    values={
        "AUTHORIZE": "Reserved money on the customer's payment (at checkout, or an incremental `authorize`).",
        "CAPTURE": "Took authorized money.",
        "REFUND": "Gave captured money back.",
        "CANCEL": "Voided authorized money that was not captured (`cancel` or `releaseAuthorization`).",
    },
)
TransactionStatus = described(
    enums.TransactionStatus,
    name="TransactionStatus",
    description="Where a payment transaction stands with the provider.",
    values={
        "PENDING": "Reserved and sent to the provider, its answer not recorded yet; reconciliation settles it.",
        "SUCCEEDED": "The provider did it.",
        "FAILED": "The provider declined or failed; nothing else changed.",
    },
)
OrderLineType = described(
    enums.OrderLineType,
    name="OrderLineType",
    description="What an order line is.",
    values={
        "PRODUCT": "A product at a quantity and a unit price.",
        "DISCOUNT": "A discount (a negative price): under its product line (parentLineId set) it discounts "
        "that line, without a parent the whole order, its VAT split over the order's VAT rates pro rata.",
        "TAX": "A tax line added to the order total as it is (from an imported order).",
    },
)
QuoteStatus = described(
    enums.QuoteStatus,
    name="QuoteStatus",
    description="Where a quote stands with its customer.",
    values={
        "OPEN": "Submitted and not answered yet: admins may edit it, the customer may accept it when its "
        "state has allowOrder, or reject it.",
        "ACCEPTED": "The customer accepted it: it became an ORDER (complete, with a new id).",
        "REJECTED": "The customer rejected it: it is closed, nothing more can be done to it.",
    },
)
EventLevel = described(
    enums.EventLevel,
    name="EventLevel",
    description="How serious an order event is.",
    values={
        "INFO": "Something happened as asked.",
        "WARNING": "Something needs attention: a declined recurring charge, a state mail missing an address it "
        "asks for, an import taking stock below zero.",
        "ERROR": "Something failed: a state mail that could not be rendered, or not delivered after its attempts.",
    },
)
FlowKind = described(
    enums.FlowKind,
    name="FlowKind",
    description="The kind of record a flow serves; a record only ever moves to states of its own kind.",
    values={
        "CART": "Flows of carts (new carts enter the default one).",
        "QUOTE": "Flows of quotes (submitted quotes enter the default one).",
        "ORDER": "Flows of completed orders (completed orders enter the default one).",
        "RETURN": "Flows of returns (RMAs).",
    },
)
CustomFieldTarget = described(
    enums.CustomFieldTarget,
    name="CustomFieldTarget",
    description="What a custom field is defined on.",
    values={"ORDER": "On orders, carts and quotes.", "ORDER_LINE": "On order lines."},
)
CustomFieldType = described(
    enums.CustomFieldType,
    name="CustomFieldType",
    description="The type a custom field's value is validated against on every write.",
    values={
        "TEXT": "A string.",
        "INTEGER": "A whole number.",
        "DECIMAL": 'An exact decimal number (a string such as "12.50").',
        "BOOLEAN": "true or false.",
        "DATE": "An ISO 8601 date, e.g. 2026-01-31.",
        "LIST": "One of the field's options.",
    },
)
ReturnStatus = described(
    enums.ReturnStatus,
    name="ReturnStatus",
    description="Where a return (RMA) stands.",
    values={
        "REQUESTED": "Created, its products not received yet.",
        "RECEIVED": "Its products are back; lines marked restock went back into stock.",
        "REFUNDED": "Its refund went through the provider.",
        "REJECTED": "Refused; nothing more can be done to it (rejected before receipt, it frees its quantities).",
    },
)
RecurringUnit = described(
    enums.RecurringUnit,
    name="RecurringUnit",
    description="The unit of a recurring order's interval.",
    values={"DAY": "Days.", "WEEK": "Weeks.", "MONTH": "Calendar months.", "YEAR": "Calendar years."},
)
StateRequirement = described(
    lifecycle.StateRequirement,
    name="StateRequirement",
    description="A requirement an order must meet before it may enter a state (checked by changeState).",
    values={
        "CAPTURED": "The order is paid: captureState CAPTURED (or NOT_SUPPORTED) and paymentDelta not positive.",
        "TRACKING_SET": "The order has a tracking number (setTracking).",
        "NO_OPEN_RETURN": "The order has no return that is still REQUESTED or RECEIVED.",
    },
)


@strawberry.enum(description="What the order list is sorted by.")
class OrderSortField(enum.Enum):
    CREATED_AT = strawberry.enum_value("CREATED_AT", description="When the record was created.")
    MODIFIED_AT = strawberry.enum_value("MODIFIED_AT", description="When the record last changed.")
    COMPLETED_AT = strawberry.enum_value("COMPLETED_AT", description="When the order was completed.")
    TOTAL = strawberry.enum_value("TOTAL", description="The order total with VAT (whatever its currency).")
    ID = strawberry.enum_value("ID", description="The record's number, in creation order.")


@strawberry.enum(description="A sort direction.")
class SortDirection(enum.Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest or earliest first.")
    DESC = strawberry.enum_value("DESC", description="Largest or latest first.")


@strawberry.enum(description="How a field or a line differs between two versions of an order.")
class ChangeKind(enum.Enum):
    ADDED = strawberry.enum_value("ADDED", description="Present only in the later one.")
    REMOVED = strawberry.enum_value("REMOVED", description="Present only in the earlier one.")
    CHANGED = strawberry.enum_value("CHANGED", description="Present in both with different values.")


WebhookEvent = described(
    enums.WebhookEvent,
    name="WebhookEvent",
    description="What happened to an order. On the wire the type is dotted and lower case: order.created, "
    "payment.captured…",
    values={
        "ORDER_CREATED": "A record became a complete ORDER (checkout completed, quote accepted, import, "
        "recurring generation); carries its ORDER id.",
        "ORDER_STATE_CHANGED": "changeState moved the order to another state.",
        "ORDER_EDITED": "An admin edited the order (a new version).",
        "ORDER_CANCELLED": "The order was cancelled.",
        "ORDER_DELETED": "The record was (soft) deleted.",
        "PAYMENT_AUTHORIZED": "An authorization succeeded (data.transaction).",
        "PAYMENT_CAPTURED": "A capture succeeded (data.transaction).",
        "PAYMENT_REFUNDED": "A refund succeeded (data.transaction).",
        "PAYMENT_FAILED": "The provider declined or failed a payment operation (data.transaction).",
        "TRACKING_SET": "setTracking gave the order a tracking number.",
        "QUOTE_SUBMITTED": "A cart was submitted as a quote.",
        "QUOTE_ACCEPTED": "The customer accepted a quote (it became an order).",
        "QUOTE_REJECTED": "The customer rejected a quote.",
        "RETURN_CREATED": "A return was created (data.return).",
        "RETURN_RECEIVED": "A return's products were received (data.return).",
        "RETURN_REFUNDED": "A return was refunded (data.return).",
        "RETURN_REJECTED": "A return was rejected (data.return).",
    },
)
DeliveryStatus = described(
    enums.DeliveryStatus,
    name="DeliveryStatus",
    description="Where one webhook delivery stands.",
    values={
        "PENDING": "Queued or waiting for its next attempt.",
        "DELIVERED": "The endpoint answered 2xx.",
        "FAILED": "Every attempt failed; redeliverWebhook queues it again.",
    },
)
