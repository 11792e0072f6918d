"""Servers on loopback for the HTTP workloads: a real `ordergraph serve`, and the floor server beside it.

Each runs in a process of its own on a free port and is stopped (SIGTERM, then SIGKILL) when its block
ends; `url` is ready to take requests once the block is entered. What a server writes goes to `log`, a
file in the temporary folder, so the benchmark's own lines stay readable.

    with server.ordergraph(store_url, workers=2) as api, server.floor(store_url) as floor:
        ...  # api.url, floor.url
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import httpx

from benchmarks import floor_server

READY_TIMEOUT_SECONDS = 60.0


@dataclasses.dataclass(frozen=True)
class Running:
    url: str
    pid: int
    log: pathlib.Path


@contextlib.contextmanager
def ordergraph(store_url: str, *, workers: int = 1, env: dict[str, str] | None = None) -> Iterator[Running]:
    """`ordergraph serve --workers N` over the store at `store_url`."""
    port = free_port()
    command = [str(pathlib.Path(sys.executable).with_name("ordergraph")), "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers)]
    # A benchmark measures serving, not writing a log line per request to a terminal.
    environment = {"ORDERGRAPH_DATABASE_URL": store_url, "ORDERGRAPH_LOG_LEVEL": "WARNING", **(env or {})}
    with _process(command, environment, port) as running:
        yield running


@contextlib.contextmanager
def floor(store_url: str) -> Iterator[Running]:
    """The raw floor server (`benchmarks.floor_server`) over the same store, under uvicorn too."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "benchmarks.floor_server:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"]
    with _process(command, {floor_server.URL_VARIABLE: store_url}, port) as running:
        yield running


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _process(command: list[str], env: dict[str, str], port: int) -> Iterator[Running]:
    root = pathlib.Path(__file__).resolve().parent.parent
    log = pathlib.Path(tempfile.gettempdir()) / f"ordergraph-bench-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=root, env={**os.environ, **env}, stdout=output, stderr=output, start_new_session=True
        )
    running = Running(url=f"http://127.0.0.1:{port}", pid=process.pid, log=log)
    try:
        _wait_ready(process, running.url)
        yield running
    finally:
        _stop(process)


def _wait_ready(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode} before it was ready")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{process.args!r} was not ready within {READY_TIMEOUT_SECONDS:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the server and the workers it spawned
            process.wait()
