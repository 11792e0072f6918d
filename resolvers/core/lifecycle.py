"""The rules of a record's lifecycle, in one place: where it may go, what a closed record refuses, and what
an edit may do to a line that was returned. Pure functions over plain facts (no I/O): the callers read the
facts (`resolvers.fulfilment.transitions` for state changes) and ask.

    closed: a cancelled or deleted record or a      CLOSED, for changeState, edit, capture, authorize,
      rejected quote (`refuse_if_closed`)           setTracking and createReturn (deleting a cancelled
                                                    order stays allowed: it is not asked)
    a move (`move_refusal`), in this order:
      the record is closed                          CLOSED
      a state of a flow of another kind             TRANSITION_NOT_ALLOWED
      an ORDER-flow state, the order not complete   CLOSED (an unfinished checkout)
      the state the record is in                    ALREADY_DONE
      a deleted state                               TRANSITION_NOT_ALLOWED
      not a target of the current state's rules     TRANSITION_NOT_ALLOWED (no rules: any state of the kind)
      requirements the order does not meet          TRANSITION_NOT_ALLOWED naming each
    a line edit (`line_change_refusal`): removing   INVALID naming the line
      a returned line, or a quantity below what
      its returns (not rejected) hold

It lives in `core` because every capability asks it, payments (capture, authorize) included.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Collection, Sequence
from decimal import Decimal

from models import money
from models.enums import CaptureState, FlowKind, OrderKind, QuoteStatus
from models.orders import Order
from resolvers.core.errors import DomainError, ErrorCode, invalid

STATE_FIELD = ["stateId"]


class StateRequirement(enum.StrEnum):
    """What an order must meet to enter a state (`State.requirements` holds their names)."""

    CAPTURED = "CAPTURED"
    TRACKING_SET = "TRACKING_SET"
    NO_OPEN_RETURN = "NO_OPEN_RETURN"


def requirements_of(names: Collection[str] | None) -> tuple[StateRequirement, ...]:
    """A state's stored requirement names as requirements, in their stored order."""
    return tuple(StateRequirement(name) for name in names or ())


