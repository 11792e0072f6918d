"""What each demo record goes through: a fixed recipe of stories, dealt out to customers, products and dates.

Pure and seeded: the same seed gives the same plans, with dates relative to `now` (spread over the last
90 days, the more advanced stories on the older records). Each plan has a `reference` (the customer's
PO number, `DEMO-0001`…), the natural key by which a second run knows the record is there already.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import random
from decimal import Decimal

from resolvers.demo.customers import CUSTOMERS, DECLINING_GUEST, GUESTS, Customer
from resolvers.setup import demo as catalogue

SEED = 14
DAYS = 90
REFERENCE_PREFIX = "DEMO-"
# Every story's steps fit in this span after its start; a younger record goes through them faster.
SPAN = datetime.timedelta(days=14)


class Story(enum.StrEnum):
    """What happens to one demo record, from its cart on."""

    CART = "cart"  # an abandoned cart
    CHECKOUT_STARTED = "checkout started"  # checkout started, never completed
    QUOTE_REQUESTED = "quote requested"
    QUOTE_OFFERED = "quote offered"  # priced by the shop, waiting for the customer
    QUOTE_REJECTED = "quote rejected"
    QUOTE_ACCEPTED = "quote accepted"  # became an order, captured
    INVOICE = "invoice"  # the manual provider: nothing to capture online
    AUTHORIZED = "authorized"  # card authorized, nothing captured yet
    SPLIT_CAPTURED = "split captured"  # two partial captures, the rest still authorized
    CAPTURED = "captured"
    CAPTURE_DECLINED = "capture declined"  # the gateway declined the capture
    EDITED = "edited"  # two edits after checkout (an order discount, a line removed), then captured
    REFUNDED_PART = "refunded in part"
    REFUNDED_FULL = "refunded in full"
    CANCELLED = "cancelled"
    RETURN_REQUESTED = "return requested"
    RETURNED_PART = "returned in part"  # a return received and refunded
    RECURRING = "recurring"  # the template of a schedule that generates orders


# (story, how many, how far along it tends to be: the higher, the older its records)
RECIPE = (
    (Story.CART, 12, 0.5),
    (Story.CHECKOUT_STARTED, 4, 0),
    (Story.QUOTE_REQUESTED, 4, 0.5),
    (Story.QUOTE_OFFERED, 4, 1),
    (Story.QUOTE_REJECTED, 5, 2),
    (Story.QUOTE_ACCEPTED, 6, 1.5),
    (Story.INVOICE, 30, 1.5),
    (Story.AUTHORIZED, 12, 0),
    (Story.SPLIT_CAPTURED, 10, 1),
    (Story.CAPTURED, 44, 1.5),
    (Story.CAPTURE_DECLINED, 2, 1),
    (Story.EDITED, 10, 1),
    (Story.REFUNDED_PART, 8, 2.5),
    (Story.REFUNDED_FULL, 6, 2.5),
    (Story.CANCELLED, 8, 1.5),
    (Story.RETURN_REQUESTED, 4, 2.5),
    (Story.RETURNED_PART, 8, 3),
    (Story.RECURRING, 3, 4),
)
QUOTES = {Story.QUOTE_REQUESTED, Story.QUOTE_OFFERED, Story.QUOTE_REJECTED, Story.QUOTE_ACCEPTED}
NOT_COMPLETED = {Story.CART, Story.CHECKOUT_STARTED} | (QUOTES - {Story.QUOTE_ACCEPTED})
PAID_BY_INVOICE = {Story.INVOICE}
# Stock each product keeps after the demo, at least; the scarcest ones are left to the shopper.
STOCK_KEPT = 10
# Recurring templates buy only what lasts through every generated order.
RECURRING_PRODUCTS = ("SOCKS-3PK", "MUG-CER", "BOTTLE-750", "BAG-TOTE")
# (interval, unit) of each recurring template in turn
RECURRING_INTERVALS = ((1, "WEEK"), (2, "WEEK"), (1, "MONTH"))
# ORDER flow states by how far an order has gone: its age over the days its fulfilment takes (2 to 40).
STATE_BY_PROGRESS = ((0.15, "Received"), (0.35, "Picked"), (0.7, "Shipped"), (float("inf"), "Completed"))


@dataclasses.dataclass(frozen=True, slots=True)
class Plan:
    reference: str
    story: Story
    customer: Customer
    started_at: datetime.datetime
    # How much of SPAN the record's age leaves it: its steps are spread over SPAN * scale.
    scale: float
    lines: tuple[tuple[str, Decimal], ...]  # (product number, quantity)
    payment_method: str  # a demo payment method's name
    shipping_method: str
    currency_code: str
    # The ORDER flow state a completed order ends in; None for carts, quotes and cancelled orders.
    final_state: str | None
    # (interval, unit) of a recurring template's schedule
    recurring: tuple[int, str] | None = None

    def at(self, hours: float) -> datetime.datetime:
        """The moment of the step `hours` after the start (on the full span), on this record's timeline."""
        return self.started_at + datetime.timedelta(hours=hours) * self.scale


