"""Payment providers: a plug-in interface, and the built-in `manual` and `test` providers.

A provider says what it supports; a real gateway is a module that calls `register`,
not a change to the core. Every call carries a `reference` taken from the PENDING
transaction row it settles: a provider that sees the same reference twice answers
with the first outcome instead of moving money twice, and reconciliation asks it
(`lookup`) what happened to a reference whose outcome never reached the store.

A call ends in one of these, and the core (`transaction_rows.call_provider`) maps each to a coded
outcome at this boundary; nothing a provider raises reaches the client as an internal error:

    an approved outcome            the row SUCCEEDED
    a declined outcome             the row FAILED: PROVIDER_DECLINED
    UnsupportedOperation           refused before anything was sent: FAILED, PROVIDER_UNSUPPORTED
    CallNotSent                    the provider knows it sent nothing (no connection could be opened,
                                   its configuration is incomplete): FAILED, PROVIDER_DECLINED, and
                                   trying again is safe
    no answer within the timeout   unknown: the row stays PENDING and the caller gets ALREADY_DONE;
                                   reconciliation asks `lookup` later
    any other exception            unknown too, because the call may have reached the gateway before
                                   it failed: PENDING and ALREADY_DONE as for a timeout, and the fault
                                   is logged in full for the operator

A provider that is not installed any more when its row is called is refused as UnsupportedOperation.
`lookup` changes nothing, so whatever it raises only leaves the row PENDING for the next run
(`reconciliation`).
"""

from __future__ import annotations

import dataclasses
import datetime
import secrets
from collections.abc import Callable
from decimal import Decimal
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.payments import TestProviderOperation


@dataclasses.dataclass(frozen=True, slots=True)
class Capabilities:
    capture: bool
    partial_capture: bool
    refund: bool
    partial_refund: bool
    cancel: bool


NOTHING_ONLINE = Capabilities(capture=False, partial_capture=False, refund=False, partial_refund=False, cancel=False)
EVERYTHING = Capabilities(capture=True, partial_capture=True, refund=True, partial_refund=True, cancel=True)

OPERATIONS = ("authorize", "capture", "refund", "cancel")


@dataclasses.dataclass(frozen=True, slots=True)
class ProviderCall:
    operation: str  # one of OPERATIONS
    reference: str
    amount: Decimal
    currency: str
    order_id: str
    customer_email: str | None
    # The provider's number of the authorization a capture, refund or cancel acts on, or an authorization
    # increments (an order's own authorization, raised after an edit).
    authorization_number: str | None = None
    # A new authorization charged to a saved payment: the number of another order's authorization (recurring).
    saved_payment: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ProviderOutcome:
    approved: bool
    transaction_number: str | None = None
    card_type: str | None = None
    card_number: str | None = None
    message: str | None = None
    expires_at: datetime.datetime | None = None


class UnsupportedOperation(Exception):
    """The provider cannot do this operation (the caller maps it to PROVIDER_UNSUPPORTED)."""


class CallNotSent(Exception):
    """The provider sent nothing to its gateway, so nothing moved (the caller records the row FAILED).

    Raise it only when that is certain, such as a connection that could not be opened; when the
    request may have left, raise anything else and the row waits for reconciliation.
    """


class PaymentProvider(Protocol):
    name: str
    capabilities: Capabilities

    async def call(self, request: ProviderCall, *, now: datetime.datetime) -> ProviderOutcome:
        """Perform the operation once per reference; the same reference again returns the first outcome."""
        ...

    async def lookup(self, reference: str) -> ProviderOutcome | None:
        """What happened to a reference, or None when the provider never saw it."""
        ...


class ManualProvider:
    """Nothing online: the order is accepted for payment outside (invoice, cash on delivery)."""

    name = "manual"
    capabilities = NOTHING_ONLINE

    async def call(self, request: ProviderCall, *, now: datetime.datetime) -> ProviderOutcome:
        if request.operation != "authorize":
            raise UnsupportedOperation(f"The manual provider cannot {request.operation} online.")
        return ProviderOutcome(approved=True, message="Payment is handled outside ordergraph.")

    async def lookup(self, reference: str) -> ProviderOutcome | None:
        return None


