"""Payments after the order changed, in the domain: how captures and voids draw on several authorizations,
the delta a plan judges by (rows in flight counted), and tagged rows that reconciliation settles as
what they were for."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import sqlalchemy as sa

from models.enums import TransactionKind, TransactionStatus
from models.orders import OrderEvent
from models.payments import Transaction
from resolvers.core import orders
from resolvers.payments import authorization, delta, engine, ledger, reconciliation, release, transaction_rows
from resolvers.payments.payment_providers import Providers
from tests import payment_factories as factories
from tests.conftest import Store

D = Decimal
AUTHORIZE, CAPTURE, REFUND, CANCEL = (
    TransactionKind.AUTHORIZE, TransactionKind.CAPTURE, TransactionKind.REFUND, TransactionKind.CANCEL,
)  # fmt: skip
SUCCEEDED, PENDING = TransactionStatus.SUCCEEDED, TransactionStatus.PENDING
DAY0 = datetime.datetime(2026, 11, 1, 12, 0, tzinfo=datetime.UTC)
_ids = itertools.count(1)


def row(
    kind: TransactionKind,
    amount: str,
    *,
    day: int,
    status: TransactionStatus = SUCCEEDED,
    lapses_on: int | None = None,
    delta_settled: str | None = None,
) -> Transaction:
    """A ledger row made on `day` (days after DAY0); an authorization lapses on `lapses_on`."""
    return Transaction(
        id=next(_ids), kind=kind, status=status, amount=D(amount), created_at=DAY0 + datetime.timedelta(days=day),
        expires_at=DAY0 + datetime.timedelta(days=lapses_on) if lapses_on is not None else None,
        delta_settled=D(delta_settled) if delta_settled is not None else None,
    )  # fmt: skip


def on(day: int) -> datetime.datetime:
    return DAY0 + datetime.timedelta(days=day)


# ---------------------------------------------------------------- several authorizations (pure)


def test_a_capture_draws_on_the_authorization_live_when_it_was_made() -> None:
    # The checkout's 100.00 lapsed on day 7 untouched; an edit's 20.00 authorized on day 8 is what day 9's capture took.
    rows = [
        row(AUTHORIZE, "100", day=0, lapses_on=7),
        row(AUTHORIZE, "20", day=8, lapses_on=15),
        row(CAPTURE, "20", day=9),
    ]

    amounts = ledger.amounts(rows, now=on(10))

    assert (amounts.authorized, amounts.captured, amounts.open, amounts.lapsed, amounts.capturable) == (
        D(120), D(20), D(0), D(100), D(0),
    )  # fmt: skip
    assert ledger.authorization_expires_at(rows, now=on(10)) is None


def test_captures_draw_oldest_first_and_the_expiry_is_the_earliest_still_open() -> None:
    first, second = row(AUTHORIZE, "100", day=0, lapses_on=7), row(AUTHORIZE, "50", day=1, lapses_on=8)
    rows = [first, second, row(CAPTURE, "120", day=2)]

    amounts = ledger.amounts(rows, now=on(3))

    assert [entry.open for entry in ledger.open_authorizations(rows)] == [D(0), D(30)]
    assert (amounts.open, amounts.capturable) == (D(30), D(30))
    assert ledger.authorization_expires_at(rows, now=on(3)) == on(8)
    assert ledger.amounts(rows, now=on(8)).lapsed == D(30)


def test_a_void_draws_what_is_open_and_leaves_no_expiry() -> None:
    rows = [row(AUTHORIZE, "100", day=0, lapses_on=7), row(CAPTURE, "30", day=1), row(CANCEL, "70", day=2)]

    amounts = ledger.amounts(rows, now=on(3))

    assert (amounts.authorized, amounts.captured, amounts.open) == (D(30), D(30), D(0))
    assert ledger.authorization_expires_at(rows, now=on(3)) is None


# ---------------------------------------------------------------- the delta a plan judges by (pure)


def test_a_plan_counts_rows_in_flight_as_if_they_had_succeeded() -> None:
    # Total 51.00 after an edit down; 60.00 captured of 100.00 authorized, the 40.00 rest being voided.
    rows = [
        row(AUTHORIZE, "100", day=0),
        row(CAPTURE, "60", day=1),
        row(CANCEL, "40", day=2, status=PENDING),
        row(REFUND, "5", day=2, status=PENDING, delta_settled="5"),
    ]
    position = delta.Position(D(51), ledger.amounts(rows, now=on(3)))

    assert position.payment_delta == D(51) - D(60) - D(40)
    # Once the void and the refund settle: 51 - 60 - 0 + 5 = -4; a refund of 10.00 settles 4.00 of it.
    assert position.planned_delta == D(-4)
    assert position.settles(D(10)) == D(4)
    assert position.still_needed == D(51) - D(60) + D(5)


def test_a_pending_authorization_is_counted_so_two_requests_never_secure_the_same_money() -> None:
    rows = [row(AUTHORIZE, "100", day=0), row(AUTHORIZE, "49", day=1, status=PENDING)]

    position = delta.Position(D(149), ledger.amounts(rows, now=on(2)))

    assert (position.payment_delta, position.planned_delta) == (D(49), D(0))


def test_refunds_settle_only_what_they_were_written_to_settle() -> None:
    rows = [
        row(AUTHORIZE, "100", day=0),
        row(CAPTURE, "100", day=1),
        row(REFUND, "10", day=2),  # goodwill (or a return's): settles nothing
        row(REFUND, "49", day=3, delta_settled="49"),
    ]

    position = delta.Position(D(51), ledger.amounts(rows, now=on(4)))

    assert (position.payment_delta, position.amounts.settled, position.amounts.refunded) == (D(0), D(49), D(59))


# ---------------------------------------------------------------- tagged rows settled late (store)


async def _reserve(store: Store, public_id: str, kind: TransactionKind, plan: engine.PlanStep) -> Transaction:
    """Phase 1 of a movement alone, as a process that stopped right after it left it: a tagged PENDING row."""
    async with store.db.write_sessions() as session, session.begin():
        order = await orders.find(session, public_id, for_update=True)
        assert order is not None
        facts = engine.Facts(order, await transaction_rows.transactions_of(session, order_id=order.id), "test")
        planned = await plan(session, facts)
        assert planned.amount is not None
        assert planned.reserved is not None
        pending = await transaction_rows.reserve(
            session, order=order, kind=kind, amount=planned.amount, provider_name="test", now=order.modified_at
        )
        await planned.reserved(session, pending)
        return pending


async def _call_provider_only(store: Store, providers: Providers, pending: Transaction, public_id: str) -> None:
    """Phase 2 alone: the provider answers, but the answer never reaches the store."""
    async with store.db.read_sessions() as session:
        order = await orders.find(session, public_id)
        assert order is not None
        number = transaction_rows.authorization_number(
            await transaction_rows.transactions_of(session, order_id=order.id)
        )
    answer = await transaction_rows.call_provider(
        providers.get("test"), transaction=pending, order=order, authorization_number=number, timeout_seconds=10,
        now=pending.created_at,
    )  # fmt: skip
    assert answer is not None
    assert answer.approved


async def test_reconciliation_settles_a_release_as_a_release_and_an_increment_as_one(demo_store: Store) -> None:
    providers = Providers(demo_store.db.write_sessions)
    now = datetime.datetime.now(datetime.UTC)
    released = await factories.authorized_order(demo_store.db, providers, amount=D("100.00"), now=now)
    raised = await factories.authorized_order(demo_store.db, providers, amount=D("100.00"), now=now)
    await factories.set_total(demo_store.db, raised, D("130.00"))
    voiding = await _reserve(demo_store, released, CANCEL, engine.pure(release.plan))
    raising = await _reserve(
        demo_store, raised, AUTHORIZE, engine.pure(lambda facts: authorization.plan(facts, amount=None, now=now))
    )
    await _call_provider_only(demo_store, providers, voiding, released)
    await _call_provider_only(demo_store, providers, raising, raised)

    report = await reconciliation.run(
        demo_store.db.write_sessions,
        providers,
        older_than=datetime.timedelta(0),
        now=now + datetime.timedelta(seconds=1),
    )

    assert (report.succeeded, report.failed, report.unknown) == (2, 0, 0)
    amounts, transactions, order = await factories.ledger_of(demo_store.db, released)
    assert (order.is_cancelled, amounts.authorized, transactions[-1].purpose) == (False, D(0), "release")
    amounts, transactions, order = await factories.ledger_of(demo_store.db, raised)
    assert (amounts.authorized, transactions[-1].purpose, transactions[-1].amount) == (D(130), "authorize", D(30))
    async with demo_store.db.read_sessions() as session:
        messages = await session.scalars(
            sa.select(OrderEvent.message).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        )
        assert messages.all()[-1] == "Authorized 30.00 EUR more."
