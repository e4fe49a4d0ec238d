"""Each queue's live status per hall (queue_hall_status): the waiting calls of a hall's numbers and the hall's agents
able to take the queue, published by the engine with the queue's own row, so a hall's supervisor sees the floor and
the wallboard of their halls only (issue 13, R-ADM-1/R-ADM-4).

Revision ID: 5b6c7d8e9f0a
Revises: 4a5b6c7d8e9f
Create Date: 2026-12-04 09:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '5b6c7d8e9f0a'
down_revision = '4a5b6c7d8e9f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'queue_hall_status',
        sa.Column('queue_code', sa.String(length=32), nullable=False),
        sa.Column('hall_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('waiting', sa.Integer(), nullable=False),
        sa.Column('longest_wait_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('agents_ready', sa.Integer(), nullable=False),
        sa.Column('agents_busy', sa.Integer(), nullable=False),
        sa.Column('agents_logged_in', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('queue_code', 'hall_id', name=op.f('pk_queue_hall_status')),
    )


def downgrade() -> None:
    op.drop_table('queue_hall_status')
