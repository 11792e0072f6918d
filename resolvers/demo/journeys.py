"""The shopper's side of a demo record: the cart, the checkout, the quote and the customer's answer to it.

Each step is the operation a storefront or customer-center mutation runs, in a transaction of its own,
at the moment the plan gives it (`Plan.at`: hours after the start on a 14-day span).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from models.enums import OrderLineType, Role
from models.orders import Order
from resolvers.core import access
from resolvers.core.errors import DomainError
from resolvers.demo import plans
from resolvers.demo.plans import Plan, Story
from resolvers.demo.tools import STAFF, DemoStepFailed, Tools
from resolvers.editing import edit_lines, editing
from resolvers.fulfilment import state_changes
from resolvers.storefront import carts, checkout, quotes


@dataclasses.dataclass(frozen=True, slots=True)
class Cart:
    """A cart as its shopper holds it: its id of the moment, its secret and who the shopper is."""

    public_id: str
    secret: str
    viewer: access.Viewer


# What the customers say when they ask for a quote and when they turn one down.
QUOTE_COMMENT = "Could you make us a price for these? We would order again every quarter."
REJECTION = "We found a better offer, thank you."


async def fill_cart(tools: Tools, plan: Plan) -> Cart:
    """Create the plan's cart with its addresses and methods (a quote's without a payment method) and its lines."""
    customer = plan.customer
    viewer = (
        access.Viewer(role=Role.CUSTOMER, customer_id=customer.customer_id)
        if customer.customer_id
        else access.ANONYMOUS
    )
    paid_later = plan.story in plans.QUOTES  # the customer picks how to pay when accepting
    details = carts.DetailsInput(
        customer=customer.address_fields,
        payment_method_id=None if paid_later else tools.ids.payment_methods[plan.payment_method],
        shipping_method_id=tools.ids.shipping_methods[plan.shipping_method],
        currency_code=plan.currency_code,
        reference=plan.reference,
    )
    lines = [
        carts.LineInput(product_id=tools.ids.products[number], quantity=quantity) for number, quantity in plan.lines
    ]
    async with tools.transaction() as session:
        try:
            created, secret = await carts.create(
                session, viewer=viewer, details=details, ip=None, referrer=None, accept_language=None,
                now=plan.at(0), actor=viewer.actor,
            )  # fmt: skip
            filled = await carts.add_lines(
                session, cart_id=created.public_id, secret=secret, viewer=viewer, lines=lines, now=plan.at(0.1),
                actor=viewer.actor,
            )  # fmt: skip
        except DomainError as error:
            raise DemoStepFailed(plan.reference, "filling the cart", error) from error
    return Cart(filled.public_id, secret, viewer)


async def check_out(tools: Tools, plan: Plan, cart: Cart, *, complete: bool = True) -> Order:
    """Start the cart's checkout and, unless told not to, complete it (payment authorized, stock taken)."""
    try:
        async with tools.transaction() as session:
            started = await checkout.start(
                session, cart_id=cart.public_id, secret=cart.secret, viewer=cart.viewer, now=plan.at(0.2),
                actor=cart.viewer.actor,
            )  # fmt: skip
        if not complete:
            return started
        return await checkout.complete(
            tools.sessions, order_id=started.public_id, secret=cart.secret, viewer=cart.viewer, idempotency_key=None,
            providers=tools.providers, timeout_seconds=tools.timeout_seconds, now=plan.at(0.25),
            actor=cart.viewer.actor,
        )  # fmt: skip
    except DomainError as error:
        raise DemoStepFailed(plan.reference, "checkout", error) from error


async def quote(tools: Tools, plan: Plan, cart: Cart) -> Order | None:
    """Take a quote as far as the plan says: requested, offered (priced by the shop), rejected or accepted.

    Returns the order an accepted quote became, else None.
    """
    try:
        async with tools.transaction() as session:
            requested = await quotes.submit(
                session, cart_id=cart.public_id, secret=cart.secret, comment=QUOTE_COMMENT, viewer=cart.viewer,
                now=plan.at(0.2), actor=cart.viewer.actor,
            )  # fmt: skip
        if plan.story is Story.QUOTE_REQUESTED:
            return None
        await _offer(tools, plan, requested)
        if plan.story is Story.QUOTE_OFFERED:
            return None
        if plan.story is Story.QUOTE_REJECTED:
            async with tools.transaction() as session:
                await quotes.reject(
                    session, quote_id=requested.public_id, secret=None, reason=REJECTION, viewer=cart.viewer,
                    now=plan.at(30), actor=cart.viewer.actor,
                )  # fmt: skip
            return None
        return await _accept(tools, plan, cart, requested)
    except DomainError as error:
        raise DemoStepFailed(plan.reference, f"the quote ({plan.story})", error) from error


async def _offer(tools: Tools, plan: Plan, requested: Order) -> None:
    """The shop takes 10 % off every line's unit price and moves the quote to Offered (allowOrder)."""
    async with tools.transaction() as session:
        lines = await edit_lines.load(session, order=requested)
        changes = editing.Changes(
            lines=[
                edit_lines.LineChange(line_id=str(line.id), unit_price=_ten_percent_off(line.unit_price.with_vat))
                for line in lines
                if line.type is OrderLineType.PRODUCT
            ],
            comment="Offered at 10 % off the catalogue prices.",
        )
        await editing.edit(
            session, order_id=requested.public_id, expected_revision=None, changes=changes, now=plan.at(4),
            actor=STAFF.actor,
        )  # fmt: skip
    async with tools.transaction() as session:
        [outcome] = await state_changes.change_state(
            session, order_ids=[requested.public_id], state_id=tools.ids.quote_states["Offered"], now=plan.at(5),
            actor=STAFF.actor, composer=tools.composer,
        )  # fmt: skip
    if outcome.error is not None:
        raise outcome.error


async def _accept(tools: Tools, plan: Plan, cart: Cart, offered: Order) -> Order:
    """The customer picks how to pay for the offered quote and accepts it: it becomes a completed order."""
    async with tools.transaction() as session:
        await carts.set_details(
            session, cart_id=offered.public_id, secret=None, viewer=cart.viewer,
            details=carts.DetailsInput(payment_method_id=tools.ids.payment_methods[plan.payment_method]),
            now=plan.at(20), actor=cart.viewer.actor,
        )  # fmt: skip
    return await quotes.accept(
        tools.sessions, quote_id=offered.public_id, secret=None, viewer=cart.viewer, providers=tools.providers,
        timeout_seconds=tools.timeout_seconds, now=plan.at(20.1), actor=cart.viewer.actor,
    )  # fmt: skip


def _ten_percent_off(unit_price: Decimal) -> Decimal:
    return (unit_price * Decimal("0.9")).quantize(Decimal("0.01"))
