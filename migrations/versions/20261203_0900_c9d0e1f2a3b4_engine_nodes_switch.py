"""Each engine reports whether it reaches the switch (a standby holds its own idle connection), so the active
engine that lost the switch hands over to a standby that still reaches it.

Revision ID: c9d0e1f2a3b4
Revises: b7c8d9e0f1a2
Create Date: 2026-12-03 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c9d0e1f2a3b4'
down_revision = 'b7c8d9e0f1a2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('engine_nodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('switch_connected', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('engine_nodes', schema=None) as batch_op:
        batch_op.drop_column('switch_connected')
