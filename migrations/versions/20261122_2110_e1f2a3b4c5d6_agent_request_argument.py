"""Console requests carry an argument (supervision: the supervisor's extension).

Revision ID: e1f2a3b4c5d6
Revises: d7e8f9a0b1c2
Create Date: 2026-11-22 21:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'e1f2a3b4c5d6'
down_revision = 'd7e8f9a0b1c2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agent_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('argument', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agent_requests', schema=None) as batch_op:
        batch_op.drop_column('argument')
