"""The write-path workloads: statements per storefront mutation, bulk capture and changeState over HTTP, and
salesSummary over a million orders. Each returns its benchmark lines (`name key=value …`).

`sales_summary_1m` fills a store of its own: SQLite in a temporary folder, on PostgreSQL a database beside
ORDERGRAPH_BENCH_POSTGRES_URL's (`<name>_summary`, dropped afterwards). It migrates to the revision before
the sales rollup, inserts the orders with one INSERT … SELECT over a generated series (the secondary
indexes of `orders` built again after it), then migrates to head, so the rollup is built by the migration's
own backfill. It times the summary in-process and from a real `ordergraph serve`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import functools
import pathlib
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from benchmarks import scenarios, server, write_scenarios
from benchmarks.in_process import timed
from benchmarks.stores import Bench
from models import database, migration
from models.enums import Role
from models.settings import Settings
from resolvers.core import access
from resolvers.reporting import statistics as sales
from resolvers.setup import demo
from schema.app import create_app

BULK_SIZE = 100
BULK_ROUNDS = 3
CHANGE_SIZE = 1000
SUMMARY_ORDERS = 1_000_000
SUMMARY_DAYS = 365
SUMMARY_ROUNDS = 7
SUMMARY = write_scenarios.SALES_SUMMARY
# The whole year, and a range cutting its first and last day (read partly from the orders themselves).
WHOLE_YEAR = {"from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}
CUT_RANGE = {"from": "2026-01-01T06:30:00Z", "to": "2026-12-31T18:15:00Z"}
SHOWN = "id total { withVat } lines { id }"
ERRORS = "userErrors { code message }"
_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "PRAGMA")
ADD = f"""mutation($c: ID!, $s: String, $l: [CartLineInput!]!) {{
  addToCart(cartId: $c, secret: $s, lines: $l) {{ cart {{ {SHOWN} }} {ERRORS} }} }}"""
SET_DETAILS = f"""mutation($c: ID!, $s: String, $d: CartDetailsInput!) {{
  setCartDetails(cartId: $c, secret: $s, details: $d) {{ cart {{ {SHOWN} }} {ERRORS} }} }}"""
UPDATE_LINE = f"""mutation($c: ID!, $s: String, $line: ID!, $q: Decimal!) {{
  updateCartLine(cartId: $c, secret: $s, lineId: $line, quantity: $q) {{ cart {{ {SHOWN} }} {ERRORS} }} }}"""


async def storefront_statements(bench: Bench) -> list[str]:
    """`storefront_statements`: statements of each mutation of one shopper's checkout, in-process."""
    params = await checkout_params(bench)
    counts: dict[str, int] = {}

    async def run(name: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        counts[name], answer = await _counted(bench, document, variables)
        if answer["userErrors"]:
            raise RuntimeError(f"{name}: {answer['userErrors']}")
        return answer

    created = await run("createCart", scenarios.CREATE_CART, {"d": None})
    cart = {"c": created["cart"]["id"], "s": created["secret"]}
    lines = [{"productId": product, "quantity": "1"} for product in params["products"]]
    added = await run("addToCart", ADD, {**cart, "l": lines})
    await run("updateCartLine", UPDATE_LINE, {**cart, "line": added["cart"]["lines"][0]["id"], "q": "2"})
    await run("setCartDetails", SET_DETAILS, {**cart, "d": params["details"]})
    order = (await run("startCheckout", scenarios.START, cart))["order"]["id"]
    await run("completeCheckout", scenarios.COMPLETE, {"o": order, "s": cart["s"], "k": None})
    keys = " ".join(f"{name}={count}" for name, count in counts.items())
    return [f"storefront_statements store={bench.store} {keys}"]


async def _counted(bench: Bench, document: str, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """How many statements one request sent (transaction control left out), and its payload."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(_CONTROL):
            statements.append(statement)

    engines = {id(engine): engine.sync_engine for engine in (bench.db.read_engine, bench.db.write_engine)}
    for engine in engines.values():
        sa.event.listen(engine, "before_cursor_execute", count)
    try:
        [answer] = (await bench.graphql(document, variables)).values()
    finally:
        for engine in engines.values():
            sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements), answer


async def http_bulk(bench: Bench) -> list[str]:
    """`http_bulk_capture_100` and `http_change_state_1000`, each one request to a real `ordergraph serve`."""
    params = await checkout_params(bench)
    batches = [await _authorized_orders(bench, params, BULK_SIZE) for _ in range(BULK_ROUNDS + 1)]
    received = bench.ids.received_numbers
    change_batches = [
        [f"ORDER{number}" for number in received[-(round_number + 1) * CHANGE_SIZE :][:CHANGE_SIZE]]
        for round_number in range(BULK_ROUNDS + 1)
    ]
    picked = str(bench.ids.picked_state_id)
    capture_ms, change_ms = [], []
    with server.ordergraph(bench.url, workers=1) as api:
        for round_number, (ids, moved) in enumerate(zip(batches, change_batches, strict=True)):
            capture = _one(bench, api.url, "benchmarks.write_scenarios:bulk_capture", {"ids": ids})
            change = _one(bench, api.url, "benchmarks.write_scenarios:change_state", {"ids": moved, "state": picked})
            if round_number:  # the first round warms the server's caches and connections
                capture_ms.append(capture)
                change_ms.append(change)
    return [
        f"http_bulk_capture_100 store={bench.store} ms={statistics.median(capture_ms):.1f}",
        f"http_change_state_1000 store={bench.store} ms={statistics.median(change_ms):.1f}",
    ]


async def sales_summary_1m(bench: Bench) -> list[str]:
    """`sales_summary_1m`: salesSummary by day over a million completed orders (whole days, and a range cutting two)."""
    async with _summary_store(bench) as url:
        await migration.upgrade(url, "0009-1")
        started = time.perf_counter()
        await _seed_orders(url)
        seeded = time.perf_counter()
        await migration.upgrade(url)  # 0009 and its backfill
        print(
            f"# {bench.store}: inserted {SUMMARY_ORDERS} orders in {seeded - started:.1f} s, "
            f"rollup backfilled in {time.perf_counter() - seeded:.1f} s",
            flush=True,
        )
        db = database.connect(Settings(pool_size=2), url=url)
        try:
            headers = await _admin_headers(db)
            whole, cut, cut_orders = await _summary_timings(db, url, headers)
        finally:
            await db.dispose()
        http_whole, http_cut = _summary_over_http(bench, url, headers, cut_orders)
    return [
        f"sales_summary_1m store={bench.store} ms={whole:.1f} cut_range_ms={cut:.1f} http_ms={http_whole:.1f}"
        f" http_cut_range_ms={http_cut:.1f} orders={SUMMARY_ORDERS}"
    ]


async def checkout_params(bench: Bench) -> dict[str, Any]:
    """Two products and details with the test provider's card, for `scenarios.checkout`."""
    catalogue = await bench.graphql(
        "query { products(first: 2) { id } paymentMethods { id name } shippingMethods { id name } }"
    )
    methods = {method["name"]: method["id"] for method in catalogue["paymentMethods"] + catalogue["shippingMethods"]}
    return {
        "products": [product["id"] for product in catalogue["products"]],
        "details": {
            "paymentMethodId": methods["Card"],
            "shippingMethodId": methods["Flat rate"],
            "customer": {"email": "shopper@example.com", "country": "Denmark", "countryCode": "DK"},
        },
    }


async def _authorized_orders(bench: Bench, params: dict[str, Any], count: int) -> list[str]:
    """`count` checkouts completed in-process: orders with an authorization to capture."""
    ids: list[str] = []
    for _ in range(count // 10):
        ids += await asyncio.gather(*(_checkout(bench.http, params) for _ in range(10)))
    return ids


async def _checkout(http: httpx.AsyncClient, params: dict[str, Any]) -> str:
    created = await scenarios.payload(http, scenarios.CREATE_CART, {"d": params["details"]})
    cart, secret = created["cart"]["id"], created["secret"]
    lines = [{"productId": product, "quantity": "1"} for product in params["products"]]
    await scenarios.payload(http, scenarios.ADD, {"c": cart, "s": secret, "l": lines})
    order = (await scenarios.payload(http, scenarios.START, {"c": cart, "s": secret}))["order"]["id"]
    await scenarios.payload(http, scenarios.COMPLETE, {"o": order, "s": secret, "k": None})
    return str(order)


def _one(bench: Bench, url: str, scenario: str, params: dict[str, Any]) -> float:
    stats = bench.load.run(scenario, base_url=url, iterations=1, headers=bench.admin_headers, params=params)
    if stats.errors:
        raise RuntimeError(f"{scenario} failed: {stats.first_error}")
    return stats.p50_ms


@contextlib.asynccontextmanager
async def _summary_store(bench: Bench) -> AsyncIterator[str]:
    if bench.store == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite+aiosqlite:///{pathlib.Path(folder) / 'summary.db'}"
        return
    base = sa.make_url(bench.url)
    name = f"{base.database}_summary"
    admin = create_async_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as connection:
            await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def _seed_orders(url: str) -> None:
    db = database.connect(Settings(pool_size=1), url=url)
    try:
        async with db.write_sessions() as session, session.begin():
            await demo.seed(session, now=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    finally:
        await db.dispose()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            states = (
                await connection.execute(
                    sa.text(
                        "SELECT s.id, s.flow_id FROM states s JOIN flows f ON f.id = s.flow_id"
                        " WHERE f.kind = 'ORDER' AND f.is_default = :yes ORDER BY s.sort_order"
                    ),
                    {"yes": True},
                )
            ).all()
            shop = (await connection.execute(sa.text("SELECT id FROM shops ORDER BY id LIMIT 1"))).scalar_one()
            async with _secondary_indexes_after(connection):
                await connection.execute(sa.text(_insert_orders(connection.dialect.name, states, shop)))
        async with engine.connect() as connection:
            # As autovacuum (or a DBA after a bulk load) would: the planner's view of a million new rows and,
            # on PostgreSQL, their visibility map, without which an index-only scan visits every row's page.
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            vacuum = "VACUUM ANALYZE" if connection.dialect.name == "postgresql" else "ANALYZE"
            await connection.execute(sa.text(vacuum))
    finally:
        await engine.dispose()


# The secondary indexes of `orders` as the store spells them (constraints' own indexes stay: they cannot be dropped).
_INDEXES = {
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders' AND sql IS NOT NULL",
    "postgresql": "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
    " WHERE x.indrelid = 'orders'::regclass"
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
}


@contextlib.asynccontextmanager
async def _secondary_indexes_after(connection: AsyncConnection) -> AsyncIterator[None]:
    """Drop the secondary indexes of `orders` for the bulk insert and build them again after it.

    Maintaining every index row by row was almost all of the insert's time; building each once from the
    finished table is one sort of its keys.
    """
    dialect = connection.dialect.name
    indexes = (await connection.execute(sa.text(_INDEXES[dialect]))).all()
    for name, _ in indexes:
        await connection.execute(sa.text(f'DROP INDEX "{name}"'))
    if dialect == "sqlite":
        await connection.execute(sa.text("PRAGMA cache_size = -262144"))  # 256 MiB for the index sorts
    else:
        await connection.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
    yield
    for _, definition in indexes:
        await connection.execute(sa.text(definition))


def _insert_orders(dialect: str, states: Sequence[Any], shop: int) -> str:
    """One INSERT … SELECT of every order: a day of the year, a state and a currency each, net 80 to 119."""
    sqlite = dialect == "sqlite"
    # SQLite keeps money as integers of 1/10,000 and rates of 1/100,000,000 (`models.money`).
    money, rates = ("* 10000", ("100000000", "746000000", "108500000")) if sqlite else ("", ("1", "7.46", "1.085"))
    net, gross, vat = (f"((80 + n % 40) * {factor}{money})" for factor in ("1", "1.25", "0.25"))
    if sqlite:
        gross, vat = f"CAST({gross} AS INTEGER)", f"CAST({vat} AS INTEGER)"
        at = "datetime('2026-01-01 00:00:00', '+' || (n % 365) || ' days', '+' || (n % 86400) || ' seconds')"
        at += " || '.000000'"
        series = f"WITH RECURSIVE series(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM series WHERE n < {SUMMARY_ORDERS})"
        source, true, false = "series", "1", "0"
    else:
        at = "timestamptz '2026-01-01 00:00:00+00' + make_interval(days => n % 365, secs => n % 86400)"
        series, source, true, false = "", f"generate_series(1, {SUMMARY_ORDERS}) AS series(n)", "true", "false"
    in_turn = " ".join(f"WHEN {position} THEN {row[0]}" for position, row in enumerate(states))

    def by_currency(values: tuple[str, str, str]) -> str:
        return f"CASE n % 3 WHEN 0 THEN {values[0]} WHEN 1 THEN {values[1]} ELSE {values[2]} END"

    columns = {
        "public_id": "'ORDER' || (10000000 + n)",
        "number": "10000000 + n",
        "kind": "'ORDER'",
        "shop_id": str(shop),
        "created_at": at,
        "modified_at": at,
        "completed_at": at,
        "is_complete": true,
        "is_cancelled": false,
        "is_deleted": false,
        "is_stock_taken": true,
        "is_exported": false,
        "revision": "1",
        "flow_id": str(states[0][1]),
        "state_id": f"CASE n % {len(states)} {in_turn} END",
        "currency_code": by_currency(("'EUR'", "'DKK'", "'USD'")),
        "currency_name": by_currency(("'Euro'", "'Danish krone'", "'US dollar'")),
        "currency_rate": by_currency(rates),
        "currency_minor_unit": "2",
        "weight": "0",
        "volume": "0",
    }
    for prefix in ("payment_fee", "shipping_fee", "discount_total"):
        columns.update({f"{prefix}_{part}": "0" for part in ("with_vat", "without_vat", "vat", "vat_percent")})
    for prefix in ("subtotal", "price_before_fees", "total"):
        columns.update({f"{prefix}_with_vat": gross, f"{prefix}_without_vat": net, f"{prefix}_vat": vat})
        columns[f"{prefix}_vat_percent"] = f"(25{money})"
    return f"{series} INSERT INTO orders ({', '.join(columns)}) SELECT {', '.join(columns.values())} FROM {source}"


async def _admin_headers(db: database.Database) -> dict[str, str]:
    async with db.write_sessions() as session, session.begin():
        now = datetime.datetime.now(datetime.UTC)
        _, token = await access.create_token(session, role=Role.ADMIN, customer_id=None, name="bench", now=now)
    return {"Authorization": f"Bearer {token}"}


async def _summary_timings(db: database.Database, url: str, headers: dict[str, str]) -> tuple[float, float, int]:
    """In-process medians (httpx's ASGI transport) for the whole year and the cut range, checked first; the
    orders the cut range holds."""
    app = create_app(Settings(database_url=url), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:

        async def summary(variables: dict[str, str]) -> list[dict[str, Any]]:
            response = await http.post("/graphql", json={"query": SUMMARY, "variables": variables}, headers=headers)
            return response.json()["data"]["salesSummary"]  # type: ignore[no-any-return]

        cut_rows = await summary(CUT_RANGE)
        await _check_against_orders(db, cut_rows, CUT_RANGE)
        assert sum(row["orders"] for row in await summary(WHOLE_YEAR)) == SUMMARY_ORDERS
        whole_ms = statistics.median([await timed(lambda: summary(WHOLE_YEAR)) for _ in range(SUMMARY_ROUNDS)])
        cut_ms = statistics.median([await timed(lambda: summary(CUT_RANGE)) for _ in range(SUMMARY_ROUNDS)])
    return whole_ms, cut_ms, sum(row["orders"] for row in cut_rows)


def _summary_over_http(bench: Bench, url: str, headers: dict[str, str], cut_orders: int) -> tuple[float, float]:
    """Medians from a real `ordergraph serve` (1 worker) on loopback, driven by the load client's process."""
    medians = []
    with server.ordergraph(url, workers=1) as api:
        summary = functools.partial(bench.load.run, "benchmarks.write_scenarios:sales_summary", base_url=api.url)
        for span, orders in ((WHOLE_YEAR, SUMMARY_ORDERS), (CUT_RANGE, cut_orders)):
            # Two to warm the server's caches and connections, then the counted ones.
            for iterations in (2, SUMMARY_ROUNDS * 3):
                stats = summary(iterations=iterations, headers=headers, params={**span, "orders": orders})
                if stats.errors:
                    raise RuntimeError(f"salesSummary over HTTP failed: {stats.first_error}")
            medians.append(stats.p50_ms)
    return medians[0], medians[1]


async def _check_against_orders(db: database.Database, served: list[dict[str, Any]], span: dict[str, str]) -> None:
    """The rollup's answer is the one computed from the orders themselves."""
    start, stop = (datetime.datetime.fromisoformat(span[key]) for key in ("from", "to"))
    async with db.read_sessions() as session:
        rows = await sales.sales_summary_from_orders(session, from_=start, to=stop, group_by="DAY")
    expected = [{"key": row.key, "orders": row.orders, "total": {"withVat": str(row.total.with_vat)}} for row in rows]
    assert served == expected, "the rollup and the orders disagree"
