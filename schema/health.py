"""Health endpoints (design.md, Operating it): `/health/live` (the process answers), `/health/ready` (the store
answers and its migrations are at head), and `/healthz`, kept as an alias of ready.

A load balancer sends traffic to a ready process only; an orchestrator restarts a process that is not live.
"""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from models import database, migration

log = structlog.get_logger("ordergraph.health")

STORE_DOWN = "the store does not answer"


def routes(db: database.Database) -> list[Route]:
    async def live(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(_: Request) -> Response:
        reason = await not_ready(db)
        if reason is not None:
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
        return JSONResponse({"status": "ok"})

    return [
        Route("/health/live", live, methods=["GET"]),
        Route("/health/ready", ready, methods=["GET"]),
        Route("/healthz", ready, methods=["GET"]),
    ]


async def not_ready(db: database.Database) -> str | None:
    """Why the process should get no traffic (one short sentence, no internals), or None when it is ready."""
    try:
        async with db.read_engine.connect() as connection:
            return await migration.pending(connection)
    except Exception as error:
        log.warning("readiness check failed", error=repr(error))
        return STORE_DOWN
