"""The one translation point: domain errors become `userErrors`; everything else is masked and logged.

GraphQL response
├── data.<mutation>.userErrors   DomainError → UserError {field, message, code}   (expected failures)
└── errors                       malformed requests, refused limits, bad tokens, and unexpected
                                 faults: the last are masked ("Internal server error") for the
                                 client and logged in full, with the traceback, for the operator
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
import structlog
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession

from resolvers.core import errors as domain_errors

ErrorCode = strawberry.enum(domain_errors.ErrorCode, name="ErrorCode")

log = structlog.get_logger("ordergraph.errors")

Result = TypeVar("Result")


@strawberry.type
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "lines", "0", "quantity"].'
    )
    message: str
    code: ErrorCode  # type: ignore[valid-type]


class ClientError(GraphQLError):
    """A refused request (a limit, a bad token): shown to the client as it is, never masked."""


def user_errors(error: domain_errors.DomainError) -> list[UserError]:
    if isinstance(error, domain_errors.DomainErrors):
        return [UserError(field=item.field, message=item.message, code=item.code) for item in error.errors]
    return [UserError(field=error.field, message=error.message, code=error.code)]


async def attempt(
    session: AsyncSession, operation: Callable[[], Awaitable[Result]]
) -> tuple[Result | None, list[UserError]]:
    """Run one operation in a savepoint: its result, or its user errors with everything it wrote undone."""
    savepoint = await session.begin_nested()
    try:
        result = await operation()
    except domain_errors.DomainError as error:
        await savepoint.rollback()
        return None, user_errors(error)
    except BaseException:
        await savepoint.rollback()
        raise
    await savepoint.commit()
    return result, []


def should_mask(error: GraphQLError) -> bool:
    """Mask every error that came from our code and is not a deliberate client error."""
    original = error.original_error
    if original is None:
        return False  # parse and validation errors from graphql-core
    return not isinstance(original, ClientError | GraphQLError)


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
