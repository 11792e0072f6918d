"""The request body before GraphQL sees it: at most a size, UTF-8 JSON, one operation or a batch of them.

Every refusal is a JSON body with one coded top-level error, never a Python message:
HTTP 413 LIMIT_EXCEEDED for a body over the size limit (refused before it is read further),
HTTP 400 BAD_REQUEST for a body that is not a GraphQL request, HTTP 400 LIMIT_EXCEEDED for a batch
of too many operations.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cross_web import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http import GraphQLRequestData

from schema import errors
from schema.errors import TopLevelCode

JSON_CONTENT_TYPE = "application/json"
# Only a \ud800-\udfff escape in the JSON text can produce one: raw UTF-8 never encodes a surrogate.
_SURROGATE = re.compile("[\ud800-\udfff]")


class RefusedRequest(HTTPException):
    """A request refused before GraphQL runs, with the code its error carries."""

    def __init__(self, message: str, *, code: TopLevelCode = TopLevelCode.BAD_REQUEST, status_code: int = 400) -> None:
        super().__init__(status_code, message)
        self.code = code


def refusal(error: HTTPException) -> JSONResponse:
    """The JSON answer to a refused request (ours, or one Strawberry raised itself)."""
    code = error.code if isinstance(error, RefusedRequest) else TopLevelCode.BAD_REQUEST
    return JSONResponse(errors.body(error.reason, code), status_code=error.status_code)


class BodySizeLimit:
    """ASGI middleware: reads the body up to `max_bytes` and hands it on; a longer one is a 413.

    A declared Content-Length over the limit is refused unread; a chunked body is read no further
    than the first chunk that crosses it.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read(scope, receive)
        except RefusedRequest as error:
            await refusal(error)(scope, receive, send)
            return
        if body is None:
            return  # the client went away
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: only a disconnect can come
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, scope: Scope, receive: Receive) -> bytes | None:
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                raise RefusedRequest("The Content-Length header is not a number.")
            # Compared as text first: int() of thousands of digits would be a Python error.
            if len(declared) > len(str(self.max_bytes)) or int(declared) > self.max_bytes:
                raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _too_large(self) -> RefusedRequest:
        return RefusedRequest(
            f"The request body is over the limit of {self.max_bytes} bytes.",
            code=TopLevelCode.LIMIT_EXCEEDED,
            status_code=413,
        )


def operations(body: bytes, *, max_operations: int) -> GraphQLRequestData | list[GraphQLRequestData]:
    """The operation, or the batch of them, a JSON body asks for; RefusedRequest when it is anything else."""
    data = _decoded(body)
    if isinstance(data, dict):
        return _operation(data, where="The body")
    if not isinstance(data, list):
        raise RefusedRequest("The body is a JSON object (one operation) or a list of them (a batch).")
    if not data:
        raise RefusedRequest("A batch holds at least one operation.")
    if len(data) > max_operations:
        raise RefusedRequest(f"A batch holds at most {max_operations} operations.", code=TopLevelCode.LIMIT_EXCEEDED)
    return [_operation(item, where=f"Operation {index} of the batch") for index, item in enumerate(data)]


def _decoded(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RefusedRequest(f"The body is not valid UTF-8 (byte {error.start}).") from error
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:  # RecursionError: arrays nested thousands deep
        raise RefusedRequest("The body is not valid JSON.") from error
    if _holds_lone_surrogate(data):
        raise RefusedRequest("The body holds a lone surrogate (a \\ud800-\\udfff escape): text must be valid Unicode.")
    return data


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _holds_lone_surrogate(data: Any) -> bool:
    """Whether any string (or key) cannot be encoded as UTF-8: such text can be neither stored nor sent."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def _operation(data: Any, *, where: str) -> GraphQLRequestData:
    if not isinstance(data, dict):
        raise RefusedRequest(f"{where} is not a JSON object.")
    query = data.get("query")
    if not isinstance(query, str):
        raise RefusedRequest(f"{where} has no `query` string.")
    variables = data.get("variables")
    if not isinstance(variables, dict | None):
        raise RefusedRequest(f"{where} has `variables` that are not an object.")
    operation_name = data.get("operationName")
    if not isinstance(operation_name, str | None):
        raise RefusedRequest(f"{where} has an `operationName` that is not a string.")
    extensions = data.get("extensions")
    if not isinstance(extensions, dict | None):
        raise RefusedRequest(f"{where} has `extensions` that are not an object.")
    return GraphQLRequestData(
        query=query, variables=variables, operation_name=operation_name, extensions=extensions, protocol="http"
    )
