"""Recurring orders in the domain: calendar arithmetic, due generation, catch-up, ends, exactly once."""

from __future__ import annotations

import asyncio
import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models.catalog import PaymentMethod, Product
from models.enums import RecurringUnit
from models.orders import Order, OrderEvent
from models.recurring import RecurringSchedule
from resolvers.channels import imports, recurring
from resolvers.core import orders
from resolvers.core.errors import DomainError
from resolvers.storefront import carts
from tests.conftest import Store

UTC = datetime.UTC
START = datetime.datetime(2027, 1, 31, 9, 0, tzinfo=UTC)
MONTH, DAY, WEEK, YEAR = RecurringUnit.MONTH, RecurringUnit.DAY, RecurringUnit.WEEK, RecurringUnit.YEAR


def _at(year: int, month: int, day: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, 9, 0, tzinfo=UTC)


def _series(anchor: datetime.datetime, count: int, *, interval: int, unit: RecurringUnit) -> list[datetime.datetime]:
    occurrences = [anchor]
    while len(occurrences) < count:
        occurrences.append(recurring.next_occurrence(anchor, occurrences[-1], interval=interval, unit=unit))
    return occurrences


def test_months_keep_the_anchor_day_and_clamp_only_the_short_months() -> None:
    assert _series(START, 5, interval=1, unit=MONTH) == [
        _at(2027, 1, 31), _at(2027, 2, 28), _at(2027, 3, 31), _at(2027, 4, 30), _at(2027, 5, 31),
    ]  # fmt: skip
    assert _series(_at(2028, 1, 31), 2, interval=1, unit=MONTH)[1] == _at(2028, 2, 29)
    assert _series(_at(2027, 8, 31), 3, interval=3, unit=MONTH) == [
        _at(2027, 8, 31),
        _at(2027, 11, 30),
        _at(2028, 2, 29),
    ]


def test_years_keep_a_leap_day_anchor() -> None:
    assert _series(_at(2028, 2, 29), 5, interval=1, unit=YEAR) == [
        _at(2028, 2, 29), _at(2029, 2, 28), _at(2030, 2, 28), _at(2031, 2, 28), _at(2032, 2, 29),
    ]  # fmt: skip


def test_days_and_weeks_step_by_exact_durations() -> None:
    assert _series(START, 3, interval=10, unit=DAY) == [_at(2027, 1, 31), _at(2027, 2, 10), _at(2027, 2, 20)]
    assert _series(START, 3, interval=2, unit=WEEK) == [_at(2027, 1, 31), _at(2027, 2, 14), _at(2027, 2, 28)]


async def _template(store: Store) -> str:
    """A completed order (1 x MUG-CER, 2 x BOOK-NOVEL, invoice) committed; its public id."""
    async with store.db.write_sessions() as session, session.begin():
        products = {number: key for number, key in await session.execute(sa.select(Product.number, Product.id))}
        invoice = await session.scalar(sa.select(PaymentMethod.id).where(PaymentMethod.name == "Invoice"))
        sale = imports.ImportInput(
            channel="web-legacy",
            external_id="T-1",
            lines=[
                carts.LineInput(str(products["MUG-CER"]), Decimal(1)),
                carts.LineInput(str(products["BOOK-NOVEL"]), Decimal(2)),
            ],
            customer={"name": "Grace Hopper", "email": "grace@example.com"},
            payment_method_id=str(invoice),
        )
        [outcome] = await imports.import_orders(session, inputs=[sale], now=START, actor="test")
        assert outcome.order is not None
        return outcome.order.public_id


async def _schedule(
    store: Store, *, unit: RecurringUnit = MONTH, interval: int = 1, start: datetime.datetime = START, **kwargs: object
) -> int:
    template = await _template(store)
    async with store.db.write_sessions() as session, session.begin():
        schedule = await recurring.create(
            session, template_order_id=template, interval=interval, unit=unit, start_at=start,
            ends_at=kwargs.get("ends_at"), now=START, actor="test",  # type: ignore[arg-type]
        )  # fmt: skip
        return schedule.id


