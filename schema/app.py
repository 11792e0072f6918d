"""The Starlette app: POST /graphql (JSON), GET /graphql (GraphiQL, its files under /graphiql), the health endpoints,
/metrics and GET /admin (the console)."""

from __future__ import annotations

import contextlib
import datetime
import json
import pathlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson
import structlog
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import DocumentNode, GraphQLError, get_operation_ast
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.parse_content_type import parse_content_type
from strawberry.types import ExecutionResult

from models import database
from models.settings import Settings, get_settings
from resolvers.core import access, customer_jwt
from resolvers.integrations import webhook_outbox
from resolvers.payments import payment_providers
from schema import (
    admin_console,
    cost,
    errors,
    garbage,
    graphiql,
    health,
    limits,
    logs,
    metrics,
    request_body,
    root,
    tracing,
)
from schema.context import Context
from schema.errors import TopLevelCode

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

log = structlog.get_logger("ordergraph.http")


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, schema: root.Schema, db: database.Database, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=False)
        self.db = db
        self.settings = settings
        self.graphql_schema = schema._schema  # what the cost estimate walks
        self.providers = payment_providers.Providers(db.write_sessions)

    def encode_json(self, data: object) -> bytes:
        # orjson is several times faster than json on a page of orders; what it refuses (an integer past
        # 64 bits in a JSON value, a key that is not a string) is encoded as json would.
        try:
            return orjson.dumps(data)
        except orjson.JSONEncodeError:
            return json.dumps(data, separators=(",", ":")).encode()

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

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A browser's GET is the page, ?query= links included (they fill the editor; queries over GET are refused).
        accept = request.headers.get("accept", "")
        return request.method == "GET" and ("text/html" in accept or "*/*" in accept)

    async def render_graphql_ide(self, request: Request) -> Response:
        if not self.settings.graphiql:
            raise request_body.RefusedRequest(
                f"GraphiQL is turned off (ORDERGRAPH_GRAPHIQL); a GraphQL request is a POST of "
                f"{request_body.JSON_CONTENT_TYPE}."
            )
        return graphiql.page(self.settings)

    async def execute_operation(  # type: ignore[override]
        self, *, request_data: GraphQLRequestData | list[GraphQLRequestData], **kwargs: Any
    ) -> ExecutionResult | list[ExecutionResult]:
        operations = request_data if isinstance(request_data, list) else [request_data]
        documents = [self._parsed(operation) for operation in operations]
        logs.note_operations(
            [_named(operation, document) for operation, document in zip(operations, documents, strict=True)]
        )
        refused = self._over_cost(operations, documents)
        if refused is not None:
            results = [ExecutionResult(data=None, errors=[refused]) for _ in operations]
            return results if isinstance(request_data, list) else results[0]
        return await super().execute_operation(request_data=request_data, **kwargs)  # type: ignore[return-value]

    async def execute_single(self, *args: Any, **kwargs: Any) -> Any:
        # Operations of a batch each get their own session and loaders.
        kwargs["context"] = kwargs["context"].for_operation()
        return await super().execute_single(*args, **kwargs)

    def _parsed(self, operation: GraphQLRequestData) -> DocumentNode | None:
        try:
            return limits.parse_document(operation.query or "", self.settings.max_tokens)
        except GraphQLError:
            return None  # refused when it runs, as any document that does not parse

    def _over_cost(
        self, operations: list[GraphQLRequestData], documents: list[DocumentNode | None]
    ) -> GraphQLError | None:
        """The refusal of a batch whose estimated cost is over the limit, before any of it runs."""
        total = 0
        for operation, document in zip(operations, documents, strict=True):
            if document is None:
                continue
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


def _named(operation: GraphQLRequestData, document: DocumentNode | None) -> logs.Operation:
    """The type and name of the operation a request runs, for its log line and metrics."""
    definition = None if document is None else get_operation_ast(document, operation.operation_name)
    if definition is None:
        return logs.Operation(type="unknown", name=operation.operation_name)
    return logs.Operation(
        type=definition.operation.value, name=definition.name.value if definition.name else operation.operation_name
    )


