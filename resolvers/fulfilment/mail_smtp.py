"""The SMTP half of mail delivery: one connection per batch, the message a queued mail becomes, and how
a failure reads in `last_error`.

Apart from `mail_delivery` (claims, leases and outcomes in the store) because this half is blocking
smtplib code, run in a worker thread, that never touches the store. Every SMTP and network failure is
an OSError; `Unreachable` says the server could not even be reached or greeted, so the rest of the
batch need not try.
"""

from __future__ import annotations

import datetime
import email.message
import email.policy
import email.utils
import smtplib
from typing import Protocol

_MAX_ERROR_LENGTH = 2000


class Unreachable(Exception):
    """The SMTP server could not be reached or greeted."""


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
    """One SMTP connection, opened on first use and reused for a batch (used from one thread at a time)."""

    def __init__(self, *, host: str, port: int, timeout_seconds: float) -> None:
        self.host = host
        self.port = port
        self.timeout_seconds = timeout_seconds
        self.client: smtplib.SMTP | None = None

    def send(self, mail: Mail) -> dict[str, tuple[int, bytes]]:
        """Send one mail; the recipients the server refused while accepting others. Raises OSError."""
        if self.client is None:
            try:
                self.client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds)
            except OSError as error:
                raise Unreachable() from error
        try:
            envelope_sender = email.utils.parseaddr(mail.sender)[1]
            return self.client.send_message(message(mail), from_addr=envelope_sender, to_addrs=mail.recipients)
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused):
            raise  # the server answered: the connection stays usable (smtplib reset the transaction)
        except OSError:
            self.close()
            raise

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.quit()
        except OSError:
            client.close()


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
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        described = f"Every recipient was refused: {describe_refusals(error.recipients)}"
    elif isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        described = f"{error.smtp_code} {reply}"
    else:
        described = f"{type(error).__name__}: {error}"
    return described[:_MAX_ERROR_LENGTH]


def describe_refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    """`address: code reply` for each refused recipient, separated by semicolons."""
    return "; ".join(
        f"{address}: {code} {reply.decode(errors='replace')}" for address, (code, reply) in refused.items()
    )


def _is_html(body: str) -> bool:
    head = body.lstrip()[:15].lower()
    return head.startswith(("<!doctype html", "<html"))
