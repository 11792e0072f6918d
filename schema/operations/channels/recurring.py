"""Recurring (subscription) orders (admins only): schedules, and generating the due orders."""

from __future__ import annotations

import datetime
from typing import Annotated

import strawberry

from models.enums import RecurringUnit
from resolvers.channels import recurring
from resolvers.core.errors import DomainError
from schema.context import Context
from schema.errors import user_errors
from schema.guards import admin_errors, require_admin
from schema.inputs import RecurringInput
from schema.operations.payments import movements
from schema.payloads import BulkOrderPayload, OrderResult, RecurringPayload
from schema.types.recurring import RecurringSchedule

# A refused run has no orders, so it answers this one id.
RUN_ID = strawberry.ID("runDueRecurring")


@strawberry.type
class RecurringQuery:
    @strawberry.field(description="Recurring schedules by id; only the active ones unless told otherwise.")
    async def recurring_schedules(
        self,
        info: strawberry.Info[Context],
        active_only: Annotated[
            bool | None,
            strawberry.argument(description="Only active schedules (the default); false lists ended ones too."),
        ] = True,
    ) -> list[RecurringSchedule]:
        require_admin(info.context.viewer)
        schedules = await recurring.list_schedules(info.context.session, active_only=active_only is not False)
        return list(schedules)  # type: ignore[arg-type]


@strawberry.type
class RecurringMutation:
    @strawberry.mutation(description="Starts a schedule that generates a copy of a completed order every interval.")
    async def create_recurring(
        self,
        info: strawberry.Info[Context],
        input: Annotated[RecurringInput, strawberry.argument(description="The template order and the schedule.")],
    ) -> RecurringPayload:
        context = info.context
        return await RecurringPayload.attempt(
            context,
            lambda session: recurring.create(
                session, template_order_id=str(input.template_order_id), interval=input.interval,
                unit=RecurringUnit(input.unit), start_at=input.start_at, ends_at=input.ends_at,
                now=context.now, actor=context.viewer.actor,
            ),
            admin_only=True,
        )  # fmt: skip

    @strawberry.mutation(description="Stops a schedule: it generates nothing more.")
    async def cancel_recurring(
        self,
        info: strawberry.Info[Context],
        id: Annotated[strawberry.ID, strawberry.argument(description="The schedule's id.")],
    ) -> RecurringPayload:
        context = info.context
        return await RecurringPayload.attempt(
            context,
            lambda session: recurring.cancel(session, schedule_id=str(id), now=context.now, actor=context.viewer.actor),
            admin_only=True,
        )

    @strawberry.mutation(
        description="Generates the orders of every active schedule due at `now` (default: the current time); "
        "the worker calls it on a timer. Running it twice for the same due time generates nothing twice."
    )
    async def run_due_recurring(
        self,
        info: strawberry.Info[Context],
        now: Annotated[
            datetime.datetime | None,
            strawberry.argument(description="The moment to run at; left out or null, the current time."),
        ] = strawberry.UNSET,
    ) -> BulkOrderPayload:
        context = info.context
        if refusal := admin_errors(context.viewer):
            return BulkOrderPayload(results=[OrderResult(order_id=RUN_ID, user_errors=refusal)])
        # UNSET: the contract gives `now` no default; left out or null, it is the current time.
        at = now if isinstance(now, datetime.datetime) else context.now
        # Not in the field's session: generating and charging commit their own short transactions.
        arguments = movements.movement_arguments(context)
        try:
            outcomes = await recurring.run_due(
                context.movement_sessions(), charged_at=arguments.pop("now"), now=at, **arguments
            )
        except DomainError as error:
            return BulkOrderPayload(results=[OrderResult(order_id=RUN_ID, user_errors=user_errors(error))])
        return BulkOrderPayload(results=await movements.results(info, outcomes))
