"""A real `ordergraph serve` killed with SIGKILL right after the reserve, or right after the provider answered;
`ordergraph reconcile --older-than 0` then leaves the store's ledger equal to the provider's books, nothing
PENDING and nothing doubled. The crash points are the `ORDERGRAPH_CRASH_AFTER` test hook
(`resolvers.core.testing_hooks`) that the money engine calls."""

from __future__ import annotations

import asyncio
import datetime
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from models.enums import Role, TransactionKind, TransactionStatus
from models.settings import Settings
from resolvers.core import orders
from resolvers.payments import capture, ledger, reconciliation, transaction_rows
from resolvers.payments.payment_providers import Providers
from tests import payment_factories as factories
from tests.conftest import Store, make_token
from tests.test_payments_api import CAPTURE, REFUND

D = Decimal
ORDERGRAPH = str(Path(sys.executable).parent / "ordergraph")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`ordergraph serve` on a free loopback port over the test store."""

    def __init__(self, url: str, crash_after: str | None) -> None:
        self.port = _free_port()
        env = {**os.environ, "DATABASE_URL": url, "ORDERGRAPH_LOG_LEVEL": "WARNING"}
        env.pop("ORDERGRAPH_CRASH_AFTER", None)
        if crash_after:
            env["ORDERGRAPH_CRASH_AFTER"] = crash_after
        self.process = subprocess.Popen(
            [ORDERGRAPH, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base_url = f"http://127.0.0.1:{self.port}"

    async def ready(self) -> None:
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            for _ in range(200):
                try:
                    if (await http.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError("the server did not start")

    async def post(self, query: str, variables: dict[str, Any], token: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as http:
            return await http.post(
                "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
async def servers(demo_store: Store) -> AsyncIterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


async def _start(servers: list[Server], url: str, crash_after: str | None) -> Server:
    server = Server(url, crash_after)
    servers.append(server)
    await server.ready()
    return server


async def _crash(server: Server, query: str, variables: dict[str, Any], token: str) -> None:
    with pytest.raises(httpx.TransportError):
        await server.post(query, variables, token)
    assert await asyncio.to_thread(server.process.wait, 10) == -signal.SIGKILL


async def _reconcile(url: str) -> str:
    process = await asyncio.create_subprocess_exec(
        ORDERGRAPH, "reconcile", "--older-than", "0",
        env={**os.environ, "DATABASE_URL": url}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    return stdout.decode().strip()


async def _assert_ledger_equals_books(store: Store, public_id: str) -> ledger.Amounts:
    amounts, transactions, _ = await factories.ledger_of(store.db, public_id)
    books = {row.reference: row for row in await factories.provider_books(store.db)}
    assert [t for t in transactions if t.status is TransactionStatus.PENDING] == []
    for transaction in transactions:
        seen = books.get(transaction.reference)
        expected = TransactionStatus.SUCCEEDED if seen is not None and seen.is_approved else TransactionStatus.FAILED
        assert (transaction.reference, transaction.status) == (transaction.reference, expected)
    for kind in (TransactionKind.CAPTURE, TransactionKind.REFUND):
        approved = [books[t.reference].amount for t in transactions if t.kind is kind and t.reference in books]
        assert sum(t.amount for t in factories.succeeded(transactions, kind)) == sum(approved, D(0))
    factories.assert_invariants(amounts, transactions)
    return amounts


async def _order(store: Store) -> str:
    return await factories.authorized_order(store.db, Providers(store.db.write_sessions), amount=D("100.00"))


async def test_killed_after_the_reserve_the_capture_never_reached_the_provider(
    demo_store: Store, servers: list[Server]
) -> None:
    public_id, token = await _order(demo_store), await make_token(demo_store, Role.ADMIN)
    server = await _start(servers, demo_store.url, "reserve")

    await _crash(server, CAPTURE, {"ids": [public_id], "amount": "40.00", "key": "k1"}, token)
    _, pending, _ = await factories.ledger_of(demo_store.db, public_id)
    assert [(t.kind, t.status) for t in pending][-1] == (TransactionKind.CAPTURE, TransactionStatus.PENDING)

    assert await _reconcile(demo_store.url) == (
        "reconciled: 0 succeeded, 1 failed, 0 still pending; purged 0 idempotency keys"
    )
    amounts = await _assert_ledger_equals_books(demo_store, public_id)
    assert amounts.captured == 0
    _, transactions, _ = await factories.ledger_of(demo_store.db, public_id)
    assert transactions[-1].message == reconciliation.NEVER_REACHED

    # A healthy server captures afterwards; the crashed key replays its (failed) outcome, never a second capture.
    healthy = await _start(servers, demo_store.url, None)
    replay = (await healthy.post(CAPTURE, {"ids": [public_id], "amount": "40.00", "key": "k1"}, token)).json()
    assert replay["data"]["capture"]["results"][0]["userErrors"][0]["code"] == "PROVIDER_DECLINED"
    fresh = (await healthy.post(CAPTURE, {"ids": [public_id], "amount": "40.00"}, token)).json()
    assert fresh["data"]["capture"]["ok"] is True
    assert (await _assert_ledger_equals_books(demo_store, public_id)).captured == D(40)


async def test_killed_after_the_provider_call_the_capture_is_settled_from_the_providers_books(
    demo_store: Store, servers: list[Server]
) -> None:
    public_id, token = await _order(demo_store), await make_token(demo_store, Role.ADMIN)
    server = await _start(servers, demo_store.url, "provider")

    await _crash(server, CAPTURE, {"ids": [public_id], "amount": "40.00", "key": "k2"}, token)
    healthy = await _start(servers, demo_store.url, None)
    in_flight = (await healthy.post(CAPTURE, {"ids": [public_id], "amount": "40.00", "key": "k2"}, token)).json()
    assert in_flight["data"]["capture"]["results"][0]["userErrors"][0]["code"] == "ALREADY_DONE"

    assert (await _reconcile(demo_store.url)).startswith("reconciled: 1 succeeded, 0 failed, 0 still pending")
    amounts = await _assert_ledger_equals_books(demo_store, public_id)
    assert amounts.captured == D(40)
    assert len(await factories.provider_books(demo_store.db)) == 2  # the authorization and one capture

    replay = (await healthy.post(CAPTURE, {"ids": [public_id], "amount": "40.00", "key": "k2"}, token)).json()
    assert replay["data"]["capture"]["ok"] is True
    assert (await _assert_ledger_equals_books(demo_store, public_id)).captured == D(40)
    assert (
        await _reconcile(demo_store.url)
        == "reconciled: 0 succeeded, 0 failed, 0 still pending; purged 0 idempotency keys"
    )


async def test_killed_after_the_provider_refunded_the_refund_is_settled_once(
    demo_store: Store, servers: list[Server]
) -> None:
    public_id, token = await _order(demo_store), await make_token(demo_store, Role.ADMIN)
    healthy = await _start(servers, demo_store.url, None)
    assert (await healthy.post(CAPTURE, {"ids": [public_id]}, token)).json()["data"]["capture"]["ok"] is True
    crashing = await _start(servers, demo_store.url, "provider")

    await _crash(crashing, REFUND, {"id": public_id, "amount": "25.00", "reason": "late"}, token)
    assert (await _reconcile(demo_store.url)).startswith("reconciled: 1 succeeded")

    amounts = await _assert_ledger_equals_books(demo_store, public_id)
    assert (amounts.captured, amounts.refunded) == (D(100), D(25))
    _, _, order = await factories.ledger_of(demo_store.db, public_id)
    assert order.revision == 3  # the capture and the reconciled refund, each once


async def test_reconcile_leaves_rows_younger_than_the_age_alone(demo_store: Store) -> None:
    public_id = await _order(demo_store)
    async with demo_store.db.write_sessions() as session, session.begin():
        order = await orders.find(session, public_id, for_update=True)
        await transaction_rows.reserve(
            session, order=order, kind=TransactionKind.CAPTURE, amount=D(1), provider_name="test",
            now=datetime.datetime.now(datetime.UTC),
        )  # fmt: skip
    providers = Providers(demo_store.db.write_sessions)
    now = datetime.datetime.now(datetime.UTC)

    young = await reconciliation.run(
        demo_store.db.write_sessions, providers, older_than=datetime.timedelta(minutes=5), now=now
    )
    old = await reconciliation.run(demo_store.db.write_sessions, providers, older_than=datetime.timedelta(0), now=now)

    assert (young.failed, old.failed) == (0, 1)
    assert Settings().reconcile_after_seconds > Settings().provider_timeout_seconds


async def test_a_provider_timeout_leaves_the_row_pending_until_reconciled(demo_store: Store) -> None:
    public_id = await _order(demo_store)
    providers = Providers(demo_store.db.write_sessions)
    now = datetime.datetime.now(datetime.UTC)

    [outcome] = await capture.capture(
        demo_store.db.write_sessions, providers=providers, order_ids=[public_id], amount=None,
        idempotency_key=None, actor="test", now=now, timeout_seconds=0,
    )  # fmt: skip

    assert outcome.error is not None
    assert outcome.error.code == "ALREADY_DONE"
    _, transactions, _ = await factories.ledger_of(demo_store.db, public_id)
    assert transactions[-1].status is TransactionStatus.PENDING
    sessions = demo_store.db.write_sessions
    report = await reconciliation.run(sessions, providers, older_than=datetime.timedelta(0), now=now)
    assert (report.succeeded, report.failed, report.unknown) == (0, 1, 0)
    await _assert_ledger_equals_books(demo_store, public_id)
