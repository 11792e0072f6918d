"""`ordergraph serve --workers 2` as a user runs it, on a loopback port: both workers answer, each request
logs one JSON line with its id, `/metrics` sums the workers, `/health/ready` is 200 (both stores)."""

from __future__ import annotations

import collections
import json
import os
import pathlib
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from multiprocessing.reduction import ForkingPickler

import httpx
import pytest

from schema import serving
from schema.command_errors import CommandError
from tests import mail_helpers
from tests.conftest import Store

METHODS = {"query": "query Methods { paymentMethods { id } }"}
# Requests sent at most while waiting for the second worker to answer one (the kernel picks the worker).
MAX_REQUESTS = 200


@pytest.fixture
def two_workers(store: Store, tmp_path: pathlib.Path) -> Iterator[tuple[str, pathlib.Path]]:
    port = mail_helpers.free_port()
    log_file = tmp_path / "serve.log"
    env = {**os.environ, "DATABASE_URL": store.url, "ORDERGRAPH_LOG_JSON": "true", "ORDERGRAPH_LOG_LEVEL": "INFO"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log_file.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "ordergraph", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base_url, server)
        yield base_url, log_file
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_two_workers_answer_log_every_request_and_share_their_metrics(two_workers: tuple[str, pathlib.Path]) -> None:
    base_url, log_file = two_workers
    sent: list[str] = []
    while len(sent) < MAX_REQUESTS and len(_request_lines(log_file, sent)) < 2:
        for _ in range(10):  # a new connection each: the kernel hands each to either worker
            request_id = f"test-{len(sent)}"
            response = httpx.post(f"{base_url}/graphql", json=METHODS, headers={"X-Request-ID": request_id})
            assert response.status_code == 200, response.text
            assert response.headers["x-request-id"] == request_id
            sent.append(request_id)
    ready = httpx.get(f"{base_url}/health/ready")
    metrics = httpx.get(f"{base_url}/metrics").text

    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})
    graphql_requests = (
        'ordergraph_http_requests_total{operation_type="query",path="/graphql",status="200"} ' + f"{len(sent)}.0"
    )
    assert graphql_requests in metrics.splitlines()
    by_worker = _request_lines(log_file, sent)
    assert len(by_worker) == 2, f"one worker answered all {len(sent)} requests"
    lines = [line for lines in by_worker.values() for line in lines]
    assert sorted(line["request_id"] for line in lines) == sorted(sent)
    assert {(line["operation"], line["operation_type"], line["status"]) for line in lines} == {
        ("Methods", "query", 200)
    }


def _request_lines(log_file: pathlib.Path, request_ids: list[str]) -> dict[int, list[dict[str, object]]]:
    """The request lines of `request_ids` by process id; every line of the log must be a JSON object."""
    wanted = set(request_ids)
    by_worker: dict[int, list[dict[str, object]]] = collections.defaultdict(list)
    # The last piece may be a line the server is still writing: only whole lines are read.
    for text in log_file.read_text().split("\n")[:-1]:
        line = json.loads(text)
        assert isinstance(line, dict), text
        if line.get("event") == "request" and line.get("request_id") in wanted:
            by_worker[int(line["pid"])].append(line)
    return by_worker


def _wait_until_ready(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90  # two processes importing the app on a busy machine
    while time.monotonic() < deadline:
        assert server.poll() is None, "ordergraph serve exited"
        try:
            if httpx.get(f"{base_url}/health/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail("ordergraph serve --workers 2 did not become ready")


def test_the_listening_socket_is_tcp_with_nodelay_and_so_are_its_connections() -> None:
    listening = serving.listening_socket("127.0.0.1", 0)
    try:
        listening.listen()
        with socket.create_connection(listening.getsockname()) as _client:
            accepted, _ = listening.accept()
            with accepted:
                accepted_nodelay = accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                accepted_proto = accepted.proto
        listening_options = (
            listening.proto,
            listening.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
            listening.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR),
            listening.get_inheritable(),
        )
    finally:
        listening.close()

    # asyncio turns Nagle off for an accepted connection only when it is marked TCP (`proto`).
    assert listening_options == (socket.IPPROTO_TCP, 1, 1, True)
    assert (accepted_proto, accepted_nodelay) == (socket.IPPROTO_TCP, 1)


def test_each_worker_gets_a_listening_socket_of_its_own_on_the_supervisors_address() -> None:
    supervisor = serving.worker_socket("127.0.0.1", 0)
    address = supervisor.getsockname()
    # What each spawned worker unpickles (multiprocessing's pickler, as uvicorn hands the sockets over).
    workers = [ForkingPickler.loads(ForkingPickler.dumps(supervisor)) for _ in range(2)]
    try:
        for worker in workers:
            worker.listen()
        with socket.create_connection(address) as _client:
            ready, _, _ = select.select(workers, [], [], 5)
            accepted, _ = ready[0].accept()
            with accepted:
                accepted_nodelay = accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        options = [
            (
                worker.getsockname(),
                worker.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT),
                worker.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
            )
            for worker in workers
        ]
        distinct = len({os.fstat(worker.fileno()).st_ino for worker in [supervisor, *workers]})
        supervisor_listens = supervisor.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
    finally:
        for open_socket in [supervisor, *workers]:
            open_socket.close()

    assert options == [(address, 1, 1)] * 2
    assert distinct == 3, "the workers' sockets are sockets of their own, not copies of the supervisor's"
    # The supervisor's socket never listens, so no connection waits where no worker accepts.
    assert (supervisor_listens, accepted_nodelay) == (0, 1)


def test_serving_workers_on_an_address_in_use_is_refused_even_by_a_server_sharing_ports() -> None:
    other = serving.listening_socket("127.0.0.1", 0, reuse_port=True)
    try:
        other.listen()
        with pytest.raises(CommandError, match="already in use"):
            serving.worker_socket("127.0.0.1", other.getsockname()[1])
    finally:
        other.close()
