"""Mail over a secured SMTP connection: STARTTLS or implicit TLS, and login, against a real aiosmtpd server
with a certificate made for the test (trustme) and an authenticator (both stores)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import pathlib
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from models.enums import MailStatus
from resolvers.fulfilment import mail_delivery, mail_smtp
from tests import mail_helpers
from tests.conftest import Store
from tests.test_mail_delivery import NOW, _queue_shipped

USERNAME, PASSWORD = "shop", "s3cret-pass"


@dataclasses.dataclass
class SecuredServer:
    port: int
    ca_file: str
    collector: mail_helpers.Collector
    logins: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    encrypted_sessions: list[bool] = dataclasses.field(default_factory=list)


class _RecordingCollector(mail_helpers.Collector):
    """Keeps whether each accepted mail came over TLS."""

    def __init__(self, server: SecuredServer | None = None) -> None:
        super().__init__()
        self.server = server

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert self.server is not None
        # After STARTTLS aiosmtpd keeps the TLS details in the session; with TLS from the start, the transport does.
        self.server.encrypted_sessions.append(
            session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        )
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, str]:
    authority = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return authority, str(ca_file)


@contextlib.contextmanager
def _secured_server(certificates: tuple[trustme.CA, str], *, implicit_tls: bool) -> Iterator[SecuredServer]:
    authority, ca_file = certificates
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    collector = _RecordingCollector()
    secured = SecuredServer(port=mail_helpers.free_port(), ca_file=ca_file, collector=collector)
    collector.server = secured

    def authenticate(_server: SMTP, _session: Session, _envelope: Envelope, _mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        secured.logins.append((data.login.decode(), data.password.decode()))
        # handled=False: aiosmtpd answers a refusal with its 535 itself.
        return AuthResult(success=(data.login.decode(), data.password.decode()) == (USERNAME, PASSWORD), handled=False)

    # aiosmtpd's own TLS-for-AUTH check knows STARTTLS only; TLS from the first byte is checked per mail below
    # (and the login counted), as it cannot require AUTH then without a warning.
    tls: dict[str, Any] = (
        {"ssl_context": context, "auth_require_tls": False, "auth_required": False}
        if implicit_tls
        else {"tls_context": context, "require_starttls": True, "auth_require_tls": True, "auth_required": True}
    )
    controller = Controller(
        collector,
        hostname="127.0.0.1",
        port=secured.port,
        authenticator=authenticate,
        **tls,
    )
    controller.start()
    try:
        yield secured
    finally:
        controller.stop()


async def _deliver(store: Store, options: mail_delivery.Options) -> mail_delivery.Report:
    return await mail_delivery.deliver_due(store.db.write_sessions, options=options, clock=mail_helpers.Clock(NOW))


@pytest.mark.parametrize("implicit_tls", [False, True], ids=["starttls", "implicit-tls"])
async def test_mail_goes_over_tls_after_logging_in(
    demo_store: Store, certificates: tuple[trustme.CA, str], implicit_tls: bool
) -> None:
    await _queue_shipped(demo_store.db, 2)

    with _secured_server(certificates, implicit_tls=implicit_tls) as server:
        tls = {"tls": True} if implicit_tls else {"starttls": True}
        security = mail_smtp.Security(ca_file=server.ca_file, username=USERNAME, password=PASSWORD, **tls)
        options = mail_helpers.options(server.port, security=security)
        report = await _deliver(demo_store, options)

    queued = await mail_helpers.outbox(demo_store.db)
    assert report == mail_delivery.Report(sent=2)
    assert server.logins == [(USERNAME, PASSWORD)]  # one connection, one login, for the batch
    assert server.encrypted_sessions == [True, True]
    assert server.collector.message_ids() == [mail.message_id for mail in queued]
    assert {mail.status for mail in queued} == {MailStatus.SENT}


async def test_a_wrong_password_fails_the_batch_for_now_and_sends_nothing(
    demo_store: Store, certificates: tuple[trustme.CA, str]
) -> None:
    await _queue_shipped(demo_store.db, 2)

    with _secured_server(certificates, implicit_tls=False) as server:
        security = mail_smtp.Security(starttls=True, ca_file=server.ca_file, username=USERNAME, password="wrong")
        options = mail_helpers.options(server.port, security=security)
        report = await _deliver(demo_store, options)

    queued = await mail_helpers.outbox(demo_store.db)
    assert report == mail_delivery.Report(retrying=2)
    # PLAIN, then LOGIN (aiosmtplib tries each mechanism offered) on the one connection: the second mail did not try.
    assert server.logins == [(USERNAME, "wrong")] * 2
    assert server.collector.received == []
    assert [(mail.status, mail.attempts) for mail in queued] == [(MailStatus.PENDING, 1)] * 2
    assert all((mail.last_error or "").startswith("535 ") for mail in queued)


async def test_a_certificate_no_trusted_authority_signed_is_refused(
    demo_store: Store, certificates: tuple[trustme.CA, str], tmp_path: pathlib.Path
) -> None:
    await _queue_shipped(demo_store.db, 1)
    other_authority = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_authority))

    with _secured_server(certificates, implicit_tls=False) as server:
        security = mail_smtp.Security(starttls=True, ca_file=str(other_authority), username=USERNAME, password=PASSWORD)
        options = mail_helpers.options(server.port, security=security)
        report = await _deliver(demo_store, options)

    [queued] = await mail_helpers.outbox(demo_store.db)
    assert report == mail_delivery.Report(retrying=1)
    assert server.logins == []  # the password never left over an unverified connection
    assert server.collector.received == []
    assert "CERTIFICATE_VERIFY_FAILED" in (queued.last_error or "")


def test_the_settings_name_how_to_secure_the_connection() -> None:
    from models.settings import Settings

    settings = Settings(smtp_starttls=True, smtp_ca_file="/etc/ca.pem", smtp_username=USERNAME, smtp_password=PASSWORD)

    options = mail_delivery.Options.from_settings(settings)

    assert options.server().security == mail_smtp.Security(
        starttls=True, tls=False, ca_file="/etc/ca.pem", username=USERNAME, password=PASSWORD
    )
    assert PASSWORD not in repr(options)
    # A STARTTLS login waits on three more SMTP steps than a plain connection: the lease allows for them.
    plain = mail_delivery.Options("127.0.0.1", 25, timeout_seconds=10.0)
    worst_cases = [mail_delivery._worst_case(["a@example.com"], o) for o in (plain, options)]
    assert worst_cases == [datetime.timedelta(seconds=70), datetime.timedelta(seconds=100)]
