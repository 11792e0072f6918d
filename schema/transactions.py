"""The request owns the transaction: one per GraphQL operation, committed only when nothing unexpected failed."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from schema.context import Context


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
        # User errors live in payloads; any error in `errors` here is unexpected (or a refused request).
        failed = result is None or bool(result.errors)
        try:
            if failed or not context.is_write:
                await session.rollback()
            else:
                await session.commit()
        finally:
            await session.close()
            context._session = None
            context._loaders = None
