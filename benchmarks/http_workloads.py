"""The HTTP workloads: a real `ordergraph serve` on loopback, driven by the load client in another process.

Each returns its benchmark lines (`name key=value …`).
"""

from __future__ import annotations

import statistics

from benchmarks import scenarios, server
from benchmarks.stores import Bench

PAGE_SIZES = (20, 100, 250)
PAGE_ROUNDS = 15
CHECKOUT_CLIENTS = (1, 8, 32)
CHECKOUT_WORKERS = (1, 2)
CHECKOUT_SECONDS = 8.0


async def admin_pages(bench: Bench) -> list[str]:
    """`http_admin_page_N`: the admin page beside the floor server, one request of each in turn."""
    lines = []
    with server.ordergraph(bench.url, workers=1) as api, server.floor(bench.url) as floor:
        for first in PAGE_SIZES:
            statements = await bench.statements(scenarios.ADMIN_PAGE, {"first": first})
            api_ms, floor_ms = _interleaved(bench, api.url, floor.url, first)
            lines.append(
                f"http_admin_page_{first} store={bench.store} p50_ms={api_ms:.1f} floor_ms={floor_ms:.1f} "
                f"ratio={api_ms / floor_ms:.1f} statements={statements}"
            )
    return lines


def _interleaved(bench: Bench, api_url: str, floor_url: str, first: int) -> tuple[float, float]:
    """Median latencies of the page and its floor, measured in alternating short runs after a warm-up."""
    api: list[float] = []
    floor: list[float] = []
    for round_number in range(PAGE_ROUNDS + 1):
        for url, scenario, into in (
            (api_url, "benchmarks.scenarios:admin_page", api),
            (floor_url, "benchmarks.scenarios:floor_page", floor),
        ):
            stats = bench.load.run(
                scenario, base_url=url, iterations=3, headers=bench.admin_headers, params={"first": first}
            )
            if stats.errors:
                raise RuntimeError(f"{scenario} failed: {stats.first_error}")
            if round_number:  # the first round warms caches and connections
                into.extend(stats.latencies_ms)
    return statistics.median(api), statistics.median(floor)


async def checkouts(bench: Bench) -> list[str]:
    """`http_checkouts`: whole anonymous checkouts per second at 1, 8 and 32 clients, on 1 and 2 workers."""
    catalogue = await bench.graphql(
        "query { products(first: 2) { id } paymentMethods { id name } shippingMethods { id name } }"
    )
    methods = {method["name"]: method["id"] for method in catalogue["paymentMethods"] + catalogue["shippingMethods"]}
    params = {
        "products": [product["id"] for product in catalogue["products"]],
        "details": {
            "paymentMethodId": methods["Card"],
            "shippingMethodId": methods["Flat rate"],
            "customer": {"email": "shopper@example.com", "country": "Denmark", "countryCode": "DK"},
        },
    }
    lines = []
    for workers in CHECKOUT_WORKERS:
        with server.ordergraph(bench.url, workers=workers) as api:
            bench.load.run("benchmarks.scenarios:checkout", base_url=api.url, iterations=4, params=params)
            for clients in CHECKOUT_CLIENTS:
                stats = bench.load.run(
                    "benchmarks.scenarios:checkout",
                    base_url=api.url,
                    clients=clients,
                    seconds=CHECKOUT_SECONDS,
                    params=params,
                )
                lines.append(
                    f"http_checkouts store={bench.store} clients={clients} workers={workers} per_s={stats.per_s:.1f} "
                    f"errors={stats.errors} p50_ms={stats.p50_ms:.1f} p95_ms={stats.p95_ms:.1f}"
                )
                if stats.first_error:
                    print(f"# first error: {stats.first_error} (server log: {api.log})", flush=True)
    return lines
