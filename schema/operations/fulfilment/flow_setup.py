"""Setting up flows, states and state rules (admin)."""

from __future__ import annotations

import strawberry

from models.enums import FlowKind
from resolvers.fulfilment import flow_setup
from schema.context import Context
from schema.errors import attempt
from schema.guards import admin_errors
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
    )


def _deleted(deleted_id: int | None, errors: list) -> DeletePayload:  # type: ignore[type-arg]
    return DeletePayload(
        deleted_id=strawberry.ID(str(deleted_id)) if deleted_id is not None else None, user_errors=errors
    )


@strawberry.type
class FlowSetupMutation:
    @strawberry.mutation
    async def create_flow(self, info: strawberry.Info[Context], input: FlowInput) -> FlowPayload:
        if errors := admin_errors(info.context.viewer):
            return FlowPayload(user_errors=errors)
        flow, errors = await attempt(
            info.context.session,
            lambda: flow_setup.create_flow(
                info.context.session,
                name=input.name,
                description=input.description,
                kind=FlowKind(input.kind),
                is_default=bool(input.is_default),
            ),
        )
        return FlowPayload(flow=flow, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def update_flow(self, info: strawberry.Info[Context], id: strawberry.ID, input: FlowInput) -> FlowPayload:
        if errors := admin_errors(info.context.viewer):
            return FlowPayload(user_errors=errors)
        flow, errors = await attempt(
            info.context.session,
            lambda: flow_setup.update_flow(
                info.context.session,
                flow_id=str(id),
                name=input.name,
                description=input.description,
                kind=FlowKind(input.kind),
                is_default=bool(input.is_default),
            ),
        )
        return FlowPayload(flow=flow, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def delete_flow(self, info: strawberry.Info[Context], id: strawberry.ID) -> DeletePayload:
        if errors := admin_errors(info.context.viewer):
            return DeletePayload(user_errors=errors)
        deleted_id, errors = await attempt(
            info.context.session, lambda: flow_setup.delete_flow(info.context.session, flow_id=str(id))
        )
        return _deleted(deleted_id, errors)

    @strawberry.mutation
    async def create_state(self, info: strawberry.Info[Context], input: StateInput) -> StatePayload:
        if errors := admin_errors(info.context.viewer):
            return StatePayload(user_errors=errors)
        state, errors = await attempt(
            info.context.session,
            lambda: flow_setup.create_state(
                info.context.session,
                flow_id=str(input.flow_id),
                name=input.name,
                description=input.description,
                color=input.color,
                sort_order=input.sort_order,
                is_default=bool(input.is_default),
                allow_edit=bool(input.allow_edit),
                allow_order=bool(input.allow_order),
                exclude_from_statistics=bool(input.exclude_from_statistics),
                mail=_mail(input.mail),
            ),
        )
        return StatePayload(state=state, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def update_state(
        self, info: strawberry.Info[Context], id: strawberry.ID, input: StateUpdateInput
    ) -> StatePayload:
        if errors := admin_errors(info.context.viewer):
            return StatePayload(user_errors=errors)
        changes = {name: getattr(input, name) for name in _STATE_ATTRIBUTES if getattr(input, name) is not None}
        state, errors = await attempt(
            info.context.session,
            lambda: flow_setup.update_state(
                info.context.session,
                state_id=str(id),
                changes=changes,
                mail=_mail(input.mail),
                clear_mail=bool(input.clear_mail),
            ),
        )
        return StatePayload(state=state, user_errors=errors)  # type: ignore[arg-type]

    @strawberry.mutation
    async def delete_state(self, info: strawberry.Info[Context], id: strawberry.ID) -> DeletePayload:
        if errors := admin_errors(info.context.viewer):
            return DeletePayload(user_errors=errors)
        deleted_id, errors = await attempt(
            info.context.session, lambda: flow_setup.delete_state(info.context.session, state_id=str(id))
        )
        return _deleted(deleted_id, errors)

    @strawberry.mutation(description="Replaces the states `stateId` may move to.")
    async def set_state_rules(
        self, info: strawberry.Info[Context], state_id: strawberry.ID, to_state_ids: list[strawberry.ID]
    ) -> StatePayload:
        if errors := admin_errors(info.context.viewer):
            return StatePayload(user_errors=errors)
        state, errors = await attempt(
            info.context.session,
            lambda: flow_setup.set_state_rules(
                info.context.session,
                state_id=str(state_id),
                to_state_ids=[str(target) for target in to_state_ids],
            ),
        )
        return StatePayload(state=state, user_errors=errors)  # type: ignore[arg-type]
