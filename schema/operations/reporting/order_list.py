"""The order list (admin) and a customer's own records (customer token)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types.nodes import SelectedField

from models.enums import CaptureState, OrderKind
from resolvers.core import loaders
from resolvers.core.errors import DomainError
from resolvers.reporting import order_list
from schema import inputs
from schema.context import Context
from schema.enums import OrderKind as OrderKindEnum
from schema.errors import ClientError
from schema.guards import require_admin, require_customer
from schema.inputs import OrderFilter, OrderSort
from schema.types import orders as order_types
from schema.types.orders import OrderConnection, OrderEdge, PageInfo

# Filters the domain takes exactly as the input gives them.
_FILTERS_AS_GIVEN = ("search", "created_from", "created_to", "completed", "is_exported", "authorization_expires_before")


@strawberry.type
class OrderListQuery:
    @strawberry.field(
        description="The order list (admins only: FORBIDDEN otherwise): carts, quotes and orders, filtered, sorted "
        "and paged by keyset. Deleted records are left out unless the filter includes them."
    )
    async def orders(
        self,
        info: strawberry.Info[Context],
        first: Annotated[
            int | None,
            strawberry.argument(
                description="Page size from the start or from `after`: at most ORDERGRAPH_MAX_PAGE_SIZE (250)."
            ),
        ] = 50,
        after: Annotated[
            str | None, strawberry.argument(description="An endCursor of an earlier page: the records after it.")
        ] = None,
        last: Annotated[
            int | None, strawberry.argument(description="Page size from the end or from `before`, instead of first.")
        ] = None,
        before: Annotated[
            str | None, strawberry.argument(description="A startCursor of an earlier page: the records before it.")
        ] = None,
        filter: Annotated[
            OrderFilter | None, strawberry.argument(description="Which records; left out, all that are not deleted.")
        ] = None,
        sort: Annotated[
            OrderSort | None, strawberry.argument(description="The order; left out, newest created first.")
        ] = None,
    ) -> OrderConnection:
        require_admin(info.context.viewer)
        sort_field = order_list.SortField(sort.field.name) if sort else order_list.SortField.CREATED_AT
        descending = sort is None or sort.direction.value == "DESC"
        paging = {"first": first, "after": after, "last": last, "before": before}
        return await _connection(info, _filter(filter), sort=sort_field, descending=descending, **paging)

    @strawberry.field(
        description="The signed-in customer's own carts, quotes and orders, newest first (a CUSTOMER token or a "
        "customer JWT; FORBIDDEN for other callers)."
    )
    async def my_orders(
        self,
        info: strawberry.Info[Context],
        kind: Annotated[
            OrderKindEnum | None, strawberry.argument(description="Only this kind; left out, every kind.")  # type: ignore[valid-type]
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="Page size: at most ORDERGRAPH_MAX_PAGE_SIZE (250).")
        ] = 50,
        after: Annotated[
            str | None, strawberry.argument(description="An endCursor of an earlier page: the records after it.")
        ] = None,
    ) -> OrderConnection:
        customer_id = require_customer(info.context.viewer, field="myOrders")
        mine = order_list.Filter(customer_id=customer_id, kind=OrderKind(kind) if kind else None)
        return await _connection(
            info, mine, sort=order_list.SortField.CREATED_AT, descending=True, first=first, after=after
        )


def _filter(given: OrderFilter | None) -> order_list.Filter:
    if given is None:
        return order_list.Filter()
    return order_list.Filter(
        kind=OrderKind(given.kind.value) if given.kind else None,
        flow_id=inputs.id_text(given.flow_id),
        state_ids=[str(state_id) for state_id in given.state_ids] if given.state_ids is not None else None,
        capture_state=CaptureState(given.capture_state.value) if given.capture_state else None,
        customer_id=inputs.id_text(given.customer_id),
        include_deleted=bool(given.include_deleted),
        **{name: getattr(given, name) for name in _FILTERS_AS_GIVEN},
    )


async def _connection(info: strawberry.Info[Context], filter: order_list.Filter, **paging: Any) -> OrderConnection:
    """Read the page, prime the loaders with the rows it joined, and build the connection."""
    selected = _node_fields(info)
    columns = order_types.columns_read(name for name in selected if "." not in name)
    try:
        page = await order_list.page(
            info.context.session, filter=filter, with_total=_selects(info, "totalCount"), columns=columns, **paging
        )
    except DomainError as error:
        raise ClientError(error.message) from error
    request_loaders = info.context.loaders
    for row in page.rows:
        for loader, related in (
            (request_loaders.state_by_id, row.state),
            (request_loaders.flow_by_id, row.flow),
            (request_loaders.payment_method_by_id, row.payment_method),
        ):
            if related is not None:
                loader.prime(related.id, related)
    await _preload(info, selected, [row.order for row in page.rows])
    edges = [OrderEdge(node=row.order, cursor=row.cursor) for row in page.rows]  # type: ignore[arg-type]
    page_info = PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    # totalCount is only counted when selected; the placeholder is never served.
    return OrderConnection(
        edges=edges, page_info=page_info, total_count=page.total_count if page.total_count is not None else -1
    )


# What a node's field reads through which loader (by its name on `Loaders`); `lines.customFields` reads the
# order's custom field values too; `events` and `transitions` (judged for all the page's orders at once) are read
# for admins only.
_PRELOADED = {
    "lines": "order_lines_by_order_id",
    "customFields": "custom_field_values_by_order_id",
    "lines.customFields": "custom_field_values_by_order_id",
    "events": "events_by_order_id",
    **dict.fromkeys(
        [
            "transactions",
            "captureState",
            "authorizedAmount",
            "capturedAmount",
            "refundedAmount",
            "paymentDelta",
            "authorizationExpiresAt",
        ],
        "transactions_by_order_id",
    ),
}


async def _preload(info: strawberry.Info[Context], selected: set[str], orders: list[Any]) -> None:
    """Load the page's relations its nodes select before any field asks: the lines in one statement, the
    other relations together in another (`loaders.prime_together`), the transitions in a third.

    Every field of the page then finds its loader's value done and resolves without an awaitable
    (`schema.loaded`).
    """
    if not info.context.viewer.is_admin:
        selected = selected - {"events", "transitions"}
    request_loaders = info.context.loaders
    order_ids = [order.id for order in orders]
    chosen = [
        getattr(request_loaders, name)
        for name in dict.fromkeys(_PRELOADED[field] for field in selected if field in _PRELOADED)
    ]
    # The lines, much the widest rows, keep a statement of their own: padding every row of a shared statement
    # to their columns costs more than the round trip it saves. The narrower relations share one.
    lines = request_loaders.order_lines_by_order_id
    if lines in chosen:
        await lines.load_many(order_ids)
    await loaders.prime_together(info.context.session, [loader for loader in chosen if loader is not lines], order_ids)
    if "transitions" in selected:
        await request_loaders.orders_batch(order_types.transitions_now).load_many(orders)


def _node_fields(info: strawberry.Info[Context]) -> set[str]:
    """The names of the fields selected on `edges.node` (fragments included), and `lines.<field>`."""
    # selected_fields holds the connection field itself (`orders`, `myOrders`).
    edges = _children([child for field in info.selected_fields for child in field.selections], "edges")
    nodes = _children(edges, "node")
    found = {selection.name for selection in _fields(nodes)}
    found |= {f"lines.{selection.name}" for selection in _fields(_children(nodes, "lines"))}
    return found


def _fields(selections: list[Any]) -> list[Any]:
    """The fields among `selections`, with those of their fragments."""
    flat = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            flat.append(selection)
        else:
            flat.extend(_fields(selection.selections))
    return flat


def _children(selections: list[Any], name: str) -> list[Any]:
    return [child for field in _fields(selections) if field.name == name for child in field.selections]


def _selects(info: strawberry.Info[Context], name: str) -> bool:
    pending = list(info.selected_fields)
    while pending:
        selection = pending.pop()
        if getattr(selection, "name", None) == name:
            return True
        pending.extend(getattr(selection, "selections", []) or [])
    return False
