"""Carts: create one, fill it, set its details. Every change reprices the cart and writes an event.

A cart is a CART record, or an ORDER whose checkout has started and not completed: such a
checkout is changed like a cart, and a change on the downgrade list turns it back into a
cart with a new CART id (`checkout.downgrade_if_changed`). Completed, cancelled or deleted
records, quotes, and checkouts whose completion is under way (stock taken) are NOT_EDITABLE, with
one exception: the details of an OPEN quote may be set (addresses, payment and shipping method, reference,
language…), its fees computed again and its negotiated lines left as they are, so a currency or voucher
is INVALID there. Calls on an existing cart lock it, so they queue behind a completing checkout.

A new cart keeps the request's Referer header as its `referrer` and, unless the details give a
`languageId`, the first language tag of its Accept-Language header as its `language_id`.

Field paths in errors name the mutation arguments (`lines`, `details`, `lineId`).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.catalog import PaymentMethod, ShippingMethod
from models.enums import FlowKind, OrderKind, OrderLineType, QuoteStatus, Role
from models.orders import ADDRESS_FIELDS, Order, OrderLine
from resolvers.core import access, events, orders, validation
from resolvers.core.errors import DomainError, ErrorCode, invalid, not_found
from resolvers.fulfilment import flows, state_changes
from resolvers.setup import catalog, custom_fields
from resolvers.storefront import checkout, pricing, visits

FieldValueInput = custom_fields.FieldValue


@dataclasses.dataclass(frozen=True, slots=True)
class LineInput:
    product_id: str
    quantity: Decimal
    unit_id: str | None = None
    custom_fields: Sequence[FieldValueInput] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class DetailsInput:
    """Cart details to set; None leaves a value as it is, an empty string clears it."""

    display_name: str | None = None
    # Address fields (snake_case names of ADDRESS_FIELDS) to set; fields left out stay as they are.
    customer: Mapping[str, str | None] | None = None
    delivery: Mapping[str, str | None] | None = None
    customer_comment: str | None = None
    payment_method_id: str | None = None
    shipping_method_id: str | None = None
    voucher_code: str | None = None
    currency_code: str | None = None
    custom_fields: Sequence[FieldValueInput] | None = None
    reference: str | None = None
    language_id: str | None = None


async def create(
    session: AsyncSession,
    *,
    viewer: access.Viewer,
    details: DetailsInput | None,
    ip: str | None,
    referrer: str | None,
    accept_language: str | None,
    now: datetime.datetime,
    actor: str | None,
) -> tuple[Order, str]:
    """Create a cart (a CUSTOMER's belongs to them) in the default state of the default CART flow; returns it
    with its secret, which is shown only this once. Raises NOT_FOUND when no CART flow is set up.

    `referrer` and `accept_language` are the request's Referer and Accept-Language headers, as sent.
    """
    shop = await catalog.default_shop(session)
    state = await flows.default_state(session, kind=FlowKind.CART)
    code = (details.currency_code if details else None) or shop.default_currency_code
    currency = await catalog.currency(session, code, field=["details", "currencyCode"])
    issued = await orders.new_number(session, kind=OrderKind.CART, now=now)
    secret = access.new_secret()
    order = Order(
        public_id=f"{OrderKind.CART.value}{issued.number}",
        number=issued.number,
        kind=OrderKind.CART,
        shop_id=shop.id,
        secret_hash=access.hash_secret(secret),
        customer_id=viewer.customer_id if viewer.role is Role.CUSTOMER else None,
        created_at=now,
        modified_at=now,
        ip=ip,
        referrer=visits.referrer_of(referrer),
        language_id=visits.language_of(accept_language),
        flow_id=state.flow_id,
        state_id=state.id,
        **catalog.currency_values(currency),
    )
    # Details and prices are set before the order is added, so it is written in one INSERT; custom fields
    # point at it, so they follow.
    if details is not None:
        without_fields = dataclasses.replace(details, custom_fields=None)
        await _apply_details(session, order=order, lines=[], details=without_fields, viewer=viewer)
    await pricing.recalculate(session, order=order, lines=[], recalculate_fees=True, now=now)
    session.add(order)
    await session.flush()
    issued.order_id = order.id
    if details is not None:
        await _write_custom_fields(session, order=order, line=None, values=details.custom_fields, field=["details"])
    events.record(
        session, order_id=order.id, source="cart", message=f"Cart {order.public_id} created.", actor=actor, now=now
    )
    await state_changes.on_state_changed(session, state=state, orders=[order], now=now)
    await session.flush()
    return order, secret


async def add_lines(
    session: AsyncSession,
    *,
    cart_id: str,
    secret: str | None,
    viewer: access.Viewer,
    lines: Sequence[LineInput],
    now: datetime.datetime,
    actor: str | None,
) -> Order:
    """Add products; a product already in the cart with the same unit gets the quantity added to its line."""
    if not lines:
        raise invalid("Give at least one line to add.", ["lines"])
    cart = await _open(session, cart_id=cart_id, secret=secret, viewer=viewer, now=now)
    products = await catalog.products_by_id(session, [line.product_id for line in lines], only_active=True)
    for index, line in enumerate(lines):
        field = ["lines", str(index)]
        product = products.get(line.product_id)
        if product is None:
            raise not_found("Product", line.product_id, [*field, "productId"])
        validation.text_fits(OrderLine.unit_id, line.unit_id, field=[*field, "unitId"])
        validation.positive_quantity(line.quantity, field=[*field, "quantity"])
        target = _merge_target(cart.lines, product_id=product.id, unit_id=line.unit_id)
        if target is None:
            target = _new_line(cart.order, cart.lines, unit_id=line.unit_id, now=now)
            cart.lines.append(target)
        target.quantity += line.quantity
        validation.positive_quantity(target.quantity, field=[*field, "quantity"])
        # Copied again on a merge too: the line follows the catalogue's current price.
        pricing.copy_product(
            target, product=product, currency_rate=cart.order.currency_rate, minor_unit=cart.order.currency_minor_unit
        )
        target.modified_at = now
        session.add(target)
        await _write_custom_fields(session, order=cart.order, line=target, values=line.custom_fields, field=field)
    added = ", ".join(f"{line.quantity} x {products[line.product_id].number}" for line in lines)
    return await _finish(session, cart, message=f"Added {added}.", now=now, actor=actor)


async def update_line(
    session: AsyncSession,
    *,
    cart_id: str,
    secret: str | None,
    viewer: access.Viewer,
    line_id: str,
    quantity: Decimal,
    now: datetime.datetime,
    actor: str | None,
) -> Order:
    """Set a line's quantity; 0 removes the line (as Shopify and Saleor do)."""
    if quantity == 0:
        return await remove_line(
            session, cart_id=cart_id, secret=secret, viewer=viewer, line_id=line_id, now=now, actor=actor
        )
    cart = await _open(session, cart_id=cart_id, secret=secret, viewer=viewer, now=now)
    line = _product_line(cart.lines, line_id)
    validation.positive_quantity(quantity, field=["quantity"])
    message = f"Line {line_id} ({line.product_number}): quantity {line.quantity} → {quantity}."
    line.quantity = quantity
    line.modified_at = now
    return await _finish(session, cart, message=message, now=now, actor=actor)


async def remove_line(
    session: AsyncSession,
    *,
    cart_id: str,
    secret: str | None,
    viewer: access.Viewer,
    line_id: str,
    now: datetime.datetime,
    actor: str | None,
) -> Order:
    """Remove a product line with its line discounts."""
    cart = await _open(session, cart_id=cart_id, secret=secret, viewer=viewer, now=now)
    line = _product_line(cart.lines, line_id)
    for child in [child for child in cart.lines if child.parent_line_id == line.id]:
        await session.delete(child)
    await session.delete(line)
    return await _finish(
        session, cart, message=f"Removed line {line_id} ({line.product_number}).", now=now, actor=actor
    )


async def set_details(
    session: AsyncSession,
    *,
    cart_id: str,
    secret: str | None,
    viewer: access.Viewer,
    details: DetailsInput,
    now: datetime.datetime,
    actor: str | None,
) -> Order:
    """Set addresses, comment, methods, voucher, currency, reference, language or display name.

    A signed-in customer who sets the details of a cart without a customer adopts it. An OPEN quote takes
    every detail but a currency or voucher (INVALID): its negotiated lines stay, its fees are computed again.
    """
    cart = await _open(session, cart_id=cart_id, secret=secret, viewer=viewer, now=now, open_quote_allowed=True)
    if cart.order.kind is OrderKind.QUOTE:
        _refuse_repricing(cart.order, details)
    changed = await _apply_details(session, order=cart.order, lines=cart.lines, details=details, viewer=viewer)
    message = f"Details set: {', '.join(changed)}." if changed else "Details set: nothing changed."
    return await _finish(session, cart, message=message, now=now, actor=actor)


def refuse_unless_editable(order: Order, *, open_quote_allowed: bool = False) -> None:
    """Cart changes reach carts and unfinished checkouts only (and, where allowed, open quotes)."""
    is_open_quote = order.kind is OrderKind.QUOTE and order.quote_status is QuoteStatus.OPEN
    is_refused_quote = order.kind is OrderKind.QUOTE and not (open_quote_allowed and is_open_quote)
    if order.is_complete or order.is_cancelled or order.is_deleted or is_refused_quote:
        raise DomainError(ErrorCode.NOT_EDITABLE, f"{order.public_id} is not a cart and cannot be changed as one.")
    if order.is_stock_taken:
        raise DomainError(
            ErrorCode.NOT_EDITABLE, f"Checkout {order.public_id} is being completed; it cannot change now."
        )


@dataclasses.dataclass(frozen=True, slots=True)
class _OpenCart:
    """A cart locked for a change: its lines as the change finds them, and what the downgrade rule compares."""

    order: Order
    lines: list[OrderLine]
    before: dict[str, object]


async def _open(
    session: AsyncSession,
    *,
    cart_id: str,
    secret: str | None,
    viewer: access.Viewer,
    now: datetime.datetime,
    open_quote_allowed: bool = False,
) -> _OpenCart:
    """Lock the cart the caller may see and refuse one that is not editable as a cart."""
    order = await orders.get_visible(
        session, cart_id, viewer=viewer, secret=secret, now=now, for_update=True, with_pricing_rows=True,
        field=["cartId"],
    )  # fmt: skip
    refuse_unless_editable(order, open_quote_allowed=open_quote_allowed)
    lines = await orders.lines_of(session, order_id=order.id)
    return _OpenCart(order, lines, checkout.snapshot(order, lines))


async def _finish(
    session: AsyncSession, cart: _OpenCart, *, message: str, now: datetime.datetime, actor: str | None
) -> Order:
    """Reprice the changed cart, downgrade a changed checkout, bump the revision, write the event."""
    order = cart.order
    # The lines as the change left them, in display order (`orders.lines_of`), without reading them again.
    # Nothing is flushed before they are priced: a new or changed line is written once, with its price.
    lines = sorted((line for line in cart.lines if not _is_removed(session, line)), key=_display_order)
    await pricing.recalculate(session, order=order, lines=lines, recalculate_fees=True, now=now)
    await checkout.downgrade_if_changed(
        session, order=order, before=cart.before, after=checkout.snapshot(order, lines), now=now, actor=actor
    )
    orders.touch(order, now=now)
    source = "quote" if order.kind is OrderKind.QUOTE else "cart"
    events.record(session, order_id=order.id, source=source, message=message, actor=actor, now=now)
    await session.flush()
    return order


async def _apply_details(
    session: AsyncSession, *, order: Order, lines: list[OrderLine], details: DetailsInput, viewer: access.Viewer
) -> list[str]:
    """Set the given details; the names of what changed."""
    changed: list[str] = []
    for prefix, address in (("customer", details.customer), ("delivery", details.delivery)):
        if address is not None and _set_address(order, prefix, address):
            changed.append(prefix)
    texts = {"display_name": details.display_name, "customer_comment": details.customer_comment}
    texts.update(voucher_code=details.voucher_code, reference=details.reference, language_id=details.language_id)
    for name, value in texts.items():
        if value is not None and _set_text(order, name, value, ["details", validation.camel(name)]):
            changed.append(name)
    payment_key, shipping_key = (
        validation.integer_id(key or "") for key in (details.payment_method_id, details.shipping_method_id)
    )
    await pricing.load_methods(session, payment_method_id=payment_key, shipping_method_id=shipping_key)
    if details.payment_method_id is not None:
        key = await _method(session, PaymentMethod, details.payment_method_id, ["details", "paymentMethodId"])
        changed += _set_if_different(order, "payment_method_id", key)
    if details.shipping_method_id is not None:
        key = await _method(session, ShippingMethod, details.shipping_method_id, ["details", "shippingMethodId"])
        changed += _set_if_different(order, "shipping_method_id", key)
    if details.currency_code is not None and details.currency_code.upper() != order.currency_code:
        await _change_currency(session, order=order, lines=lines, code=details.currency_code)
        changed.append("currency")
    if viewer.role is Role.CUSTOMER and order.customer_id is None:
        order.customer_id = viewer.customer_id
        changed.append("customer")
    await _write_custom_fields(session, order=order, line=None, values=details.custom_fields, field=["details"])
    return changed


def _refuse_repricing(quote: Order, details: DetailsInput) -> None:
    """INVALID for a currency or voucher that would change an open quote's negotiated prices."""
    if details.currency_code is not None and details.currency_code.strip().upper() != quote.currency_code:
        raise _negotiated(quote, "currency", "currencyCode")
    if details.voucher_code is not None and (details.voucher_code.strip() or None) != quote.voucher_code:
        raise _negotiated(quote, "voucher", "voucherCode")


def _negotiated(quote: Order, what: str, field: str) -> DomainError:
    return invalid(f"{quote.public_id} is a quote: its prices are negotiated, so its {what} stays.", ["details", field])


def _set_address(order: Order, prefix: str, address: Mapping[str, str | None]) -> bool:
    changed = False
    for name, value in address.items():
        if name not in ADDRESS_FIELDS:
            raise invalid(f"Unknown address field {name}.", ["details", prefix, validation.camel(name)])
        if value is not None:
            changed |= _set_text(order, f"{prefix}_{name}", value, ["details", prefix, validation.camel(name)])
    return changed


def _set_text(order: Order, column: str, value: str, field: list[str]) -> bool:
    """Set a text column ('' clears it), refusing what the column cannot hold; whether it changed."""
    checked = validation.text_fits(getattr(Order, column), value, field=field)
    return bool(_set_if_different(order, column, checked))


def _set_if_different(order: Order, column: str, value: object) -> list[str]:
    if getattr(order, column) == value:
        return []
    setattr(order, column, value)
    return [column]


async def _change_currency(session: AsyncSession, *, order: Order, lines: list[OrderLine], code: str) -> None:
    """Switch the cart's currency, keeping its code, name and rate, and reprice its lines from the catalogue."""
    currency = await catalog.currency(session, code, field=["details", "currencyCode"])
    for name, value in catalog.currency_values(currency).items():
        setattr(order, name, value)
    product_lines = [line for line in lines if line.type is OrderLineType.PRODUCT and line.product_id is not None]
    products = await catalog.products_by_id(
        session, [str(line.product_id) for line in product_lines], only_active=False
    )
    for line in product_lines:
        # Storefront carts never carry overridden prices; an admin-edited order is not a cart.
        pricing.copy_product(
            line, product=products[str(line.product_id)], currency_rate=currency.rate, minor_unit=currency.minor_unit
        )


async def _method(
    session: AsyncSession, model: type[PaymentMethod] | type[ShippingMethod], method_id: str, field: list[str]
) -> int:
    """The key of an active method, or NOT_FOUND at `field`."""
    key = validation.integer_id(method_id)
    method: PaymentMethod | ShippingMethod | None = await session.get(model, key) if key is not None else None
    if method is None or not method.is_active:
        raise not_found(model.__name__, method_id, field)
    return method.id


def _is_removed(session: AsyncSession, line: OrderLine) -> bool:
    return line in session.deleted or sa.inspect(line).was_deleted


def _display_order(line: OrderLine) -> tuple[int, bool, int]:
    # A line added by this change has no key yet; it is last in its place (the key it will get is the highest).
    return line.sort_order, line.id is None, line.id or 0


def _merge_target(lines: Sequence[OrderLine], *, product_id: int, unit_id: str | None) -> OrderLine | None:
    return next(
        (
            line
            for line in lines
            if line.type is OrderLineType.PRODUCT and line.product_id == product_id and line.unit_id == unit_id
        ),
        None,
    )


def _new_line(order: Order, lines: Sequence[OrderLine], *, unit_id: str | None, now: datetime.datetime) -> OrderLine:
    sort_order = max((line.sort_order for line in lines), default=0) + 1
    return OrderLine(
        order_id=order.id,
        type=OrderLineType.PRODUCT,
        sort_order=sort_order,
        unit_id=unit_id,
        quantity=Decimal(0),
        created_at=now,
        modified_at=now,
    )


def _product_line(lines: Sequence[OrderLine], line_id: str) -> OrderLine:
    line = next((line for line in lines if str(line.id) == str(line_id).strip()), None)
    if line is None or line.type is not OrderLineType.PRODUCT:
        raise not_found("Line", line_id, ["lineId"])
    return line


async def _write_custom_fields(
    session: AsyncSession,
    *,
    order: Order,
    line: OrderLine | None,
    values: Sequence[FieldValueInput] | None,
    field: list[str],
) -> None:
    """Validate and write the custom fields of a cart input (nothing when the input carries none)."""
    if values:
        if line is not None and line.id is None:
            await session.flush()  # the new line needs its key before values can point at it
        await custom_fields.write_values(
            session, order_id=order.id, line_id=line.id if line is not None else None, values=values,
            field=[*field, "customFields"],
        )  # fmt: skip
