"""Partial covering indexes for the order list's totalCount and the sales summary (written 2026-11-25 15:00)."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = sa.column('is_deleted').is_(False)
_COUNTED = sa.and_(
    sa.column('is_complete').is_(True), sa.column('is_cancelled').is_(False), sa.column('is_deleted').is_(False)
)


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(
            'ix_orders_live_kind', ['kind', 'is_deleted'], unique=False, sqlite_where=_LIVE, postgresql_where=_LIVE
        )
        batch_op.create_index(
            'ix_orders_statistics',
            [
                'kind',
                'completed_at',
                'state_id',
                'currency_rate',
                'total_with_vat',
                'total_without_vat',
                'is_complete',
                'is_cancelled',
                'is_deleted',
            ],
            unique=False,
            sqlite_where=_COUNTED,
            postgresql_where=_COUNTED,
        )


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_statistics')
        batch_op.drop_index('ix_orders_live_kind')
