"""Recordings of answered calls (metadata; files under recordings/) and satisfaction ratings.

Also adds the call outcome transferred (the IVR sent the call to a number or an extension).

Revision ID: d7e8f9a0b1c2
Revises: 4c4382d67e16
Create Date: 2026-11-22 21:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd7e8f9a0b1c2'
down_revision = '4c4382d67e16'
branch_labels = None
depends_on = None

OLD_OUTCOMES = ("answered", "abandoned", "ivr_only", "no_route", "failed", "timed_out", "queue_full", "no_agent",
                "callback", "voicemail")
NEW_OUTCOMES = OLD_OUTCOMES + ("transferred",)


def _set_outcomes(values: tuple[str, ...]) -> None:
    with op.batch_alter_table('call_records', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_call_records_call_outcome'), type_='check')
        batch_op.create_check_constraint('call_outcome', "outcome IN (%s)" % ", ".join(f"'{v}'" for v in values))


def upgrade() -> None:
    op.create_table(
        'recordings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('path', sa.String(length=512), nullable=False),
        sa.Column('call_uuid', sa.String(length=64), nullable=False),
        sa.Column('ani', sa.String(length=64), nullable=False),
        sa.Column('dnis', sa.String(length=64), nullable=False),
        sa.Column('extension', sa.String(length=32), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('employee_no', sa.String(length=32), nullable=False),
        sa.Column('queue_code', sa.String(length=32), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('duration_s', sa.Double(), nullable=True),
        sa.Column('switch_ms', sa.Integer(), nullable=True),
        sa.Column('size_bytes', sa.Integer(), nullable=True),
        sa.Column('checksum', sa.String(length=64), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('problem', sa.String(length=255), nullable=False),
        sa.CheckConstraint("status IN ('recording', 'complete', 'missing', 'damaged')",
                           name=op.f('ck_recordings_status_known')),
        sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_recordings_agent_id_agents'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recordings')),
        sa.UniqueConstraint('path', name=op.f('uq_recordings_path')),
    )
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.create_index('ix_recordings_call_uuid', ['call_uuid'], unique=False)
        batch_op.create_index('ix_recordings_started_at', ['started_at'], unique=False)
    op.create_table(
        'survey_results',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('call_uuid', sa.String(length=64), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.Column('queue_code', sa.String(length=32), nullable=True),
        sa.Column('rating', sa.Integer(), nullable=False),
        sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('rating BETWEEN 0 AND 9', name=op.f('ck_survey_results_rating_range')),
        sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_survey_results_agent_id_agents'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_results')),
        sa.UniqueConstraint('call_uuid', name=op.f('uq_survey_results_call_uuid')),
    )
    with op.batch_alter_table('survey_results', schema=None) as batch_op:
        batch_op.create_index('ix_survey_results_rated_at', ['rated_at'], unique=False)
    _set_outcomes(NEW_OUTCOMES)


def downgrade() -> None:
    op.execute("UPDATE call_records SET outcome = 'ivr_only' WHERE outcome = 'transferred'")
    _set_outcomes(OLD_OUTCOMES)
    with op.batch_alter_table('survey_results', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_results_rated_at')
    op.drop_table('survey_results')
    with op.batch_alter_table('recordings', schema=None) as batch_op:
        batch_op.drop_index('ix_recordings_started_at')
        batch_op.drop_index('ix_recordings_call_uuid')
    op.drop_table('recordings')
