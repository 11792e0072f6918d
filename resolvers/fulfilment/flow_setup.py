"""Setting up order flows, their states and the rules between states.

Each kind has exactly one default flow and each flow exactly one default state:
making a new default unsets the old one in the same transaction (partial unique
indexes back this up), the first flow of a kind and the first state of a flow
become the default, and a default can only be moved, never removed.

A flow that holds records (orders in it or in one of its states, returns in one of its
states) cannot be deleted or change kind: INVALID naming what holds it, nothing changed.
States are only ever marked deleted, so the records in them keep their state.
A state's requirements (`lifecycle.StateRequirement`) are for ORDER flows: only orders are captured,
tracked and returned. A state's mail templates must exist when its mail is saved (INVALID otherwise).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TypeVar

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import FlowKind
from models.flows import Flow, State, StateRule
from models.orders import Order
from models.returns import Return
from models.settings import get_settings
from resolvers.core import lifecycle, validation
from resolvers.core.errors import DomainError, ErrorCode, invalid, not_found
from resolvers.fulfilment import mail as state_mail
from resolvers.fulfilment.flows import parse_id

SetupRow = TypeVar("SetupRow", Flow, State)
log = structlog.get_logger("ordergraph.flow_setup")
REQUIREMENTS_FIELD = ["input", "requirements"]


@dataclasses.dataclass(frozen=True, slots=True)
class StateMail:
    """The mail sent when an order enters a state."""

    template: str
    subject: str
    sender_email: str | None = None
    sender_name: str | None = None
    send_to_customer: bool = True
    send_to_delivery_email: bool = False
    other_recipients: Sequence[str] = ()
    other_template: str | None = None
    recipient_field: str | None = None


# ---------------------------------------------------------------- flows


async def create_flow(
    session: AsyncSession, *, name: str, description: str | None, kind: FlowKind, is_default: bool
) -> Flow:
    """Add a flow; the first flow of a kind is its default whatever `is_default` says."""
    has_default = await _default_flow_id(session, kind=kind) is not None
    if is_default or not has_default:
        await _unset_default_flow(session, kind=kind)
    flow = Flow(
        name=_name(name),
        description=_description(Flow, description),
        kind=kind,
        is_default=is_default or not has_default,
    )
    session.add(flow)
    await session.flush()
    return flow


async def update_flow(
    session: AsyncSession, *, flow_id: str, name: str, description: str | None, kind: FlowKind, is_default: bool
) -> Flow:
    """Rename or re-describe a flow, or make it the default; `is_default` false never unsets the default.

    Raises NOT_FOUND, and INVALID for a kind change of a flow that is a default, holds records, or has
    states with requirements (they are for ORDER flows).
    """
    flow = await get_flow(session, flow_id=flow_id, field=["id"])
    if kind != flow.kind:
        if flow.is_default:
            raise invalid(
                "The default flow of a kind cannot change kind: make another flow the default first.", ["input", "kind"]
            )
        if held := await _held_by(session, flow_id=flow.id):
            raise invalid(f"Flow {flow.id} holds {held}: it cannot change kind.", ["input", "kind"])
        if kind is not FlowKind.ORDER and await _has_requirements(session, flow_id=flow.id):
            raise invalid("A flow whose states have requirements stays an ORDER flow.", ["input", "kind"])
        flow.kind = kind
    flow.name = _name(name)
    flow.description = _description(Flow, description)
    if is_default and not flow.is_default:
        await _unset_default_flow(session, kind=flow.kind)
        flow.is_default = True
    await session.flush()
    return flow


async def delete_flow(session: AsyncSession, *, flow_id: str) -> int:
    """Delete a flow with its states and rules; INVALID for the default flow or while it holds records."""
    flow = await get_flow(session, flow_id=flow_id, field=["id"])
    if flow.is_default:
        raise invalid(
            f"Flow {flow.id} is the default {flow.kind.value} flow: make another flow the default first.", ["id"]
        )
    if held := await _held_by(session, flow_id=flow.id):
        raise invalid(f"Flow {flow.id} still holds {held}: move them to another flow first.", ["id"])
    state_ids = sa.select(State.id).where(State.flow_id == flow.id).scalar_subquery()
    try:
        async with session.begin_nested():
            await session.execute(
                sa.delete(StateRule).where(
                    sa.or_(StateRule.from_state_id.in_(state_ids), StateRule.to_state_id.in_(state_ids))
                )
            )
            await session.execute(sa.delete(State).where(State.flow_id == flow.id))
            await session.delete(flow)
            await session.flush()
    except sa.exc.IntegrityError as error:
        # A record entered the flow after the check (a concurrent request): the store refused the delete.
        log.warning("flow delete refused by the store", flow_id=flow.id, error=str(error.orig))
        raise invalid(f"Flow {flow.id} still holds records: move them to another flow first.", ["id"]) from error
    return flow.id


async def get_flow(session: AsyncSession, *, flow_id: str, field: list[str]) -> Flow:
    return await _setup_row(session, Flow, flow_id, field=field)


# ---------------------------------------------------------------- states


async def create_state(
    session: AsyncSession,
    *,
    flow_id: str,
    name: str,
    description: str | None = None,
    color: str | None = None,
    sort_order: int | None = None,
    is_default: bool = False,
    allow_edit: bool = False,
    allow_order: bool = False,
    exclude_from_statistics: bool = False,
    mail: StateMail | None = None,
    requirements: Sequence[lifecycle.StateRequirement] = (),
    composer: state_mail.Composer | None = None,
) -> State:
    """Add a state to a flow, last in sort order unless told; the first state of a flow is its default.

    `composer` is where the mail's templates are looked up (by default the process settings' folder).
    """
    flow = await get_flow(session, flow_id=flow_id, field=["input", "flowId"])
    has_default = (
        await session.scalar(sa.select(State.id).where(State.flow_id == flow.id, State.is_default)) is not None
    )
    if sort_order is None:
        highest = await session.scalar(sa.select(sa.func.max(State.sort_order)).where(State.flow_id == flow.id))
        sort_order = (highest or 0) + 10
    if is_default or not has_default:
        await _unset_default_state(session, flow_id=flow.id)
    state = State(
        flow_id=flow.id,
        name=_name(name),
        description=_description(State, description),
        color=validation.text_fits(State.color, color, field=["input", "color"]),
        sort_order=sort_order,
        is_default=is_default or not has_default,
        allow_edit=allow_edit,
        allow_order=allow_order,
        exclude_from_statistics=exclude_from_statistics,
        is_deleted=False,
        requirements=_requirements(requirements, kind=flow.kind),
    )
    _set_mail(state, mail, composer=composer)
    session.add(state)
    await session.flush()
    return state


async def delete_state(session: AsyncSession, *, state_id: str) -> int:
    """Mark a state deleted: its orders stay in it, no new ones may enter. Refused for the default state."""
    state = await get_state(session, state_id=state_id, field=["id"])
    if state.is_deleted:
        raise DomainError(ErrorCode.ALREADY_DONE, f"State {state.id} is deleted already.", ["id"])
    if state.is_default:
        raise invalid(f"State {state.id} is the default of its flow: make another state the default first.", ["id"])
    state.is_deleted = True
    await session.flush()
    return state.id


async def update_state(
    session: AsyncSession,
    *,
    state_id: str,
    changes: dict[str, object],
    mail: StateMail | None = None,
    clear_mail: bool = False,
    requirements: Sequence[lifecycle.StateRequirement] | None = None,
    composer: state_mail.Composer | None = None,
) -> State:
    """Change the given attributes of a state (`changes` holds only what the caller set).

    Raises NOT_FOUND, and INVALID for an empty name, mail and clearMail together, unsetting the default
    (make another state the default instead), making a deleted state the default, a mail template that
    does not exist, or requirements on a state of a flow that is not an ORDER flow.
    """
    state = await get_state(session, state_id=state_id, field=["id"])
    if mail is not None and clear_mail:
        raise invalid("Give either mail or clearMail, not both.", ["input", "clearMail"])
    is_default = changes.pop("is_default", None)
    if is_default is False and state.is_default:
        raise invalid(
            "A flow always has a default state: make another state the default instead.", ["input", "isDefault"]
        )
    if is_default and not state.is_default:
        if state.is_deleted:
            raise invalid("A deleted state cannot be the default.", ["input", "isDefault"])
        await _unset_default_state(session, flow_id=state.flow_id)
        state.is_default = True
    for attribute, value in changes.items():
        setattr(state, attribute, _state_attribute(attribute, value))
    if mail is not None:
        _set_mail(state, mail, composer=composer)
    if clear_mail:
        _set_mail(state, None)
    if requirements is not None:
        flow = await session.get_one(Flow, state.flow_id)
        state.requirements = _requirements(requirements, kind=flow.kind)
    await session.flush()
    return state


async def set_state_rules(session: AsyncSession, *, state_id: str, to_state_ids: Sequence[str]) -> State:
    """Replace the states a state may move to; an empty list allows any state of the same kind.

    Raises NOT_FOUND for an unknown state and INVALID for the state itself, a deleted target
    or a target in a flow of another kind, with the path of the target at fault.
    """
    state = await get_state(session, state_id=state_id, field=["stateId"])
    kind = await session.scalar(sa.select(Flow.kind).where(Flow.id == state.flow_id))
    targets: list[int] = []
    for position, raw_id in enumerate(to_state_ids):
        field = ["toStateIds", str(position)]
        target = await get_state(session, state_id=raw_id, field=field)
        target_kind = await session.scalar(sa.select(Flow.kind).where(Flow.id == target.flow_id))
        if target.id == state.id:
            raise invalid("A state cannot have a rule to itself.", field)
        if target.is_deleted:
            raise invalid(f"State {target.id} is deleted.", field)
        if target_kind != kind:
            raise invalid(f"State {target.id} belongs to a {target_kind} flow, not a {kind} flow.", field)
        if target.id not in targets:
            targets.append(target.id)
    await session.execute(sa.delete(StateRule).where(StateRule.from_state_id == state.id))
    if targets:
        await session.execute(sa.insert(StateRule), [{"from_state_id": state.id, "to_state_id": t} for t in targets])
    await session.flush()
    return state


async def get_state(session: AsyncSession, *, state_id: str, field: list[str]) -> State:
    return await _setup_row(session, State, state_id, field=field)


# ---------------------------------------------------------------- helpers


async def _setup_row(session: AsyncSession, model: type[SetupRow], given_id: str, *, field: list[str]) -> SetupRow:
    """The flow or state with this id, or NOT_FOUND at `field`."""
    key = parse_id(given_id)
    row = await session.get(model, key) if key is not None else None
    if row is None:
        raise not_found(model.__name__, given_id, field)
    return row


def _name(name: object) -> str:
    # Flows and states alike: both names are String(255).
    text = validation.text_fits(State.name, str(name or ""), field=["input", "name"])
    if not text:
        raise invalid("A name may not be empty.", ["input", "name"])
    return text


def _description(model: type[Flow] | type[State], description: str | None) -> str | None:
    return validation.text_fits(model.description, description, field=["input", "description"])


def _state_attribute(attribute: str, value: object) -> object:
    """A state attribute as `update_state` sets it: texts checked against their columns."""
    if attribute == "name":
        return _name(value)
    if attribute in ("description", "color") and isinstance(value, str):
        return validation.text_fits(getattr(State, attribute), value, field=["input", attribute])
    return value


def _requirements(requirements: Sequence[lifecycle.StateRequirement], *, kind: FlowKind) -> list[str]:
    """The requirement names to store, each once in the order given; INVALID on a state of another kind of flow."""
    if requirements and kind is not FlowKind.ORDER:
        raise invalid(f"Requirements are for states of ORDER flows, not of a {kind.value} flow.", REQUIREMENTS_FIELD)
    return [str(lifecycle.StateRequirement(requirement)) for requirement in dict.fromkeys(requirements)]


def _set_mail(state: State, mail: StateMail | None, *, composer: state_mail.Composer | None = None) -> None:
    """Set (or with None clear) the state's mail; INVALID with the path of a malformed part or a missing template."""
    if mail is None:
        state.mail_template = state.mail_subject = state.mail_other_template = state.mail_recipient_field = None
        state.mail_sender_email = state.mail_sender_name = None
        state.mail_send_to_customer, state.mail_send_to_delivery_email = True, False
        state.mail_other_recipients = []
        return
    field = ["input", "mail"]
    _mail_texts_fit(mail, field=field)
    state.mail_template = mail.template.strip() or None
    if state.mail_template is None:
        raise invalid("A state mail needs a template.", [*field, "template"])
    composer = composer or state_mail.composer_from(get_settings())
    state_mail.check_template(state.mail_template, composer=composer, field=[*field, "template"])
    state.mail_subject = state_mail.check_subject(mail.subject, field=[*field, "subject"])
    state.mail_sender_email = (
        state_mail.check_address(mail.sender_email, field=[*field, "senderEmail"]) if mail.sender_email else None
    )
    if mail.sender_name is not None and not mail.sender_name.isprintable():
        raise invalid("A sender name is one line of text.", [*field, "senderName"])
    state.mail_sender_name = mail.sender_name
    state.mail_send_to_customer = mail.send_to_customer
    state.mail_send_to_delivery_email = mail.send_to_delivery_email
    state.mail_other_recipients = [
        state_mail.check_address(address, field=[*field, "otherRecipients", str(position)])
        for position, address in enumerate(mail.other_recipients)
    ]
    state.mail_other_template = (mail.other_template or "").strip() or None
    state.mail_recipient_field = state_mail.check_recipient_field(
        mail.recipient_field, field=[*field, "recipientField"]
    )
    if state.mail_other_template is not None:
        state_mail.check_template(state.mail_other_template, composer=composer, field=[*field, "otherTemplate"])


