"""Failover: CDRs posted by FreeSWITCH (mod_xml_cdr) for calls that end while no engine is connected, the engines'
own status (active/standby), the switch's live session figures, the outcomes of calls cut by a fault
(switch_lost, engine_stopped) and the rollup count of callers cut off while queued.

Revision ID: b7c8d9e0f1a2
Revises: a3b5c7d9e1f2
Create Date: 2026-12-02 13:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b7c8d9e0f1a2'
down_revision = 'a3b5c7d9e1f2'
branch_labels = None
depends_on = None

OLD_OUTCOMES = ("answered", "abandoned", "ivr_only", "no_route", "failed", "timed_out", "queue_full", "no_agent",
                "callback", "voicemail", "transferred")
NEW_OUTCOMES = OLD_OUTCOMES + ("switch_lost", "engine_stopped")
ROLLUPS = ("report_calls_15m", "report_calls_day")


def _set_outcomes(values: tuple[str, ...]) -> None:
    with op.batch_alter_table('call_records', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_call_records_call_outcome'), type_='check')
        batch_op.create_check_constraint('call_outcome', "outcome IN (%s)" % ", ".join(f"'{v}'" for v in values))


def upgrade() -> None:
    _set_outcomes(NEW_OUTCOMES)
    for table in ROLLUPS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('cut', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('switch_status', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sessions', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sessions_last_second', sa.Integer(), nullable=True))
    op.create_table(
        'switch_cdrs',
        sa.Column('call_uuid', sa.String(length=64), nullable=False),
        sa.Column('direction', sa.String(length=16), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('hangup_cause', sa.String(length=64), nullable=False),
        sa.Column('disposition', sa.String(length=32), nullable=False),
        sa.Column('variables', sa.Text(), nullable=False),
        sa.Column('reconciled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reconciled', sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint('call_uuid', name=op.f('pk_switch_cdrs')),
    )
    with op.batch_alter_table('switch_cdrs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_switch_cdrs_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_switch_cdrs_reconciled_at'), ['reconciled_at'], unique=False)
    op.create_table(
        'engine_nodes',
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('since', sa.DateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_engine_nodes')),
    )
    with op.batch_alter_table('engine_nodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engine_nodes_heartbeat_at'), ['heartbeat_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('engine_nodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engine_nodes_heartbeat_at'))
    op.drop_table('engine_nodes')
    with op.batch_alter_table('switch_cdrs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_switch_cdrs_reconciled_at'))
        batch_op.drop_index(batch_op.f('ix_switch_cdrs_received_at'))
    op.drop_table('switch_cdrs')
    with op.batch_alter_table('switch_status', schema=None) as batch_op:
        batch_op.drop_column('sessions_last_second')
        batch_op.drop_column('sessions')
    for table in ROLLUPS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('cut')
    op.execute("UPDATE call_records SET outcome = 'failed' WHERE outcome IN ('switch_lost', 'engine_stopped')")
    _set_outcomes(OLD_OUTCOMES)
