"""Indexes for the order list, state rules and custom field values (written 2026-11-25 14:00)."""

from collections.abc import Sequence

from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_created_at', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_orders_flow_id_created_at', ['flow_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_orders_customer_id_created_at', ['customer_id', 'created_at', 'id'], unique=False)
    with op.batch_alter_table('state_rules', schema=None) as batch_op:
        batch_op.create_index('ix_state_rules_to_state_id', ['to_state_id'], unique=False)
    with op.batch_alter_table('custom_field_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_custom_field_values_definition_id'), ['definition_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('custom_field_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_custom_field_values_definition_id'))
    with op.batch_alter_table('state_rules', schema=None) as batch_op:
        batch_op.drop_index('ix_state_rules_to_state_id')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_customer_id_created_at')
        batch_op.drop_index('ix_orders_flow_id_created_at')
        batch_op.drop_index('ix_orders_created_at')