@dataclasses.dataclass(frozen=True, slots=True)
class Target:
    """A state as a move judges it."""

    id: int
    name: str
    kind: FlowKind
    is_deleted: bool
    requirements: tuple[StateRequirement, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Fulfilment:
    """The money and returns of an order that requirements read (read only when a judged state has some)."""

    capture_state: CaptureState
    payment_delta: Decimal
    open_return_ids: tuple[int, ...]


def closed_because(order: Order) -> str | None:
    """Why the record is closed (cancelled, deleted, rejected), or None while it is not."""
    if order.is_deleted:
        return "deleted"
    if order.is_cancelled:
        return "cancelled"
    if order.kind is OrderKind.QUOTE and order.quote_status is QuoteStatus.REJECTED:
        return "rejected"
    return None


def closed_refusal(order: Order, *, field: Sequence[str] | None = None) -> DomainError | None:
    why = closed_because(order)
    if why is None:
        return None
    return DomainError(ErrorCode.CLOSED, f"{order.public_id} is {why}: it is closed.", field)


def refuse_if_closed(order: Order, *, field: Sequence[str] | None = None) -> None:
    """Raise CLOSED for a cancelled or deleted record or a rejected quote."""
    refusal = closed_refusal(order, field=field)
    if refusal is not None:
        raise refusal


def move_refusal(
    order: Order, target: Target, *, rule_targets: Collection[int], fulfilment: Fulfilment | None
) -> DomainError | None:
    """Why `order` may not move to `target` now (the checks of the module docstring, in order), or None.

    `rule_targets` are the targets of the rules of the order's current state (empty: no rules).
    """
    closed = closed_refusal(order, field=STATE_FIELD)
    if closed is not None:
        return closed
    if target.kind.value != order.kind.value:
        message = (
            f"State {target.name} belongs to a {target.kind.value} flow; {order.public_id} is a {order.kind.value}."
        )
        return DomainError(ErrorCode.TRANSITION_NOT_ALLOWED, message, STATE_FIELD)
    if order.kind is OrderKind.ORDER and not order.is_complete:
        message = f"The checkout of {order.public_id} is not complete: ORDER states are for completed orders."
        return DomainError(ErrorCode.CLOSED, message, STATE_FIELD)
    if order.state_id == target.id:
        message = f"Order {order.public_id} is in state {target.name} already."
        return DomainError(ErrorCode.ALREADY_DONE, message, STATE_FIELD)
    if target.is_deleted:
        return DomainError(ErrorCode.TRANSITION_NOT_ALLOWED, f"State {target.name} is deleted.", STATE_FIELD)
    if rule_targets and target.id not in rule_targets:
        message = f"The rules of the state of {order.public_id} do not allow a move to {target.name}."
        return DomainError(ErrorCode.TRANSITION_NOT_ALLOWED, message, STATE_FIELD)
    unmet = unmet_requirements(order, target.requirements, fulfilment) if target.requirements else []
    if unmet:
        message = f"{order.public_id} does not meet the requirements of state {target.name}: {'; '.join(unmet)}."
        return DomainError(ErrorCode.TRANSITION_NOT_ALLOWED, message, STATE_FIELD)
    return None


def unmet_requirements(
    order: Order, requirements: Sequence[StateRequirement], fulfilment: Fulfilment | None
) -> list[str]:
    """One phrase per requirement the order does not meet, naming it; `fulfilment` must be read for any."""
    assert fulfilment is not None or not requirements, "requirements are judged over the order's fulfilment"
    unmet = []
    for requirement in requirements:
        if requirement is StateRequirement.TRACKING_SET and not order.tracking_number:
            unmet.append("TRACKING_SET (no tracking number is set)")
        elif requirement is StateRequirement.CAPTURED and fulfilment is not None:
            unmet.extend(_not_captured(order, fulfilment))
        elif requirement is StateRequirement.NO_OPEN_RETURN and fulfilment is not None and fulfilment.open_return_ids:
            listed = ", ".join(str(return_id) for return_id in fulfilment.open_return_ids)
            several = len(fulfilment.open_return_ids) > 1
            unmet.append(
                f"NO_OPEN_RETURN ({'returns' if several else 'return'} {listed} {'are' if several else 'is'} open)"
            )
    return unmet


def line_change_refusal(
    *, line_id: int, line_name: str, quantity_after: Decimal | None, returned: Decimal, has_returns: bool,
    field: Sequence[str],
) -> DomainError | None:  # fmt: skip
    """INVALID when an edit removes a line with returns (`quantity_after` None) or takes it below what is returned.

    `returned` counts the line's returns that are not rejected; a line that only rejected returns point at
    cannot be removed either: those returns keep their lines.
    """
    label = f"Line {line_id} ({line_name})"
    if quantity_after is None:
        if not has_returns:
            return None
        held = f"{money.plain_quantity(returned)} returned" if returned else "only rejected returns"
        return invalid(f"{label} has returns ({held}): it cannot be removed.", field)
    if quantity_after < returned:
        shown = money.plain_quantity(returned)
        return invalid(f"{label} has {shown} returned: its quantity cannot go below {shown}.", field)
    return None


def _not_captured(order: Order, fulfilment: Fulfilment) -> list[str]:
    settled_states = (CaptureState.CAPTURED, CaptureState.NOT_SUPPORTED)
    if fulfilment.capture_state in settled_states and fulfilment.payment_delta <= 0:
        return []
    delta = money.shown(
        fulfilment.payment_delta, currency_code=order.currency_code, minor_unit=order.currency_minor_unit
    )
    return [f"CAPTURED (captureState is {fulfilment.capture_state.value}, paymentDelta {delta})"]
