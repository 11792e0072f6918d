"""Editing quotes and placed orders (admin), with a dry run."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers.editing import edit_lines, editing
from schema import inputs
from schema.context import Context
from schema.errors import attempt
from schema.guards import admin_errors
from schema.inputs import EditLineInput, EditOrderInput
from schema.payloads import OrderPayload


@strawberry.type
class EditingMutation:
    @strawberry.mutation(
        description=(
            "Edits a quote or an order whose state allows it, keeping the version before the edit. "
            "Address fields and the comment are patches: null keeps a value, an empty string clears it. "
            "With dryRun the order is returned as it would be (revision unchanged) and nothing is written."
        )
    )
    async def edit(
        self,
        info: strawberry.Info[Context],
        order_id: Annotated[
            strawberry.ID, strawberry.argument(description="The order's (or quote's) current or earlier id.")
        ],
        expected_revision: Annotated[
            int | None,
            strawberry.argument(
                description="The revision the edit was made against; an older one is STALE_REVISION, nothing changed."
            ),
        ] = None,
        *,
        input: Annotated[EditOrderInput, strawberry.argument(description="The changes.")],
        dry_run: Annotated[
            bool | None,
            strawberry.argument(
                description="Answer the order as it would be after the edit, writing nothing (no version, no event)."
            ),
        ] = False,
    ) -> OrderPayload:
        context = info.context
        if refusal := admin_errors(context.viewer):
            return OrderPayload(user_errors=refusal)
        run = editing.preview if dry_run else editing.edit
        edited, errors = await attempt(
            context.session,
            lambda: run(
                context.session,
                order_id=str(order_id),
                expected_revision=expected_revision,
                changes=changes_of(input),
                now=context.now,
                actor=context.viewer.actor,
            ),
        )
        if edited is None:
            return OrderPayload(user_errors=errors)
        # The payload reads the lines and custom fields through loaders: give them the edited rows
        # (for a dry run, the store no longer has them).
        loaders, key = context.loaders, edited.order.id
        loaders.order_lines_by_order_id.clear(key).prime(key, list(edited.lines))
        loaders.custom_field_values_by_order_id.clear(key).prime(key, list(edited.custom_fields))
        return OrderPayload(order=edited.order)  # type: ignore[arg-type]


def changes_of(input: EditOrderInput) -> editing.Changes:
    """The plain values of an edit input."""
    return editing.Changes(
        customer=inputs.address_values(input.customer),
        delivery=inputs.address_values(input.delivery),
        comment=input.comment,
        custom_fields=inputs.field_values(input.custom_fields),
        lines=[_line(line) for line in input.lines or ()],
        add_order_discounts=[
            edit_lines.OrderDiscount(name=d.name, amount=d.amount, percent=d.percent)
            for d in input.add_order_discounts or ()
        ],
        remove_discount_line_ids=[str(line_id) for line_id in input.remove_discount_line_ids or ()],
        payment_method_id=inputs.id_text(input.payment_method_id),
        shipping_method_id=inputs.id_text(input.shipping_method_id),
        reference=input.reference,
    )


def _line(line: EditLineInput) -> edit_lines.LineChange:
    return edit_lines.LineChange(
        line_id=inputs.id_text(line.line_id),
        product_id=inputs.id_text(line.product_id),
        quantity=line.quantity,
        unit_price=line.unit_price,
        remove=bool(line.remove),
        discount_amount=line.discount_amount,
        discount_percent=line.discount_percent,
        custom_fields=inputs.field_values(line.custom_fields),
    )
