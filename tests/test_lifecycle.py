"""The lifecycle rules as pure functions (`resolvers.core.lifecycle`): no store, exact codes and messages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from models.enums import CaptureState, FlowKind, OrderKind, QuoteStatus
from models.orders import Order
from resolvers.core import lifecycle
from resolvers.core.errors import DomainError, ErrorCode
from resolvers.core.lifecycle import StateRequirement

D = Decimal
PICKED = lifecycle.Target(id=2, name="Picked", kind=FlowKind.ORDER, is_deleted=False)
SETTLED = lifecycle.Fulfilment(capture_state=CaptureState.CAPTURED, payment_delta=D(0), open_return_ids=())


def record(**columns: Any) -> Order:
    """A completed ORDER in state 1 unless told otherwise (a row that is never stored)."""
    values: dict[str, Any] = {
        "public_id": "ORDER7",
        "kind": OrderKind.ORDER,
        "is_complete": True,
        "is_cancelled": False,
        "is_deleted": False,
        "quote_status": None,
        "state_id": 1,
        "tracking_number": None,
        "currency_code": "EUR",
        "currency_minor_unit": 2,
    }
    values.update(columns)
    return Order(**values)


def answer(refusal: DomainError | None) -> tuple[ErrorCode, str] | None:
    return None if refusal is None else (refusal.code, refusal.message)


@pytest.mark.parametrize(
    ("columns", "why"),
    [
        ({}, None),
        ({"is_cancelled": True}, "cancelled"),
        ({"is_deleted": True, "is_cancelled": True}, "deleted"),
        ({"kind": OrderKind.QUOTE, "quote_status": QuoteStatus.REJECTED}, "rejected"),
        ({"kind": OrderKind.QUOTE, "quote_status": QuoteStatus.OPEN}, None),
        ({"kind": OrderKind.ORDER, "quote_status": QuoteStatus.ACCEPTED}, None),
        ({"kind": OrderKind.CART, "is_complete": False, "is_deleted": True}, "deleted"),
    ],
)
def test_closed_records(columns: dict[str, Any], why: str | None) -> None:
    order = record(**columns)

    assert lifecycle.closed_because(order) == why
    if why is None:
        lifecycle.refuse_if_closed(order)
        return
    with pytest.raises(DomainError) as raised:
        lifecycle.refuse_if_closed(order, field=["orderId"])
    assert (raised.value.code, raised.value.message, raised.value.field) == (
        ErrorCode.CLOSED,
        f"ORDER7 is {why}: it is closed.",
        ["orderId"],
    )


@pytest.mark.parametrize(
    ("columns", "target", "rule_targets", "expected"),
    [
        ({}, PICKED, set(), None),
        ({}, PICKED, {2, 3}, None),
        ({"is_cancelled": True}, PICKED, set(), (ErrorCode.CLOSED, "ORDER7 is cancelled: it is closed.")),
        (
            {"kind": OrderKind.QUOTE, "quote_status": QuoteStatus.REJECTED},
            lifecycle.Target(id=5, name="Offered", kind=FlowKind.QUOTE, is_deleted=False),
            set(),
            (ErrorCode.CLOSED, "ORDER7 is rejected: it is closed."),
        ),
        (
            {},
            lifecycle.Target(id=5, name="Offered", kind=FlowKind.QUOTE, is_deleted=False),
            set(),
            (ErrorCode.TRANSITION_NOT_ALLOWED, "State Offered belongs to a QUOTE flow; ORDER7 is a ORDER."),
        ),
        (
            {"is_complete": False, "state_id": 9},
            PICKED,
            set(),
            (
                ErrorCode.CLOSED,
                "The checkout of ORDER7 is not complete: ORDER states are for completed orders.",
            ),
        ),
        ({"state_id": 2}, PICKED, set(), (ErrorCode.ALREADY_DONE, "Order ORDER7 is in state Picked already.")),
        (
            {},
            lifecycle.Target(id=2, name="Picked", kind=FlowKind.ORDER, is_deleted=True),
            {2},
            (ErrorCode.TRANSITION_NOT_ALLOWED, "State Picked is deleted."),
        ),
        (
            {},
            PICKED,
            {3},
            (ErrorCode.TRANSITION_NOT_ALLOWED, "The rules of the state of ORDER7 do not allow a move to Picked."),
        ),
    ],
)
def test_a_move_is_judged_in_the_documented_order(
    columns: dict[str, Any],
    target: lifecycle.Target,
    rule_targets: set[int],
    expected: tuple[ErrorCode, str] | None,
) -> None:
    refusal = lifecycle.move_refusal(record(**columns), target, rule_targets=rule_targets, fulfilment=None)

    assert answer(refusal) == expected
    if refusal is not None:
        assert refusal.field == ["stateId"]


def test_every_unmet_requirement_is_named() -> None:
    shipped = lifecycle.Target(
        id=3, name="Shipped", kind=FlowKind.ORDER, is_deleted=False, requirements=tuple(StateRequirement)
    )
    owing = lifecycle.Fulfilment(
        capture_state=CaptureState.SPLIT_CAPTURED, payment_delta=D("49.0000"), open_return_ids=(4, 6)
    )

    refusal = lifecycle.move_refusal(record(), shipped, rule_targets=set(), fulfilment=owing)

    assert answer(refusal) == (
        ErrorCode.TRANSITION_NOT_ALLOWED,
        "ORDER7 does not meet the requirements of state Shipped: "
        "CAPTURED (captureState is SPLIT_CAPTURED, paymentDelta 49.00 EUR); "
        "TRACKING_SET (no tracking number is set); NO_OPEN_RETURN (returns 4, 6 are open).",
    )


@pytest.mark.parametrize(
    ("capture_state", "delta", "met"),
    [
        (CaptureState.CAPTURED, D(0), True),
        (CaptureState.NOT_SUPPORTED, D(0), True),
        (CaptureState.NOT_SUPPORTED, D("-5"), True),
        (CaptureState.CAPTURED, D("0.01"), False),
        (CaptureState.NOT_SUPPORTED, D("19.95"), False),
        (CaptureState.SPLIT_CAPTURED, D(0), False),
        (CaptureState.NOT_CAPTURED, D(0), False),
    ],
)
def test_captured_means_nothing_left_to_secure(capture_state: CaptureState, delta: Decimal, met: bool) -> None:
    target = lifecycle.Target(
        id=2, name="Picked", kind=FlowKind.ORDER, is_deleted=False, requirements=(StateRequirement.CAPTURED,)
    )
    fulfilment = lifecycle.Fulfilment(capture_state=capture_state, payment_delta=delta, open_return_ids=())

    refusal = lifecycle.move_refusal(record(), target, rule_targets=set(), fulfilment=fulfilment)

    assert (refusal is None) is met


def test_met_requirements_allow_the_move() -> None:
    target = lifecycle.Target(
        id=2, name="Picked", kind=FlowKind.ORDER, is_deleted=False, requirements=tuple(StateRequirement)
    )

    refusal = lifecycle.move_refusal(record(tracking_number="TT1"), target, rule_targets={2}, fulfilment=SETTLED)

    assert refusal is None


@pytest.mark.parametrize(
    ("quantity_after", "returned", "has_returns", "expected"),
    [
        (None, D(0), False, None),
        (D(1), D(1), True, None),
        (D(3), D(2), True, None),
        (None, D(2), True, "Line 12 (TSHIRT-BLK-M) has returns (2 returned): it cannot be removed."),
        (None, D(0), True, "Line 12 (TSHIRT-BLK-M) has returns (only rejected returns): it cannot be removed."),
        (D(1), D(2), True, "Line 12 (TSHIRT-BLK-M) has 2 returned: its quantity cannot go below 2."),
    ],
)
def test_a_line_edit_respects_what_was_returned(
    quantity_after: Decimal | None, returned: Decimal, has_returns: bool, expected: str | None
) -> None:
    refusal = lifecycle.line_change_refusal(
        line_id=12,
        line_name="TSHIRT-BLK-M",
        quantity_after=quantity_after,
        returned=returned,
        has_returns=has_returns,
        field=["input", "lines", "0", "quantity"],
    )

    assert answer(refusal) == (None if expected is None else (ErrorCode.INVALID, expected))
