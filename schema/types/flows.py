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


@strawberry.type(description="An order flow: the states a record of one kind moves through, configured by admins.")
class Flow:
    id: strawberry.ID = strawberry.field(description="The flow's id.")
    name: str = strawberry.field(description="The flow's name, e.g. Standard order flow.")
    description: str | None = strawberry.field(description="The shop's text about the flow, if any.")
    kind: FlowKind = strawberry.field(description="The kind of record it serves.")  # type: ignore[valid-type]
    is_default: bool = strawberry.field(
        description="Whether new records of its kind enter it (one default flow per kind)."
    )

    @strawberry.field(description="States in sort order.")
    async def states(self, root: strawberry.Parent[flows.Flow], info: strawberry.Info[Context]) -> list[State]:
        if not info.context.viewer.is_admin:
            return []
        return await info.context.loaders.states_by_flow_id.load(root.id)


@strawberry.type(
    description="The mail a state sends when an order enters it (queued with the state change, sent by the worker)."
)
class StateMail:
    template: str = strawberry.field(
        description="The Jinja2 template's file name, from the template folder or the defaults."
    )
    subject: str = strawberry.field(description="The subject line (a template too: it may use the order's fields).")
    sender_email: str | None = strawberry.field(
        description="The sender's address; null uses ORDERGRAPH_MAIL_DEFAULT_SENDER."
    )
    sender_name: str | None = strawberry.field(description="The sender's display name, if any.")
    send_to_customer: bool = strawberry.field(description="Whether it goes to the customer's e-mail address.")
    send_to_delivery_email: bool = strawberry.field(description="Whether it goes to the delivery e-mail address too.")
    other_recipients: list[str] = strawberry.field(
        description="More addresses that receive it (for example the warehouse)."
    )
    other_template: str | None = strawberry.field(
        description="The template the other recipients get instead; null gives them the same one."
    )
    recipient_field: str | None = strawberry.field(
        description="System name of an order custom field whose value is one more recipient address."
    )


@strawberry.type(
    description="A state of a flow: what it allows and requires. Its rules, requirements and mail are staff data."
)
class State:
    id: strawberry.ID = strawberry.field(description="The state's id (the stateId of changeState).")
    name: str = strawberry.field(description="The state's name, e.g. Shipped.")
    description: str | None = strawberry.field(description="The shop's text about the state, if any.")
    color: str | None = strawberry.field(description="A display colour, e.g. #2e7d32; null when none is set.")
    sort_order: int = strawberry.field(description="Its place in the flow's list of states.")
    is_default: bool = strawberry.field(
        description="Whether records entering its flow start in it (one default state per flow)."
    )
    allow_edit: bool = strawberry.field(description="Orders in this state may be edited.")
    allow_order: bool = strawberry.field(
        description="Quotes in this state may be accepted by the customer (converted to an order)."
    )
    exclude_from_statistics: bool = strawberry.field(
        description="Whether salesSummary leaves out orders in this state."
    )
    is_deleted: bool = strawberry.field(
        description="Whether it was deleted: it takes no new orders, current ones stay."
    )

    @strawberry.field(description="What an order must meet to enter this state.")
    def requirements(
        self, root: strawberry.Parent[flows.State], info: strawberry.Info[Context]
    ) -> list[StateRequirement]:  # type: ignore[valid-type]
        if not info.context.viewer.is_admin:
            return []
        return list(lifecycle.requirements_of(root.requirements))

    @strawberry.field(description="The flow it belongs to.")
    async def flow(self, root: strawberry.Parent[flows.State], info: strawberry.Info[Context]) -> Flow:
        return await info.context.loaders.flow_by_id.load(root.flow_id)

    @strawberry.field(description="States this one may move to. Empty means any state of the same kind.")
    async def allowed_next(self, root: strawberry.Parent[flows.State], info: strawberry.Info[Context]) -> list[State]:
        if not info.context.viewer.is_admin:
            return []
        rules = await info.context.loaders.state_rules_by_from_state_id.load(root.id)
        states = await info.context.loaders.state_by_id.load_many([rule.to_state_id for rule in rules])
        return [state for state in states if state is not None]

    @strawberry.field(description="The mail it sends; null when it sends none. Staff data: null but for admins.")
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
    state: State = strawberry.field(description="The state it would move to.")
    allowed: bool = strawberry.field(description="Whether changeState would move the order there now.")
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
