"""The worker's mail delivery against a real SMTP server (aiosmtpd on loopback), on both stores."""

from __future__ import annotations

import asyncio
import datetime

import sqlalchemy as sa

from models import database
from models.enums import EventLevel, MailStatus
from models.orders import OrderEvent
from models.settings import Settings
from resolvers.fulfilment import mail, mail_delivery, state_changes
from tests import factories, mail_helpers
from tests.conftest import Store

NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)
COMPOSER = mail.composer_for(template_folder=None, default_sender="shop@example.com")


async def _queue_shipped(
    db: database.Database, count: int, *, now: datetime.datetime = NOW, **order_kwargs: object
) -> list[str]:
    """`count` orders moved from Picked to Shipped (the demo state with a customer mail) at `now`, committed."""
    ids = await factories.committed_orders(db, count, state="Picked", now=now, **order_kwargs)
    async with db.write_sessions() as session, session.begin():
        shipped = await factories.state_named(session, "Shipped")
        await state_changes.change_state(
            session, order_ids=ids, state_id=str(shipped.id), now=now, actor="admin:test", composer=COMPOSER
        )
    return ids


async def _events(db: database.Database) -> list[tuple[EventLevel, str]]:
    async with db.read_sessions() as session:
        rows = await session.scalars(sa.select(OrderEvent).where(OrderEvent.source == "mail").order_by(OrderEvent.id))
        return [(event.level, event.message) for event in rows.all()]


async def test_the_worker_delivers_each_mail_once(demo_store: Store) -> None:
    await _queue_shipped(demo_store.db, 3)
    collector = mail_helpers.Collector()
    clock = mail_helpers.Clock(NOW + datetime.timedelta(seconds=5))

    with mail_helpers.smtp_server(collector) as port:
        first = await mail_delivery.deliver_due(
            demo_store.db.write_sessions, options=mail_helpers.options(port), clock=clock
        )
        second = await mail_delivery.deliver_due(
            demo_store.db.write_sessions, options=mail_helpers.options(port), clock=clock
        )

    queued = await mail_helpers.outbox(demo_store.db)
    assert first == mail_delivery.Report(sent=3)
    assert second == mail_delivery.Report()
    assert collector.message_ids() == [m.message_id for m in queued]
    assert {(m.status, m.attempts, m.sent_at, m.claimed_until, m.last_error) for m in queued} == {
        (MailStatus.SENT, 1, clock.at, None, None)
    }
    received = collector.received[0]
    assert (received.sender, received.recipients) == ("shop@example.com", ["ada@example.com"])
    assert received.message["From"] == "Demo shop <shop@example.com>"
    assert received.message["Subject"] == queued[0].subject
    assert received.message["Date"] == "Wed, 25 Nov 2026 12:00:00 +0000"
    assert mail_helpers.html_body(received.message).replace("\r\n", "\n").strip() == queued[0].body.strip()
    assert await _events(demo_store.db) == [
        (EventLevel.INFO, f"Mail sent to ada@example.com: {m.subject} (Message-ID {m.message_id}).") for m in queued
    ]


async def test_two_workers_at_once_send_each_mail_once(demo_store: Store) -> None:
    await _queue_shipped(demo_store.db, 24)
    collector = mail_helpers.Collector(delay_seconds=0.01)
    other = database.connect(Settings(pool_size=5), url=demo_store.url)
    clock = mail_helpers.Clock(NOW)

    try:
        with mail_helpers.smtp_server(collector) as port:
            options = mail_helpers.options(port, batch_size=3)
            reports = await asyncio.gather(
                mail_delivery.deliver_due(demo_store.db.write_sessions, options=options, clock=clock),
                mail_delivery.deliver_due(other.write_sessions, options=options, clock=clock),
            )
    finally:
        await other.dispose()

    queued = await mail_helpers.outbox(demo_store.db)
    assert sorted(collector.message_ids()) == sorted(m.message_id for m in queued)
    assert len(set(collector.message_ids())) == 24
    assert sum(report.sent for report in reports) == 24
    assert {(m.status, m.attempts) for m in queued} == {(MailStatus.SENT, 1)}


async def test_a_refusing_server_is_retried_with_backoff_then_the_mail_fails(demo_store: Store) -> None:
    [order_id] = await _queue_shipped(demo_store.db, 1)
    collector = mail_helpers.Collector(reply="550 5.7.1 Relaying denied")
    clock = mail_helpers.Clock(NOW)

    with mail_helpers.smtp_server(collector) as port:
        options = mail_helpers.options(port, max_attempts=3, retry_after=datetime.timedelta(minutes=1))

        async def deliver() -> mail_delivery.Report:
            return await mail_delivery.deliver_due(demo_store.db.write_sessions, options=options, clock=clock)

        first = await deliver()
        [after_first] = await mail_helpers.outbox(demo_store.db)
        too_early = await deliver()
        clock.advance(minutes=1)
        second = await deliver()
        [after_second] = await mail_helpers.outbox(demo_store.db)
        clock.advance(minutes=2)
        third = await deliver()
        clock.advance(days=1)
        after_the_end = await deliver()

    [failed] = await mail_helpers.outbox(demo_store.db)
    assert [first, too_early, second, third, after_the_end] == [
        mail_delivery.Report(retrying=1),
        mail_delivery.Report(),
        mail_delivery.Report(retrying=1),
        mail_delivery.Report(failed=1),
        mail_delivery.Report(),
    ]
    assert (after_first.status, after_first.attempts, after_first.next_attempt_at, after_first.claimed_until) == (
        MailStatus.PENDING,
        1,
        NOW + datetime.timedelta(minutes=1),
        None,
    )
    assert (after_second.attempts, after_second.next_attempt_at) == (2, NOW + datetime.timedelta(minutes=3))
    assert (failed.status, failed.attempts, failed.last_error, failed.sent_at) == (
        MailStatus.FAILED,
        3,
        "550 5.7.1 Relaying denied",
        None,
    )
    assert collector.refused == 3
    assert collector.received == []
    assert await _events(demo_store.db) == [
        (
            EventLevel.ERROR,
            f"Mail to ada@example.com not delivered after 3 attempts: 550 5.7.1 Relaying denied "
            f"(Your order {order_id} is on its way, Message-ID {failed.message_id}).",
        )
    ]


