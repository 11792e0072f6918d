"""Operating the service over HTTP: health endpoints, one log line per request, /metrics (both stores)."""

from __future__ import annotations

import gc
import json
import logging
import os
import pathlib
import subprocess
import sys

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from models import migration
from models.settings import Settings
from schema import garbage, logs, tracing
from schema.app import create_app
from tests.conftest import GraphQLClient, StatementCounter, Store

PRODUCTS = "query Products { products(first: 3) { id name } }"


async def test_live_and_ready_answer_on_a_migrated_store(api: GraphQLClient) -> None:
    live = await api.http.get("/health/live")
    ready = await api.http.get("/health/ready")
    alias = await api.http.get("/healthz")

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})
    assert (alias.status_code, alias.json()) == (200, {"status": "ok"})


async def test_ready_says_why_when_the_store_is_not_at_head(store: Store) -> None:
    async with store.db.write_sessions() as session, session.begin():
        await session.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    old = await _get(store, "/health/ready")
    async with store.db.write_sessions() as session, session.begin():
        await session.execute(sa.text("DELETE FROM alembic_version"))
    unmigrated = await _get(store, "/health/ready")
    alias = await _get(store, "/healthz")
    live = await _get(store, "/health/live")

    head = migration.head_revision()
    assert (old.status_code, old.json()) == (
        503,
        {"status": "unavailable", "reason": f"the store is at revision 0001, not {head}: run `ordergraph migrate`"},
    )
    not_migrated = {"status": "unavailable", "reason": "the store is not migrated: run `ordergraph migrate`"}
    assert (unmigrated.status_code, unmigrated.json()) == (503, not_migrated)
    assert (alias.status_code, alias.json()) == (503, not_migrated)
    assert live.status_code == 200


async def test_each_request_logs_one_json_line_with_its_id_operation_and_statements(
    api: GraphQLClient, caplog: pytest.LogCaptureFixture, count_statements: StatementCounter
) -> None:
    with caplog.at_level(logging.INFO, logger="ordergraph.request"):
        named = await api.http.post("/graphql", json={"query": PRODUCTS}, headers={"X-Request-ID": "shop-42.a"})
        forged = await api.http.post(
            "/graphql",
            json={"query": "mutation { createCart { secret cart { id } } }"},
            headers={"X-Request-ID": "a b"},
        )
        sent_by_mutation = count_statements.count
        health = await api.http.get("/health/live")

    lines = [json.loads(logs.formatter(json=True).format(record)) for record in _request_records(caplog)]
    assert len(lines) == 3
    first, second, third = lines
    assert named.headers["x-request-id"] == "shop-42.a"
    assert {key: first[key] for key in ("request_id", "operation", "operation_type", "status", "path", "method")} == {
        "request_id": "shop-42.a",
        "operation": "Products",
        "operation_type": "query",
        "status": 200,
        "path": "/graphql",
        "method": "POST",
    }
    assert first["statements"] == 1
    assert first["duration_ms"] >= 0
    assert first["level"] == "info"
    # An id that is not a plain token is replaced by a new one, returned in the header.
    assert second["request_id"] == forged.headers["x-request-id"] != "a b"
    assert (second["operation"], second["operation_type"], second["status"]) == (None, "mutation", 200)
    assert second["statements"] == sent_by_mutation - 1 > 1  # all but the products query's one
    assert (third["path"], third["operation_type"], third["statements"], third["status"]) == (
        "/health/live",
        "none",
        0,
        health.status_code,
    )


