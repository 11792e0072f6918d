"""Recurring (subscription) orders: schedules that generate new orders from a template order.

    create    a schedule on a completed ORDER: every `interval` DAY, WEEK, MONTH or YEAR from `start_at`
    cancel    stops it (ALREADY_DONE when it is stopped already)
    run_due   one order per due occurrence of every active schedule, then its charge (`runDueRecurring`, the
              worker's timer); `generate_due` is the generation alone, in the caller's transaction

A generated order is a completed ORDER in the default state of the default ORDER flow, with
the template's product lines (repriced at the catalogue's current prices, in the template's
currency at that currency's current rate), customer, addresses, and payment and shipping
methods. Its stock is taken even below zero (the subscription was sold already; a WARNING
event names the products short).

Once the generation committed, each generated order is charged to its template's saved payment
(`recurring_charges`). The template's discounts, voucher, comments and custom fields are not
copied: they belonged to that purchase.

Occurrences are calendar-aware and keep their anchor: the n-th is the first occurrence plus
n * interval (`dateutil.relativedelta`), so a monthly schedule from Jan 31 runs Feb 28 (29),
Mar 31, Apr 30. The anchor is the due time of the schedule's first generated order or, before
there is one, `next_run_at`.

Exactly once: a generated order carries `(generated_by_schedule_id, recurring_due_at)`, unique
together. A run locks the due schedules (PostgreSQL; SQLite has one writer), so a second run
waits and then finds `next_run_at` advanced; should two runs race anyway, the constraint
refuses the second order in its savepoint, and the occurrence counts as done because its order
is there. Any other refusal by the store (a foreign key, a NOT NULL, a value it cannot hold) is
an error of that schedule: logged in full, answered INVALID, the schedule not moved on.

Catching up: missed occurrences are generated oldest first, at most MAX_CATCH_UP per schedule
per run, so no run is unbounded; the rest follow on the next runs and none is skipped. An
occurrence that fails (a DomainError or a refusal by the store) stops its schedule's run there,
to be retried next run; the other schedules still run.
A schedule ends (inactive, `cancelled_at` left empty) when its next occurrence would be after
`ends_at`.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import structlog
from dateutil.relativedelta import relativedelta
from sqlalchemy.ext.asyncio import AsyncSession

from models import database
from models.catalog import Currency, Product
from models.database import lock_rows
from models.enums import FlowKind, OrderKind, OrderLineType, RecurringUnit, WebhookEvent
from models.orders import ADDRESS_FIELDS, Order, OrderLine
from models.recurring import RecurringSchedule
from resolvers.channels import completed, recurring_charges
from resolvers.core import bulk, events, notifications, orders
from resolvers.core.errors import DomainError, ErrorCode, conflict, invalid, not_found
from resolvers.fulfilment import flows, state_changes
from resolvers.payments import engine, payment_providers
from resolvers.setup import catalog, stock
from resolvers.storefront import pricing

EVENT_SOURCE = "recurring"
MAX_CATCH_UP = 100
MAX_INTERVAL = 1000
MONTHS_IN = {RecurringUnit.MONTH: 1, RecurringUnit.YEAR: 12}
COPIED_COLUMNS = (
    "shop_id",
    "customer_id",
    "payment_method_id",
    "shipping_method_id",
    *(f"{prefix}_{name}" for prefix in ("customer", "delivery") for name in ADDRESS_FIELDS),
)

log = structlog.get_logger("ordergraph.recurring")


def next_occurrence(
    anchor: datetime.datetime, current: datetime.datetime, *, interval: int, unit: RecurringUnit
) -> datetime.datetime:
    """The occurrence after `current` of a schedule whose first occurrence is `anchor`.

    Months and years count from the anchor, so a day the month lacks is clamped for that month only.
    """
    if unit is RecurringUnit.DAY:
        return current + datetime.timedelta(days=interval)
    if unit is RecurringUnit.WEEK:
        return current + datetime.timedelta(weeks=interval)
    step = interval * MONTHS_IN[unit]
    elapsed = (current.year - anchor.year) * 12 + current.month - anchor.month
    return anchor + relativedelta(months=(elapsed // step + 1) * step)


async def create(
    session: AsyncSession,
    *,
    template_order_id: str,
    interval: int,
    unit: RecurringUnit,
    start_at: datetime.datetime | None,
    ends_at: datetime.datetime | None,
    now: datetime.datetime,
    actor: str | None,
) -> RecurringSchedule:
    """Start a schedule on a completed order; its first occurrence is `start_at` (default: now).

    Raises NOT_FOUND for an unknown order, INVALID for an order that is not a completed, live ORDER,
    an interval outside 1..1000 or an end not after the start, and ALREADY_DONE when the order is the
    template of an active schedule already (a retried create must not double the orders).
    """
    field = ["input", "templateOrderId"]
    template = await orders.find(session, template_order_id, for_update=True)
    if template is None:
        raise not_found("Order", template_order_id, field)
    if template.kind is not OrderKind.ORDER or not template.is_complete:
        raise invalid(f"{template.public_id} is not a completed order.", field)
    if template.is_cancelled or template.is_deleted:
        raise invalid(f"{template.public_id} is cancelled or deleted.", field)
    if not 1 <= interval <= MAX_INTERVAL:
        raise invalid(f"The interval is 1 to {MAX_INTERVAL}.", ["input", "interval"])
    start = start_at or now
    if ends_at is not None and ends_at <= start:
        raise invalid("The end must be after the start.", ["input", "endsAt"])
    if await _active_schedule_of(session, template.id) is not None:
        raise DomainError(ErrorCode.ALREADY_DONE, f"{template.public_id} has an active schedule already.", field)
    schedule = RecurringSchedule(
        template_order_id=template.id, interval=interval, unit=unit, next_run_at=start, ends_at=ends_at,
        is_active=True, created_at=now,
    )  # fmt: skip
    session.add(schedule)
    await session.flush()
    until = f" until {ends_at.isoformat()}" if ends_at else ""
    message = (
        f"Recurring schedule {schedule.id} created: every {interval} {unit.value} from {start.isoformat()}{until}."
    )
    events.record(session, order_id=template.id, source=EVENT_SOURCE, message=message, actor=actor, now=now)
    await session.flush()
    return schedule


async def cancel(
    session: AsyncSession, *, schedule_id: str, now: datetime.datetime, actor: str | None
) -> RecurringSchedule:
    """Stop a schedule: it generates nothing more. NOT_FOUND for an unknown id, ALREADY_DONE when stopped already."""
    key = flows.parse_id(schedule_id)
    schedule = await session.get(RecurringSchedule, key, with_for_update=True) if key is not None else None
    if schedule is None:
        raise not_found("Recurring schedule", schedule_id, ["id"])
    if not schedule.is_active:
        raise DomainError(ErrorCode.ALREADY_DONE, f"Recurring schedule {schedule.id} is not active.", ["id"])
    schedule.is_active = False
    schedule.cancelled_at = now
    message = f"Recurring schedule {schedule.id} cancelled."
    events.record(
        session, order_id=schedule.template_order_id, source=EVENT_SOURCE, message=message, actor=actor, now=now
    )
    await session.flush()
    return schedule


async def list_schedules(session: AsyncSession, *, active_only: bool) -> Sequence[RecurringSchedule]:
    statement = sa.select(RecurringSchedule).order_by(RecurringSchedule.id)
    if active_only:
        statement = statement.where(RecurringSchedule.is_active)
    return (await session.scalars(statement)).all()


async def run_due(
    sessions: engine.Sessions,
    *,
    providers: payment_providers.Providers,
    now: datetime.datetime,
    charged_at: datetime.datetime,
    actor: str | None,
    timeout_seconds: float,
) -> list[bulk.Outcome]:
    """Generate the due orders in one transaction (`generate_due`), then charge each to its template's saved payment.

    Each charge is a movement of the money engine, in its own short transactions, made at `charged_at`
    (the clock: `now` may be a due time asked for). A declined charge answers its order's outcome with
    PROVIDER_DECLINED; the order stays, unpaid. Raises CONFLICT when the generation lost a race twice
    (nothing of it was kept).
    """

    async def generate() -> tuple[list[bulk.Outcome], dict[int, str]]:
        async with sessions() as session, session.begin():
            generated = await generate_due(session, now=now, actor=actor)
            orders_made = [outcome.order for outcome in generated if outcome.order is not None]
            return generated, await recurring_charges.saved_payments(session, orders_made)

    try:
        generated, saved = await database.retry_once(generate)
    except database.Conflict as lost:
        raise conflict() from lost
    return [
        await recurring_charges.charge(
            sessions,
            providers=providers,
            generated=outcome,
            saved_payments=saved,
            actor=actor,
            now=charged_at,
            timeout_seconds=timeout_seconds,
        )
        for outcome in generated
    ]


async def generate_due(session: AsyncSession, *, now: datetime.datetime, actor: str | None) -> list[bulk.Outcome]:
    """Generate the orders of every active schedule due at `now`: one outcome per generated order.

    A schedule whose occurrence failed answers one outcome with the error, its id as `schedule:<id>`.
    """
    statement = lock_rows(
        sa.select(RecurringSchedule)
        .where(RecurringSchedule.is_active, RecurringSchedule.next_run_at <= now)
        .order_by(RecurringSchedule.id)
    ).execution_options(populate_existing=True)
    schedules = (await session.scalars(statement)).all()
    outcomes: list[bulk.Outcome] = []
    for schedule in schedules:
        outcomes += await _run_schedule(session, schedule=schedule, now=now, actor=actor)
    return outcomes


async def _run_schedule(
    session: AsyncSession, *, schedule: RecurringSchedule, now: datetime.datetime, actor: str | None
) -> list[bulk.Outcome]:
    """Generate the schedule's due occurrences, oldest first, at most MAX_CATCH_UP of them."""
    template = await session.get_one(Order, schedule.template_order_id)
    anchor = await _anchor(session, schedule)
    outcomes: list[bulk.Outcome] = []
    for _ in range(MAX_CATCH_UP):
        if not schedule.is_active or schedule.next_run_at > now:
            break
        due = schedule.next_run_at
        try:
            async with session.begin_nested():
                order = await _generate(session, schedule=schedule, template=template, due=due, now=now, actor=actor)
            outcomes.append(bulk.Outcome(order.public_id, order))
        except (sa.exc.IntegrityError, sa.exc.DataError) as error:
            if not await _generated_already(session, schedule=schedule, due=due):
                outcomes.append(bulk.Outcome(f"schedule:{schedule.id}", error=_refused_by_store(schedule, due, error)))
                break  # retried by the next run
            # else a concurrent run generated this occurrence: it is done
        except DomainError as error:
            outcomes.append(bulk.Outcome(f"schedule:{schedule.id}", error=error))
            break  # retried by the next run
        _advance(session, schedule=schedule, anchor=anchor, now=now, actor=actor)
    await session.flush()
    return outcomes


