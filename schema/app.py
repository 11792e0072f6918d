"""The Starlette app: POST /graphql (JSON), GET /graphql (GraphiQL), GET /healthz."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import sqlalchemy as sa
import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from models import database
from models.settings import Settings, get_settings
from resolvers.core import access
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.integrations import webhook_outbox
from resolvers.payments import payment_providers
from schema import logs, root
from schema.context import Context

log = structlog.get_logger("ordergraph.http")


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, schema: root.Schema, db: database.Database, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=False)
        self.db = db
        self.settings = settings
        self.providers = payment_providers.Providers(db.write_sessions)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        return Context(
            db=self.db,
            settings=self.settings,
            viewer=request.scope["state"]["viewer"],
            providers=self.providers,
            request=request,
            ip=request.client.host if request.client else None,
        )

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        # Operations of a batch each get their own session and loaders.
        kwargs["context"] = kwargs["context"].for_operation()
        return await super().execute_single(*args, **kwargs)


class Authenticated:
    """Resolves the bearer token before GraphQL runs: a bad token is a 401, no token an anonymous shopper."""

    def __init__(self, view: GraphQLView, db: database.Database) -> None:
        self.view = view
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        try:
            viewer = await self._viewer(request.headers.get("authorization"))
        except DomainError as error:
            response = JSONResponse({"errors": [{"message": error.message}]}, status_code=401)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["viewer"] = viewer
        await self.view(scope, receive, send)

    async def _viewer(self, header: str | None) -> access.Viewer:
        if not header:
            return access.ANONYMOUS
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise DomainError(ErrorCode.FORBIDDEN, "Authorization must be `Bearer <token>`.")
        async with self.db.read_sessions() as session:
            return await access.authenticate(session, token=token.strip())


def create_app(settings: Settings | None = None, *, db: database.Database | None = None) -> Starlette:
    settings = settings or get_settings()
    logs.configure_structlog()
    db = db or database.connect(settings)
    webhook_outbox.install()
    view = GraphQLView(root.build(settings), db, settings)

    async def healthz(_: Request) -> Response:
        try:
            async with db.read_sessions() as session:
                await session.execute(sa.text("SELECT 1"))
        except Exception as error:
            log.warning("health check failed", error=repr(error))
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await db.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", Authenticated(view, db), methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        middleware=[Middleware(logs.RequestIds)],
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings
    app.state.providers = view.providers
    return app
