"""Report definitions (settings) and the rollups reports read: call-log sums per 15 minutes and per day,
agent state time per day, caller regions per day.

Revision ID: f1a2b3c4d5e6
Revises: e8f9a0b1c2d3
Create Date: 2026-11-22 23:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = 'f1a2b3c4d5e6'
down_revision = 'e8f9a0b1c2d3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_agent_day',
    sa.Column('day', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('agent_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=24), nullable=False),
    sa.Column('ended_into', sa.String(length=16), nullable=False),
    sa.Column('seconds_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('episodes', sa.Integer(), server_default='0', nullable=False),
    sa.Column('max_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('day', 'agent_id', 'state', 'reason', 'ended_into', name=op.f('pk_report_agent_day'))
    )
    op.create_table('report_caller_region_day',
    sa.Column('day', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hall_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('province', sa.String(length=32), nullable=False),
    sa.Column('city', sa.String(length=32), nullable=False),
    sa.Column('calls', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('day', 'hall_id', 'province', 'city', name=op.f('pk_report_caller_region_day'))
    )
    op.create_table('report_calls_15m',
    sa.Column('bucket', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('queue_code', sa.String(length=32), nullable=False),
    sa.Column('hall_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('agent_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('trunk', sa.String(length=32), nullable=False),
    sa.Column('arrived', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ivr_entered', sa.Integer(), server_default='0', nullable=False),
    sa.Column('queued', sa.Integer(), server_default='0', nullable=False),
    sa.Column('overflow_in', sa.Integer(), server_default='0', nullable=False),
    sa.Column('overflowed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('offered', sa.Integer(), server_default='0', nullable=False),
    sa.Column('no_answer', sa.Integer(), server_default='0', nullable=False),
    sa.Column('answered', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_10', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_15', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_20', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_30', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_45', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_60', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_90', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_120', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abandoned', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abandoned_ringing', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abn_le_3', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abn_le_5', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abn_le_10', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abn_le_15', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abn_le_20', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abn_le_30', sa.Integer(), server_default='0', nullable=False),
    sa.Column('callbacks', sa.Integer(), server_default='0', nullable=False),
    sa.Column('voicemails', sa.Integer(), server_default='0', nullable=False),
    sa.Column('released', sa.Integer(), server_default='0', nullable=False),
    sa.Column('waited', sa.Integer(), server_default='0', nullable=False),
    sa.Column('holds', sa.Integer(), server_default='0', nullable=False),
    sa.Column('talks', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wrapups', sa.Integer(), server_default='0', nullable=False),
    sa.Column('transfers', sa.Integer(), server_default='0', nullable=False),
    sa.Column('dialed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('dialed_answered', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ended', sa.Integer(), server_default='0', nullable=False),
    sa.Column('trunk_busy', sa.Integer(), server_default='0', nullable=False),
    sa.Column('trunk_freed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r0', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r1', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r2', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r3', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r4', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r5', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r6', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r7', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r8', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r9', sa.Integer(), server_default='0', nullable=False),
    sa.Column('answered_wait_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('abandoned_wait_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('waited_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('ring_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('hold_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('talk_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('wrap_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('transfer_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('dialed_talk_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('trunk_busy_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('max_wait_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('trunk_busy_max_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('bucket', 'direction', 'queue_code', 'hall_id', 'agent_id', 'trunk', name=op.f('pk_report_calls_15m'))
    )
    op.create_table('report_calls_day',
    sa.Column('day', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('queue_code', sa.String(length=32), nullable=False),
    sa.Column('hall_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('agent_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('trunk', sa.String(length=32), nullable=False),
    sa.Column('arrived', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ivr_entered', sa.Integer(), server_default='0', nullable=False),
    sa.Column('queued', sa.Integer(), server_default='0', nullable=False),
    sa.Column('overflow_in', sa.Integer(), server_default='0', nullable=False),
    sa.Column('overflowed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('offered', sa.Integer(), server_default='0', nullable=False),
    sa.Column('no_answer', sa.Integer(), server_default='0', nullable=False),
    sa.Column('answered', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_10', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_15', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_20', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_30', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_45', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_60', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_90', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ans_le_120', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abandoned', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abandoned_ringing', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abn_le_3', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abn_le_5', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abn_le_10', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abn_le_15', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abn_le_20', sa.Integer(), server_default='0', nullable=False),
    sa.Column('abn_le_30', sa.Integer(), server_default='0', nullable=False),
    sa.Column('callbacks', sa.Integer(), server_default='0', nullable=False),
    sa.Column('voicemails', sa.Integer(), server_default='0', nullable=False),
    sa.Column('released', sa.Integer(), server_default='0', nullable=False),
    sa.Column('waited', sa.Integer(), server_default='0', nullable=False),
    sa.Column('holds', sa.Integer(), server_default='0', nullable=False),
    sa.Column('talks', sa.Integer(), server_default='0', nullable=False),
    sa.Column('wrapups', sa.Integer(), server_default='0', nullable=False),
    sa.Column('transfers', sa.Integer(), server_default='0', nullable=False),
    sa.Column('dialed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('dialed_answered', sa.Integer(), server_default='0', nullable=False),
    sa.Column('ended', sa.Integer(), server_default='0', nullable=False),
    sa.Column('trunk_busy', sa.Integer(), server_default='0', nullable=False),
    sa.Column('trunk_freed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r0', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r1', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r2', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r3', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r4', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r5', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r6', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r7', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r8', sa.Integer(), server_default='0', nullable=False),
    sa.Column('r9', sa.Integer(), server_default='0', nullable=False),
    sa.Column('answered_wait_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('abandoned_wait_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('waited_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('ring_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('hold_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('talk_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('wrap_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('transfer_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('dialed_talk_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('trunk_busy_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('max_wait_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('trunk_busy_max_ms', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('day', 'direction', 'queue_code', 'hall_id', 'agent_id', 'trunk', name=op.f('pk_report_calls_day'))
    )
    op.create_table('report_settings',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_report_settings'))
    )


def downgrade() -> None:
    op.drop_table('report_settings')
    op.drop_table('report_calls_day')
    op.drop_table('report_calls_15m')
    op.drop_table('report_caller_region_day')
    op.drop_table('report_agent_day')
