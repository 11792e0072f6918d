"""Version, FieldChange and VersionComparison: an order's history of edits as admins compare it.

`compare` serves `Order.compare`: the comparison itself is `resolvers.editing.versions`; an unknown
version number is a visible error of that field, not a userError, since no mutation is involved.
"""

from __future__ import annotations

import datetime

import strawberry
from strawberry.scalars import JSON

from models import orders as order_models
from resolvers.core.errors import DomainError
from resolvers.editing import versions
from schema.context import Context
from schema.enums import ChangeKind
from schema.errors import ClientError


@strawberry.type(description="A snapshot of an order taken right before an edit.")
class Version:
    number: int = strawberry.field(description="The version's number, from 1 in the order of the edits.")
    created_at: datetime.datetime = strawberry.field(description="When the snapshot was taken (the time of the edit).")
    actor: str | None = strawberry.field(description="Who made the edit that followed this snapshot.")
    summary: str | None = strawberry.field(
        description='What the edit changed, in a few words ("added 2 x Mug (line 12)").'
    )
    snapshot: JSON = strawberry.field(description="The order as it was, as JSON: its fields, lines and custom fields.")


@strawberry.type(description="One difference between two versions of an order.")
class FieldChange:
    path: str = strawberry.field(description="Dotted path, e.g. delivery.city or lines.12.quantity.")
    change: ChangeKind = strawberry.field(description="Whether it was added, removed or changed.")
    before: JSON | None = strawberry.field(description="The value in the earlier version (JSON); null when added.")
    after: JSON | None = strawberry.field(description="The value in the later version (JSON); null when removed.")


@strawberry.type(description="The differences between two versions of an order, or a version and the order now.")
class VersionComparison:
    from_: int = strawberry.field(name="from", description="The earlier version's number.")
    to: int | None = strawberry.field(description="The later version's number; null for the order now.")
    changes: list[FieldChange] = strawberry.field(description="Every difference, field by field and line by line.")


async def compare(
    info: strawberry.Info[Context], order: order_models.Order, *, from_number: int, to_number: int | None
) -> VersionComparison:
    try:
        changes = await versions.compare(
            info.context.session, order=order, from_number=from_number, to_number=to_number
        )
    except DomainError as error:
        # A field, not a mutation: an unknown version is a visible (unmasked) error.
        raise ClientError(error.message) from error
    return VersionComparison(
        from_=from_number,
        to=to_number,
        changes=[
            FieldChange(path=c.path, change=ChangeKind(c.change), before=c.before, after=c.after) for c in changes
        ],
    )
