"""Input types of the contract, and the plain values the shared ones decode to."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

from models.orders import ADDRESS_FIELDS
from resolvers.setup import custom_fields
from resolvers.storefront import carts
from schema.enums import (
    CaptureState,
    CustomFieldTarget,
    CustomFieldType,
    FlowKind,
    OrderKind,
    OrderSortField,
    RecurringUnit,
    SortDirection,
    StateRequirement,
)

# One optional string per stored address field, in the store's order: the input cannot drift from the columns.
_AddressFields: Any = dataclasses.make_dataclass(
    "AddressFields", [(name, str | None, dataclasses.field(default=None)) for name in ADDRESS_FIELDS]
)


@strawberry.input
class AddressInput(_AddressFields):
    """A customer or delivery address; fields left out (or null) are not given."""


@strawberry.input
class CustomFieldValueInput:
    system_name: str
    value: JSON | None = None


@strawberry.input
class CartLineInput:
    product_id: strawberry.ID
    quantity: Decimal
    unit_id: str | None = None
    custom_fields: list[CustomFieldValueInput] | None = None


@strawberry.input
class CartDetailsInput:
    display_name: str | None = None
    customer: AddressInput | None = None
    delivery: AddressInput | None = None
    customer_comment: str | None = None
    payment_method_id: strawberry.ID | None = None
    shipping_method_id: strawberry.ID | None = None
    voucher_code: str | None = None
    currency_code: str | None = None
    custom_fields: list[CustomFieldValueInput] | None = None
    reference: str | None = strawberry.field(
        default=None, description="The customer's own reference for the order (a purchase-order number)."
    )
    language_id: str | None = strawberry.field(
        default=None,
        description="The language the customer shops in, e.g. da-DK; the Accept-Language header when left out at "
        "cart creation.",
    )


@strawberry.input
class EditLineInput:
    line_id: strawberry.ID | None = strawberry.field(
        default=None, description="Existing line to change; omit to add a product line."
    )
    product_id: strawberry.ID | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = strawberry.field(default=None, description="Overrides the unit price (without VAT).")
    remove: bool | None = False
    discount_amount: Decimal | None = strawberry.field(
        default=None, description="A discount on this line, as an amount or a percentage."
    )
    discount_percent: Decimal | None = None
    custom_fields: list[CustomFieldValueInput] | None = None


@strawberry.input
class OrderDiscountInput:
    name: str
    amount: Decimal | None = None
    percent: Decimal | None = None


@strawberry.input
class EditOrderInput:
    customer: AddressInput | None = None
    delivery: AddressInput | None = None
    comment: str | None = None
    custom_fields: list[CustomFieldValueInput] | None = None
    lines: list[EditLineInput] | None = None
    add_order_discounts: list[OrderDiscountInput] | None = None
    remove_discount_line_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Order-discount lines to remove."
    )
    payment_method_id: strawberry.ID | None = strawberry.field(
        default=None, description="A new payment method; the payment and shipping fees are computed again."
    )
    shipping_method_id: strawberry.ID | None = strawberry.field(
        default=None, description="A new shipping method; the payment and shipping fees are computed again."
    )
    reference: str | None = strawberry.field(
        default=None, description="The customer's own reference (a purchase-order number); an empty string clears it."
    )


@strawberry.input
class FlowInput:
    name: str
    description: str | None = None
    kind: FlowKind  # type: ignore[valid-type]
    is_default: bool | None = False


@strawberry.input
class StateMailInput:
    template: str
    subject: str
    sender_email: str | None = None
    sender_name: str | None = None
    send_to_customer: bool | None = True
    send_to_delivery_email: bool | None = False
    other_recipients: list[str] | None = strawberry.field(default_factory=list)
    other_template: str | None = None
    recipient_field: str | None = None


@strawberry.input
class StateInput:
    flow_id: strawberry.ID
    name: str
    description: str | None = None
    color: str | None = None
    sort_order: int | None = None
    is_default: bool | None = False
    allow_edit: bool | None = False
    allow_order: bool | None = False
    exclude_from_statistics: bool | None = False
    mail: StateMailInput | None = None
    requirements: list[StateRequirement] | None = strawberry.field(  # type: ignore[valid-type]
        default_factory=list, description="What an order must meet to enter the state (ORDER flows only)."
    )


@strawberry.input
class StateUpdateInput:
    name: str | None = None
    description: str | None = None
    color: str | None = None
    sort_order: int | None = None
    is_default: bool | None = None
    allow_edit: bool | None = None
    allow_order: bool | None = None
    exclude_from_statistics: bool | None = None
    mail: StateMailInput | None = None
    clear_mail: bool | None = False
    requirements: list[StateRequirement] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Replaces the state's requirements; left out, they stay as they are."
    )


@strawberry.input
class TrackAndTraceInput:
    name: str
    url_template: str


@strawberry.input
class ReturnLineInput:
    order_line_id: strawberry.ID
    quantity: Decimal
    reason: str | None = None
    restock: bool | None = True


@strawberry.input
class CustomFieldDefinitionInput:
    system_name: str
    name: str
    target: CustomFieldTarget  # type: ignore[valid-type]
    type: CustomFieldType  # type: ignore[valid-type]
    options: list[str] | None = strawberry.field(default=None, description="Allowed values of a LIST field.")
    required: bool | None = False


@strawberry.input
class RecurringInput:
    template_order_id: strawberry.ID = strawberry.field(
        description="A completed order whose lines, addresses and methods each generated order copies."
    )
    interval: int
    unit: RecurringUnit  # type: ignore[valid-type]
    start_at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None


@strawberry.input
class ImportOrderInput:
    channel: str = strawberry.field(description="The external channel, e.g. pos-copenhagen.")
    external_id: str = strawberry.field(
        description="The order's id in that channel; importing it again changes nothing."
    )
    created_at: datetime.datetime | None = None
    customer: AddressInput | None = None
    delivery: AddressInput | None = None
    currency_code: str | None = None
    lines: list[CartLineInput]
    payment_method_id: strawberry.ID | None = None
    shipping_method_id: strawberry.ID | None = None
    paid: bool | None = strawberry.field(default=False, description="Mark as already paid in full (captured outside).")
    state_id: strawberry.ID | None = None


@strawberry.input
class OrderFilter:
    kind: OrderKind | None = None  # type: ignore[valid-type]
    flow_id: strawberry.ID | None = None
    state_ids: list[strawberry.ID] | None = None
    capture_state: CaptureState | None = None  # type: ignore[valid-type]
    customer_id: strawberry.ID | None = None
    search: str | None = strawberry.field(
        default=None, description="Matches id, customer name/email/company, delivery name and product numbers."
    )
    created_from: datetime.datetime | None = None
    created_to: datetime.datetime | None = None
    completed: bool | None = None
    include_deleted: bool | None = False
    is_exported: bool | None = None
    authorization_expires_before: datetime.datetime | None = strawberry.field(
        default=None,
        description="Orders holding an unvoided, not fully captured authorization that lapses before this moment.",
    )


@strawberry.input
class OrderSort:
    field: OrderSortField = OrderSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


# ---------------------------------------------------------------- the plain values inputs decode to


def id_text(value: strawberry.ID | None) -> str | None:
    """An optional id as the domain takes it: its text, or None when not given."""
    return str(value) if value is not None else None


def address_values(address: AddressInput | None) -> dict[str, str | None] | None:
    """The fields an address input gives (not null), by their ADDRESS_FIELDS names; None for no address."""
    if address is None:
        return None
    return {name: getattr(address, name) for name in ADDRESS_FIELDS if getattr(address, name) is not None}


def field_values(values: list[CustomFieldValueInput] | None) -> list[custom_fields.FieldValue] | None:
    """Custom field values as the domain writes them; None when the input gives none."""
    if values is None:
        return None
    return [custom_fields.FieldValue(system_name=value.system_name, value=value.value) for value in values]


def cart_line(line: CartLineInput) -> carts.LineInput:
    """A cart or import line as the domain takes it."""
    return carts.LineInput(
        product_id=str(line.product_id),
        quantity=line.quantity,
        unit_id=line.unit_id,
        custom_fields=field_values(line.custom_fields),
    )
