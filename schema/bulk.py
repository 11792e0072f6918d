"""Bulk order mutations as the contract answers them: one OrderResult per requested id, in request order.

A request refused as a whole (the caller is not an admin, no ids were given, an unknown target state)
gives every requested id the refusal. An empty id list has no id to carry it, so it answers one result
with an empty `orderId` and the INVALID error at `orderIds`: `ok` is false, never a silent success.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from resolvers.core import bulk
from resolvers.core.errors import DomainError
from schema import errors
from schema.context import Context
from schema.guards import admin_errors
from schema.payloads import BulkOrderPayload, OrderResult


def refused_as_a_whole(context: Context, order_ids: Sequence[strawberry.ID]) -> BulkOrderPayload | None:
    """The answer when the caller is not an admin or the id list is empty or too long; None when it may run."""
    if refusal := admin_errors(context.viewer):
        return _refused(order_ids, refusal)
    try:
        bulk.check_ids(order_ids)
    except DomainError as error:
        return _refused(order_ids, errors.user_errors(error))
    return None


async def run_admin_bulk(
    context: Context, order_ids: Sequence[strawberry.ID], operation: Callable[[], Awaitable[list[bulk.Outcome]]]
) -> BulkOrderPayload:
    """Check the caller and the id list, run the operation in a savepoint, answer per order.

    An error of the request as a whole (an unknown state, say) is every order's error, and nothing is written.
    """
    if refused := refused_as_a_whole(context, order_ids):
        return refused
    outcomes, refusal = await errors.attempt(context.session, operation)
    if outcomes is None:
        return _refused(order_ids, refusal)
    return BulkOrderPayload(results=[_result(outcome) for outcome in outcomes])


def selects_orders(info: strawberry.Info[Context]) -> bool:
    """Whether the document asks for `results { order }` of this bulk field (through a fragment too).

    An operation told no can leave the orders unread: the answer is their ids and errors alone.
    """
    return any(_asks(field.selections, ("results", "order")) for field in info.selected_fields)


def _asks(selections: Sequence[Selection], path: tuple[str, ...]) -> bool:
    for selection in selections:
        if not isinstance(selection, SelectedField):  # a fragment: look inside
            if _asks(selection.selections, path):
                return True
        elif selection.name == path[0] and (len(path) == 1 or _asks(selection.selections, path[1:])):
            return True
    return False


def _result(outcome: bulk.Outcome) -> OrderResult:
    if outcome.error is not None:
        return OrderResult(order_id=strawberry.ID(outcome.requested_id), user_errors=errors.user_errors(outcome.error))
    return OrderResult(order_id=strawberry.ID(outcome.requested_id), order=outcome.order)  # type: ignore[arg-type]


def _refused(order_ids: Sequence[strawberry.ID], refusal: list[errors.UserError]) -> BulkOrderPayload:
    carriers = order_ids or [strawberry.ID("")]
    return BulkOrderPayload(results=[OrderResult(order_id=carrier, user_errors=list(refusal)) for carrier in carriers])
