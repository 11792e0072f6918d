"""The worker: its loop of periodic jobs, and `ordergraph worker --once` delivering to a real SMTP server."""

from __future__ import annotations

import asyncio
import datetime
import os
import pathlib
import subprocess
import sys

import pytest
import sqlalchemy as sa

from models import database
from models.enums import DeliveryStatus, MailStatus
from models.mail import OutboxMail
from models.settings import Settings
from schema import worker
from tests import mail_helpers
from tests import webhook_helpers as hooks
from tests.conftest import GraphQLClient, Store
from tests.return_helpers import placed_order
from tests.test_mail_delivery import _queue_shipped

START = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)


def _recording(name: str, calls: list[tuple[str, datetime.datetime]], *, fails: bool = False) -> worker.PeriodicJob:
    async def run(now: datetime.datetime) -> str:
        calls.append((name, now))
        if fails:
            raise RuntimeError(f"{name} broke")
        return f"{name} done"

    return worker.PeriodicJob(name, run)


async def test_once_runs_every_job_and_a_failure_stops_no_other() -> None:
    calls: list[tuple[str, datetime.datetime]] = []
    lines: list[str] = []
    jobs = [_recording("first", calls, fails=True), _recording("second", calls)]

    failed = await worker.run(
        jobs, once=True, interval_seconds=0, stop=asyncio.Event(), report=lines.append, clock=lambda: START
    )

    assert failed == ["first"]
    assert calls == [("first", START), ("second", START)]
    assert lines == ["first: failed: RuntimeError: first broke", "second: second done"]


async def test_the_loop_keeps_each_jobs_own_timer_until_stopped() -> None:
    calls: list[tuple[str, datetime.datetime]] = []
    stop = asyncio.Event()
    ticks = iter(START + datetime.timedelta(seconds=10 * n) for n in range(100))

    async def stop_after_four_rounds(now: datetime.datetime) -> str:
        calls.append(("every round", now))
        if len([c for c in calls if c[0] == "every round"]) == 4:
            stop.set()
        return ""

    slow = worker.PeriodicJob("slow", _recording("slow", calls).run, every=datetime.timedelta(seconds=30))
    jobs = [worker.PeriodicJob("every round", stop_after_four_rounds), slow]

    failed = await worker.run(
        jobs, once=False, interval_seconds=0, stop=stop, report=lambda _: None, clock=lambda: next(ticks)
    )

    assert failed == []
    # Rounds read the clock at 0 and 10 s (round 1), 20 and 30 s (round 2)…: `slow` waits its 30 s.
    assert [(name, int((at - START).total_seconds())) for name, at in calls] == [
        ("every round", 0),
        ("slow", 10),
        ("every round", 20),
        ("every round", 40),
        ("slow", 50),
        ("every round", 60),
    ]


@pytest.fixture
def cli_database(tmp_path: pathlib.Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}"
    for command in (["migrate"], ["seed", "--demo"]):
        result = subprocess.run(
            [sys.executable, "-m", "ordergraph", *command],
            capture_output=True,
            text=True,
            env={**os.environ, "DATABASE_URL": url},
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    return url


async def test_ordergraph_worker_once_delivers_the_outbox(cli_database: str) -> None:
    demo_mails = await _mails_waiting(cli_database)  # the demo orders' shipped mails wait in the outbox too
    await _queue_two_mails(cli_database)
    collector = mail_helpers.Collector()

    with mail_helpers.smtp_server(collector) as port:
        env = {
            **os.environ,
            "DATABASE_URL": cli_database,
            "ORDERGRAPH_SMTP_HOST": "127.0.0.1",
            "ORDERGRAPH_SMTP_PORT": str(port),
        }
        first = await asyncio.to_thread(_worker_once, env)
        second = await asyncio.to_thread(_worker_once, env)

    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        f"mail: {2 + demo_mails} sent, 0 to retry, 0 failed, 0 handed back",
        "recurring: nothing to do",
        "webhooks: nothing to do",
        "reconcile: nothing to do",
    ]
    assert second.stdout.splitlines() == [
        "mail: nothing to do",
        "recurring: nothing to do",
        "webhooks: nothing to do",
        "reconcile: nothing to do",
    ]
    assert len(collector.received) == 2 + demo_mails


