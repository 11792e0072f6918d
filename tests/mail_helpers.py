"""A real SMTP server for mail tests (aiosmtpd on a free loopback port) and outbox helpers."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import email
import email.message
import email.policy
import socket
from collections.abc import Iterator

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from models.database import Database
from models.mail import OutboxMail
from resolvers.fulfilment import mail_delivery


@dataclasses.dataclass
class Received:
    sender: str
    recipients: list[str]
    message: email.message.EmailMessage


class Collector:
    """An aiosmtpd handler that keeps what it accepts, or answers every DATA with `reply`."""

    def __init__(self, *, reply: str = "250 Message accepted for delivery", delay_seconds: float = 0.0) -> None:
        self.reply = reply
        self.delay_seconds = delay_seconds
        self.received: list[Received] = []
        self.refused = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if not self.reply.startswith("250"):
            self.refused += 1
            return self.reply
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [str(item.message["Message-ID"]) for item in self.received]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def smtp_server(collector: Collector) -> Iterator[int]:
    """Serve SMTP on a free loopback port for the block; its port."""
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def options(port: int, **overrides: object) -> mail_delivery.Options:
    values: dict[str, object] = {"host": "127.0.0.1", "port": port, "timeout_seconds": 5.0, "max_attempts": 3}
    values.update(overrides)
    return mail_delivery.Options(**values)  # type: ignore[arg-type]


class Clock:
    """A clock tests move by hand."""

    def __init__(self, at: datetime.datetime) -> None:
        self.at = at

    @classmethod
    def now(cls) -> Clock:
        return cls(datetime.datetime.now(datetime.UTC))

    def __call__(self) -> datetime.datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += datetime.timedelta(**delta)


async def outbox(db: Database) -> list[OutboxMail]:
    async with db.read_sessions() as session:
        return list((await session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id))).all())


def html_body(message: email.message.EmailMessage) -> str:
    part = message.get_body(("html", "plain"))
    assert part is not None
    return str(part.get_content())
