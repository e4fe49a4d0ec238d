"""The live feed (issue 14): live_changes, what changed (an agent, the queues), written by the engine in the same
transaction as the change, read by each console process once for all its streams.

Revision ID: 7d8e9f0a1b2c
Revises: 6c7d8e9f0a1b
Create Date: 2026-12-04 09:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '7d8e9f0a1b2c'
down_revision = '6c7d8e9f0a1b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'live_changes',
        sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('topic', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_live_changes')),
    )
    op.create_index(op.f('ix_live_changes_at'), 'live_changes', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_live_changes_at'), table_name='live_changes')
    op.drop_table('live_changes')
