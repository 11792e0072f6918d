"""OpenTelemetry traces, an optional extra (`pip install .[otel]`), on when the standard variables ask for them.

`OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or `OTEL_TRACES_EXPORTER=otlp|console`
switch traces on; `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` keep them off. The SDK reads
the rest itself (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, headers, timeouts). When off, nothing
of OpenTelemetry is imported.

One span per HTTP request, continuing the caller's trace (`traceparent`), named after its GraphQL
operation (`query Products`) and carrying its type, name, status and statement count: enough to find a
slow request without a span per resolved field, which would cost more than the fields themselves.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models import statement_count
from schema import logs

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the OTEL_* variables ask for traces."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def provider_from_environment(environ: Mapping[str, str] = os.environ) -> TracerProvider:
    """A tracer provider exporting in batches to what OTEL_TRACES_EXPORTER names (OTLP over HTTP by default)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    exporter: SpanExporter
    if environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower() == "console":
        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "ordergraph"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


class Traced:
    """One server span per HTTP request (inside `logs.RequestLog`, whose operations and counts it reads)."""

    def __init__(self, app: ASGIApp, *, provider: TracerProvider) -> None:
        from opentelemetry import propagate, trace

        self.app = app
        self.tracer = provider.get_tracer("ordergraph")
        self.extract = propagate.extract
        self.server_kind = trace.SpanKind.SERVER
        self.error_status = trace.Status(trace.StatusCode.ERROR)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        parent = self.extract(dict(Headers(scope=scope)))
        attributes: dict[str, Any] = {"http.request.method": scope["method"], "url.path": scope["path"]}
        name = f"{scope['method']} {scope['path']}"
        with self.tracer.start_as_current_span(
            name, context=parent, kind=self.server_kind, attributes=attributes
        ) as span:

            async def send_noting_status(message: Message) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                    if message["status"] >= 500:
                        span.set_status(self.error_status)
                await send(message)

            try:
                await self.app(scope, receive, send_noting_status)
            finally:
                _describe_operations(span, logs.current_operations())
                counter = statement_count.current()
                if counter is not None:
                    span.set_attribute("db.statements", counter.statements)


def _describe_operations(span: Any, operations: list[logs.Operation]) -> None:
    if not operations:
        return
    span.set_attribute("graphql.operation.type", ",".join(operation.type for operation in operations))
    names = [operation.name for operation in operations if operation.name]
    if names:
        span.set_attribute("graphql.operation.name", ",".join(names))
    if len(operations) == 1:
        span.update_name(" ".join(part for part in (operations[0].type, operations[0].name) if part))