class Authenticated:
    """Resolves the bearer token before GraphQL runs: a bad token is a 401, no token an anonymous shopper.

    A bearer token is an API token (`ordergraph token create`) or, when customer sign-in is configured,
    the shop's JWT for a customer (`resolvers.core.customer_jwt`).
    """

    def __init__(
        self, view: GraphQLView, db: database.Database, customer_sign_in: customer_jwt.CustomerJwt | None = None
    ) -> None:
        self.view = view
        self.db = db
        self.customer_sign_in = customer_sign_in

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        try:
            viewer = await self._viewer(request.headers.get("authorization"))
        except access.UnauthenticatedToken as error:
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
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise access.UnauthenticatedToken("Authorization must be `Bearer <token>`.")
        if self.customer_sign_in is not None and customer_jwt.looks_like_jwt(token):
            return self.customer_sign_in.viewer(token)
        now = datetime.datetime.now(datetime.UTC)
        async with self.db.read_sessions() as session:
            row = await access.valid_token(session, token=token, now=now)
        if access.is_use_due(row, now=now):
            await self._record_use(row.id, now=now)
        return access.viewer_of(row)

    async def _record_use(self, token_id: int, *, now: datetime.datetime) -> None:
        """Note the token's use; a busy store skips it (the next request after a minute tries again)."""
        try:
            async with self.db.write_sessions() as session, session.begin():
                await access.record_use(session, token_id=token_id, now=now)
        except Exception as fault:
            if not database.is_conflict(fault):
                raise
            log.warning("token use not recorded", token_id=token_id, error=repr(fault))


def _unexpected(fault: Exception) -> JSONResponse:
    """A fault outside GraphQL's own masking (the token lookup, the view): logged in full, masked for the client."""
    log.error("unexpected fault", error=repr(fault), exc_info=fault)
    return JSONResponse(errors.body(errors.MASKED_MESSAGE, TopLevelCode.INTERNAL_SERVER_ERROR), status_code=500)


def _customer_jwt(settings: Settings) -> customer_jwt.CustomerJwt | None:
    key_file = settings.customer_jwt_public_key_file
    return customer_jwt.CustomerJwt.configure(
        secret=settings.customer_jwt_secret,
        public_key_pem=pathlib.Path(key_file).read_bytes() if key_file else None,
        issuer=settings.customer_jwt_issuer,
        audience=settings.customer_jwt_audience,
    )


def _cors(settings: Settings) -> Middleware:
    """Browsers on ORDERGRAPH_CORS_ORIGINS may call /graphql with a bearer token; no origin by default.

    Outermost, so that refusals (401, 413) carry the headers too and a storefront can read them.
    """
    return Middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origin_list,
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        allow_credentials=True,
        expose_headers=["X-Request-ID"],
        max_age=600,
    )


def create_app(
    settings: Settings | None = None,
    *,
    db: database.Database | None = None,
    tracer_provider: TracerProvider | None = None,
    schema: root.Schema | None = None,
) -> Starlette:
    """The app; traces go to `tracer_provider`, or where the OTEL_* variables say when they ask for traces."""
    settings = settings or get_settings()
    if tracer_provider is None and tracing.enabled():
        tracer_provider = tracing.provider_from_environment()
    middleware = [_cors(settings), Middleware(logs.RequestLog, observe=metrics.observe)]
    if tracer_provider is not None:
        middleware.append(Middleware(tracing.Traced, provider=tracer_provider))
    logs.configure_structlog()
    db = db or database.connect(settings)
    webhook_outbox.install()
    view = GraphQLView(schema or root.build(settings), db, settings)
    authenticated = Authenticated(view, db, _customer_jwt(settings))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        garbage.tune()  # a server's process, started (tests over the ASGI transport run no lifespan)
        yield
        await db.dispose()

    app = Starlette(
        routes=[
            Route(
                "/graphql",
                request_body.BodySizeLimit(authenticated, max_bytes=settings.max_body_bytes),
                methods=["GET", "POST"],
            ),
            *health.routes(db),
            *metrics.routes(db, token=settings.metrics_token),
            *([graphiql.asset_route(settings)] if settings.graphiql else []),
            *admin_console.routes(),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.db = db
    app.state.settings = settings
    app.state.providers = view.providers
    return app
