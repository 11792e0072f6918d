"""Importing orders from external channels (admins only): one result per input, each judged alone."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.channels import imports
from schema import errors, inputs
from schema.bulk import run_admin_bulk
from schema.context import Context
from schema.inputs import ImportOrderInput
from schema.payloads import BulkOrderPayload


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description="Imports orders from external channels; importing the same (channel, externalId) again "
        "changes nothing and answers the order imported before. A failed input answers `channel:externalId`."
    )
    async def import_orders(
        self,
        info: strawberry.Info[Context],
        orders: Annotated[
            list[ImportOrderInput],
            strawberry.argument(
                description="The orders to import, each judged alone, at most ORDERGRAPH_MAX_BULK_IDS (1,000)."
            ),
        ],
    ) -> BulkOrderPayload:
        if not orders:
            raise errors.ClientError("`orders` may not be empty.")
        context = info.context
        labels = [label(given.channel, given.external_id) for given in orders]
        return await run_admin_bulk(
            context,
            labels,
            lambda: imports.import_orders(
                context.session, inputs=[_import(given) for given in orders], now=context.now,
                actor=context.viewer.actor,
            ),
        )  # fmt: skip


def label(channel: str, external_id: str) -> strawberry.ID:
    """How a result names the input it answers."""
    return strawberry.ID(f"{channel}:{external_id}")


def _import(given: ImportOrderInput) -> imports.ImportInput:
    return imports.ImportInput(
        channel=given.channel,
        external_id=given.external_id,
        lines=[inputs.cart_line(line) for line in given.lines],
        created_at=given.created_at,
        customer=inputs.address_values(given.customer),
        delivery=inputs.address_values(given.delivery),
        currency_code=given.currency_code,
        payment_method_id=inputs.id_text(given.payment_method_id),
        shipping_method_id=inputs.id_text(given.shipping_method_id),
        is_paid=bool(given.paid),
        state_id=inputs.id_text(given.state_id),
    )
