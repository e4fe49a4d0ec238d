"""Live queue status published by the engine every couple of seconds (waiting calls, longest wait, agents ready),
for the supervisor floor view and the wallboard.

Revision ID: b2c3d4e5f6a7
Revises: a9b8c7d6e5f4
Create Date: 2026-11-22 21:55:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b2c3d4e5f6a7'
down_revision = 'a9b8c7d6e5f4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'queue_status',
        sa.Column('queue_code', sa.String(length=32), nullable=False),
        sa.Column('waiting', sa.Integer(), nullable=False),
        sa.Column('longest_wait_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('agents_ready', sa.Integer(), nullable=False),
        sa.Column('agents_busy', sa.Integer(), nullable=False),
        sa.Column('agents_logged_in', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('queue_code', name=op.f('pk_queue_status')),
    )


def downgrade() -> None:
    op.drop_table('queue_status')
