"""Importing orders from external channels (admins only): one result per input, each judged alone."""

from __future__ import annotations

import strawberry

from models.orders import ADDRESS_FIELDS
from resolvers.channels import imports
from resolvers.storefront import carts
from schema import errors
from schema.bulk import run_admin_bulk
from schema.context import Context
from schema.inputs import AddressInput, CartLineInput, ImportOrderInput
from schema.payloads import BulkOrderPayload


@strawberry.type
class ImportMutation:
    @strawberry.mutation(
        description="Imports orders from external channels; importing the same (channel, externalId) again "
        "changes nothing and answers the order imported before. A failed input answers `channel:externalId`."
    )
    async def import_orders(self, info: strawberry.Info[Context], orders: list[ImportOrderInput]) -> BulkOrderPayload:
        if not orders:
            raise errors.ClientError("`orders` may not be empty.")
        context = info.context
        labels = [strawberry.ID(f"{given.channel}:{given.external_id}") for given in orders]
        return await run_admin_bulk(
            context,
            labels,
            lambda: imports.import_orders(
                context.session, inputs=[_import(given) for given in orders], now=context.now,
                actor=context.viewer.actor,
            ),
        )  # fmt: skip


def _import(given: ImportOrderInput) -> imports.ImportInput:
    return imports.ImportInput(
        channel=given.channel,
        external_id=given.external_id,
        lines=[_line(line) for line in given.lines],
        created_at=given.created_at,
        customer=_address(given.customer),
        delivery=_address(given.delivery),
        currency_code=given.currency_code,
        payment_method_id=str(given.payment_method_id) if given.payment_method_id is not None else None,
        shipping_method_id=str(given.shipping_method_id) if given.shipping_method_id is not None else None,
        is_paid=bool(given.paid),
        state_id=str(given.state_id) if given.state_id is not None else None,
    )


def _line(line: CartLineInput) -> carts.LineInput:
    values = line.custom_fields
    return carts.LineInput(
        product_id=str(line.product_id),
        quantity=line.quantity,
        unit_id=line.unit_id,
        custom_fields=[carts.FieldValueInput(system_name=v.system_name, value=v.value) for v in values]
        if values
        else None,
    )


def _address(address: AddressInput | None) -> dict[str, str | None] | None:
    if address is None:
        return None
    return {name: getattr(address, name) for name in ADDRESS_FIELDS if getattr(address, name) is not None}
