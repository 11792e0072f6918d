"""Each root mutation field is its own transaction, run in document order (design.md, "Requests, transactions
and limits").

    root mutation field   resolver   a write session of its own; committed when the resolver returns (a payload
                                     with userErrors too: `errors.attempt` undid its writes), rolled back and
                                     closed when it raises, so the next field starts with no lock held
                          payload    its sub-fields read in a new transaction on the read engine (the same
                                     session, so what the resolver loaded stays at hand), closed before the
                                     next root field starts and when the operation ends (`Context`)
    a query                          one read session, closed when the operation ends

A field that lost to a concurrent transaction (`database.is_conflict`) runs once more from a fresh
session; a second loss answers its payload with a CONFLICT user error, nothing of it kept. A field that
moved money (`Context.movement_sessions`) committed steps of its own and is never run again: the money
engine retries its own steps. Any other fault is raised, so it is masked for the client and logged,
and the fields before it stay committed.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import strawberry
import structlog
from graphql import GraphQLResolveInfo, GraphQLSchema, default_field_resolver, get_named_type
from strawberry.extensions import SchemaExtension

from models import database
from resolvers.core import errors as domain_errors
from schema import errors
from schema.context import Context
from schema.operations.channels import imports
from schema.payloads import BulkOrderPayload, OrderResult

log = structlog.get_logger("ordergraph.transactions")


def own_transactions(schema: GraphQLSchema) -> None:
    """Give each root mutation field of `schema` its own transaction (see the module's text).

    The resolvers of the root mutation fields are wrapped, and no other: a schema extension's `resolve`
    hook would put a call in front of every field of every query.
    """
    if schema.mutation_type is None:
        return
    for field in schema.mutation_type.fields.values():
        field.resolve = _in_own_transaction(field.resolve or default_field_resolver)


def _in_own_transaction(resolve: Callable[..., Any]) -> Callable[..., Any]:
    def resolve_in_own_transaction(root: Any, info: GraphQLResolveInfo, **kwargs: Any) -> Any:
        return _own_transaction(lambda: resolve(root, info, **kwargs), info, kwargs)

    return resolve_in_own_transaction


class TransactionPerOperation(SchemaExtension):
    """Closes the operation's session when it ends."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context: Context = self.execution_context.context
        try:
            await context.end_session()
        except Exception as fault:
            log.error("closing the operation's session failed", error=repr(fault), exc_info=fault)


async def _own_transaction(resolve: Callable[[], Any], info: GraphQLResolveInfo, arguments: dict[str, Any]) -> Any:
    context: Context = info.context

    async def attempt() -> Any:
        await context.begin_field()
        try:
            result = resolve()
            if inspect.isawaitable(result):
                result = await result
            await context.commit_field()
        except BaseException:
            await context.end_session()
            raise
        return result

    try:
        return await database.retry_once(attempt, may_retry=lambda: not context.moves_money)
    except database.Conflict as conflict:
        log.warning("a mutation field conflicted twice; answered CONFLICT", field=info.field_name, error=str(conflict))
        return _conflict_payload(info, arguments)


def _conflict_payload(info: GraphQLResolveInfo, arguments: dict[str, Any]) -> object:
    """The field's payload with one CONFLICT user error; a bulk payload has it for every requested record."""
    refusal = errors.user_errors(domain_errors.conflict())
    payload = get_named_type(info.return_type).extensions["strawberry-definition"].origin
    if payload is BulkOrderPayload:
        return BulkOrderPayload(
            results=[OrderResult(order_id=label, user_errors=list(refusal)) for label in _requested(info, arguments)]
        )
    return payload(user_errors=refusal)


def _requested(info: GraphQLResolveInfo, arguments: dict[str, Any]) -> list[strawberry.ID]:
    """What a bulk mutation answers one result for: its order ids, its imports, or (runDueRecurring) itself."""
    if "orderIds" in arguments:
        return [strawberry.ID(order_id) for order_id in arguments["orderIds"]]
    if "orders" in arguments:
        return [imports.label(order["channel"], order["externalId"]) for order in arguments["orders"]]
    return [strawberry.ID(info.field_name)]
