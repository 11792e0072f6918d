"""A hypothesis state machine over an order's whole lifecycle, through the GraphQL API on the real store:
state changes to any state of `transitions`, edits of line quantities, authorize, capture, refund, release,
returns (created, received, refunded, rejected) and cancel.

After every step: a closed (cancelled) order has not moved since it closed; captured ≤ authorized and
refunded ≤ captured; no line has more returned than ordered; paymentDelta is total - captured - capturable +
the refunds that settled an earlier negative delta (design.md, "Payments after the order changes"), with
capturable read off the order's own transactions. Each changeState answers what `transitions` said it would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from models.enums import Role
from models.settings import Settings
from resolvers.core import access
from schema.app import create_app
from tests import machines
from tests import return_helpers as returns
from tests.conftest import GraphQLClient, Store
from tests.storefront_helpers import COMPLETE, catalogue, checkout, filled_cart, succeed
from tests.test_payments_after_change_api import AUTHORIZE, EDIT, RELEASE
from tests.test_payments_api import CANCEL, CAPTURE, REFUND

D = Decimal
ZERO = D(0)
CENT = D("0.01")
EXAMPLES, STEPS = 20, 20
ERRORS = "userErrors { code message field }"
READ = """query($id: ID!) { order(id: $id) { id revision cancelled state { id allowEdit } total { withVat } paymentDelta
  authorizedAmount capturedAmount refundedAmount
  lines { id type quantity } transactions { kind status amount }
  returns { id status lines { orderLineId quantity } }
  transitions { state { id } allowed code } } }"""
CHANGE_STATE = f"""mutation($ids: [ID!]!, $state: ID!) {{
  changeState(orderIds: $ids, stateId: $state) {{ results {{ order {{ state {{ id allowEdit }} }} {ERRORS} }} }} }}"""
# A share in percent of what is available; None is "what is needed or available".
shares = st.integers(min_value=1, max_value=130).map(lambda share: None if share > 110 else share)
picks = st.integers(min_value=0, max_value=10_000)


def signed(rows: list[dict[str, Any]], kind: str) -> Decimal:
    return sum((D(row["amount"]) for row in rows if row["kind"] == kind and row["status"] == "SUCCEEDED"), ZERO)


def capturable(order: dict[str, Any]) -> Decimal:
    """What the order's succeeded authorizations still hold: authorized - captured - voided (no clock passes here)."""
    rows = order["transactions"]
    return max(ZERO, signed(rows, "AUTHORIZE") - signed(rows, "CAPTURE") - signed(rows, "CANCEL"))


def returned_by_line(order: dict[str, Any]) -> dict[str, Decimal]:
    """Quantity in returns that are not rejected, per order line id."""
    held: dict[str, Decimal] = {}
    for held_return in order["returns"]:
        if held_return["status"] != "REJECTED":
            for line in held_return["lines"]:
                held[line["orderLineId"]] = held.get(line["orderLineId"], ZERO) + D(line["quantity"])
    return held


def frozen(order: dict[str, Any]) -> tuple[Any, ...]:
    """What may not move once an order is closed."""
    lines = [(line["id"], line["quantity"]) for line in order["lines"]]
    money = (order["total"]["withVat"], order["authorizedAmount"], order["capturedAmount"], order["refundedAmount"])
    return order["revision"], order["state"], lines, money, len(order["transactions"]), len(order["returns"])


@dataclasses.dataclass
class Client:
    """An admin and an anonymous client of an app over the machine's own engine, on the machine's loop."""

    http: httpx.AsyncClient
    admin: GraphQLClient
    anonymous: GraphQLClient


