"""Run the demo plans: every record that is not there yet goes through its story, then the subscriptions run.

    seed    each plan whose reference no record has yet: its cart, checkout or quote (`journeys`), then what
            the shop does with it (`handling`); then the due occurrences of the new subscriptions, one
            `recurring.run_due` per due time, so each generated order is dated when it was due

A second run finds every reference and adds nothing. The plans' steps commit one by one, as requests
would: a run that was stopped half-way leaves whole steps, and the next run skips the records it began.
"""

from __future__ import annotations

import dataclasses
import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.enums import OrderKind
from models.flows import State
from models.orders import Order
from models.recurring import RecurringSchedule
from resolvers.channels import recurring
from resolvers.demo import handling, journeys, plans
from resolvers.demo.customers import CUSTOMERS
from resolvers.demo.plans import Plan, Story
from resolvers.demo.tools import STAFF, DemoStepFailed, Tools, load_ids
from resolvers.fulfilment import mail
from resolvers.payments import payment_providers

KINDS = ("cart", "quote", "order")


@dataclasses.dataclass(frozen=True, slots=True)
class Report:
    """What a run did: how many records it planned, how many of them it made (the others were there), and how
    many orders the subscriptions it started generated."""

    planned: int
    made: int
    generated: int
    # The demo's records after the run, by kind and by what became of them (`describe`).
    records: dict[str, int]

    @property
    def added_nothing(self) -> bool:
        return self.made == 0 and self.generated == 0


async def seed(
    sessions: async_sessionmaker[AsyncSession],
    *,
    providers: payment_providers.Providers,
    composer: mail.Composer,
    timeout_seconds: float,
    now: datetime.datetime,
) -> Report:
    """Make every demo record that is missing (the catalogue of `setup.demo` must be there)."""
    async with sessions() as session:
        tools = Tools(sessions, providers, composer, timeout_seconds, await load_ids(session))
        references = sa.select(Order.reference).where(Order.reference.like(f"{plans.REFERENCE_PREFIX}%"))
        there = set((await session.scalars(references)).all())
    planned = plans.plans(now=now)
    missing = [plan for plan in planned if plan.reference not in there]
    for plan in missing:
        await _make(tools, plan)
    subscribed = any(plan.story is Story.RECURRING for plan in missing)
    generated = await _run_subscriptions(tools, now=now) if subscribed else 0
    async with sessions() as session:
        records = await describe(session)
    return Report(planned=len(planned), made=len(missing), generated=generated, records=records)


async def describe(session: AsyncSession) -> dict[str, int]:
    """The demo's records counted by kind and what became of them: a completed order by its flow state."""
    what_became = sa.case(
        (Order.is_cancelled, "cancelled"),
        (sa.and_(Order.kind == OrderKind.ORDER, sa.not_(Order.is_complete)), "checkout started"),
        (Order.kind == OrderKind.QUOTE, sa.func.lower(sa.cast(Order.quote_status, sa.String))),
        (Order.kind == OrderKind.ORDER, State.name),
        else_="open",
    )
    demo = sa.or_(Order.reference.like(f"{plans.REFERENCE_PREFIX}%"), Order.generated_by_schedule_id.is_not(None))
    statement = (
        sa.select(Order.kind, what_became, sa.func.count())
        .outerjoin(State, State.id == Order.state_id)
        .where(demo)
        .group_by(Order.kind, what_became)
    )
    rows = (await session.execute(statement)).all()
    counts = {(str(kind).lower(), became): count for kind, became, count in rows}
    return {f"{kind} {became}": counts[kind, became] for kind, became in sorted(counts, key=_in_story_order)}


def _in_story_order(kind_and_became: tuple[str, str]) -> tuple[int, int, str]:
    kind, became = kind_and_became
    story = ("open", "accepted", "rejected", "checkout started", "Received", "Picked", "Shipped", "Completed")
    return (KINDS.index(kind), story.index(became) if became in story else len(story), became)


def summary(report: Report) -> str:
    """One line: what was added, the customers, and the demo's records by kind and what became of them."""
    if report.added_nothing:
        head = f"demo orders: all {report.planned} there already, nothing added"
    else:
        head = f"demo orders: added {report.made} of {report.planned} planned and {report.generated} recurring"
    by_kind = []
    for kind in KINDS:
        counted = [(name.split(" ", 1)[1], count) for name, count in report.records.items() if name.startswith(kind)]
        by_kind.append(f"{kind} " + ", ".join(f"{became} {count}" for became, count in counted))
    total = sum(report.records.values())
    return f"{head}; {len(CUSTOMERS)} customers, {total} records: {'; '.join(by_kind)}"


async def _make(tools: Tools, plan: Plan) -> None:
    cart = await journeys.fill_cart(tools, plan)
    if plan.story is Story.CART:
        return
    if plan.story in plans.QUOTES:
        order = await journeys.quote(tools, plan, cart)
    else:
        order = await journeys.check_out(tools, plan, cart, complete=plan.story is not Story.CHECKOUT_STARTED)
    if order is not None and order.is_complete:
        await handling.handle(tools, plan, order)


async def _run_subscriptions(tools: Tools, *, now: datetime.datetime) -> int:
    """Generate the subscriptions' orders that fell due before `now`, each at its due time; how many."""
    generated = 0
    while True:
        async with tools.sessions() as session:
            due = await session.scalar(
                sa.select(RecurringSchedule.next_run_at)
                .where(RecurringSchedule.is_active)
                .order_by(RecurringSchedule.next_run_at)
                .limit(1)
            )
        if due is None or due > now:
            return generated
        outcomes = await recurring.run_due(
            tools.sessions, providers=tools.providers, now=due, charged_at=due, actor=STAFF.actor,
            timeout_seconds=tools.timeout_seconds,
        )  # fmt: skip
        for outcome in outcomes:
            if outcome.error is not None:
                raise DemoStepFailed(outcome.requested_id, "a recurring order", outcome.error)
        generated += len(outcomes)
