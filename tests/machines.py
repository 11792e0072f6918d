"""Running a hypothesis state machine over the real store from an async test.

Hypothesis drives sync code, so the machine runs in a worker thread with its own event loop and its
own engine over the test store's URL (async engines must stay on the loop that made them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from models import database
from models import payments as payment_models
from models.settings import Settings
from resolvers.payments.payment_providers import Providers


class Harness:
    """The machine's loop, store and providers."""

    def __init__(self, url: str, *, pool_size: int = 2) -> None:
        self.url = url
        self.loop = asyncio.new_event_loop()
        self.db = database.connect(Settings(pool_size=pool_size), url=url)
        self.providers = Providers(self.db.write_sessions)

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        self.run(self.db.dispose())
        self.loop.close()


def run_machine(
    build: Callable[[Harness], type[RuleBasedStateMachine]],
    url: str,
    *,
    examples: int,
    steps: int,
    pool_size: int = 2,
) -> None:
    """Build the machine over a harness of the store at `url` and run it: `examples` runs of up to `steps` steps."""
    harness = Harness(url, pool_size=pool_size)
    try:
        run_state_machine_as_test(
            build(harness),
            settings=settings(
                max_examples=examples,
                stateful_step_count=steps,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        harness.close()


async def approved_references(db: database.Database, transactions: list[Any]) -> list[str]:
    """The references of `transactions` the gateway's books hold as approved, sorted."""
    async with db.read_sessions() as session:
        rows = await session.scalars(
            sa.select(payment_models.TestProviderOperation.reference).where(
                payment_models.TestProviderOperation.reference.in_([t.reference for t in transactions]),
                payment_models.TestProviderOperation.is_approved,
            )
        )
        return sorted(rows.all())
