"""The refund transaction of a return (written 2026-11-26 10:00)."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On SQLite the FK recreates the table: its options are given again.
    with op.batch_alter_table('returns', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('refund_transaction_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_returns_refund_transaction_id_transactions'), 'transactions', ['refund_transaction_id'], ['id']
        )


def downgrade() -> None:
    # On SQLite the FK recreates the table: its options are given again.
    with op.batch_alter_table('returns', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_returns_refund_transaction_id_transactions'), type_='foreignkey')
        batch_op.drop_column('refund_transaction_id')
