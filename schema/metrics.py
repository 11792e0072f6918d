"""Prometheus metrics at `GET /metrics` (design.md, Operating it), with prometheus-client.

Per request (`observe`, fed by `logs.RequestLog`): requests by path, operation type and status, their
latency, and the SQL statements they sent. At each scrape: the backlog of the mail and webhook outboxes
(PENDING and FAILED) and of reconciliation (PENDING payment transactions), counted in the store.

`ordergraph serve --workers N` sets PROMETHEUS_MULTIPROC_DIR to a fresh folder before the workers
start: each worker then writes its samples there and any worker's `/metrics` sums them all.

Who may read it: anyone who reaches the port, unless `ORDERGRAPH_METRICS_TOKEN` is set; then a
scraper sends `Authorization: Bearer <that token>`. The metrics hold counts only, no shop data.
"""

from __future__ import annotations

import hmac
import os

import prometheus_client
import structlog
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models import database
from resolvers.core import outbox
from schema import logs

log = structlog.get_logger("ordergraph.metrics")

MULTIPROCESS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# The paths the app serves; anything else is counted as "other", so a scanner cannot grow the label set.
_KNOWN_PATHS = frozenset({"/graphql", "/health/live", "/health/ready", "/healthz", "/metrics"})
# From a cached GraphiQL page (~1 ms) to a slow bulk mutation.
_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = prometheus_client.Counter(
    "ordergraph_http_requests", "HTTP requests answered.", ["path", "operation_type", "status"]
)
LATENCY = prometheus_client.Histogram(
    "ordergraph_http_request_duration_seconds",
    "Time from receiving a request to its last byte.",
    ["path", "operation_type"],
    buckets=_LATENCY_BUCKETS,
)
STATEMENTS = prometheus_client.Counter(
    "ordergraph_sql_statements", "SQL statements sent while answering HTTP requests.", ["operation_type"]
)


def observe(finished: logs.Finished) -> None:
    path = finished.path if finished.path in _KNOWN_PATHS else "other"
    REQUESTS.labels(path, finished.operation_type, str(finished.status)).inc()
    LATENCY.labels(path, finished.operation_type).observe(finished.duration_seconds)
    STATEMENTS.labels(finished.operation_type).inc(finished.statements)


def routes(db: database.Database, *, token: str | None) -> list[Route]:
    async def metrics(request: Request) -> Response:
        if token is not None and not _bearer_matches(request.headers.get("authorization", ""), token):
            return JSONResponse({"error": "a bearer token is required"}, status_code=401)
        text = prometheus_client.generate_latest(_request_registry()) + await _backlog_text(db)
        return Response(text, media_type=prometheus_client.CONTENT_TYPE_LATEST)

    return [Route("/metrics", metrics, methods=["GET"])]


def _request_registry() -> prometheus_client.CollectorRegistry:
    """This process's metrics, or every worker's when they share a multiprocess folder."""
    if not os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        return prometheus_client.REGISTRY
    registry = prometheus_client.CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


async def _backlog_text(db: database.Database) -> bytes:
    """The backlog gauges, counted now (by whichever worker answers, so never summed across workers)."""
    gauge = GaugeMetricFamily(
        "ordergraph_backlog", "Rows waiting or given up, by queue and status.", labels=["queue", "status"]
    )
    try:
        async with db.read_sessions() as session:
            counts = await outbox.backlog(session)
    except Exception as error:
        log.warning("backlog not counted", error=repr(error))
        return b""
    for (queue, status), count in sorted(counts.items()):
        gauge.add_metric([queue, status], count)
    registry = prometheus_client.CollectorRegistry()
    registry.register(_Fixed(gauge))
    return prometheus_client.generate_latest(registry)


class _Fixed:
    """A collector of metric families counted beforehand (prometheus-client's collectors are synchronous)."""

    def __init__(self, *families: GaugeMetricFamily) -> None:
        self.families = families

    def collect(self) -> tuple[GaugeMetricFamily, ...]:
        return self.families


def _bearer_matches(header: str, token: str) -> bool:
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
