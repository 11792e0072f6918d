"""The request owns the transaction: one per GraphQL operation, committed only when nothing unexpected failed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from schema import errors
from schema.context import Context

log = structlog.get_logger("ordergraph.transactions")


class TransactionPerOperation(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context: Context = self.execution_context.context
        # strawberry's own OperationType: graphql-core's enum never matches it, and no mutation would commit.
        context.is_write = self.execution_context.operation_type is OperationType.MUTATION
        yield

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context: Context = self.execution_context.context
        session = context._session
        if session is None:
            return
        result = self.execution_context.result
        # User errors live in payloads and visible field errors are deliberate; anything masked is a fault.
        failed = result is None or any(errors.should_mask(error) for error in result.errors or [])
        try:
            if failed or not context.is_write:
                await session.rollback()
            else:
                await session.commit()
        except Exception as fault:
            log.error("the operation's transaction failed", error=repr(fault), exc_info=fault)
            if result is not None:
                # The response object itself: strawberry returns this instance after the extensions exit.
                result.data = None
                result.errors = [GraphQLError("Internal server error")]
        finally:
            await session.close()
            context._session = None
            context._loaders = None
