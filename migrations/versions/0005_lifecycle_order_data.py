"""State requirements, a state mail's recipient field, and DynamicWeb's order data (written 2026-12-01 11:40)."""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.money


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('states', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('mail_recipient_field', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('requirements', sa.JSON(), nullable=False, server_default='[]'))
    # The default only fills the existing rows; new ones get theirs from the model, as every JSON column.
    with op.batch_alter_table('states', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.alter_column('requirements', server_default=None)
    with op.batch_alter_table('orders', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('shipping_fee_rule_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('standard_vat_percent', models.money.ExactDecimal(scale=4), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('standard_vat_percent')
        batch_op.drop_column('shipping_fee_rule_name')
        batch_op.drop_column('reference')
    with op.batch_alter_table('states', schema=None, table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('requirements')
        batch_op.drop_column('mail_recipient_field')
