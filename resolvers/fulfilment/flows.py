"""Order flows and states: reading them. (Setup and state changes build on this module.)"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import FlowKind
from models.flows import Flow, State
from resolvers.core import validation
from resolvers.core.errors import DomainError, ErrorCode


async def list_flows(session: AsyncSession, *, kind: FlowKind | None) -> Sequence[Flow]:
    statement = sa.select(Flow).order_by(Flow.kind, Flow.id)
    if kind is not None:
        statement = statement.where(Flow.kind == kind)
    return (await session.scalars(statement)).all()


async def default_state(session: AsyncSession, *, kind: FlowKind) -> State:
    """The default state of the default flow of a kind, where new records of that kind start."""
    state = await session.scalar(
        sa.select(State)
        .join(Flow, Flow.id == State.flow_id)
        .where(Flow.kind == kind, Flow.is_default, State.is_default, sa.not_(State.is_deleted))
    )
    if state is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"No default {kind.value} flow with a default state is set up.")
    return state


def parse_id(value: str) -> int | None:
    """Setup ids are integers; anything else matches nothing."""
    return validation.integer_id(value)
