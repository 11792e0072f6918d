"""Flow, State, StateMail and Transition: how admins see the order flows they configure and orders move through.

A state's mail settings are columns of its row; `State.mail` gathers them into one `StateMail`, or
None when the state sends no mail (no template). `allowedNext` reads the state's rules; none means
any state of a flow of the same kind.

A flow's states, a state's rules and its mail settings are staff data (design.md, Access): a customer or
secret holder reaches a Flow and a State only through their own record, and reads them as empty.
any state of a flow of the same kind. `requirements` are staff data like the rules (empty for others).
A `Transition` is one entry of `Order.transitions`, from `resolvers.fulfilment.transitions`.
"""

from __future__ import annotations

import strawberry

from models import flows
from resolvers.core import lifecycle
from resolvers.fulfilment import transitions
from schema.context import Context
from schema.enums import FlowKind, StateRequirement
from schema.errors import ErrorCode


@strawberry.type
class Flow:
    id: strawberry.ID
    name: str
    description: str | None
    kind: FlowKind  # type: ignore[valid-type]
    is_default: bool

    @strawberry.field(description="States in sort order.")
    async def states(self, root: strawberry.Parent[flows.Flow], info: strawberry.Info[Context]) -> list[State]:
        if not info.context.viewer.is_admin:
            return []
        return await info.context.loaders.states_by_flow_id.load(root.id)


@strawberry.type
class StateMail:
    template: str
    subject: str
    sender_email: str | None
    sender_name: str | None
    send_to_customer: bool
    send_to_delivery_email: bool
    other_recipients: list[str]
    other_template: str | None
    recipient_field: str | None = strawberry.field(
        description="System name of an order custom field whose value is one more recipient address."
    )


@strawberry.type
class State:
    id: strawberry.ID
    name: str
    description: str | None
    color: str | None
    sort_order: int
    is_default: bool
    allow_edit: bool = strawberry.field(description="Orders in this state may be edited.")
    allow_order: bool = strawberry.field(
        description="Quotes in this state may be accepted by the customer (converted to an order)."
    )
    exclude_from_statistics: bool
    is_deleted: bool

    @strawberry.field(description="What an order must meet to enter this state.")
    def requirements(
        self, root: strawberry.Parent[flows.State], info: strawberry.Info[Context]
    ) -> list[StateRequirement]:  # type: ignore[valid-type]
        if not info.context.viewer.is_admin:
            return []
        return list(lifecycle.requirements_of(root.requirements))

    @strawberry.field
    async def flow(self, root: strawberry.Parent[flows.State], info: strawberry.Info[Context]) -> Flow:
        return await info.context.loaders.flow_by_id.load(root.flow_id)

    @strawberry.field(description="States this one may move to. Empty means any state of the same kind.")
    async def allowed_next(self, root: strawberry.Parent[flows.State], info: strawberry.Info[Context]) -> list[State]:
        if not info.context.viewer.is_admin:
            return []
        rules = await info.context.loaders.state_rules_by_from_state_id.load(root.id)
        states = await info.context.loaders.state_by_id.load_many([rule.to_state_id for rule in rules])
        return [state for state in states if state is not None]

    @strawberry.field
    def mail(self, root: strawberry.Parent[flows.State], info: strawberry.Info[Context]) -> StateMail | None:
        if not info.context.viewer.is_admin or not root.mail_template:
            return None
        return StateMail(
            template=root.mail_template,
            subject=root.mail_subject or "",
            sender_email=root.mail_sender_email,
            sender_name=root.mail_sender_name,
            send_to_customer=root.mail_send_to_customer,
            send_to_delivery_email=root.mail_send_to_delivery_email,
            other_recipients=list(root.mail_other_recipients or []),
            other_template=root.mail_other_template,
            recipient_field=root.mail_recipient_field,
        )


@strawberry.type(description="A state an order could move to, and whether changeState would allow it now.")
class Transition:
    state: State
    allowed: bool
    reason: str | None = strawberry.field(description="Why changeState would refuse the move; null when allowed.")
    code: ErrorCode | None = strawberry.field(  # type: ignore[valid-type]
        description="The code changeState would answer with; null when allowed."
    )

    @classmethod
    def of(cls, transition: transitions.Transition) -> Transition:
        refusal = transition.refusal
        return cls(
            state=transition.state,  # type: ignore[arg-type]
            allowed=refusal is None,
            reason=refusal.message if refusal is not None else None,
            code=refusal.code if refusal is not None else None,
        )