async def _run(store: Store, at: datetime.datetime) -> list[str]:
    async with store.db.write_sessions() as session, session.begin():
        outcomes = await recurring.generate_due(session, now=at, actor="worker")
    assert [outcome.error for outcome in outcomes] == [None] * len(outcomes)
    return [outcome.requested_id for outcome in outcomes]


async def _generated(store: Store, schedule_id: int) -> list[datetime.datetime | None]:
    async with store.db.read_sessions() as session:
        rows = await session.scalars(
            sa.select(Order.recurring_due_at)
            .where(Order.generated_by_schedule_id == schedule_id)
            .order_by(Order.recurring_due_at)
        )
        return list(rows.all())


async def _schedule_row(store: Store, schedule_id: int) -> RecurringSchedule:
    async with store.db.read_sessions() as session:
        return await session.get_one(RecurringSchedule, schedule_id)


async def test_a_run_generates_every_due_occurrence_on_the_calendar(demo_store: Store) -> None:
    schedule_id = await _schedule(demo_store)

    generated = await _run(demo_store, _at(2027, 4, 30))

    assert len(generated) == 4
    assert await _generated(demo_store, schedule_id) == [
        _at(2027, 1, 31), _at(2027, 2, 28), _at(2027, 3, 31), _at(2027, 4, 30),
    ]  # fmt: skip
    schedule = await _schedule_row(demo_store, schedule_id)
    assert (schedule.next_run_at, schedule.is_active) == (_at(2027, 5, 31), True)


async def test_the_generated_order_copies_the_template_at_current_prices(demo_store: Store) -> None:
    schedule_id = await _schedule(demo_store)
    async with demo_store.db.write_sessions() as session, session.begin():
        await session.execute(sa.update(Product).where(Product.number == "MUG-CER").values(price=Decimal("10.00")))
    mugs_before = await _stock(demo_store, "MUG-CER")

    [public_id] = await _run(demo_store, START)

    async with demo_store.db.read_sessions() as session:
        order = await orders.find(session, public_id)
        assert order is not None
        lines = await orders.lines_of(session, order_id=order.id)
        assert [(line.product_number, line.quantity, line.price.with_vat) for line in lines] == [
            ("MUG-CER", Decimal(1), Decimal("10.00")),
            ("BOOK-NOVEL", Decimal(2), Decimal("25.98")),
        ]
        assert (order.customer_name, order.customer_email) == ("Grace Hopper", "grace@example.com")
        assert (order.payment_fee.with_vat, order.total.with_vat) == (Decimal("2.50"), Decimal("38.48"))
        assert (order.is_complete, order.is_stock_taken, order.import_channel) == (True, True, None)
        assert (order.generated_by_schedule_id, order.recurring_due_at) == (schedule_id, START)
        messages = (await session.scalars(sa.select(OrderEvent.message).where(OrderEvent.order_id == order.id))).all()
        template = await session.get_one(Order, (await _schedule_row(demo_store, schedule_id)).template_order_id)
    assert messages == [
        f"Generated by recurring schedule {schedule_id} for 2027-01-31T09:00:00+00:00 from {template.public_id}; "
        "in state Received, payment to be collected."
    ]
    assert await _stock(demo_store, "MUG-CER") == mugs_before - 1


async def test_catching_up_is_bounded_per_run_and_skips_nothing(demo_store: Store) -> None:
    start = _at(2027, 1, 1)
    schedule_id = await _schedule(demo_store, unit=DAY, start=start)
    now = start + datetime.timedelta(days=150)

    first = await _run(demo_store, now)
    assert len(first) == recurring.MAX_CATCH_UP == 100
    assert (await _schedule_row(demo_store, schedule_id)).next_run_at == start + datetime.timedelta(days=100)

    second = await _run(demo_store, now)
    assert len(second) == 51
    assert await _run(demo_store, now) == []
    assert await _generated(demo_store, schedule_id) == [start + datetime.timedelta(days=n) for n in range(151)]