async def test_a_batch_is_logged_as_one_line_naming_its_operations(
    api: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    batch = [{"query": PRODUCTS}, {"query": "query Methods { paymentMethods { id } }"}]

    with caplog.at_level(logging.INFO, logger="ordergraph.request"):
        response = await api.http.post("/graphql", json=batch)

    [line] = [json.loads(logs.formatter(json=True).format(record)) for record in _request_records(caplog)]
    assert response.status_code == 200
    assert (line["operation"], line["operation_type"], line["statements"]) == ("Products,Methods", "batch", 2)


async def test_metrics_count_requests_statements_and_the_backlog(api: GraphQLClient) -> None:
    before = _samples((await api.http.get("/metrics")).text)

    await api.http.post("/graphql", json={"query": PRODUCTS})
    await api.http.post("/graphql", json={"query": PRODUCTS})
    await api.http.post("/graphql", json={"query": "{ nope }"})
    response = await api.http.get("/metrics")

    after = _samples(response.text)
    assert response.headers["content-type"].startswith("text/plain")
    ok = ("ordergraph_http_requests_total", (("operation_type", "query"), ("path", "/graphql"), ("status", "200")))
    assert after[ok] - before.get(ok, 0) == 3  # a document that does not validate is still an HTTP 200
    statements = ("ordergraph_sql_statements_total", (("operation_type", "query"),))
    assert after[statements] - before.get(statements, 0) == 2
    latency = ("ordergraph_http_request_duration_seconds_count", (("operation_type", "query"), ("path", "/graphql")))
    assert after[latency] - before.get(latency, 0) == 3
    for queue, status in [("mail", "PENDING"), ("mail", "FAILED"), ("webhook", "PENDING"), ("payment", "PENDING")]:
        assert after[("ordergraph_backlog", (("queue", queue), ("status", status)))] == 0


async def test_metrics_want_the_token_when_one_is_set(demo_store: Store) -> None:
    app = create_app(Settings(database_url=demo_store.url, metrics_token="scrape-me"), db=demo_store.db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        anonymous = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer scrape-you"})
        scraper = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me"})

    assert (anonymous.status_code, wrong.status_code, scraper.status_code) == (401, 401, 200)
    assert "ordergraph_http_requests_total" not in anonymous.text
    assert "ordergraph_http_requests_total" in scraper.text


def _request_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "ordergraph.request"]


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def _get(store: Store, path: str) -> httpx.Response:
    app = create_app(Settings(database_url=store.url), db=store.db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        return await http.get(path)


async def test_a_request_is_one_span_named_after_its_operation_continuing_the_callers_trace(demo_store: Store) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    app = create_app(Settings(database_url=demo_store.url), db=demo_store.db, tracer_provider=provider)
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    traceparent = f"00-{caller_trace}-00f067aa0ba902b7-01"

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        await http.post("/graphql", json={"query": PRODUCTS}, headers={"traceparent": traceparent})
        await http.get("/health/live")

    query, health = exported.get_finished_spans()
    assert (query.name, health.name) == ("query Products", "GET /health/live")
    assert format(query.context.trace_id, "032x") == caller_trace
    assert query.parent is not None
    assert format(query.parent.span_id, "016x") == "00f067aa0ba902b7"
    assert dict(query.attributes or {}) == {
        "http.request.method": "POST",
        "url.path": "/graphql",
        "http.response.status_code": 200,
        "graphql.operation.type": "query",
        "graphql.operation.name": "Products",
        "db.statements": 1,
    }


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, True),
        ({"OTEL_TRACES_EXPORTER": "console"}, True),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, False),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, False),
    ],
)
def test_the_standard_variables_switch_traces_on(environ: dict[str, str], expected: bool) -> None:
    assert tracing.enabled(environ) is expected


def test_without_the_variables_opentelemetry_is_not_imported(tmp_path: pathlib.Path) -> None:
    program = (
        "import sys; from models.settings import Settings; from schema.app import create_app; "
        f"create_app(Settings(database_url='sqlite+aiosqlite:///{tmp_path / 'x.db'}')); "
        "print(sorted(name for name in sys.modules if name.startswith('opentelemetry')))"
    )
    environ = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_")}

    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=environ, timeout=120, check=False
    )

    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr


async def test_a_started_app_freezes_what_start_up_made_and_collects_young_garbage_less_often(
    tmp_path: pathlib.Path,
) -> None:
    defaults = gc.get_threshold()
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"))
    try:
        async with app.router.lifespan_context(app):
            assert gc.get_threshold() == (garbage.YOUNG_THRESHOLD, *garbage.OLDER_THRESHOLDS)
            frozen = gc.get_freeze_count()
            assert frozen > 10_000  # the modules and the schema at least
            garbage.tune()
            assert gc.get_freeze_count() == frozen  # once per process
    finally:
        gc.set_threshold(*defaults)
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
