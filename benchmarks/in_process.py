"""The in-process workloads: the HTTP stack over httpx's ASGI transport, on either store.

Each returns its benchmark lines (`name key=value …`).
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson

from benchmarks import floor, scenarios
from benchmarks.stores import Bench

ROUNDS = 15
CHANGE_STATE = """mutation($ids: [ID!]!, $state: ID!) {
  changeState(orderIds: $ids, stateId: $state) { ok results { orderId userErrors { code } } }
}"""
SUMMARY = """query { salesSummary(from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z", groupBy: "DAY") {
  key orders total { withVat } } }"""


async def admin_list(bench: Bench) -> list[str]:
    """`admin_list_100`: the admin page of 100 orders beside the raw floor, interleaved."""
    variables = {"first": 100}
    statements = await bench.statements(scenarios.ADMIN_PAGE, variables)
    async with raw_fetch(bench.url) as fetch:
        scaled = bench.store == "sqlite"
        assert (
            len(orjson.loads(await floor.page(fetch, first=100, scaled_money=scaled))["data"]["orders"]["edges"]) == 100
        )
        api_times, floor_times = [], []
        for _ in range(ROUNDS):  # interleaved, so both see the same machine state
            api_times.append(await timed(lambda: bench.graphql(scenarios.ADMIN_PAGE, variables)))
            floor_times.append(await timed(lambda: floor.page(fetch, first=100, scaled_money=scaled)))
    p50, floor_ms = statistics.median(api_times), statistics.median(floor_times)
    return [
        f"admin_list_100 store={bench.store} p50_ms={p50:.1f} floor_ms={floor_ms:.1f} ratio={p50 / floor_ms:.1f} "
        f"statements={statements}"
    ]


async def bulk_change_state(bench: Bench) -> list[str]:
    times = []
    for batch in range(3):
        public_ids = [f"ORDER{number}" for number in bench.ids.received_numbers[batch * 1000 : (batch + 1) * 1000]]
        result: dict[str, Any] = {}

        async def change(public_ids: list[str] = public_ids, result: dict[str, Any] = result) -> None:
            result.update(
                await bench.graphql(CHANGE_STATE, {"ids": public_ids, "state": str(bench.ids.picked_state_id)})
            )

        times.append(await timed(change))
        assert result["changeState"]["ok"] is True
    return [f"bulk_change_state_1000 store={bench.store} ms={statistics.median(times):.1f}"]


async def sales_summary(bench: Bench) -> list[str]:
    rows = await bench.graphql(SUMMARY)
    assert sum(row["orders"] for row in rows["salesSummary"]) > 0
    times = [await timed(lambda: bench.graphql(SUMMARY)) for _ in range(7)]
    return [f"sales_summary_100k store={bench.store} ms={statistics.median(times):.1f}"]


@contextlib.asynccontextmanager
async def raw_fetch(url: str) -> AsyncIterator[floor.Fetch]:
    """The floor's fetch over one raw connection to the store at `url`."""
    if url.startswith("sqlite"):
        import aiosqlite

        async with aiosqlite.connect(url.split("///", 1)[1]) as connection:
            await connection.execute("PRAGMA journal_mode=WAL")
            yield floor.sqlite_fetch(connection)
        return
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        yield floor.postgres_fetch(connection)
    finally:
        await connection.close()


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return (time.perf_counter() - started) * 1000
