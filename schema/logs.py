"""Structured logs through the standard library: one line per event, JSON when asked, tracebacks in full."""

from __future__ import annotations

import contextvars
import dataclasses
import logging
import logging.config
import os
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models import statement_count
from models.settings import Settings

request_log = structlog.get_logger("ordergraph.request")

REQUEST_ID_HEADER = "x-request-id"
# A client's own id is kept only when it is a plain token, so it cannot forge or break a log line.
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _add_process_id(_logger: Any, _method: str, event: structlog.typing.EventDict) -> structlog.typing.EventDict:
    """Which process wrote the line: `serve --workers N` runs N of them."""
    event.setdefault("pid", os.getpid())
    return event


SHARED_PROCESSORS: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    _add_process_id,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_structlog() -> None:
    """Route structlog events into `logging`, so any handler (and pytest's caplog) sees them."""
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def configure(settings: Settings) -> None:
    """Install the process's log handler (the `serve` command, each of its workers, and `worker`)."""
    configure_structlog()
    logging.config.dictConfig(dict_config(settings))


def dict_config(settings: Settings) -> dict[str, Any]:
    """The `logging.config.dictConfig` of a process: one stderr handler rendering every record alike.

    uvicorn applies it in each process it starts (`log_config`), so `serve --workers N` logs as one worker does.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": f"{__name__}.formatter", "json": settings.log_json}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "structured", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["stderr"], "level": settings.log_level.upper()},
        # uvicorn's own loggers come with handlers of their own elsewhere: here they reach the root's.
        "loggers": {
            **{name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
            # Alembic narrates each readiness check at INFO.
            "alembic": {"level": "WARNING"},
        },
    }


def formatter(*, json: bool) -> logging.Formatter:
    """Renders structlog and plain records alike, exceptions with their whole traceback."""
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
        foreign_pre_chain=SHARED_PROCESSORS,
    )


@dataclasses.dataclass(slots=True)
class Operation:
    type: str  # query, mutation, subscription; "unknown" for a document that does not parse
    name: str | None


@dataclasses.dataclass(slots=True)
class _Request:
    operations: list[Operation] = dataclasses.field(default_factory=list)


_current_request: contextvars.ContextVar[_Request | None] = contextvars.ContextVar("request", default=None)


def note_operations(operations: list[Operation]) -> None:
    """Name the GraphQL operations of the current request in its log line and metrics."""
    request = _current_request.get()
    if request is not None:
        request.operations = operations


def current_operations() -> list[Operation]:
    """The GraphQL operations noted for the current request so far."""
    request = _current_request.get()
    return [] if request is None else request.operations


@dataclasses.dataclass(frozen=True, slots=True)
class Finished:
    """What one line per request says, and what the metrics count."""

    method: str
    path: str
    status: int
    duration_seconds: float
    statements: int
    operation_type: str  # query, mutation, …; "batch" for several operations, "none" outside GraphQL
    operation: str | None


class RequestLog:
    """One log line per HTTP request, and the id that every line logged during it carries.

    The id is the client's `X-Request-ID` when it is a plain token (letters, digits, `._:-`, at most
    128), otherwise a new one, and is returned in that header (design.md, Operating it). The line says
    the operation, the status, the duration and the SQL statements sent; `observe` (the metrics) sees
    the same numbers.
    """

    def __init__(self, app: ASGIApp, *, observe: Callable[[Finished], None] = lambda _: None) -> None:
        self.app = app
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = given if _CLIENT_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        status = 500  # what the client gets when the app fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        request = _Request()
        token = _current_request.set(request)
        started = time.perf_counter()
        try:
            with structlog.contextvars.bound_contextvars(request_id=request_id), statement_count.counting() as counter:
                try:
                    await self.app(scope, receive, send_with_id)
                finally:
                    self._finish(scope, request, status, time.perf_counter() - started, counter.statements)
        finally:
            _current_request.reset(token)

    def _finish(self, scope: Scope, request: _Request, status: int, duration: float, statements: int) -> None:
        operations = request.operations
        finished = Finished(
            method=scope["method"],
            path=scope["path"],
            status=status,
            duration_seconds=duration,
            statements=statements,
            operation_type=operations[0].type if len(operations) == 1 else ("batch" if operations else "none"),
            operation=",".join(operation.name or "" for operation in operations) or None,
        )
        request_log.info(
            "request",
            method=finished.method,
            path=finished.path,
            status=finished.status,
            duration_ms=round(duration * 1000, 1),
            statements=finished.statements,
            operation_type=finished.operation_type,
            operation=finished.operation,
        )
        self.observe(finished)