def _mail_texts_fit(mail: StateMail, *, field: list[str]) -> None:
    # Every other recipient is an address, as the sender's is.
    recipients = [
        (State.mail_sender_email, address, [*field, "otherRecipients", str(position)])
        for position, address in enumerate(mail.other_recipients)
    ]
    validation.all_texts_fit(
        [
            (State.mail_template, mail.template, [*field, "template"]),
            (State.mail_subject, mail.subject, [*field, "subject"]),
            (State.mail_sender_email, mail.sender_email, [*field, "senderEmail"]),
            (State.mail_sender_name, mail.sender_name, [*field, "senderName"]),
            (State.mail_other_template, mail.other_template, [*field, "otherTemplate"]),
            *recipients,
        ]
    )


async def _default_flow_id(session: AsyncSession, *, kind: FlowKind) -> int | None:
    return await session.scalar(sa.select(Flow.id).where(Flow.kind == kind, Flow.is_default))


async def _unset_default_flow(session: AsyncSession, *, kind: FlowKind) -> None:
    # Flushed before the new default is written, so the partial unique index never sees two.
    await session.flush()
    await session.execute(
        sa.update(Flow).where(Flow.kind == kind, Flow.is_default.is_(True)).values(is_default=False),
        execution_options={"synchronize_session": "fetch"},
    )


