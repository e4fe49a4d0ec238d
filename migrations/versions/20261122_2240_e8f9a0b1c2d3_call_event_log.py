"""The immutable call-event log every report is computed from, and each trunk group's live status.

Revision ID: e8f9a0b1c2d3
Revises: d6e7f8a9b0c1
Create Date: 2026-11-22 22:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'e8f9a0b1c2d3'
down_revision = 'd6e7f8a9b0c1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'call_events',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('call_uuid', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('direction', sa.String(length=8), nullable=False),
        sa.Column('ani', sa.String(length=64), nullable=False),
        sa.Column('dnis', sa.String(length=64), nullable=False),
        sa.Column('hall_id', sa.Integer(), nullable=True),
        sa.Column('queue_code', sa.String(length=32), nullable=True),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('wait_s', sa.Double(), nullable=True),
        sa.Column('duration_s', sa.Double(), nullable=True),
        sa.Column('value', sa.Integer(), nullable=True),
        sa.Column('detail', sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_events')),
    )
    with op.batch_alter_table('call_events', schema=None) as batch_op:
        batch_op.create_index('ix_call_events_at', ['at'], unique=False)
        batch_op.create_index('ix_call_events_call_uuid', ['call_uuid'], unique=False)
        batch_op.create_index('ix_call_events_queued_at', ['queued_at'], unique=False)
        batch_op.create_index('ix_call_events_agent_id_at', ['agent_id', 'at'], unique=False)
    op.create_table(
        'trunk_status',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('channels', sa.Integer(), nullable=False),
        sa.Column('in_use', sa.Integer(), nullable=False),
        sa.Column('all_busy_since', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_trunk_status')),
    )


def downgrade() -> None:
    op.drop_table('trunk_status')
    with op.batch_alter_table('call_events', schema=None) as batch_op:
        batch_op.drop_index('ix_call_events_agent_id_at')
        batch_op.drop_index('ix_call_events_queued_at')
        batch_op.drop_index('ix_call_events_call_uuid')
        batch_op.drop_index('ix_call_events_at')
    op.drop_table('call_events')
