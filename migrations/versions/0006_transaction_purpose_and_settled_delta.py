"""A transaction's purpose and the part of a refund that settled a negative payment delta (written 2026-12-02 10:00)."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.money


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('transactions', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('delta_settled', models.money.ExactDecimal(scale=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('transactions', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('delta_settled')
        batch_op.drop_column('purpose')
