"""Structured logs through the standard library: one line per event, JSON when asked, tracebacks in full."""

from __future__ import annotations

import logging
import re
import sys
import uuid

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.settings import Settings

REQUEST_ID_HEADER = "x-request-id"
# A client's own id is kept only when it is a plain token, so it cannot forge or break a log line.
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

SHARED_PROCESSORS: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
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
    """Install the process's log handler (the `serve` and `worker` commands)."""
    configure_structlog()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(json=settings.log_json))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())


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


class RequestIds:
    """Give every HTTP request an id, bound to each log line of the request and returned in X-Request-ID.

    The id is the client's `X-Request-ID` when it is a plain token (letters, digits, `._:-`, at most
    128), otherwise a new one (design.md, Operating it).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = given if _CLIENT_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self.app(scope, receive, send_with_id)
