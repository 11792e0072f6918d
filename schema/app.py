"""The Starlette app: POST /graphql (JSON), GET /graphql (GraphiQL), GET /healthz, GET /admin (the console)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import sqlalchemy as sa
import structlog
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.types import ExecutionResult

from models import database
from models.settings import Settings, get_settings
from resolvers.core import access
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.integrations import webhook_outbox
from resolvers.payments import payment_providers
from schema import admin_console, cost, errors, limits, logs, request_body, root
from schema.context import Context
from schema.errors import TopLevelCode

log = structlog.get_logger("ordergraph.http")


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, schema: root.Schema, db: database.Database, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=False)
        self.db = db
        self.settings = settings
        self.graphql_schema = schema._schema  # what the cost estimate walks
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as error:
            response = request_body.refusal(error)
        except Exception as fault:
            response = _unexpected(fault)
        await response(scope, receive, send)

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "GET":
            return await super().parse_http_body(request)  # GraphiQL; queries over GET are refused
        content_type, _ = parse_content_type(request.content_type or "")
        if content_type != request_body.JSON_CONTENT_TYPE:
            raise request_body.RefusedRequest(f"A GraphQL request is a POST of {request_body.JSON_CONTENT_TYPE}.")
        return request_body.operations(await request.get_body(), max_operations=self.settings.max_batch_size)

    async def execute_operation(  # type: ignore[override]
        self, *, request_data: GraphQLRequestData | list[GraphQLRequestData], **kwargs: Any
    ) -> ExecutionResult | list[ExecutionResult]:
        operations = request_data if isinstance(request_data, list) else [request_data]
        refused = self._over_cost(operations)
        if refused is not None:
            results = [ExecutionResult(data=None, errors=[refused]) for _ in operations]
            return results if isinstance(request_data, list) else results[0]
        return await super().execute_operation(request_data=request_data, **kwargs)  # type: ignore[return-value]

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        # Operations of a batch each get their own session and loaders.
        kwargs["context"] = kwargs["context"].for_operation()
        return await super().execute_single(*args, **kwargs)

    def _over_cost(self, operations: list[GraphQLRequestData]) -> GraphQLError | None:
        """The refusal of a batch whose estimated cost is over the limit, before any of it runs."""
        total = 0
        for operation in operations:
            try:
                document = limits.parse_document(operation.query or "", self.settings.max_tokens)
            except GraphQLError:
                continue  # refused when it runs, as any document that does not parse
            total += cost.estimate(
                self.graphql_schema,
                document,
                operation_name=operation.operation_name,
                variables=operation.variables,
                max_page_size=self.settings.max_page_size,
                max_depth=self.settings.max_query_depth,
            )
        if total <= self.settings.max_query_cost:
            return None
        what = "The batch" if len(operations) > 1 else "The query"
        return errors.ClientError(
            f"{what} may cost about {total} points; at most {self.settings.max_query_cost} are allowed.",
            code=TopLevelCode.LIMIT_EXCEEDED,
        )


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
            response = JSONResponse(
                errors.body(error.message, TopLevelCode.UNAUTHENTICATED),
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        except Exception as fault:
            await _unexpected(fault)(scope, receive, send)
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


def _unexpected(fault: Exception) -> JSONResponse:
    """A fault outside GraphQL's own masking (the token lookup, the view): logged in full, masked for the client."""
    log.error("unexpected fault", error=repr(fault), exc_info=fault)
    return JSONResponse(errors.body(errors.MASKED_MESSAGE, TopLevelCode.INTERNAL_SERVER_ERROR), status_code=500)


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
            Route(
                "/graphql",
                request_body.BodySizeLimit(Authenticated(view, db), max_bytes=settings.max_body_bytes),
                methods=["GET", "POST"],
            ),
            Route("/healthz", healthz, methods=["GET"]),
            *admin_console.routes(),
        ],
        middleware=[Middleware(logs.RequestIds)],
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings
    app.state.providers = view.providers
    return app
