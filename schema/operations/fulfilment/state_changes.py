"""Moving orders between states (admin, bulk)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.fulfilment import mail, state_changes
from schema import arguments
from schema.bulk import run_admin_bulk, selects_orders
from schema.context import Context
from schema.payloads import BulkOrderPayload


@strawberry.type
class StateChangeMutation:
    @strawberry.mutation(description="Moves each order to the state; one result per requested id, each judged alone.")
    async def change_state(
        self,
        info: strawberry.Info[Context],
        order_ids: arguments.OrderIds,
        state_id: Annotated[strawberry.ID, strawberry.argument(description="The target state (State.id).")],
    ) -> BulkOrderPayload:
        return await _change_state(info, order_ids, state_id, dry_run=False)

    @strawberry.mutation(description="Dry run of a state change: the results changeState would give, writing nothing.")
    async def preview_state_change(
        self,
        info: strawberry.Info[Context],
        order_ids: arguments.OrderIds,
        state_id: Annotated[strawberry.ID, strawberry.argument(description="The target state (State.id).")],
    ) -> BulkOrderPayload:
        return await _change_state(info, order_ids, state_id, dry_run=True)


async def _change_state(
    info: strawberry.Info[Context], order_ids: list[strawberry.ID], state_id: strawberry.ID, *, dry_run: bool
) -> BulkOrderPayload:
    context = info.context
    return await run_admin_bulk(
        context,
        order_ids,
        lambda: state_changes.change_state(
            context.session, order_ids=[str(i) for i in order_ids], state_id=str(state_id), now=context.now,
            actor=context.viewer.actor, composer=mail.composer_from(context.settings), dry_run=dry_run,
            with_orders=selects_orders(info),
        ),
    )  # fmt: skip
