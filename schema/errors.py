"""The one translation point: domain errors become `userErrors`; everything else is masked and logged.

GraphQL response
├── data.<mutation>.userErrors   DomainError → UserError {field, message, code}   (expected failures)
└── errors                       every one with `extensions.code` (a `TopLevelCode`):
    ├── BAD_REQUEST                  the body is not a GraphQL request (HTTP 400)
    ├── GRAPHQL_PARSE_FAILED         the document is not GraphQL
    ├── GRAPHQL_VALIDATION_FAILED    the document does not fit the schema, a literal or variable is
    │                                malformed, or an argument is refused as a whole
    ├── LIMIT_EXCEEDED               over a limit of design.md (HTTP 413 for the body size)
    ├── UNAUTHENTICATED              a bad, expired or revoked bearer token (HTTP 401)
    ├── FORBIDDEN                    a root query the caller's role may not make
    └── INTERNAL_SERVER_ERROR        an unexpected fault: masked ("Internal server error") for the
                                     client and logged in full, with the traceback, for the operator
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
import structlog
from graphql import GraphQLError, GraphQLSyntaxError
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.core import errors as domain_errors
from schema import enums

ErrorCode = enums.described(
    domain_errors.ErrorCode,
    name="ErrorCode",
    description="The stable code of a user error; the message says more and may change.",
    values={
        "INVALID": "Input that breaks a rule: a bad quantity, a malformed value, a custom field of the wrong type, "
        "a required field missing, a string over its column's length.",
        "NOT_FOUND": "An unknown id, or a cart or quote whose secret is wrong (the two look the same).",
        "FORBIDDEN": "The caller's role or customer may not do this.",
        "STALE_REVISION": "expectedRevision is older than the order's revision: read the order again.",
        "TRANSITION_NOT_ALLOWED": "A state change the rules, the state's kind, its requirements or its deletion "
        "refuse.",
        "NOT_EDITABLE": "An edit or cart change on a record whose kind or state does not allow it.",
        "NOT_CAPTURABLE": "A capture of an order that is not complete, is cancelled or has nothing left to capture.",
        "AMOUNT_EXCEEDS_AVAILABLE": "A capture or refund beyond what is authorized or captured, or a return of a "
        "line beyond what was ordered and not returned already.",
        "NEGATIVE_TOTAL": "An edit or discount that would take the total below zero.",
        "PROVIDER_DECLINED": "The payment provider said no; a FAILED transaction is recorded, nothing else changed.",
        "PROVIDER_UNSUPPORTED": "The payment method's provider cannot do this operation.",
        "OUT_OF_STOCK": "A line asks for more than the product has in stock.",
        "ALREADY_DONE": "The operation was done before (a completed checkout, a cancelled order).",
        "IDEMPOTENCY_CONFLICT": "An idempotency key reused for a different request.",
        "CLOSED": "The record is closed for this operation: cancelled, deleted, a rejected quote, or an unfinished "
        "checkout moved into an ORDER state.",
        "LIMIT_EXCEEDED": "The request is over a limit (body size, cost, depth, page size, bulk ids); nothing ran. "
        "Answered as a top-level error.",
        "CONFLICT": "The change lost to a concurrent one twice and was not applied; retrying it is safe.",
    },
)

log = structlog.get_logger("ordergraph.errors")

Result = TypeVar("Result")


@strawberry.type(description="An expected failure of a mutation: nothing it would have written was kept.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "lines", "0", "quantity"].'
    )
    message: str = strawberry.field(description="What went wrong, in English, for a person; may change.")
    code: ErrorCode = strawberry.field(description="The stable code to act on.")  # type: ignore[valid-type]


MASKED_MESSAGE = "Internal server error"


class TopLevelCode(enum.StrEnum):
    BAD_REQUEST = "BAD_REQUEST"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    LIMIT_EXCEEDED = domain_errors.ErrorCode.LIMIT_EXCEEDED.value
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class ClientError(GraphQLError):
    """A refused request (a limit, a forbidden query, a refused argument): shown as it is, never masked."""

    def __init__(self, message: str, *, code: TopLevelCode = TopLevelCode.GRAPHQL_VALIDATION_FAILED) -> None:
        super().__init__(message, extensions={"code": code.value})


def coded(error: GraphQLError, code: TopLevelCode) -> GraphQLError:
    """The error with `code` as its `extensions.code`, unless it has one already."""
    if not (error.extensions or {}).get("code"):
        error.extensions = {**(error.extensions or {}), "code": code.value}
    return error


def add_codes(errors_: list[GraphQLError]) -> None:
    """Give every top-level error of a response its `extensions.code`."""
    for error in errors_:
        coded(error, _code_of(error))


def body(message: str, code: TopLevelCode) -> dict[str, Any]:
    """A response with one top-level error, for refusals before GraphQL runs (the body, the token)."""
    return {"errors": [{"message": message, "extensions": {"code": code.value}}]}


def user_errors(error: domain_errors.DomainError) -> list[UserError]:
    if isinstance(error, domain_errors.DomainErrors):
        return [UserError(field=item.field, message=item.message, code=item.code) for item in error.errors]
    return [UserError(field=error.field, message=error.message, code=error.code)]


async def attempt(
    session: AsyncSession, operation: Callable[[], Awaitable[Result]]
) -> tuple[Result | None, list[UserError]]:
    """Run one operation in a savepoint: its result, or its user errors with everything it wrote undone.

    An operation that starts the session's transaction needs no savepoint (two round trips fewer): a
    refusal rolls the whole transaction back, which holds nothing but the operation's own work.
    """
    savepoint = await session.begin_nested() if session.in_transaction() else None
    undo = savepoint.rollback if savepoint is not None else session.rollback
    try:
        result = await operation()
    except domain_errors.DomainError as error:
        await undo()
        return None, user_errors(error)
    except BaseException:
        await undo()
        raise
    if savepoint is not None:
        await savepoint.commit()
    return result, []


def should_mask(error: GraphQLError) -> bool:
    """Mask every error that came from our code and is not a deliberate client error."""
    code = (error.extensions or {}).get("code")
    if code == TopLevelCode.INTERNAL_SERVER_ERROR or error.message == MASKED_MESSAGE:
        return True  # masked already
    original = error.original_error
    if original is None:
        # Parse and validation errors have no path; one with a path and no cause is graphql-core's own
        # verdict on our resolvers (a null for a non-null field).
        return error.path is not None and code is None
    return not isinstance(original, ClientError | GraphQLError)


def masked(error: GraphQLError) -> GraphQLError:
    """The client's view of an unexpected fault: where it happened, not what it was."""
    return GraphQLError(
        MASKED_MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": TopLevelCode.INTERNAL_SERVER_ERROR.value},
    )


def log_unexpected(errors: list[GraphQLError], **context: Any) -> None:
    for error in errors:
        if should_mask(error):
            original = error.original_error
            log.error(
                "unexpected fault",
                path=error.path,
                error=repr(original),
                exc_info=(type(original), original, original.__traceback__) if original else None,
                **context,
            )


def _code_of(error: GraphQLError) -> TopLevelCode:
    if should_mask(error):
        return TopLevelCode.INTERNAL_SERVER_ERROR
    if isinstance(error, GraphQLSyntaxError):
        # graphql-core aborts a document over the token or nesting limit with a syntax error.
        aborted = error.message.endswith("Parsing aborted.")
        return TopLevelCode.LIMIT_EXCEEDED if aborted else TopLevelCode.GRAPHQL_PARSE_FAILED
    # Without a path it was refused before any field ran: validation, or a variable that does not fit.
    return TopLevelCode.GRAPHQL_VALIDATION_FAILED