async def _generated_already(session: AsyncSession, *, schedule: RecurringSchedule, due: datetime.datetime) -> bool:
    """Whether the occurrence's order exists: the one refusal that means the occurrence is done."""
    found = await session.scalar(
        sa.select(Order.id).where(Order.generated_by_schedule_id == schedule.id, Order.recurring_due_at == due)
    )
    return found is not None


def _refused_by_store(schedule: RecurringSchedule, due: datetime.datetime, error: sa.exc.DBAPIError) -> DomainError:
    """Log the store's refusal in full for the operator; the schedule's error for the caller."""
    log.error(
        "the store refused a recurring order; the schedule stays due",
        schedule_id=schedule.id,
        due=due.isoformat(),
        exc_info=(type(error), error, error.__traceback__),
    )
    return invalid(
        f"Recurring schedule {schedule.id} could not generate its order due {due.isoformat()}: the store refused "
        "it (the log says why). The schedule stays due."
    )


def _advance(
    session: AsyncSession,
    *,
    schedule: RecurringSchedule,
    anchor: datetime.datetime,
    now: datetime.datetime,
    actor: str | None,
) -> None:
    schedule.next_run_at = next_occurrence(anchor, schedule.next_run_at, interval=schedule.interval, unit=schedule.unit)
    if schedule.ends_at is not None and schedule.next_run_at > schedule.ends_at:
        schedule.is_active = False
        message = f"Recurring schedule {schedule.id} ended: its next occurrence would be after {schedule.ends_at}."
        events.record(
            session, order_id=schedule.template_order_id, source=EVENT_SOURCE, message=message, actor=actor, now=now
        )


