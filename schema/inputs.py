"""Input types of the contract, and the plain values the shared ones decode to."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

from models.orders import ADDRESS_FIELDS
from resolvers.setup import custom_fields
from resolvers.storefront import carts
from schema import addresses
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
_AddressFields: Any = addresses.fields("AddressFields")


@strawberry.input(
    description="A customer or delivery address; parts left out (or null) are not changed. Names and addresses take "
    "at most 255 characters."
)
class AddressInput(_AddressFields):
    """A customer or delivery address; fields left out (or null) are not given."""


@strawberry.input(description="A value for one of the shop's custom fields.")
class CustomFieldValueInput:
    system_name: str = strawberry.field(description="The field's system name (customFieldDefinitions lists them).")
    value: JSON | None = strawberry.field(
        default=None, description="The value as JSON of the field's type (see CustomFieldValue.value); null clears it."
    )


@strawberry.input(description="A product line to add to a cart, or of an imported order.")
class CartLineInput:
    product_id: strawberry.ID = strawberry.field(description="The catalogue product (Product.id).")
    quantity: Decimal = strawberry.field(
        description='How many units: more than 0, at most 4 decimals (a Decimal string, e.g. "2").'
    )
    unit_id: str | None = strawberry.field(
        default=None, description="The unit the quantity counts, if the shop uses units."
    )
    custom_fields: list[CustomFieldValueInput] | None = strawberry.field(
        default=None, description="Values of order-line custom fields for the line."
    )


@strawberry.input(
    description="Details of a cart or checkout (and, but for currency and voucher, of an open quote); parts left out "
    "stay as they are."
)
class CartDetailsInput:
    display_name: str | None = strawberry.field(
        default=None, description="A name the customer gives a saved cart or quote."
    )
    customer: AddressInput | None = strawberry.field(
        default=None, description="The customer's (billing) address and contact; given parts replace the stored ones."
    )
    delivery: AddressInput | None = strawberry.field(
        default=None, description="The delivery address and contact; given parts replace the stored ones."
    )
    customer_comment: str | None = strawberry.field(
        default=None, description="The customer's comment (at most 10,000 characters)."
    )
    payment_method_id: strawberry.ID | None = strawberry.field(
        default=None, description="The payment method (paymentMethods lists them); the fees are computed again."
    )
    shipping_method_id: strawberry.ID | None = strawberry.field(
        default=None, description="The shipping method (shippingMethods lists them); the fees are computed again."
    )
    voucher_code: str | None = strawberry.field(default=None, description="A voucher code to apply.")
    currency_code: str | None = strawberry.field(
        default=None, description="An ISO 4217 code of a shop currency, e.g. DKK; the cart is repriced at its rate."
    )
    custom_fields: list[CustomFieldValueInput] | None = strawberry.field(
        default=None, description="Values of order custom fields."
    )
    reference: str | None = strawberry.field(
        default=None, description="The customer's own reference for the order (a purchase-order number)."
    )
    language_id: str | None = strawberry.field(
        default=None,
        description="The language the customer shops in, e.g. da-DK; the Accept-Language header when left out at "
        "cart creation.",
    )


@strawberry.input(
    description="One line change of an admin edit: change a line (lineId), remove it, or add a product line "
    "(productId)."
)
class EditLineInput:
    line_id: strawberry.ID | None = strawberry.field(
        default=None, description="Existing line to change; omit to add a product line."
    )
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="The product of a new line (with lineId left out)."
    )
    quantity: Decimal | None = strawberry.field(
        default=None,
        description="The new quantity: more than 0, at most 4 decimals; not below what is returned of the line.",
    )
    unit_price: Decimal | None = strawberry.field(default=None, description="Overrides the unit price (without VAT).")
    remove: bool | None = strawberry.field(
        default=False, description="Remove the line (and its line discounts); refused for a line with returns."
    )
    discount_amount: Decimal | None = strawberry.field(
        default=None,
        description="A line discount as an amount off the line, in the order's currency as the shop states prices; "
        "0 removes it.",
    )
    discount_percent: Decimal | None = strawberry.field(
        default=None, description="A line discount in percent (0 to 100) instead of an amount; 0 removes the discount."
    )
    custom_fields: list[CustomFieldValueInput] | None = strawberry.field(
        default=None, description="Values of order-line custom fields for the line."
    )


@strawberry.input(
    description="A discount on the whole order: an amount or a percent, its VAT split over the order's VAT rates pro "
    "rata."
)
class OrderDiscountInput:
    name: str = strawberry.field(description="The discount's name, shown as the line's product name.")
    amount: Decimal | None = strawberry.field(
        default=None,
        description="The amount taken off, in the order's currency, stated as the shop states prices (with or "
        "without VAT).",
    )
    percent: Decimal | None = strawberry.field(
        default=None, description="The percent taken off the subtotal, instead of an amount."
    )


@strawberry.input(
    description="An admin edit: a new version is snapshotted first, the order is recalculated (payment and shipping "
    "fees stay unless a method changes), a negative total is refused."
)
class EditOrderInput:
    customer: AddressInput | None = strawberry.field(
        default=None, description="Changes to the customer's address and contact; given parts replace the stored ones."
    )
    delivery: AddressInput | None = strawberry.field(
        default=None, description="Changes to the delivery address and contact; given parts replace the stored ones."
    )
    comment: str | None = strawberry.field(
        default=None, description="The shop's internal comment (at most 10,000 characters)."
    )
    custom_fields: list[CustomFieldValueInput] | None = strawberry.field(
        default=None, description="Values of order custom fields."
    )
    lines: list[EditLineInput] | None = strawberry.field(default=None, description="Line changes, applied in order.")
    add_order_discounts: list[OrderDiscountInput] | None = strawberry.field(
        default=None, description="Order discounts to add."
    )
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


@strawberry.input(description="A flow's settings (updateFlow takes all of them).")
class FlowInput:
    name: str = strawberry.field(description="The flow's name.")
    description: str | None = strawberry.field(default=None, description="The shop's text about the flow.")
    kind: FlowKind = strawberry.field(  # type: ignore[valid-type]
        description="The kind of record it serves; a flow that holds records cannot change kind."
    )
    is_default: bool | None = strawberry.field(
        default=False, description="Make it the default flow of its kind (the old default stops being one)."
    )


@strawberry.input(
    description="The mail a state sends when an order enters it; its templates must exist when it is saved."
)
class StateMailInput:
    template: str = strawberry.field(description="The Jinja2 template's file name, e.g. order-shipped.html.")
    subject: str = strawberry.field(description="The subject line; it may use the order's fields.")
    sender_email: str | None = strawberry.field(
        default=None, description="The sender's address; null uses ORDERGRAPH_MAIL_DEFAULT_SENDER."
    )
    sender_name: str | None = strawberry.field(default=None, description="The sender's display name.")
    send_to_customer: bool | None = strawberry.field(
        default=True, description="Send it to the customer's e-mail address."
    )
    send_to_delivery_email: bool | None = strawberry.field(
        default=False, description="Send it to the delivery e-mail address too."
    )
    other_recipients: list[str] | None = strawberry.field(
        default_factory=list, description="More addresses that receive it (for example the warehouse)."
    )
    other_template: str | None = strawberry.field(
        default=None, description="A template the other recipients get instead."
    )
    recipient_field: str | None = strawberry.field(
        default=None, description="System name of an order custom field whose value is one more recipient address."
    )


@strawberry.input(description="A new state of a flow.")
class StateInput:
    flow_id: strawberry.ID = strawberry.field(description="The flow it belongs to.")
    name: str = strawberry.field(description="The state's name.")
    description: str | None = strawberry.field(default=None, description="The shop's text about the state.")
    color: str | None = strawberry.field(default=None, description="A display colour, e.g. #2e7d32.")
    sort_order: int | None = strawberry.field(
        default=None, description="Its place in the flow; left out, after the last state (highest + 10)."
    )
    is_default: bool | None = strawberry.field(
        default=False, description="Make it its flow's default state (the old default stops being one)."
    )
    allow_edit: bool | None = strawberry.field(default=False, description="Orders in it may be edited.")
    allow_order: bool | None = strawberry.field(
        default=False, description="Quotes in it may be accepted by the customer."
    )
    exclude_from_statistics: bool | None = strawberry.field(
        default=False, description="salesSummary leaves out orders in it."
    )
    mail: StateMailInput | None = strawberry.field(
        default=None, description="The mail it sends; left out, it sends none."
    )
    requirements: list[StateRequirement] | None = strawberry.field(  # type: ignore[valid-type]
        default_factory=list, description="What an order must meet to enter the state (ORDER flows only)."
    )


@strawberry.input(description="Changes to a state; parts left out stay as they are.")
class StateUpdateInput:
    name: str | None = strawberry.field(default=None, description="The state's name.")
    description: str | None = strawberry.field(default=None, description="The shop's text about the state.")
    color: str | None = strawberry.field(default=None, description="A display colour, e.g. #2e7d32.")
    sort_order: int | None = strawberry.field(default=None, description="Its place in the flow.")
    is_default: bool | None = strawberry.field(
        default=None, description="Make it its flow's default state (a default can only be moved, never removed)."
    )
    allow_edit: bool | None = strawberry.field(default=None, description="Orders in it may be edited.")
    allow_order: bool | None = strawberry.field(
        default=None, description="Quotes in it may be accepted by the customer."
    )
    exclude_from_statistics: bool | None = strawberry.field(
        default=None, description="salesSummary leaves out orders in it."
    )
    mail: StateMailInput | None = strawberry.field(
        default=None, description="The mail it sends, replacing the old settings."
    )
    clear_mail: bool | None = strawberry.field(default=False, description="Stop sending a mail from this state.")
    requirements: list[StateRequirement] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Replaces the state's requirements; left out, they stay as they are."
    )


@strawberry.input(description="A carrier's tracking page.")
class TrackAndTraceInput:
    name: str = strawberry.field(description="The carrier's name.")
    url_template: str = strawberry.field(
        description="An http(s) URL with {Parameter} placeholders, e.g. https://track.example/?code={TrackingNumber}; "
        "scheme and host are written out."
    )


@strawberry.input(description="One order line to return.")
class ReturnLineInput:
    order_line_id: strawberry.ID = strawberry.field(description="The product line of the order (OrderLine.id).")
    quantity: Decimal = strawberry.field(
        description="How many units: more than 0, and not more than ordered and not returned already."
    )
    reason: str | None = strawberry.field(default=None, description="Why it comes back.")
    restock: bool | None = strawberry.field(
        default=True, description="Whether receiving it puts the units back in stock."
    )


@strawberry.input(description="A new custom field.")
class CustomFieldDefinitionInput:
    system_name: str = strawberry.field(
        description="The key values are written under, e.g. GiftWrap; unique per target."
    )
    name: str = strawberry.field(description="The label shown to people.")
    target: CustomFieldTarget = strawberry.field(description="Orders or order lines.")  # type: ignore[valid-type]
    type: CustomFieldType = strawberry.field(description="The type values must have.")  # type: ignore[valid-type]
    options: list[str] | None = strawberry.field(default=None, description="Allowed values of a LIST field.")
    required: bool | None = strawberry.field(
        default=False, description="Every write of its target must give it a value."
    )


@strawberry.input(description="A new recurring schedule on a completed order.")
class RecurringInput:
    template_order_id: strawberry.ID = strawberry.field(
        description="A completed order whose lines, addresses and methods each generated order copies."
    )
    interval: int = strawberry.field(description="How many units between two generated orders: 1 to 1000.")
    unit: RecurringUnit = strawberry.field(description="The unit of the interval.")  # type: ignore[valid-type]
    start_at: datetime.datetime | None = strawberry.field(
        default=None, description="When the first order is generated; left out, now."
    )
    ends_at: datetime.datetime | None = strawberry.field(
        default=None, description="When it stops generating (after startAt); left out, it runs until cancelled."
    )


@strawberry.input(
    description="An order sold in an external channel, imported as a completed ORDER (stock taken even below zero, no "
    "state mail)."
)
class ImportOrderInput:
    channel: str = strawberry.field(description="The external channel, e.g. pos-copenhagen.")
    external_id: str = strawberry.field(
        description="The order's id in that channel; importing it again changes nothing."
    )
    created_at: datetime.datetime | None = strawberry.field(
        default=None, description="When the channel took the order; left out, now."
    )
    customer: AddressInput | None = strawberry.field(default=None, description="The customer's address and contact.")
    delivery: AddressInput | None = strawberry.field(default=None, description="The delivery address and contact.")
    currency_code: str | None = strawberry.field(
        default=None, description="The ISO 4217 code of a shop currency; left out, the shop's default."
    )
    lines: list[CartLineInput] = strawberry.field(
        description="Its product lines, priced from the catalogue in its currency."
    )
    payment_method_id: strawberry.ID | None = strawberry.field(
        default=None, description="The payment method; its fee applies."
    )
    shipping_method_id: strawberry.ID | None = strawberry.field(
        default=None, description="The shipping method; its fee applies."
    )
    paid: bool | None = strawberry.field(default=False, description="Mark as already paid in full (captured outside).")
    state_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="An ORDER state that is not deleted; left out, the default state of the default ORDER flow.",
    )


@strawberry.input(description="Which records the order list answers; every given part must match.")
class OrderFilter:
    kind: OrderKind | None = strawberry.field(default=None, description="Only this kind; left out, every kind.")  # type: ignore[valid-type]
    flow_id: strawberry.ID | None = strawberry.field(default=None, description="Only records in this flow.")
    state_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only records in one of these states."
    )
    capture_state: CaptureState | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only orders with this capture state (as Order.captureState computes it)."
    )
    customer_id: strawberry.ID | None = strawberry.field(default=None, description="Only records of this customer.")
    search: str | None = strawberry.field(
        default=None, description="Matches id, customer name/email/company, delivery name and product numbers."
    )
    created_from: datetime.datetime | None = strawberry.field(
        default=None, description="Created at or after this moment."
    )
    created_to: datetime.datetime | None = strawberry.field(default=None, description="Created before this moment.")
    completed: bool | None = strawberry.field(
        default=None, description="Only completed (true) or not completed (false) records."
    )
    include_deleted: bool | None = strawberry.field(default=False, description="Also (soft) deleted records.")
    is_exported: bool | None = strawberry.field(
        default=None, description="Only records marked exported (true) or not (false)."
    )
    authorization_expires_before: datetime.datetime | None = strawberry.field(
        default=None,
        description="Orders holding an unvoided, not fully captured authorization that lapses before this moment.",
    )


@strawberry.input(description="How the order list is sorted; ties are broken by id.")
class OrderSort:
    field: OrderSortField = strawberry.field(default=OrderSortField.CREATED_AT, description="What to sort by.")
    direction: SortDirection = strawberry.field(default=SortDirection.DESC, description="Which way.")


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
