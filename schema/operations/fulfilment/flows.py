"""Flow and state queries: staff data, so admins only (a top-level FORBIDDEN for anyone else)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from models import flows as flow_models
from models.enums import FlowKind as DomainFlowKind
from resolvers.fulfilment import flows
from schema import arguments
from schema.context import Context
from schema.enums import FlowKind
from schema.guards import require_admin
from schema.types.flows import Flow, State


@strawberry.type
class FlowsQuery:
    @strawberry.field(description="Every flow with its states (admins only: FORBIDDEN otherwise).")
    async def flows(
        self,
        info: strawberry.Info[Context],
        kind: Annotated[FlowKind | None, strawberry.argument(description="Only flows of this kind.")] = None,  # type: ignore[valid-type]
    ) -> list[Flow]:
        require_admin(info.context.viewer)
        return await flows.list_flows(  # type: ignore[return-value]
            info.context.session, kind=DomainFlowKind(kind) if kind is not None else None
        )

    @strawberry.field(description="One flow (admins only); null for an unknown id.")
    async def flow(
        self,
        info: strawberry.Info[Context],
        id: arguments.FlowId,
    ) -> Flow | None:
        require_admin(info.context.viewer)
        flow_id = flows.parse_id(id)
        return await info.context.loaders.flow_by_id.load(flow_id) if flow_id is not None else None

    @strawberry.field(description="One state (admins only); null for an unknown id.")
    async def state(
        self,
        info: strawberry.Info[Context],
        id: arguments.StateId,
    ) -> State | None:
        require_admin(info.context.viewer)
        state_id = flows.parse_id(id)
        row: flow_models.State | None = (
            await info.context.loaders.state_by_id.load(state_id) if state_id is not None else None
        )
        return row  # type: ignore[return-value]
