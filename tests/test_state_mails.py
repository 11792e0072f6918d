"""State mails in the domain: queued with the state change, rendered, escaped, set-based."""

from __future__ import annotations

import datetime
import pathlib

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import EventLevel, MailStatus
from models.flows import State
from models.mail import OutboxMail
from models.orders import Order, OrderEvent
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.fulfilment import flow_setup, mail, state_changes, tracking
from resolvers.setup import catalog
from tests import factories
from tests.conftest import StatementCounter

DEFAULTS = mail.composer_for(template_folder=None, default_sender="shop@example.com")


async def _ship(
    session: AsyncSession, orders: list[Order], now: datetime.datetime, composer: mail.Composer = DEFAULTS
) -> None:
    shipped = await factories.state_named(session, "Shipped")
    outcomes = await state_changes.change_state(
        session,
        order_ids=[o.public_id for o in orders],
        state_id=str(shipped.id),
        now=now,
        actor="admin:test",
        composer=composer,
    )
    assert [outcome.error for outcome in outcomes] == [None] * len(orders)


async def _outbox(session: AsyncSession) -> list[OutboxMail]:
    return list((await session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id))).all())


async def _mail_events(session: AsyncSession) -> list[tuple[int, EventLevel, str]]:
    rows = await session.scalars(sa.select(OrderEvent).where(OrderEvent.source == "mail").order_by(OrderEvent.id))
    return [(event.order_id, event.level, event.message) for event in rows.all()]


