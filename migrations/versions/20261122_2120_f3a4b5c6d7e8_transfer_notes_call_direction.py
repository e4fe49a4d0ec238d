"""Console/CTI requests carry a note (the transfer note shown to the receiving agent, 随路数据); call records
have a direction (inbound, outbound) and who transferred the call.

Revision ID: f3a4b5c6d7e8
Revises: e1f2a3b4c5d6
Create Date: 2026-11-22 21:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f3a4b5c6d7e8'
down_revision = 'e1f2a3b4c5d6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agent_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), server_default='', nullable=False))
    with op.batch_alter_table('call_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direction', sa.String(length=8), server_default='inbound', nullable=False))
        batch_op.add_column(sa.Column('transfers', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint('direction_known', "direction IN ('inbound', 'outbound')")


def downgrade() -> None:
    with op.batch_alter_table('call_records', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_call_records_direction_known'), type_='check')
        batch_op.drop_column('transfers')
        batch_op.drop_column('direction')
    with op.batch_alter_table('agent_requests', schema=None) as batch_op:
        batch_op.drop_column('note')
