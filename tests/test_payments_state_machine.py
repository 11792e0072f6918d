"""A hypothesis state machine over authorize / capture / refund / cancel with random amounts, on the real store.

After every step: captured ≤ authorized, refunded ≤ captured, the derived amounts equal the sums of
SUCCEEDED rows, nothing is left PENDING, a simple model of what should have happened agrees, and
the gateway's books hold exactly the order's succeeded references.

The machine runs in a worker thread with its own event loop and engine (`machines`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
from decimal import Decimal

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from models.enums import TransactionStatus
from resolvers.core.bulk import Outcome
from resolvers.payments import cancellation, capture, refunds
from tests import machines
from tests import payment_factories as factories
from tests.conftest import Store

D = Decimal
# An amount is a share of the order's total (in percent), so most land near what is available; None is "the rest".
shares = st.integers(min_value=1, max_value=80).map(lambda share: None if share > 70 else share)
emails = st.sampled_from(
    ["buyer@example.com"] * 5
    + ["decline-capture@example.com", "decline-refund@example.com", "decline-cancel@example.com"]
)


@dataclasses.dataclass
class Model:
    authorized: Decimal = Decimal(0)
    captured: Decimal = Decimal(0)
    refunded: Decimal = Decimal(0)
    cancelled: bool = False


def machine_for(harness: machines.Harness) -> type[RuleBasedStateMachine]:
    db, providers, run = harness.db, harness.providers, harness.run

    def now() -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)

    class Payments(RuleBasedStateMachine):
        @initialize(
            total=st.integers(min_value=100, max_value=50_000).map(lambda c: D(c).scaleb(-2)),
            email=emails,
            is_authorized=st.booleans(),
        )
        def new_order(self, total: Decimal, email: str, is_authorized: bool) -> None:
            self.total = total
            self.public_id = run(factories.record(db, total=total, email=email))
            self.model = Model()
            if is_authorized:
                self.authorize()

        def amount(self, share: int | None) -> Decimal | None:
            return None if share is None else max(D("0.01"), (self.total * share / 100).quantize(D("0.01")))

        @precondition(lambda self: self.model.authorized == 0 and not self.model.cancelled)
        @rule()
        def authorize(self) -> None:
            run(factories.authorize(db, providers, public_id=self.public_id, amount=self.total, now=now()))
            self.model.authorized = self.total

        @rule(share=shares)
        def capture(self, share: int | None) -> None:
            amount = self.amount(share)
            outcome: list[Outcome] = run(
                capture.capture(
                    db.write_sessions, providers=providers, order_ids=[self.public_id], amount=amount,
                    idempotency_key=None, actor="hypothesis", now=now(), timeout_seconds=10,
                )
            )  # fmt: skip
            if outcome[0].error is None:
                self.model.captured += amount if amount is not None else self.model.authorized - self.model.captured

        @rule(share=shares, reason=st.sampled_from([None, "damaged"]))
        def refund(self, share: int | None, reason: str | None) -> None:
            amount = self.amount(share)
            outcome: Outcome = run(
                refunds.refund(
                    db.write_sessions, providers=providers, order_id=self.public_id, amount=amount, reason=reason,
                    idempotency_key=None, actor="hypothesis", now=now(), timeout_seconds=10,
                )
            )  # fmt: skip
            if outcome.error is None:
                self.model.refunded += amount if amount is not None else self.model.captured - self.model.refunded

        # Rarely: once cancelled, an order takes no more money, so an early cancel would end the story.
        @rule(dice=st.integers(min_value=0, max_value=5))
        def cancel(self, dice: int) -> None:
            if dice:
                return
            [outcome] = run(
                cancellation.cancel(
                    db.write_sessions, providers=providers, order_ids=[self.public_id], reason=None,
                    actor="hypothesis", now=now(), timeout_seconds=10,
                )
            )  # fmt: skip
            if outcome.error is None:
                assert self.model.captured == 0
                self.model.cancelled, self.model.authorized = True, D(0)

        @invariant()
        def ledger_holds(self) -> None:
            ledger_amounts, transactions, order = run(factories.ledger_of(db, self.public_id))
            factories.assert_invariants(ledger_amounts, transactions)
            assert not [t for t in transactions if t.status is TransactionStatus.PENDING]
            expected = (self.model.authorized, self.model.captured, self.model.refunded, self.model.cancelled)
            assert (
                ledger_amounts.authorized,
                ledger_amounts.captured,
                ledger_amounts.refunded,
                order.is_cancelled,
            ) == expected
            references = sorted(t.reference for t in factories.succeeded(transactions))
            assert run(machines.approved_references(db, transactions)) == references

        def teardown(self) -> None:
            pass

    return Payments


async def test_payments_state_machine(demo_store: Store) -> None:
    await asyncio.to_thread(machines.run_machine, machine_for, demo_store.url, examples=25, steps=15)