async def test_a_schedule_ends_after_its_last_occurrence(demo_store: Store) -> None:
    schedule_id = await _schedule(demo_store, unit=WEEK, ends_at=START + datetime.timedelta(days=14))

    generated = await _run(demo_store, START + datetime.timedelta(days=30))

    assert len(generated) == 3
    assert await _generated(demo_store, schedule_id) == [START + datetime.timedelta(weeks=n) for n in range(3)]
    schedule = await _schedule_row(demo_store, schedule_id)
    assert (schedule.is_active, schedule.cancelled_at) == (False, None)
    assert await _run(demo_store, START + datetime.timedelta(days=60)) == []


async def test_an_occurrence_generated_already_is_not_generated_again(demo_store: Store) -> None:
    schedule_id = await _schedule(demo_store)
    await _run(demo_store, START)
    # As a run that read the schedule before the first one advanced it would see it.
    async with demo_store.db.write_sessions() as session, session.begin():
        await session.execute(
            sa.update(RecurringSchedule).where(RecurringSchedule.id == schedule_id).values(next_run_at=START)
        )

    assert await _run(demo_store, START) == []
    assert await _generated(demo_store, schedule_id) == [START]
    assert (await _schedule_row(demo_store, schedule_id)).next_run_at == _at(2027, 2, 28)


async def test_a_run_racing_another_generates_nothing_twice(demo_store: Store) -> None:
    schedule_id = await _schedule(demo_store)

    async with demo_store.db.write_sessions() as first, demo_store.db.write_sessions() as second:
        won = await recurring.generate_due(first, now=START, actor="worker-1")
        racing = asyncio.create_task(recurring.generate_due(second, now=START, actor="worker-2"))
        await asyncio.sleep(0.3)
        assert not racing.done()  # waits on the schedule's row lock (PostgreSQL) or the write lock (SQLite)
        await first.commit()
        lost = await racing
        await second.commit()

    assert (len(won), lost) == (1, [])
    assert await _generated(demo_store, schedule_id) == [START]


@pytest.mark.parametrize(
    ("interval", "ends_at", "field"),
    [(0, None, ["input", "interval"]), (1, START, ["input", "endsAt"]), (1001, None, ["input", "interval"])],
)
async def test_a_bad_schedule_is_refused(
    demo_store: Store, interval: int, ends_at: datetime.datetime | None, field: list[str]
) -> None:
    template = await _template(demo_store)
    async with demo_store.db.write_sessions() as session:
        with pytest.raises(DomainError) as refused:
            await recurring.create(
                session, template_order_id=template, interval=interval, unit=MONTH, start_at=START,
                ends_at=ends_at, now=START, actor="test",
            )  # fmt: skip
    assert (refused.value.code, refused.value.field) == ("INVALID", field)


async def _stock(store: Store, number: str) -> Decimal:
    async with store.db.read_sessions() as session:
        stock = await session.scalar(sa.select(Product.stock).where(Product.number == number))
    assert stock is not None
    return stock


async def test_the_workers_recurring_job_generates_due_orders(demo_store: Store) -> None:
    import asyncio

    from models.settings import Settings
    from schema import worker

    schedule_id = await _schedule(demo_store, unit=RecurringUnit.DAY)
    [job] = [
        job for job in worker.standard_jobs(Settings(), demo_store.db, stop=asyncio.Event()) if job.name == "recurring"
    ]

    report = await job.run(START + datetime.timedelta(days=1, hours=1))
    again = await job.run(START + datetime.timedelta(days=1, hours=1))

    assert report == "2 recurring orders generated, 0 schedules failed"
    assert again == ""
    assert len(await _generated(demo_store, schedule_id)) == 2