async def _mails_waiting(url: str) -> int:
    db = database.connect(Settings(pool_size=2), url=url)
    try:
        async with db.read_sessions() as session:
            return int(await session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) or 0)
    finally:
        await db.dispose()


async def _queue_two_mails(url: str) -> None:
    db = database.connect(Settings(pool_size=2), url=url)
    try:
        # Queued a minute ago by the real clock: the worker process reads it.
        await _queue_shipped(db, 2, now=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1))
    finally:
        await db.dispose()


def _worker_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ordergraph", "worker", "--once"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


async def test_a_job_left_incomplete_is_failed_and_reported_without_stopping_others() -> None:
    calls: list[tuple[str, datetime.datetime]] = []
    lines: list[str] = []

    async def incomplete(_: datetime.datetime) -> str:
        raise worker.Incomplete("0 sent, 2 to retry, 0 failed, 0 handed back")

    jobs = [worker.PeriodicJob("mail", incomplete), _recording("second", calls)]

    failed = await worker.run(
        jobs, once=True, interval_seconds=0, stop=asyncio.Event(), report=lines.append, clock=lambda: START
    )

    assert failed == ["mail"]
    assert lines == ["mail: 0 sent, 2 to retry, 0 failed, 0 handed back", "second: second done"]


async def test_ordergraph_worker_once_exits_1_when_no_mail_could_be_delivered(cli_database: str) -> None:
    demo_mails = await _mails_waiting(cli_database)
    await _queue_two_mails(cli_database)
    closed_port = mail_helpers.free_port()  # nothing listens there
    env = {**os.environ, "DATABASE_URL": cli_database, "ORDERGRAPH_SMTP_PORT": str(closed_port)}

    result = await asyncio.to_thread(_worker_once, env)

    assert result.returncode == 1, result.stderr
    waiting = 2 + demo_mails
    assert result.stdout.splitlines() == _reports_with_only_mail(f"0 sent, {waiting} to retry, 0 failed, 0 handed back")
    assert "Traceback" not in result.stderr
    db = database.connect(Settings(pool_size=2), url=cli_database)
    try:
        mails = [(mail.status, mail.attempts) for mail in await mail_helpers.outbox(db)]
        assert mails == [(MailStatus.PENDING, 1)] * waiting
    finally:
        await db.dispose()


async def test_the_webhook_job_is_incomplete_while_a_delivery_failed(
    api: GraphQLClient, admin: GraphQLClient, demo_store: Store
) -> None:
    with hooks.Receiver() as receiver:
        await hooks.subscribe(admin, receiver.url, ["PAYMENT_CAPTURED"])
        await placed_order(api, admin)
        [job] = [
            job
            for job in worker.standard_jobs(Settings(), demo_store.db, stop=asyncio.Event())
            if job.name == "webhooks"
        ]
        receiver.script = [500]

        with pytest.raises(worker.Incomplete) as refused:
            await job.run(worker.now())
        retried = await hooks.deliveries_of(demo_store)

    assert str(refused.value) == "0 delivered, 1 to retry, 0 failed, 0 handed back"
    assert [(delivery.status, delivery.attempts, delivery.last_response_status) for delivery in retried] == [
        (DeliveryStatus.PENDING, 1, 500)
    ]


def _reports_with_only_mail(mail: str) -> list[str]:
    """What `worker --once` prints when only the mail job had something to do."""
    return [f"mail: {mail}", "recurring: nothing to do", "webhooks: nothing to do", "reconcile: nothing to do"]
