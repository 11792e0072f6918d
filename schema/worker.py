"""`ordergraph worker`: periodic jobs in one loop.

A job is a name, a coroutine function of `now` that answers a one-line report (empty when it had
nothing to do), and how often it runs at most (`every`; zero means every round). `standard_jobs`
lists the built-in ones: the mail outbox and due recurring orders every round, reconciliation on its
own timer. More work joins by adding a `PeriodicJob` to that list.

A job that raises is logged and reported; it never stops the other jobs or the loop. A job that ran
but could not do all of its work (a mail to retry, a webhook delivery that failed, a schedule that
generated nothing) raises `Incomplete` with its report: it counts as failed (`worker --once` exits 1),
without a traceback. SIGINT and
SIGTERM end the loop once the job in hand is done: a mail is never abandoned half-sent by choice.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
from collections.abc import Awaitable, Callable, Sequence

import structlog

from models.database import Database
from models.settings import Settings
from resolvers.channels import recurring
from resolvers.fulfilment import mail_delivery
from resolvers.integrations import webhook_delivery, webhook_outbox
from resolvers.payments import payment_providers, reconciliation
from resolvers.returns import return_refunds
from resolvers.storefront import checkout

log = structlog.get_logger("ordergraph.worker")

# Reconciliation settles these capabilities' rows too; importing them here registers their purposes
# (`resolvers.payments.purposes`) in every process that reconciles: the worker and `ordergraph reconcile`.
RECONCILED_PURPOSES = (checkout.AUTHORIZATION, return_refunds.RETURN_REFUND)


class Incomplete(Exception):
    """The job ran, but some of its work is not done (its report says what); it is failed for this round."""


@dataclasses.dataclass(frozen=True, slots=True)
class PeriodicJob:
    name: str
    run: Callable[[datetime.datetime], Awaitable[str]]
    every: datetime.timedelta = datetime.timedelta(0)


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


async def run(
    jobs: Sequence[PeriodicJob],
    *,
    once: bool,
    interval_seconds: float,
    stop: asyncio.Event,
    report: Callable[[str], None],
    clock: Callable[[], datetime.datetime] = now,
) -> list[str]:
    """Run the jobs round after round (or one round, `once`, every job regardless of its timer).

    Answers the names of the jobs that failed in the last round run.
    """
    last_started: dict[str, datetime.datetime] = {}
    while True:
        failed: list[str] = []
        for job in jobs:
            if stop.is_set():
                return failed
            started = clock()
            previous = last_started.get(job.name)
            if not once and previous is not None and started - previous < job.every:
                continue
            last_started[job.name] = started
            try:
                text = await job.run(started)
            except Incomplete as incomplete:
                log.warning("job incomplete", job=job.name, report=str(incomplete))
                failed.append(job.name)
                report(f"{job.name}: {incomplete}")
                continue
            except Exception as error:
                log.exception("job failed", job=job.name)
                failed.append(job.name)
                report(f"{job.name}: failed: {type(error).__name__}: {error}")
                continue
            if text or once:
                report(f"{job.name}: {text or 'nothing to do'}")
        if once or stop.is_set():
            return failed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_seconds)


def standard_jobs(settings: Settings, db: Database, *, stop: asyncio.Event) -> list[PeriodicJob]:
    """The mail outbox and due recurring orders every round; reconciliation every `reconcile_every_seconds`."""
    options = mail_delivery.Options.from_settings(settings)
    webhook_options = webhook_delivery.Options.from_settings(settings)
    # Recurring generation and reconciliation write webhook deliveries with their changes.
    webhook_outbox.install()
    providers = payment_providers.Providers(db.write_sessions)

    async def deliver_mail(_: datetime.datetime) -> str:
        done = await mail_delivery.deliver_due(db.write_sessions, options=options, clock=now, stop=stop)
        if not (done.sent or done.retrying or done.failed or done.released):
            return ""
        text = f"{done.sent} sent, {done.retrying} to retry, {done.failed} failed, {done.released} handed back"
        return _incomplete_if(done.retrying or done.failed, text)

    async def deliver_webhooks(_: datetime.datetime) -> str:
        done = await webhook_delivery.deliver_due(db.write_sessions, options=webhook_options, clock=now, stop=stop)
        if not (done.sent or done.retrying or done.failed or done.released):
            return ""
        text = f"{done.sent} delivered, {done.retrying} to retry, {done.failed} failed, {done.released} handed back"
        return _incomplete_if(done.retrying or done.failed, text)

    async def reconcile(started: datetime.datetime) -> str:
        done = await reconcile_once(db, settings, providers=providers, older_than_seconds=None, now=started)
        if not (done.succeeded or done.failed or done.unknown or done.errors or done.purged_keys):
            return ""
        return _incomplete_if(done.errors, describe_reconciliation(done))

    async def generate_recurring(started: datetime.datetime) -> str:
        outcomes = await recurring.run_due(
            db.write_sessions, providers=providers, now=started, charged_at=started, actor="worker",
            timeout_seconds=settings.provider_timeout_seconds,
        )  # fmt: skip
        if not outcomes:
            return ""
        # A declined charge is an order generated (unpaid); a failed schedule generated nothing.
        failed = [outcome for outcome in outcomes if outcome.order is None]
        declined = len([outcome for outcome in outcomes if outcome.order is not None and outcome.error is not None])
        generated = f"{len(outcomes) - len(failed)} recurring orders generated"
        charges = f", {declined} charges declined" if declined else ""
        return _incomplete_if(len(failed), f"{generated}{charges}, {len(failed)} schedules failed")

    return [
        PeriodicJob("mail", deliver_mail),
        PeriodicJob("recurring", generate_recurring),
        PeriodicJob("webhooks", deliver_webhooks),
        PeriodicJob("reconcile", reconcile, every=datetime.timedelta(seconds=settings.reconcile_every_seconds)),
    ]


def _incomplete_if(undone: int, text: str) -> str:
    """The report of a job, raised as `Incomplete` when `undone` pieces of its work are left."""
    if undone:
        raise Incomplete(text)
    return text


async def reconcile_once(
    db: Database,
    settings: Settings,
    *,
    providers: payment_providers.Providers,
    older_than_seconds: int | None,
    now: datetime.datetime,
) -> reconciliation.Report:
    """One reconciliation run with the settings' ages and timeouts (`ordergraph reconcile` and the worker)."""
    seconds = settings.reconcile_after_seconds if older_than_seconds is None else older_than_seconds
    return await reconciliation.run(
        db.write_sessions,
        providers,
        older_than=datetime.timedelta(seconds=seconds),
        now=now,
        keep_keys_for=datetime.timedelta(hours=settings.idempotency_keep_hours),
        lookup_timeout_seconds=settings.provider_timeout_seconds,
    )


def describe_reconciliation(report: reconciliation.Report) -> str:
    errors = f", {report.errors} could not be settled (see the log)" if report.errors else ""
    return (
        f"{report.succeeded} succeeded, {report.failed} failed, {report.unknown} still pending{errors}; "
        f"purged {report.purged_keys} idempotency keys"
    )
