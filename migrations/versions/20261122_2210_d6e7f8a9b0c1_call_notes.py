"""Wrap-up notes: the agent's disposition and summary of a call (话后小结).

Revision ID: d6e7f8a9b0c1
Revises: c4d5e6f7a8b9
Create Date: 2026-11-22 22:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd6e7f8a9b0c1'
down_revision = 'c4d5e6f7a8b9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'call_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_uuid', sa.String(length=64), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('disposition', sa.String(length=32), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_call_notes_agent_id_agents'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_call_notes')),
    )
    with op.batch_alter_table('call_notes', schema=None) as batch_op:
        batch_op.create_index('ix_call_notes_call_uuid', ['call_uuid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('call_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_call_notes_call_uuid')
    op.drop_table('call_notes')
