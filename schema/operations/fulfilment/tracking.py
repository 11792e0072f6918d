"""Track and trace (admin): carrier URL templates, and the tracking of an order."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from resolvers.fulfilment import tracking
from schema import arguments
from schema.context import Context
from schema.inputs import TrackAndTraceInput
from schema.payloads import DeletePayload, OrderPayload, TrackAndTracePayload


@strawberry.type
class TrackingMutation:
    @strawberry.mutation(
        description="Gives a completed order its carrier and tracking number; `parameters` fills the carrier "
        "template's own placeholders (an object of strings). Fills `Order.trackingUrl`."
    )
    async def set_tracking(
        self,
        info: strawberry.Info[Context],
        order_id: arguments.OrderId,
        track_and_trace_id: Annotated[strawberry.ID, strawberry.argument(description="The carrier's configuration.")],
        tracking_number: Annotated[
            str, strawberry.argument(description="The carrier's tracking number (at most 255 characters).")
        ],
        parameters: Annotated[
            JSON | None,
            strawberry.argument(
                description="Values for the template's other placeholders, as a JSON object of strings; left out, none."
            ),
        ] = None,
    ) -> OrderPayload:
        context = info.context
        return await OrderPayload.attempt(
            context,
            lambda session: tracking.set_tracking(
                session, order_id=str(order_id), track_and_trace_id=str(track_and_trace_id),
                tracking_number=tracking_number, parameters=parameters, now=context.now, actor=context.viewer.actor,
            ),
            admin_only=True,
        )  # fmt: skip

    @strawberry.mutation(
        description="Adds a carrier's URL template, e.g. https://track.example/?code={TrackingNumber}."
    )
    async def create_track_and_trace(
        self,
        info: strawberry.Info[Context],
        input: Annotated[TrackAndTraceInput, strawberry.argument(description="The carrier's name and URL template.")],
    ) -> TrackAndTracePayload:
        return await TrackAndTracePayload.attempt(
            info.context,
            lambda session: tracking.create(session, name=input.name, url_template=input.url_template),
            admin_only=True,
        )

    @strawberry.mutation(description="Renames a configuration or changes its template; its orders follow.")
    async def update_track_and_trace(
        self,
        info: strawberry.Info[Context],
        id: Annotated[strawberry.ID, strawberry.argument(description="The configuration's id.")],
        input: Annotated[TrackAndTraceInput, strawberry.argument(description="Its new name and URL template.")],
    ) -> TrackAndTracePayload:
        return await TrackAndTracePayload.attempt(
            info.context,
            lambda session: tracking.update(
                session, track_and_trace_id=str(id), name=input.name, url_template=input.url_template
            ),
            admin_only=True,
        )

    @strawberry.mutation(
        description="Deletes a configuration (softly): it takes no new orders; orders using it keep their URL."
    )
    async def delete_track_and_trace(
        self,
        info: strawberry.Info[Context],
        id: Annotated[strawberry.ID, strawberry.argument(description="The configuration's id.")],
    ) -> DeletePayload:
        return await DeletePayload.attempt(
            info.context, lambda session: tracking.delete(session, track_and_trace_id=str(id)), admin_only=True
        )
