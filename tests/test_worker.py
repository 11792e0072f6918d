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
from models.mail import OutboxMail
from models.settings import Settings
from schema import worker
from tests import mail_helpers
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
    db = database.connect(Settings(pool_size=2), url=cli_database)
    try:
        async with db.read_sessions() as session:  # the demo orders' shipped mails wait in the outbox too
            demo_mails = int(await session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) or 0)
        # Queued a minute ago by the real clock: the worker process reads it.
        await _queue_shipped(db, 2, now=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1))
    finally:
        await db.dispose()
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


def _worker_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ordergraph", "worker", "--once"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
