"""What every demo step needs: the store's sessions, the payment providers, the mail composer, and the ids of
the demo catalogue by name."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from models.catalog import PaymentMethod, Product, ShippingMethod, TrackAndTrace
from models.enums import FlowKind, Role
from models.flows import Flow, State
from resolvers.core import access
from resolvers.core.errors import DomainError
from resolvers.fulfilment import mail
from resolvers.payments import payment_providers

# Who the shop's side of the demo is, in events and versions.
STAFF = access.Viewer(role=Role.ADMIN, name="demo")


class DemoStepFailed(Exception):
    """A demo step was refused: the demo's plan and the domain disagree (a bug of the demo)."""

    def __init__(self, reference: str, step: str, error: DomainError) -> None:
        super().__init__(f"{reference}: {step} was refused ({error.code}): {error.message}")


@dataclasses.dataclass(frozen=True, slots=True)
class Ids:
    """The demo catalogue's ids as the operations take them (strings), by the names the plans use."""

    products: dict[str, str]
    payment_methods: dict[str, str]
    shipping_methods: dict[str, str]
    order_states: dict[str, str]
    quote_states: dict[str, str]
    track_and_trace: str


@dataclasses.dataclass(frozen=True, slots=True)
class Tools:
    sessions: async_sessionmaker[AsyncSession]
    providers: payment_providers.Providers
    composer: mail.Composer
    timeout_seconds: float
    ids: Ids

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One step's transaction, committed when it returns, as each root mutation field's is."""
        async with self.sessions() as session, session.begin():
            yield session


async def load_ids(session: AsyncSession) -> Ids:
    """The ids of the demo catalogue (`setup.demo` made it first)."""

    async def by_name(statement: Any) -> dict[str, str]:
        return {name: str(key) for name, key in (await session.execute(statement)).all()}

    def states_of(kind: FlowKind) -> Any:
        return sa.select(State.name, State.id).join(Flow).where(Flow.kind == kind, Flow.is_default)

    track_and_trace = await session.scalar(sa.select(TrackAndTrace.id).where(TrackAndTrace.name == "PostNord"))
    return Ids(
        products=await by_name(sa.select(Product.number, Product.id)),
        payment_methods=await by_name(sa.select(PaymentMethod.name, PaymentMethod.id)),
        shipping_methods=await by_name(sa.select(ShippingMethod.name, ShippingMethod.id)),
        order_states=await by_name(states_of(FlowKind.ORDER)),
        quote_states=await by_name(states_of(FlowKind.QUOTE)),
        track_and_trace=str(track_and_trace),
    )
