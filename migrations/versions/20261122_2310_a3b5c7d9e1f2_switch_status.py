"""Live switch status published by the engine every couple of seconds (connected, the switch's session-rate and
session limits, originates it refused), for the wallboard's switch alert.

Revision ID: a3b5c7d9e1f2
Revises: f1a2b3c4d5e6
Create Date: 2026-11-22 23:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a3b5c7d9e1f2'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'switch_status',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('connected', sa.Boolean(), nullable=False),
        sa.Column('sessions_per_second', sa.Integer(), nullable=True),
        sa.Column('max_sessions', sa.Integer(), nullable=True),
        sa.Column('exempt', sa.Boolean(), nullable=False),
        sa.Column('refused_total', sa.Integer(), nullable=False),
        sa.Column('refused_recent', sa.Integer(), nullable=False),
        sa.Column('last_refused_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_switch_status')),
    )


def downgrade() -> None:
    op.drop_table('switch_status')