async def test_shipping_queues_one_mail_per_order_with_its_tracking_url(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    postnord = (await catalog.track_and_traces(seeded))[0]
    tracked = await factories.create_order(seeded, now=now, state="Picked", customer_name="Ada Lovelace")
    tracked.delivery_zip = "8000 C"
    untracked = await factories.create_order(seeded, now=now, state="Picked", customer_email="grace@example.com")
    await tracking.set_tracking(
        seeded,
        order_id=tracked.public_id,
        track_and_trace_id=str(postnord.id),
        tracking_number="PN 1/2",
        parameters=None,
        now=now,
        actor=None,
    )

    await _ship(seeded, [tracked, untracked], now)

    first, second = await _outbox(seeded)
    assert [(m.order_id, m.recipients, m.subject) for m in (first, second)] == [
        (tracked.id, ["ada@example.com"], f"Your order {tracked.public_id} is on its way"),
        (untracked.id, ["grace@example.com"], f"Your order {untracked.public_id} is on its way"),
    ]
    assert {(m.sender, m.status, m.attempts, m.next_attempt_at, m.claimed_until) for m in (first, second)} == {
        ("Demo shop <shop@example.com>", MailStatus.PENDING, 0, now, None)
    }
    assert '<a href="https://tracking.postnord.example/?id=PN%201%2F2&amp;zip=8000%20C">' in first.body
    assert "Dear Ada Lovelace," in first.body
    assert "T-shirt, black, M" in first.body
    assert "19.95 EUR" in first.body
    assert "tracking.postnord" not in second.body
    assert first.message_id.startswith("<")
    assert first.message_id.endswith(f".{tracked.public_id.lower()}@example.com>")
    assert first.message_id != second.message_id
    assert await _mail_events(seeded) == []


async def test_an_order_without_an_address_gets_no_mail_and_an_event_says_so(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    missing = await factories.create_order(seeded, now=now, state="Picked", customer_email=None)
    malformed = await factories.create_order(
        seeded, now=now, state="Picked", customer_email="ada@example.com\r\nBcc: all@example.com"
    )

    await _ship(seeded, [missing, malformed], now)

    assert await _outbox(seeded) == []
    assert await _mail_events(seeded) == [
        (missing.id, EventLevel.WARNING, "No Shipped mail to the customer: no customer email."),
        (
            malformed.id,
            EventLevel.WARNING,
            "No Shipped mail to the customer: "
            "customer email 'ada@example.com\\r\\nBcc: all@example.com' is not an address.",
        ),
    ]
    assert {o.state_id for o in (missing, malformed)} == {(await factories.state_named(seeded, "Shipped")).id}


async def test_customer_text_is_escaped_in_the_body_but_not_in_the_subject(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    shipped = await factories.state_named(seeded, "Shipped")
    shipped.mail_subject = "For {{ order.customer.name }}\r\nBcc: x@example.com"
    order = await factories.create_order(
        seeded, now=now, state="Picked", customer_name="<script>alert('x')</script> & Co"
    )

    await _ship(seeded, [order], now)

    [queued] = await _outbox(seeded)
    assert "Dear &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co," in queued.body
    assert "<script>" not in queued.body
    assert queued.subject == "For <script>alert('x')</script> & Co Bcc: x@example.com"


async def test_templates_come_from_the_configured_folder_first(
    seeded: AsyncSession, now: datetime.datetime, tmp_path: pathlib.Path
) -> None:
    (tmp_path / "order-shipped.html").write_text("<html><body>Custom {{ order.id }} {{ state }}</body></html>")
    (tmp_path / "ops.txt").write_text("Ship {{ order.id }} to {{ order.delivery.name }} <now>")
    shipped = await factories.state_named(seeded, "Shipped")
    composer = mail.composer_for(template_folder=str(tmp_path), default_sender="unused@example.com")
    await flow_setup.update_state(
        seeded,
        state_id=str(shipped.id),
        changes={},
        composer=composer,
        mail=flow_setup.StateMail(
            template="order-shipped.html",
            subject="Shipped {{ order.id }}",
            sender_email="orders@shop.example",
            send_to_customer=True,
            send_to_delivery_email=True,
            other_recipients=("ops@shop.example", "OPS@shop.example", "boss@shop.example"),
            other_template="ops.txt",
        ),
    )
    order = await factories.create_order(seeded, now=now, state="Picked", delivery_name="Bob & Sons")
    order.delivery_email = "ADA@example.com"

    await _ship(seeded, [order], now, composer)

    to_customer, to_staff = await _outbox(seeded)
    assert (to_customer.recipients, to_customer.body, to_customer.sender) == (
        ["ada@example.com"],
        f"<html><body>Custom {order.public_id} Shipped</body></html>",
        "orders@shop.example",
    )
    assert (to_staff.recipients, to_staff.body, to_staff.subject) == (
        ["ops@shop.example", "boss@shop.example"],
        f"Ship {order.public_id} to Bob & Sons <now>",
        f"Shipped {order.public_id}",
    )


async def test_a_missing_template_writes_an_error_event_and_the_state_still_changes(
    seeded: AsyncSession, now: datetime.datetime
) -> None:
    shipped = await factories.state_named(seeded, "Shipped")
    shipped.mail_template = "no-such-template.html"
    order = await factories.create_order(seeded, now=now, state="Picked")

    await _ship(seeded, [order], now)

    assert await _outbox(seeded) == []
    assert await _mail_events(seeded) == [
        (
            order.id,
            EventLevel.ERROR,
            "State mail for Shipped not queued: template no-such-template.html: no-such-template.html was not found.",
        )
    ]
    assert order.state_id == shipped.id


async def test_a_state_without_mail_queues_nothing(seeded: AsyncSession, now: datetime.datetime) -> None:
    order = await factories.create_order(seeded, now=now, state="Received")
    picked = await factories.state_named(seeded, "Picked")

    await state_changes.change_state(seeded, order_ids=[order.public_id], state_id=str(picked.id), now=now, actor=None)

    assert await _outbox(seeded) == []


async def test_a_thousand_orders_queue_their_mails_with_a_fixed_number_of_statements(
    seeded: AsyncSession, now: datetime.datetime, count_statements: StatementCounter
) -> None:
    created = [await factories.create_order(seeded, now=now, state="Picked", lines=()) for _ in range(1000)]
    shipped = await factories.state_named(seeded, "Shipped")
    count_statements.statements.clear()

    await state_changes.change_state(
        seeded,
        order_ids=[o.public_id for o in created],
        state_id=str(shipped.id),
        now=now,
        actor=None,
        composer=DEFAULTS,
    )

    # orders, states with their rules, UPDATE, lines (+ INSERTs of events and mails, which SQLite may split in
    # batches).
    assert len([s for s in count_statements.statements if not s.lstrip().upper().startswith("INSERT")]) == 4
    assert await seeded.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 1000
    assert await seeded.scalar(sa.select(sa.func.count(sa.distinct(OutboxMail.message_id)))) == 1000


@pytest.mark.parametrize(
    ("mail_setup", "field"),
    [
        ({"subject": "Order {{ order.id"}, ["input", "mail", "subject"]),
        ({"sender_email": "shop at example.com"}, ["input", "mail", "senderEmail"]),
        ({"sender_name": "Shop\r\nBcc: x@example.com"}, ["input", "mail", "senderName"]),
        (
            {"other_recipients": ("ops@example.com", "a@b.example, c@d.example")},
            ["input", "mail", "otherRecipients", "1"],
        ),
    ],
)
async def test_state_mail_setup_is_validated(
    seeded: AsyncSession, mail_setup: dict[str, object], field: list[str]
) -> None:
    shipped = await factories.state_named(seeded, "Shipped")
    values: dict[str, object] = {"template": "order-shipped.html", "subject": "Shipped"} | mail_setup

    with pytest.raises(DomainError) as raised:
        await flow_setup.update_state(
            seeded,
            state_id=str(shipped.id),
            changes={},
            mail=flow_setup.StateMail(**values),  # type: ignore[arg-type]
        )

    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID, field)
    assert isinstance(shipped, State)
