"""Structured logs through the standard library: one line per event, JSON when asked, tracebacks in full."""

from __future__ import annotations

import logging
import sys

import structlog

from models.settings import Settings

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