class TestProvider:
    """A simulated gateway with realistic rules, keeping its own books in the store.

    It declines an operation when the customer email starts with `decline-<operation>@`,
    refuses to capture or void beyond an authorization (with its increments, less what was
    captured and voided) or refund beyond captures, charges a saved payment only when it
    approved that authorization, and authorizations lapse after seven days.
    """

    # Its books are rows of the shop's own store, written in a transaction per call: calls in flight at
    # once would only queue for each other's locks (`batches` reads this; a remote gateway has none).
    concurrent_calls = 1

    name = "test"
    capabilities = EVERYTHING
    AUTHORIZATION_LIFETIME = datetime.timedelta(days=7)

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        # Counts calls that moved money, for tests that prove nothing was doubled.
        self.operations_performed = 0

    async def call(self, request: ProviderCall, *, now: datetime.datetime) -> ProviderOutcome:
        if request.operation not in OPERATIONS:
            raise UnsupportedOperation(request.operation)
        async with self.sessions() as session, session.begin():
            seen = await session.scalar(
                sa.select(TestProviderOperation).where(TestProviderOperation.reference == request.reference)
            )
            if seen is not None:
                return self._outcome(seen)
            approved, message = await self._judge(session, request)
            row = TestProviderOperation(
                reference=request.reference,
                operation=request.operation,
                amount=request.amount,
                currency=request.currency,
                is_approved=approved,
                transaction_number=self._transaction_number(request) if approved else None,
                message=message,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            if approved:
                self.operations_performed += 1
            return self._outcome(row)

    async def lookup(self, reference: str) -> ProviderOutcome | None:
        async with self.sessions() as session:
            row = await session.scalar(
                sa.select(TestProviderOperation).where(TestProviderOperation.reference == reference)
            )
            return self._outcome(row) if row is not None else None

    async def _judge(self, session: AsyncSession, request: ProviderCall) -> tuple[bool, str]:
        email = (request.customer_email or "").lower()
        if email.startswith(f"decline-{request.operation}@"):
            return False, f"Declined by the test gateway ({request.operation})."
        if request.amount <= 0:
            return False, "The amount must be positive."
        saved = request.saved_payment if request.operation == "authorize" else None
        if saved is not None and not await self._is_approved_authorization(session, saved):
            return False, f"No saved payment {saved} to charge."
        if request.operation in ("capture", "refund", "cancel"):
            if not request.authorization_number:
                return False, "No authorization to act on."
            totals = await self._totals(session, request.authorization_number)
            uncaptured = totals["authorize"] - totals["capture"] - totals["cancel"]
            if request.operation == "capture" and request.amount > uncaptured:
                return False, "The capture exceeds the authorization."
            if request.operation == "refund" and totals["refund"] + request.amount > totals["capture"]:
                return False, "The refund exceeds the captured amount."
            if request.operation == "cancel" and request.amount > uncaptured:
                return False, "The void exceeds what is authorized and not captured."
        return True, f"{request.operation.capitalize()} approved by the test gateway."

    async def _is_approved_authorization(self, session: AsyncSession, transaction_number: str) -> bool:
        found = await session.scalar(
            sa.select(TestProviderOperation.id).where(
                TestProviderOperation.transaction_number == transaction_number,
                TestProviderOperation.operation == "authorize",
                TestProviderOperation.is_approved,
            )
        )
        return found is not None

    async def _totals(self, session: AsyncSession, authorization_number: str) -> dict[str, Decimal]:
        rows = (
            await session.execute(
                sa.select(TestProviderOperation.operation, TestProviderOperation.amount).where(
                    TestProviderOperation.is_approved,
                    sa.or_(
                        TestProviderOperation.transaction_number == authorization_number,
                        TestProviderOperation.transaction_number.like(f"{authorization_number}-%"),
                    ),
                )
            )
        ).all()
        totals = dict.fromkeys(OPERATIONS, Decimal(0))
        for operation, amount in rows:
            totals[operation] += amount
        return totals

    @staticmethod
    def _transaction_number(request: ProviderCall) -> str:
        # Captures, refunds, cancels and increments are numbered under their authorization, so the books can be summed.
        suffix = secrets.token_hex(4).upper()
        if request.authorization_number:
            return f"{request.authorization_number}-{request.operation[:3].upper()}{suffix}"
        return f"TEST{suffix}"

    def _outcome(self, row: TestProviderOperation) -> ProviderOutcome:
        if not row.is_approved:
            return ProviderOutcome(approved=False, message=row.message)
        is_authorization = row.operation == "authorize"
        return ProviderOutcome(
            approved=True,
            transaction_number=row.transaction_number,
            card_type="VISA",
            card_number="XXXX XXXX XXXX 4242",
            message=row.message,
            expires_at=row.created_at + self.AUTHORIZATION_LIFETIME if is_authorization else None,
        )


ProviderFactory = Callable[[async_sessionmaker[AsyncSession]], PaymentProvider]

_FACTORIES: dict[str, ProviderFactory] = {"manual": lambda _sessions: ManualProvider(), "test": TestProvider}
_CAPABILITIES: dict[str, Capabilities] = {"manual": ManualProvider.capabilities, "test": TestProvider.capabilities}


def register(name: str, factory: ProviderFactory, capabilities_: Capabilities) -> None:
    """Plug a provider in (a gateway module calls this when imported)."""
    _FACTORIES[name] = factory
    _CAPABILITIES[name] = capabilities_


def capabilities(provider_name: str) -> Capabilities:
    """What a provider supports; an unknown provider supports nothing online."""
    return _CAPABILITIES.get(provider_name, NOTHING_ONLINE)


def names() -> list[str]:
    return sorted(_FACTORIES)


class Providers:
    """The provider instances of one process, built on first use over the store's sessions."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._instances: dict[str, PaymentProvider] = {}

    def get(self, name: str) -> PaymentProvider:
        if name not in _FACTORIES:
            raise UnsupportedOperation(f"No payment provider named {name!r} is installed.")
        if name not in self._instances:
            self._instances[name] = _FACTORIES[name](self.sessions)
        return self._instances[name]
