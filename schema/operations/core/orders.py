"""Reading one order by its current or earlier id."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.core import orders
from schema.context import Context
from schema.types.orders import Order


@strawberry.type
class OrderQuery:
    @strawberry.field(
        description=(
            "By current or earlier id. Carts and quotes also need their secret"
            " unless the caller owns them or is an admin."
        )
    )
    async def order(
        self,
        info: strawberry.Info[Context],
        id: Annotated[
            strawberry.ID,
            strawberry.argument(description="A current or earlier public id, e.g. ORDER19 or the CART17 it came from."),
        ],
        secret: Annotated[
            str | None,
            strawberry.argument(
                description="The cart's secret; needed for a cart, quote or checkout unless the caller is its "
                "customer or an admin, and for ORDERGRAPH_SECRET_READ_DAYS (30) days after completion it still reads "
                "the order."
            ),
        ] = None,
    ) -> Order | None:
        context = info.context
        order = await orders.find(context.session, str(id))
        if order is None or not orders.may_see(order, viewer=context.viewer, secret=secret, now=context.now):
            return None
        return order  # type: ignore[return-value]
