"""Delivering the mail outbox over SMTP: claimed under a lease, sent with its fixed Message-ID, retried with backoff.

    PENDING ── claim: claimed_until = lease, attempts + 1 ──► sending ── accepted ──► SENT (event)
       ▲                                                        │
       └── failed, attempts < max: due again after ◄────────────┤
           retry_after * 2^(attempts - 1)                       └── failed, attempts = max ──► FAILED
                                                                    (last_error; ERROR event)

What it promises, and where that ends:

- Never lost. A mail is a row written in the state change's own transaction. It leaves PENDING
  only as SENT or FAILED; a worker that dies holding a claim delays it until the lease runs out.
- Never sent by two workers at once. A claim is a short transaction that takes due rows nobody holds
  (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's write lock serializes claims) and stamps
  `claimed_until`. A worker sends a mail only while its lease has room for the send's worst case
  (the SMTP timeout for each step), hands back the rest, and records an outcome only while it still
  holds the lease (`claimed_until` is its fencing token).
- At least once, not exactly once. If a worker dies, or loses the store, after the SMTP server
  accepted a mail and before SENT is committed, the mail goes again once the lease is over. The
  window is one SMTP reply plus one single-row UPDATE: SENT is committed after each mail, not per
  batch. The Message-ID was fixed when the mail was queued (and the Date header is the queue time),
  so receivers can drop the duplicate. A worker that dies mid-send on the last allowed attempt
  leaves a mail that may or may not have gone: it is marked FAILED with a message saying exactly that.
- Leases compare the wall clocks of the workers' machines: keep them in sync (NTP); the lease
  margin (at least one SMTP timeout) covers a skew of seconds.

This module owns the outbox rows (claims, leases, outcomes, events); `mail_smtp` owns the wire (the
connection, the message a mail becomes, how an SMTP failure reads).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
from collections.abc import Callable, Sequence

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.enums import EventLevel, MailStatus
from models.mail import OutboxMail
from models.settings import Settings
from resolvers.core import bulk, outbox
from resolvers.fulfilment import mail_smtp
from resolvers.fulfilment.mail import EVENT_SOURCE

ACTOR = "mail-worker"
# SMTP steps a send may wait on besides one RCPT per recipient: connect, EHLO, MAIL, DATA, the message, QUIT;
# STARTTLS and the EHLO after it, AUTH, when the connection does those.
_STEPS = 6
_MAX_BACKOFF = datetime.timedelta(days=1)

log = structlog.get_logger("ordergraph.mail")


@dataclasses.dataclass(frozen=True, slots=True)
class Options:
    host: str
    port: int
    timeout_seconds: float = 10.0
    max_attempts: int = 5
    retry_after: datetime.timedelta = datetime.timedelta(minutes=1)
    lease: datetime.timedelta = datetime.timedelta(minutes=5)
    batch_size: int = 20
    security: mail_smtp.Security = dataclasses.field(default_factory=mail_smtp.Security)

    @classmethod
    def from_settings(cls, settings: Settings) -> Options:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            timeout_seconds=settings.smtp_timeout_seconds,
            security=mail_smtp.Security(
                starttls=settings.smtp_starttls,
                tls=settings.smtp_tls,
                ca_file=settings.smtp_ca_file,
                username=settings.smtp_username,
                password=settings.smtp_password,
            ),
            max_attempts=settings.mail_max_attempts,
            retry_after=datetime.timedelta(seconds=settings.mail_retry_after_seconds),
            lease=datetime.timedelta(seconds=settings.mail_lease_seconds),
            batch_size=settings.mail_batch_size,
        )

    def server(self) -> mail_smtp.Server:
        return mail_smtp.Server(
            host=self.host, port=self.port, timeout_seconds=self.timeout_seconds, security=self.security
        )


@dataclasses.dataclass(slots=True)
class Report:
    sent: int = 0
    # Failed this time, due again later.
    retrying: int = 0
    failed: int = 0
    # Claimed but handed back unsent: the lease had no room left for them.
    released: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class _Claimed:
    """A claimed mail: what `mail_smtp` sends, and the lease its outcome is recorded under."""

    id: int
    order_id: int | None
    message_id: str
    sender: str
    recipients: list[str]
    subject: str
    body: str
    created_at: datetime.datetime
    attempts: int
    lease_until: datetime.datetime


# The OutboxMail columns a claim copies as they are.
_COPIED_COLUMNS = ("id", "order_id", "message_id", "sender", "subject", "body", "created_at")


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    *,
    options: Options,
    clock: Callable[[], datetime.datetime],
    stop: asyncio.Event | None = None,
) -> Report:
    """Deliver every PENDING mail that is due, a batch at a time, until none is left (or `stop` is set)."""
    report = Report()
    while stop is None or not stop.is_set():
        report.failed += await _fail_abandoned(sessions, options=options, now=clock())
        claimed = await _claim(sessions, options=options, now=clock())
        if not claimed:
            break
        await _deliver_batch(sessions, claimed, options=options, clock=clock, report=report)
    return report


# ---------------------------------------------------------------- claiming


async def _claim(
    sessions: async_sessionmaker[AsyncSession], *, options: Options, now: datetime.datetime
) -> list[_Claimed]:
    async with sessions() as session, session.begin():
        rows = await outbox.due_batch(
            session,
            OutboxMail,
            where=[_claimable(now), OutboxMail.attempts < options.max_attempts],
            order_by=[OutboxMail.next_attempt_at, OutboxMail.id],
            limit=options.batch_size,
        )
        if not rows:
            return []
        longest = max(_worst_case(row.recipients, options) for row in rows)
        lease_until = now + max(options.lease, longest + datetime.timedelta(seconds=options.timeout_seconds))
        await session.execute(
            sa.update(OutboxMail)
            .where(OutboxMail.id.in_([row.id for row in rows]), _claimable(now))
            .values(claimed_until=lease_until, attempts=OutboxMail.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return [_claimed(row, lease_until=lease_until) for row in rows]


def _claimed(row: OutboxMail, *, lease_until: datetime.datetime) -> _Claimed:
    """A copy of the claimed row that outlives its session, counting the attempt the claim started."""
    copied = {column: getattr(row, column) for column in _COPIED_COLUMNS}
    return _Claimed(**copied, recipients=list(row.recipients), attempts=row.attempts + 1, lease_until=lease_until)


def _claimable(now: datetime.datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        OutboxMail.status == MailStatus.PENDING,
        OutboxMail.next_attempt_at <= now,
        sa.or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until <= now),
    )


async def _fail_abandoned(
    sessions: async_sessionmaker[AsyncSession], *, options: Options, now: datetime.datetime
) -> int:
    """FAILED for mails whose last attempt ended with its worker (the lease ran out, attempts used up)."""
    async with sessions() as session, session.begin():
        rows = (
            await session.execute(
                sa.select(OutboxMail.id, OutboxMail.order_id, OutboxMail.attempts)
                .where(
                    OutboxMail.status == MailStatus.PENDING,
                    OutboxMail.attempts >= options.max_attempts,
                    sa.or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until <= now),
                )
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not rows:
            return 0
        error = (
            "The worker stopped during the last allowed attempt, before it recorded the outcome: "
            "the mail may or may not have been sent."
        )
        await session.execute(
            sa.update(OutboxMail)
            .where(OutboxMail.id.in_([row.id for row in rows]))
            .values(status=MailStatus.FAILED, claimed_until=None, last_error=error)
            .execution_options(synchronize_session=False)
        )
        messages = {row.order_id: f"Mail not delivered: {error}" for row in rows if row.order_id is not None}
        await bulk.record_events(session, messages, source=EVENT_SOURCE, actor=ACTOR, now=now, level=EventLevel.ERROR)
        log.error("mail abandoned", ids=[row.id for row in rows])
        return len(rows)


# ---------------------------------------------------------------- sending


async def _deliver_batch(
    sessions: async_sessionmaker[AsyncSession],
    claimed: Sequence[_Claimed],
    *,
    options: Options,
    clock: Callable[[], datetime.datetime],
    report: Report,
) -> None:
    connection = mail_smtp.Connection(options.server())
    unreachable: str | None = None
    try:
        for position, mail in enumerate(claimed):
            if mail.lease_until - clock() < _worst_case(mail.recipients, options):
                report.released += await _release(sessions, claimed[position:])
                return
            if unreachable is not None:
                await _record_failure(sessions, mail, error=unreachable, options=options, now=clock(), report=report)
                continue
            try:
                refused = await connection.send(mail)
            except mail_smtp.Unreachable as error:
                # No point trying the rest of the batch now: each counts a failed attempt and is retried later.
                unreachable = mail_smtp.describe(error.__cause__ or error)
                await _record_failure(sessions, mail, error=unreachable, options=options, now=clock(), report=report)
            except Exception as error:
                # An SMTP reply, a dropped connection, or a header the email package refuses: this
                # mail alone fails, is retried and, if it persists, ends FAILED.
                await _record_failure(
                    sessions, mail, error=mail_smtp.describe(error), options=options, now=clock(), report=report
                )
            else:
                await _record_sent(sessions, mail, refused=refused, now=clock(), report=report)
    finally:
        await connection.close()


# ---------------------------------------------------------------- outcomes


async def _record_sent(
    sessions: async_sessionmaker[AsyncSession],
    mail: _Claimed,
    *,
    refused: dict[str, tuple[int, str]],
    now: datetime.datetime,
    report: Report,
) -> None:
    refusals = mail_smtp.describe_refusals(refused)
    async with sessions() as session, session.begin():
        if not await _finish(session, mail, status=MailStatus.SENT, sent_at=now, last_error=refusals or None):
            return
        accepted = [address for address in mail.recipients if address not in refused]
        message = f"Mail sent to {', '.join(accepted)}: {mail.subject} (Message-ID {mail.message_id})."
        if refusals:
            message += f" Refused: {refusals}."
        await _event(session, mail, message, level=EventLevel.WARNING if refusals else EventLevel.INFO, now=now)
    report.sent += 1
    log.info("mail sent", id=mail.id, message_id=mail.message_id, recipients=accepted)


async def _record_failure(
    sessions: async_sessionmaker[AsyncSession],
    mail: _Claimed,
    *,
    error: str,
    options: Options,
    now: datetime.datetime,
    report: Report,
) -> None:
    async with sessions() as session, session.begin():
        if mail.attempts < options.max_attempts:
            backoff = min(options.retry_after * 2 ** (mail.attempts - 1), _MAX_BACKOFF)
            if await _finish(session, mail, status=MailStatus.PENDING, last_error=error, next_attempt_at=now + backoff):
                report.retrying += 1
                log.warning("mail not sent, will retry", id=mail.id, attempts=mail.attempts, error=error)
            return
        if not await _finish(session, mail, status=MailStatus.FAILED, last_error=error):
            return
        message = (
            f"Mail to {', '.join(mail.recipients)} not delivered after {mail.attempts} attempts: {error} "
            f"({mail.subject}, Message-ID {mail.message_id})."
        )
        await _event(session, mail, message, level=EventLevel.ERROR, now=now)
    report.failed += 1
    log.error("mail failed", id=mail.id, attempts=mail.attempts, error=error)


async def _finish(session: AsyncSession, mail: _Claimed, **values: object) -> bool:
    """Write the outcome and end the claim, only while this worker's lease still holds the row."""
    result = await session.execute(
        sa.update(OutboxMail)
        .where(
            OutboxMail.id == mail.id,
            OutboxMail.status == MailStatus.PENDING,
            OutboxMail.claimed_until == mail.lease_until,
        )
        .values(claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        log.error("mail lease lost before its outcome was recorded", id=mail.id, message_id=mail.message_id)
        return False
    return True


async def _release(sessions: async_sessionmaker[AsyncSession], mails: Sequence[_Claimed]) -> int:
    """Hand claimed mails back unsent, their attempt not counted."""
    async with sessions() as session, session.begin():
        result = await session.execute(
            sa.update(OutboxMail)
            .where(OutboxMail.id.in_([mail.id for mail in mails]), OutboxMail.claimed_until == mails[0].lease_until)
            .values(claimed_until=None, attempts=OutboxMail.attempts - 1)
            .execution_options(synchronize_session=False)
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _event(
    session: AsyncSession, mail: _Claimed, message: str, *, level: EventLevel, now: datetime.datetime
) -> None:
    if mail.order_id is not None:
        await bulk.record_events(
            session, {mail.order_id: message}, source=EVENT_SOURCE, actor=ACTOR, now=now, level=level
        )


def _worst_case(recipients: Sequence[str], options: Options) -> datetime.timedelta:
    security = options.security
    steps = _STEPS + (2 if security.starttls else 0) + (1 if security.username else 0) + len(recipients)
    return datetime.timedelta(seconds=options.timeout_seconds * steps)
