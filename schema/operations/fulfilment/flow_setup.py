"""Setting up flows, states and state rules (admin)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from models.enums import FlowKind
from resolvers.fulfilment import flow_setup
from resolvers.fulfilment import mail as state_mail
from schema import arguments
from schema.context import Context
from schema.inputs import FlowInput, StateInput, StateMailInput, StateUpdateInput
from schema.payloads import DeletePayload, FlowPayload, StatePayload

_STATE_ATTRIBUTES = (
    "name",
    "description",
    "color",
    "sort_order",
    "is_default",
    "allow_edit",
    "allow_order",
    "exclude_from_statistics",
)


@strawberry.type
class FlowSetupMutation:
    @strawberry.mutation(description="Adds a flow (admins only); the first flow of a kind becomes its default.")
    async def create_flow(
        self,
        info: strawberry.Info[Context],
        input: Annotated[FlowInput, strawberry.argument(description="The new flow.")],
    ) -> FlowPayload:
        kind, is_default = FlowKind(input.kind), bool(input.is_default)
        return await FlowPayload.attempt(
            info.context,
            lambda session: flow_setup.create_flow(
                session, name=input.name, description=input.description, kind=kind, is_default=is_default
            ),
            admin_only=True,
        )

    @strawberry.mutation(description="Changes a flow (admins only); a flow holding records cannot change kind.")
    async def update_flow(
        self,
        info: strawberry.Info[Context],
        id: arguments.FlowId,
        input: Annotated[FlowInput, strawberry.argument(description="Its new settings (all of them).")],
    ) -> FlowPayload:
        return await FlowPayload.attempt(
            info.context,
            lambda session: flow_setup.update_flow(
                session, flow_id=str(id), name=input.name, description=input.description, kind=FlowKind(input.kind),
                is_default=bool(input.is_default),
            ),
            admin_only=True,
        )  # fmt: skip

    @strawberry.mutation(
        description="Deletes a flow that holds no records (admins only); INVALID naming what holds it otherwise."
    )
    async def delete_flow(
        self,
        info: strawberry.Info[Context],
        id: arguments.FlowId,
    ) -> DeletePayload:
        return await DeletePayload.attempt(
            info.context, lambda session: flow_setup.delete_flow(session, flow_id=str(id)), admin_only=True
        )

    @strawberry.mutation(
        description="Adds a state to a flow (admins only); the first state of a flow becomes its default."
    )
    async def create_state(
        self,
        info: strawberry.Info[Context],
        input: Annotated[StateInput, strawberry.argument(description="The new state.")],
    ) -> StatePayload:
        composer = state_mail.composer_from(info.context.settings)
        return await StatePayload.attempt(
            info.context,
            lambda session: flow_setup.create_state(
                session, flow_id=str(input.flow_id), name=input.name, description=input.description,
                color=input.color, sort_order=input.sort_order, is_default=bool(input.is_default),
                allow_edit=bool(input.allow_edit), allow_order=bool(input.allow_order),
                exclude_from_statistics=bool(input.exclude_from_statistics), mail=_mail(input.mail),
                requirements=list(input.requirements or ()), composer=composer,
            ),
            admin_only=True,
        )  # fmt: skip

    @strawberry.mutation(description="Changes a state (admins only); parts left out stay as they are.")
    async def update_state(
        self,
        info: strawberry.Info[Context],
        id: arguments.StateId,
        input: Annotated[StateUpdateInput, strawberry.argument(description="The changes.")],
    ) -> StatePayload:
        changes = {name: getattr(input, name) for name in _STATE_ATTRIBUTES if getattr(input, name) is not None}
        requirements = list(input.requirements) if input.requirements is not None else None
        composer = state_mail.composer_from(info.context.settings)
        return await StatePayload.attempt(
            info.context,
            lambda session: flow_setup.update_state(
                session,
                state_id=str(id),
                changes=changes,
                mail=_mail(input.mail),
                clear_mail=bool(input.clear_mail),
                requirements=requirements,
                composer=composer,
            ),
            admin_only=True,
        )

    @strawberry.mutation(
        description="Marks a state deleted (admins only): it takes no new orders, those in it keep it. A default "
        "state cannot be deleted."
    )
    async def delete_state(
        self,
        info: strawberry.Info[Context],
        id: arguments.StateId,
    ) -> DeletePayload:
        return await DeletePayload.attempt(
            info.context, lambda session: flow_setup.delete_state(session, state_id=str(id)), admin_only=True
        )

    @strawberry.mutation(description="Replaces the states `stateId` may move to.")
    async def set_state_rules(
        self,
        info: strawberry.Info[Context],
        state_id: Annotated[strawberry.ID, strawberry.argument(description="The state the rules start from.")],
        to_state_ids: Annotated[
            list[strawberry.ID],
            strawberry.argument(description="Every state it may move to; empty lets it move to any state of its kind."),
        ],
    ) -> StatePayload:
        targets = [str(target) for target in to_state_ids]
        return await StatePayload.attempt(
            info.context,
            lambda session: flow_setup.set_state_rules(session, state_id=str(state_id), to_state_ids=targets),
            admin_only=True,
        )


def _mail(mail: StateMailInput | None) -> flow_setup.StateMail | None:
    if mail is None:
        return None
    return flow_setup.StateMail(
        template=mail.template,
        subject=mail.subject,
        sender_email=mail.sender_email,
        sender_name=mail.sender_name,
        send_to_customer=mail.send_to_customer is not False,
        send_to_delivery_email=bool(mail.send_to_delivery_email),
        other_recipients=tuple(mail.other_recipients or ()),
        other_template=mail.other_template,
        recipient_field=mail.recipient_field,
    )
