"""A bounded load client in a process of its own, so its CPU is not the server's.

A scenario is an `async def scenario(client: httpx.AsyncClient, params: dict) -> None` named by
"module:function" (e.g. "benchmarks.scenarios:checkout"); one iteration is one call, an exception is
one error. `clients` callers run it concurrently, each with its own connection, until `iterations`
calls have been made in all (or `seconds` have passed). The latency of an iteration is timed in the client.

    with load.Client() as client:
        stats = client.run("benchmarks.scenarios:admin_page", base_url=api.url, clients=1, iterations=15,
                           headers={"Authorization": "Bearer …"}, params={"first": 100})
        print(stats.p50_ms, stats.per_s, stats.errors)
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import multiprocessing
import statistics
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Any

import httpx

Scenario = Callable[[httpx.AsyncClient, dict[str, Any]], Awaitable[None]]


@dataclasses.dataclass(frozen=True)
class Stats:
    iterations: int
    errors: int
    p50_ms: float
    p95_ms: float
    per_s: float
    first_error: str | None = None
    latencies_ms: tuple[float, ...] = ()

    def keys(self) -> str:
        """The `key=value` part of a benchmark line."""
        return f"p50_ms={self.p50_ms:.1f} p95_ms={self.p95_ms:.1f} per_s={self.per_s:.1f} errors={self.errors}"


@dataclasses.dataclass(frozen=True)
class _Job:
    scenario: str
    base_url: str
    clients: int
    iterations: int | None
    seconds: float | None
    headers: dict[str, str]
    params: dict[str, Any]


class Client:
    """The load process: started on entering the block, stopped on leaving it; `run` may be called many times."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child_end = context.Pipe()
        self._process = context.Process(target=_serve_jobs, args=(child_end,), daemon=True)

    def __enter__(self) -> Client:
        self._process.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._pipe.send(None)
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.terminate()

    def run(
        self,
        scenario: str,
        *,
        base_url: str,
        clients: int = 1,
        iterations: int | None = None,
        seconds: float | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Stats:
        assert (iterations is None) != (seconds is None), "bounded by iterations or by seconds"
        self._pipe.send(_Job(scenario, base_url, clients, iterations, seconds, headers or {}, params or {}))
        answer = self._pipe.recv()
        if isinstance(answer, BaseException):
            raise answer
        return answer  # type: ignore[no-any-return]


def _serve_jobs(pipe: Connection) -> None:
    while (job := pipe.recv()) is not None:
        try:
            pipe.send(asyncio.run(_drive(job)))
        except Exception as error:
            pipe.send(RuntimeError(f"{job.scenario}: {error!r}"))


async def _drive(job: _Job) -> Stats:
    module, _, name = job.scenario.partition(":")
    scenario: Scenario = getattr(importlib.import_module(module), name)
    deadline = time.perf_counter() + job.seconds if job.seconds is not None else None
    remaining = [job.iterations if job.iterations is not None else -1]
    latencies: list[float] = []
    failures: list[str] = []

    def another() -> bool:
        if deadline is not None:
            return time.perf_counter() < deadline
        remaining[0] -= 1
        return remaining[0] >= 0

    async def caller() -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=job.base_url, headers=job.headers, limits=limits, timeout=60) as http:
            while another():
                started = time.perf_counter()
                try:
                    await scenario(http, job.params)
                except Exception as error:
                    failures.append(repr(error)[:300])
                else:
                    latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(job.clients)))
    elapsed = time.perf_counter() - started
    return _stats(latencies, failures, elapsed)


def _stats(latencies: list[float], failures: list[str], elapsed: float) -> Stats:
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] if ordered else 0.0
    return Stats(
        iterations=len(latencies) + len(failures),
        errors=len(failures),
        p50_ms=statistics.median(ordered) if ordered else 0.0,
        p95_ms=p95,
        per_s=len(latencies) / elapsed if elapsed > 0 else 0.0,
        first_error=failures[0] if failures else None,
        latencies_ms=tuple(latencies),
    )