async def _generate(
    session: AsyncSession,
    *,
    schedule: RecurringSchedule,
    template: Order,
    due: datetime.datetime,
    now: datetime.datetime,
    actor: str | None,
) -> Order:
    """One completed order for one occurrence, copied from the template and repriced."""
    state = await flows.default_state(session, kind=FlowKind.ORDER)
    # A second order for this occurrence stops in new_order, at the unique constraint.
    order = await completed.new_order(
        session, state=state, created_at=now, now=now, generated_by_schedule_id=schedule.id, recurring_due_at=due,
        **{column: getattr(template, column) for column in COPIED_COLUMNS}, **await _currency_values(session, template),
    )  # fmt: skip
    lines = await _copy_lines(session, template=template, order=order, now=now)
    await pricing.recalculate(session, order=order, lines=lines, recalculate_fees=True, now=now)
    short = await stock.take_even_if_short(session, order=order, lines=lines)
    message = (
        f"Generated by recurring schedule {schedule.id} for {due.isoformat()} from {template.public_id}; "
        f"in state {state.name}, payment to be collected."
    )
    notifications.notify(session, event=WebhookEvent.ORDER_CREATED, order=order, now=now)
    events.record(session, order_id=order.id, source=EVENT_SOURCE, message=message, actor=actor, now=now)
    await state_changes.on_state_changed(session, state=state, orders=[order], now=now)
    completed.record_short_stock(
        session, order=order, short=short, after="generating", source=EVENT_SOURCE, actor=actor, now=now
    )
    await session.flush()
    return order


