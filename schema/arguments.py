"""Arguments that many root fields take, each described once (the descriptions are the served SDL's)."""

from __future__ import annotations

from typing import Annotated

import strawberry

_SECRET = "The cart's secret, answered once by createCart; not needed by the record's customer or an admin."

CartId = Annotated[
    strawberry.ID, strawberry.argument(description="The cart's (or unfinished checkout's) current or earlier id.")
]
CartSecret = Annotated[str | None, strawberry.argument(description=_SECRET)]
QuoteId = Annotated[strawberry.ID, strawberry.argument(description="The quote's current or earlier id.")]
QuoteSecret = Annotated[
    str | None,
    strawberry.argument(
        description="The secret of the cart the quote came from; not needed by the quote's customer or an admin."
    ),
]
OrderId = Annotated[strawberry.ID, strawberry.argument(description="The order's current or earlier id.")]
OrderIds = Annotated[
    list[strawberry.ID],
    strawberry.argument(
        description="Public ids of the orders (current or earlier), at most ORDERGRAPH_MAX_BULK_IDS (1,000)."
    ),
]
IdempotencyKey = Annotated[
    str | None,
    strawberry.argument(
        description="A key of your choosing: the same request again with it answers the first result again; a "
        "different request with it is IDEMPOTENCY_CONFLICT."
    ),
]
WebhookId = Annotated[strawberry.ID, strawberry.argument(description="The webhook's id.")]
ReturnId = Annotated[strawberry.ID, strawberry.argument(description="The return's id.")]
StateId = Annotated[strawberry.ID, strawberry.argument(description="The state's id.")]
FlowId = Annotated[strawberry.ID, strawberry.argument(description="The flow's id.")]