async def _unset_default_state(session: AsyncSession, *, flow_id: int) -> None:
    await session.flush()
    await session.execute(
        sa.update(State).where(State.flow_id == flow_id, State.is_default.is_(True)).values(is_default=False),
        execution_options={"synchronize_session": "fetch"},
    )


async def _held_by(session: AsyncSession, *, flow_id: int) -> str:
    """What holds the flow, as "2 orders and 1 return"; empty when nothing does.

    Orders (deleted ones too: they still reference it) in the flow or in one of its states, and
    returns in one of its states.
    """
    state_ids = sa.select(State.id).where(State.flow_id == flow_id).scalar_subquery()
    orders = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Order)
        .where(sa.or_(Order.flow_id == flow_id, Order.state_id.in_(state_ids)))
    )
    returns = await session.scalar(sa.select(sa.func.count()).select_from(Return).where(Return.state_id.in_(state_ids)))
    held = [
        f"{count} {noun}{'' if count == 1 else 's'}"
        for count, noun in ((int(orders or 0), "order"), (int(returns or 0), "return"))
        if count
    ]
    return " and ".join(held)


async def _has_requirements(session: AsyncSession, *, flow_id: int) -> bool:
    states = await session.scalars(sa.select(State.requirements).where(State.flow_id == flow_id))
    return any(states.all())
