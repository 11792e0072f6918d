"""The SMTP half of mail delivery: one connection per batch, the message a queued mail becomes, and how
a failure reads in `last_error`.

Apart from `mail_delivery` (claims, leases and outcomes in the store) because this half speaks SMTP
(aiosmtplib) and never touches the store. A connection may use TLS from the first byte (`tls`, port
465) or upgrade with STARTTLS (`starttls`, port 587), verifying the server's certificate against the
system's CAs or `ca_file`, and log in when a username is given. `Unreachable` says the server could
not be reached, greeted, secured or logged in to, so the rest of the batch need not try; any other
failure is this mail's.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.message
import email.policy
import email.utils
from typing import Protocol

import aiosmtplib

_MAX_ERROR_LENGTH = 2000


class Unreachable(Exception):
    """The SMTP server could not be reached, greeted, secured or logged in to."""


@dataclasses.dataclass(frozen=True, slots=True)
class Security:
    """How a connection is secured: STARTTLS or TLS from the start, a CA file, a login."""

    starttls: bool = False
    tls: bool = False
    ca_file: str | None = None
    username: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Server:
    host: str
    port: int
    timeout_seconds: float = 10.0
    security: Security = dataclasses.field(default_factory=Security)


class Mail(Protocol):
    """What a message is made of: fixed when the mail was queued, the same on every attempt."""

    @property
    def message_id(self) -> str: ...
    @property
    def sender(self) -> str: ...
    @property
    def recipients(self) -> list[str]: ...
    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def created_at(self) -> datetime.datetime: ...


class Connection:
    """One SMTP connection, opened on first use and reused for a batch (one send at a time)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.client: aiosmtplib.SMTP | None = None

    async def send(self, mail: Mail) -> dict[str, tuple[int, str]]:
        """Send one mail; the recipients the server refused while accepting others."""
        client = await self._connected()
        try:
            envelope_sender = email.utils.parseaddr(mail.sender)[1]
            refused, _ = await client.send_message(message(mail), sender=envelope_sender, recipients=mail.recipients)
        except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
            raise  # the server answered: the connection stays usable (aiosmtplib reset the transaction)
        except Exception:
            await self.close()
            raise
        return {address: (reply.code, reply.message) for address, reply in refused.items()}

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()

    async def _connected(self) -> aiosmtplib.SMTP:
        if self.client is not None:
            return self.client
        server, security = self.server, self.server.security
        client = aiosmtplib.SMTP(
            hostname=server.host,
            port=server.port,
            timeout=server.timeout_seconds,
            use_tls=security.tls,
            start_tls=security.starttls,  # never an unverified upgrade the settings did not ask for
            cert_bundle=security.ca_file,
            username=security.username,
            password=security.password,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            client.close()
            # The network's own error where there is one (ConnectionRefusedError…): it says the most.
            cause = error.__cause__ if isinstance(error, aiosmtplib.SMTPConnectError) else None
            raise Unreachable() from (cause if isinstance(cause, OSError) else error)
        self.client = client
        return client


def message(mail: Mail) -> email.message.EmailMessage:
    """The message of a queued mail, HTML when its body is an HTML document."""
    composed = email.message.EmailMessage(policy=email.policy.SMTP)
    composed["Message-ID"] = mail.message_id
    # The queue time, like the Message-ID the same on every attempt.
    composed["Date"] = email.utils.format_datetime(mail.created_at)
    composed["From"] = mail.sender
    composed["To"] = ", ".join(mail.recipients)
    composed["Subject"] = mail.subject
    composed.set_content(mail.body, subtype="html" if _is_html(mail.body) else "plain")
    return composed


def describe(error: BaseException) -> str:
    """The failure as `last_error` keeps it: the server's reply where it gave one, cut to a bounded length."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        refused = {refusal.recipient: (refusal.code, refusal.message) for refusal in error.recipients}
        described = f"Every recipient was refused: {describe_refusals(refused)}"
    elif isinstance(error, aiosmtplib.SMTPResponseException):
        described = f"{error.code} {error.message}"
    else:
        described = f"{type(error).__name__}: {error}"
    return described[:_MAX_ERROR_LENGTH]


def describe_refusals(refused: dict[str, tuple[int, str]]) -> str:
    """`address: code reply` for each refused recipient, separated by semicolons."""
    return "; ".join(f"{address}: {code} {reply}" for address, (code, reply) in refused.items())


def _is_html(body: str) -> bool:
    head = body.lstrip()[:15].lower()
    return head.startswith(("<!doctype html", "<html"))