def machine_for(harness: machines.Harness) -> type[RuleBasedStateMachine]:
    run = harness.run
    app = create_app(Settings(database_url=harness.url), db=harness.db)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ordergraph.test")

    async def admin_token() -> str:
        async with harness.db.write_sessions() as session, session.begin():
            _, token = await access.create_token(
                session, role=Role.ADMIN, customer_id=None, name="lifecycle", now=datetime.datetime.now(datetime.UTC)
            )
        return token

    client = Client(http, GraphQLClient(http, run(admin_token())), GraphQLClient(http))

    def payload(document: str, variables: dict[str, Any]) -> dict[str, Any]:
        [answer] = run(client.admin.execute(document, variables)).values()
        return answer

    class Lifecycle(RuleBasedStateMachine):
        @initialize(is_captured=st.booleans())
        def place_order(self, is_captured: bool) -> None:
            ids = run(catalogue(client.anonymous))
            cart = run(filled_cart(client.anonymous, ids, lines=(("SOCKS-3PK", "2"), ("MUG-CER", "1"))))
            run(checkout(client.anonymous, cart))
            self.order_id = run(succeed(client.anonymous, COMPLETE, {"o": cart.id, "s": cart.secret}))["id"]
            self.settled = ZERO
            self.closed_as: tuple[Any, ...] | None = None
            self.order = self.read()
            if is_captured:
                self.capture(None)

        def read(self) -> dict[str, Any]:
            return run(client.admin.execute(READ, {"id": self.order_id}))["order"]

        def share_of(self, share: int | None, of: Decimal) -> Decimal | None:
            return None if share is None else max(CENT, (max(of, CENT) * share / 100).quantize(CENT))

        def amount(self, value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        def refused_if_closed(self, errors: list[dict[str, Any]]) -> None:
            if self.closed_as is not None:
                assert errors, "a closed order accepted a change"

        @rule(pick=picks)
        def change_state(self, pick: int) -> None:
            transitions = self.order["transitions"]
            chosen = transitions[pick % len(transitions)]
            [result] = payload(CHANGE_STATE, {"ids": [self.order_id], "state": chosen["state"]["id"]})["results"]
            codes = [error["code"] for error in result["userErrors"]]
            if chosen["allowed"]:
                assert (codes, result["order"]["state"]["id"]) == ([], chosen["state"]["id"]), result
            else:
                assert codes == [chosen["code"]], (chosen, result)
            if self.closed_as is not None:
                assert codes == ["CLOSED"], result

        @rule(pick=picks, quantity=st.integers(min_value=1, max_value=4))
        def edit_line(self, pick: int, quantity: int) -> None:
            products = [line for line in self.order["lines"] if line["type"] == "PRODUCT"]
            line = products[pick % len(products)]
            returned = returned_by_line(self.order).get(line["id"], ZERO)
            changes = {"lines": [{"lineId": line["id"], "quantity": str(quantity)}]}
            answer = payload(EDIT, {"id": self.order_id, "input": changes})
            codes = [error["code"] for error in answer["userErrors"]]
            if self.closed_as is not None:
                assert codes == ["CLOSED"], answer
            elif not self.order["state"]["allowEdit"]:
                assert codes == ["NOT_EDITABLE"], answer
            elif quantity < returned:
                assert codes == ["INVALID"], answer
            else:
                assert codes == [], answer

        @rule(share=shares)
        def authorize(self, share: int | None) -> None:
            amount = self.amount(self.share_of(share, self.order_total))
            answer = payload(AUTHORIZE, {"id": self.order_id, "amount": amount})
            self.refused_if_closed(answer["userErrors"])

        @rule(share=shares)
        def capture(self, share: int | None) -> None:
            amount = self.share_of(share, capturable(self.order))
            [result] = payload(CAPTURE, {"ids": [self.order_id], "amount": self.amount(amount)})["results"]
            self.refused_if_closed(result["userErrors"])

        @precondition(lambda self: D(self.order["capturedAmount"]) > D(self.order["refundedAmount"]))
        @rule(share=shares, reason=st.sampled_from([None, "goodwill"]))
        def refund(self, share: int | None, reason: str | None) -> None:
            refundable = D(self.order["capturedAmount"]) - D(self.order["refundedAmount"])
            amount = self.share_of(share, refundable)
            delta_before = D(self.order["paymentDelta"])
            answer = payload(REFUND, {"id": self.order_id, "amount": self.amount(amount), "reason": reason})
            given = refundable if amount is None else amount
            assert (answer["userErrors"] == []) == (given <= refundable), answer
            if not answer["userErrors"]:  # a refund settles a negative delta first, up to its size
                self.settled += min(given, max(-delta_before, ZERO))

        @rule()
        def release(self) -> None:
            answer = payload(RELEASE, {"id": self.order_id})
            self.refused_if_closed(answer["userErrors"])

        @rule(pick=picks, quantity=st.integers(min_value=1, max_value=3))
        def create_return(self, pick: int, quantity: int) -> None:
            products = [line for line in self.order["lines"] if line["type"] == "PRODUCT"]
            line = products[pick % len(products)]
            left = D(line["quantity"]) - returned_by_line(self.order).get(line["id"], ZERO)
            answer = payload(returns.CREATE, {"o": self.order_id, "l": [returns.line(line["id"], str(quantity))]})
            if self.closed_as is not None or quantity > left:
                assert answer["userErrors"], answer

        @precondition(lambda self: any(r["status"] in ("REQUESTED", "RECEIVED") for r in self.order["returns"]))
        @rule(pick=picks, action=st.sampled_from(["receive", "refund", "reject"]))
        def settle_return(self, pick: int, action: str) -> None:
            open_returns = [r for r in self.order["returns"] if r["status"] in ("REQUESTED", "RECEIVED")]
            chosen = open_returns[pick % len(open_returns)]
            document = {"receive": returns.RECEIVE, "refund": returns.REFUND, "reject": returns.REJECT}[action]
            payload(document, {"r": chosen["id"]})  # a return's refund never settles the delta

        @rule(dice=st.integers(min_value=0, max_value=4))
        def cancel(self, dice: int) -> None:
            if dice:  # rarely: a cancelled order ends the story
                return
            [result] = payload(CANCEL, {"ids": [self.order_id]})["results"]
            nothing_captured = D(self.order["capturedAmount"]) == 0
            should_cancel = self.closed_as is None and nothing_captured
            assert (result["userErrors"] == []) == should_cancel, result

        @property
        def order_total(self) -> Decimal:
            return D(self.order["total"]["withVat"])

        @invariant()
        def the_order_makes_sense(self) -> None:
            order = self.order = self.read()
            if self.closed_as is not None:
                assert frozen(order) == self.closed_as, "a closed order moved"
                assert all(not t["allowed"] and t["code"] == "CLOSED" for t in order["transitions"])
            elif order["cancelled"]:
                self.closed_as = frozen(order)
            authorized, captured = D(order["authorizedAmount"]), D(order["capturedAmount"])
            assert ZERO <= D(order["refundedAmount"]) <= captured <= authorized, order
            ordered = {line["id"]: D(line["quantity"]) for line in order["lines"]}
            assert all(held <= ordered[line_id] for line_id, held in returned_by_line(order).items()), order
            owed = ZERO if order["cancelled"] else self.order_total
            assert D(order["paymentDelta"]) == owed - captured - capturable(order) + self.settled, order

        def teardown(self) -> None:
            pass

    return Lifecycle


async def test_no_sequence_of_requests_reaches_an_order_that_makes_no_sense(demo_store: Store) -> None:
    # The app holds a request session beside a money movement's own sessions: a pool of 5.
    await asyncio.to_thread(
        machines.run_machine, machine_for, demo_store.url, examples=EXAMPLES, steps=STEPS, pool_size=5
    )
