"""The demo's plans: seeded, complete and dated so that every step has happened by now (no store needed)."""

from __future__ import annotations

import collections
import datetime
from decimal import Decimal

from resolvers.demo import plans
from resolvers.demo.plans import Story
from resolvers.setup import demo

NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


def test_the_same_seed_gives_the_same_plans_dated_from_now() -> None:
    first, again = plans.plans(now=NOW), plans.plans(now=NOW)
    a_day_later = plans.plans(now=NOW + datetime.timedelta(days=1))
    other_seed = plans.plans(now=NOW, seed=plans.SEED + 1)

    assert first == again
    assert [plan.started_at + datetime.timedelta(days=1) for plan in first] == [p.started_at for p in a_day_later]
    assert [(plan.story, plan.lines) for plan in first] == [(plan.story, plan.lines) for plan in a_day_later]
    assert [plan.lines for plan in other_seed] != [plan.lines for plan in first]


def test_the_plans_follow_the_recipe_with_unique_references_oldest_first() -> None:
    planned = plans.plans(now=NOW)

    assert collections.Counter(plan.story for plan in planned) == {story: count for story, count, _ in plans.RECIPE}
    assert [plan.reference for plan in planned] == [f"DEMO-{index:04d}" for index in range(1, len(planned) + 1)]
    assert [plan.started_at for plan in planned] == sorted(plan.started_at for plan in planned)
    assert NOW - datetime.timedelta(days=plans.DAYS + 1) < planned[0].started_at
    assert planned[-1].started_at < NOW


def test_every_step_of_a_plan_happens_before_now() -> None:
    span_hours = plans.SPAN / datetime.timedelta(hours=1)

    assert all(plan.at(span_hours) < NOW for plan in plans.plans(now=NOW))


def test_completed_orders_end_in_every_flow_state_and_carts_and_quotes_in_none() -> None:
    planned = plans.plans(now=NOW)
    final_states = {plan.final_state for plan in planned if plan.story not in plans.NOT_COMPLETED}

    assert final_states == {"Received", "Picked", "Shipped", "Completed", None}  # None: the cancelled
    assert {plan.final_state for plan in planned if plan.story in plans.NOT_COMPLETED} == {None}
    assert {plan.final_state for plan in planned if plan.story is Story.CANCELLED} == {None}


def test_the_plans_sell_no_more_than_the_stock_less_what_is_kept() -> None:
    sold: collections.Counter[str] = collections.Counter()
    for plan in plans.plans(now=NOW):
        if plan.story in plans.NOT_COMPLETED:
            continue
        times = plans.DAYS // 7 + 1 if plan.story is Story.RECURRING else 1
        for number, quantity in plan.lines:
            sold[number] += int(quantity) * times

    stock = {number: Decimal(stock) for number, *_, stock, _weight in demo.PRODUCTS}
    assert all(sold[number] <= stock[number] - plans.STOCK_KEPT for number in sold)
    assert {plan.currency_code for plan in plans.plans(now=NOW)} == {"EUR", "DKK", "USD"}