async def test_an_unreachable_server_fails_the_batch_for_now(demo_store: Store) -> None:
    await _queue_shipped(demo_store.db, 2)
    options = mail_helpers.options(mail_helpers.free_port())

    report = await mail_delivery.deliver_due(
        demo_store.db.write_sessions, options=options, clock=mail_helpers.Clock(NOW)
    )

    queued = await mail_helpers.outbox(demo_store.db)
    assert report == mail_delivery.Report(retrying=2)
    assert [(m.status, m.attempts) for m in queued] == [(MailStatus.PENDING, 1)] * 2
    assert all((m.last_error or "").startswith("ConnectionRefusedError") for m in queued)


async def test_a_worker_that_died_mid_send_is_taken_over_after_its_lease(demo_store: Store) -> None:
    await _queue_shipped(demo_store.db, 1)
    collector = mail_helpers.Collector()
    clock = mail_helpers.Clock(NOW)

    with mail_helpers.smtp_server(collector) as port:
        options = mail_helpers.options(port, lease=datetime.timedelta(minutes=5))
        # A worker claims the mail and dies before recording anything.
        [claimed] = await mail_delivery._claim(demo_store.db.write_sessions, options=options, now=clock())
        while_held = await mail_delivery.deliver_due(demo_store.db.write_sessions, options=options, clock=clock)
        clock.advance(minutes=5)
        taken_over = await mail_delivery.deliver_due(demo_store.db.write_sessions, options=options, clock=clock)

    [sent] = await mail_helpers.outbox(demo_store.db)
    assert claimed.lease_until == NOW + datetime.timedelta(minutes=5)
    assert (while_held, taken_over) == (mail_delivery.Report(), mail_delivery.Report(sent=1))
    assert (sent.status, sent.attempts, collector.message_ids()) == (MailStatus.SENT, 2, [sent.message_id])


async def test_a_worker_that_died_on_the_last_attempt_leaves_a_failed_mail_that_says_so(demo_store: Store) -> None:
    await _queue_shipped(demo_store.db, 1)
    clock = mail_helpers.Clock(NOW)
    options = mail_helpers.options(mail_helpers.free_port(), max_attempts=1)
    await mail_delivery._claim(demo_store.db.write_sessions, options=options, now=clock())
    clock.advance(hours=1)

    report = await mail_delivery.deliver_due(demo_store.db.write_sessions, options=options, clock=clock)

    [failed] = await mail_helpers.outbox(demo_store.db)
    assert report == mail_delivery.Report(failed=1)
    assert (failed.status, failed.attempts, failed.claimed_until) == (MailStatus.FAILED, 1, None)
    assert failed.last_error is not None
    assert "may or may not have been sent" in failed.last_error
    assert [level for level, _ in await _events(demo_store.db)] == [EventLevel.ERROR]


async def test_a_lease_too_short_for_the_rest_of_a_batch_hands_it_back(demo_store: Store) -> None:
    await _queue_shipped(demo_store.db, 3)
    collector = mail_helpers.Collector()
    clock = mail_helpers.Clock(NOW)

    class SlowClock:
        """Each reading is 40 seconds later: the second mail no longer fits the lease."""

        def __call__(self) -> datetime.datetime:
            clock.advance(seconds=40)
            return clock.at

    with mail_helpers.smtp_server(collector) as port:
        options = mail_helpers.options(port, timeout_seconds=10.0, lease=datetime.timedelta(seconds=150), batch_size=3)
        report = await mail_delivery.deliver_due(
            demo_store.db.write_sessions, options=options, clock=SlowClock(), stop=_stop_after_one_batch()
        )

    queued = await mail_helpers.outbox(demo_store.db)
    assert report == mail_delivery.Report(sent=1, released=2)
    assert [(m.status, m.attempts, m.claimed_until) for m in queued] == [
        (MailStatus.SENT, 1, None),
        (MailStatus.PENDING, 0, None),
        (MailStatus.PENDING, 0, None),
    ]
    assert len(collector.received) == 1


def _stop_after_one_batch() -> asyncio.Event:
    """An event that reads as unset once (the first batch) and set after."""

    class Once(asyncio.Event):
        def __init__(self) -> None:
            super().__init__()
            self.reads = 0

        def is_set(self) -> bool:
            self.reads += 1
            return self.reads > 1

    return Once()
