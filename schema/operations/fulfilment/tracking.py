"""Track and trace (admin): carrier URL templates, and the tracking of an order."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from resolvers.fulfilment import tracking
from schema.context import Context
from schema.errors import attempt
from schema.guards import admin_errors
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
        order_id: strawberry.ID,
        track_and_trace_id: strawberry.ID,
        tracking_number: str,
        parameters: JSON | None = None,
    ) -> OrderPayload:
        context = info.context
        if errors := admin_errors(context.viewer):
            return OrderPayload(user_errors=errors)
        order, errors = await attempt(
            context.session,
            lambda: tracking.set_tracking(
                context.session,
                order_id=str(order_id),
                track_and_trace_id=str(track_and_trace_id),
                tracking_number=tracking_number,
                parameters=parameters,
                now=context.now,
                actor=context.viewer.actor,
            ),
        )
        return OrderPayload(order=order, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Adds a carrier's URL template, e.g. https://track.example/?code={TrackingNumber}."
    )
    async def create_track_and_trace(
        self, info: strawberry.Info[Context], input: TrackAndTraceInput
    ) -> TrackAndTracePayload:
        context = info.context
        if errors := admin_errors(context.viewer):
            return TrackAndTracePayload(user_errors=errors)
        configuration, errors = await attempt(
            context.session,
            lambda: tracking.create(context.session, name=input.name, url_template=input.url_template),
        )
        return TrackAndTracePayload(track_and_trace=configuration, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(description="Renames a configuration or changes its template; its orders follow.")
    async def update_track_and_trace(
        self, info: strawberry.Info[Context], id: strawberry.ID, input: TrackAndTraceInput
    ) -> TrackAndTracePayload:
        context = info.context
        if errors := admin_errors(context.viewer):
            return TrackAndTracePayload(user_errors=errors)
        configuration, errors = await attempt(
            context.session,
            lambda: tracking.update(
                context.session, track_and_trace_id=str(id), name=input.name, url_template=input.url_template
            ),
        )
        return TrackAndTracePayload(track_and_trace=configuration, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Deletes a configuration (softly): it takes no new orders; orders using it keep their URL."
    )
    async def delete_track_and_trace(self, info: strawberry.Info[Context], id: strawberry.ID) -> DeletePayload:
        context = info.context
        if errors := admin_errors(context.viewer):
            return DeletePayload(user_errors=errors)
        deleted_id, errors = await attempt(
            context.session, lambda: tracking.delete(context.session, track_and_trace_id=str(id))
        )
        return DeletePayload(
            deleted_id=strawberry.ID(str(deleted_id)) if deleted_id is not None else None, user_errors=errors
        )