async def _copy_lines(
    session: AsyncSession, *, template: Order, order: Order, now: datetime.datetime
) -> list[OrderLine]:
    """The template's product lines, priced from the catalogue now; INVALID when none of its products is left."""
    template_lines = [
        line
        for line in await orders.lines_of(session, order_id=template.id)
        if line.type is OrderLineType.PRODUCT and line.product_id is not None
    ]
    ids = {line.product_id for line in template_lines}
    products = {p.id: p for p in (await session.scalars(sa.select(Product).where(Product.id.in_(ids)))).all()}
    lines: list[OrderLine] = []
    for template_line in template_lines:
        product = products.get(template_line.product_id)  # type: ignore[arg-type]
        if product is None:
            continue
        line = completed.add_product_line(
            session, order, product=product, quantity=template_line.quantity, unit_id=template_line.unit_id,
            sort_order=len(lines) + 1, now=now,
        )  # fmt: skip
        lines.append(line)
    if not lines:
        raise invalid(f"The template {template.public_id} has no products to copy.")
    await session.flush()
    return lines


async def _currency_values(session: AsyncSession, template: Order) -> dict[str, Any]:
    """The template's currency at its current rate; as the template kept it when the currency is gone."""
    currency = await session.get(Currency, template.currency_code)
    if currency is None:
        return {f"currency_{name}": getattr(template, f"currency_{name}") for name in catalog.CURRENCY_FIELDS}
    return catalog.currency_values(currency)


async def _anchor(session: AsyncSession, schedule: RecurringSchedule) -> datetime.datetime:
    """The schedule's first occurrence: the due time of its first generated order, else its next run."""
    first: datetime.datetime | None = await session.scalar(
        sa.select(sa.func.min(Order.recurring_due_at)).where(Order.generated_by_schedule_id == schedule.id)
    )
    return first or schedule.next_run_at


async def _active_schedule_of(session: AsyncSession, template_id: int) -> RecurringSchedule | None:
    return await session.scalar(
        sa.select(RecurringSchedule).where(
            RecurringSchedule.template_order_id == template_id, RecurringSchedule.is_active
        )
    )