def plans(*, now: datetime.datetime, seed: int = SEED) -> list[Plan]:
    """Every demo record's plan, oldest first."""
    rng = random.Random(seed)
    stories = [(rank + rng.uniform(0, 3), story) for story, count, rank in RECIPE for _ in range(count)]
    stories.sort(key=lambda ranked: ranked[0])
    ages = sorted(datetime.timedelta(days=DAYS * rng.random() ** 1.4 + 0.02) for _ in stories)
    stock = {number: Decimal(stock) - STOCK_KEPT for number, *_, stock, _weight in catalogue.PRODUCTS}
    dealt = [_plan(rng, story, age, stock, now=now) for (_, story), age in zip(stories, ages, strict=True)]
    dealt.sort(key=lambda plan: plan.started_at)
    return [
        dataclasses.replace(plan, reference=f"{REFERENCE_PREFIX}{index:04d}") for index, plan in enumerate(dealt, 1)
    ]


def _plan(
    rng: random.Random, story: Story, age: datetime.timedelta, stock: dict[str, Decimal], *, now: datetime.datetime
) -> Plan:
    started_at = (now - age).replace(second=0, microsecond=0)
    customer = _customer(rng, story)
    recurring = RECURRING_INTERVALS[rng.randrange(len(RECURRING_INTERVALS))] if story is Story.RECURRING else None
    return Plan(
        reference="",
        story=story,
        customer=customer,
        started_at=started_at,
        scale=min(1.0, 0.9 * (now - started_at) / SPAN),
        lines=_lines(rng, story, stock),
        payment_method="Invoice" if story in PAID_BY_INVOICE else "Card",
        shipping_method=rng.choice(("Flat rate", "Parcel")),
        currency_code=customer.currency_code,
        final_state=_final_state(rng, story, age),
        recurring=recurring,
    )


def _customer(rng: random.Random, story: Story) -> Customer:
    if story is Story.CAPTURE_DECLINED:
        return DECLINING_GUEST
    # Quotes and subscriptions belong to signed-in customers; a few orders and carts are guests'.
    if story in QUOTES or story is Story.RECURRING or rng.random() < 0.8:
        return rng.choice(CUSTOMERS)
    return rng.choice(GUESTS[:-1])


def _lines(rng: random.Random, story: Story, stock: dict[str, Decimal]) -> tuple[tuple[str, Decimal], ...]:
    """Two or three products in stock (counting down `stock` for what will be sold); quantities mostly 1."""
    # A recurring template sells its lines once per occurrence: about one a week over the whole period.
    times = DAYS // 7 + 1 if story is Story.RECURRING else 0 if story in NOT_COMPLETED else 1
    quantities = [Decimal(rng.choice((1, 1, 1, 2, 3))) for _ in range(3)]
    pool = RECURRING_PRODUCTS if story is Story.RECURRING else tuple(stock)
    available = [number for number in pool if stock[number] >= max(quantities) * times]
    # Edits remove a line and partial returns return one: those stories need two lines at least.
    least = 2 if story in (Story.EDITED, Story.RETURNED_PART, Story.RETURN_REQUESTED, Story.RECURRING) else 1
    numbers = rng.sample(available, rng.randint(least, 2 if story is Story.RECURRING else 3))
    for number, quantity in zip(numbers, quantities, strict=False):
        stock[number] -= quantity * times
    return tuple(zip(numbers, quantities, strict=False))


def _final_state(rng: random.Random, story: Story, age: datetime.timedelta) -> str | None:
    if story in NOT_COMPLETED or story is Story.CANCELLED:
        return None
    if story is Story.CAPTURE_DECLINED:
        return "Received"  # held until it is paid
    progress = age / datetime.timedelta(days=rng.uniform(2, 40))
    return next(state for limit, state in STATE_BY_PROGRESS if progress < limit)
