"""Bulk order mutations as the contract answers them: one OrderResult per requested id, in request order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import strawberry

from resolvers.core import bulk
from schema import errors
from schema.context import Context
from schema.guards import admin_errors
from schema.payloads import BulkOrderPayload, OrderResult


async def run_admin_bulk(
    context: Context, order_ids: Sequence[strawberry.ID], operation: Callable[[], Awaitable[list[bulk.Outcome]]]
) -> BulkOrderPayload:
    """Check the caller and the id list, run the operation in a savepoint, answer per order.

    An error of the request as a whole (an unknown state, say) is every order's error, and nothing is written.
    """
    if not order_ids:
        raise errors.ClientError("`orderIds` may not be empty.")
    if refusal := admin_errors(context.viewer):
        return _refused(order_ids, refusal)
    outcomes, refusal = await errors.attempt(context.session, operation)
    if outcomes is None:
        return _refused(order_ids, refusal)
    return BulkOrderPayload(results=[_result(outcome) for outcome in outcomes])


def _result(outcome: bulk.Outcome) -> OrderResult:
    if outcome.error is not None:
        return OrderResult(order_id=strawberry.ID(outcome.requested_id), user_errors=errors.user_errors(outcome.error))
    return OrderResult(order_id=strawberry.ID(outcome.requested_id), order=outcome.order)  # type: ignore[arg-type]


def _refused(order_ids: Sequence[strawberry.ID], refusal: list[errors.UserError]) -> BulkOrderPayload:
    return BulkOrderPayload(
        results=[OrderResult(order_id=order_id, user_errors=list(refusal)) for order_id in order_ids]
    )
