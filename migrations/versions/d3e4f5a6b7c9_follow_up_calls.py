"""Automated follow-up calls (issue 15 item 4): what the last attempt to reach the citizen came to
(the switch's cause: NO_ANSWER, USER_BUSY, ... or NO_RATING when they hung up before rating); when an order took its
call's facts (an order registered during the call gets them after the hang-up, once the call's record exists);
indexes on the call records' numbers for the call search (issue 16 item 3); and the transfer-back marks of call
logs written before the engine marked the end of such a wait (docs/reports.md, "Sent back to a queue"): set once
here, then the call rollups are rebuilt so a transfer back to a queue is no new request in old data either.

Revision ID: d3e4f5a6b7c9
Revises: c2d3e4f5a6b8
Create Date: 2026-12-07 14:30:00.000000
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = 'd3e4f5a6b7c9'
down_revision = 'c2d3e4f5a6b8'
branch_labels = None
depends_on = None

OLD_TRANSFER_ENDS = """
UPDATE call_events SET value = 1
 WHERE kind IN ('answered', 'abandoned', 'callback_requested', 'voicemail', 'released', 'cut') AND value IS NULL
   AND EXISTS (SELECT 1 FROM call_events q WHERE q.kind = 'queued' AND q.detail = 'transfer'
               AND q.call_uuid = call_events.call_uuid AND q.queued_at = call_events.queued_at)
"""


def upgrade() -> None:
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_result', sa.String(length=32), nullable=False, server_default=''))
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_facts_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('call_records', schema=None) as batch_op:     # the call search by number
        batch_op.create_index('ix_call_records_ani', ['ani'], unique=False)
        batch_op.create_index('ix_call_records_dnis', ['dnis'], unique=False)
    marked = op.get_bind().execute(sa.text(OLD_TRANSFER_ENDS)).rowcount
    if marked:
        from sqlalchemy.orm import Session
        from engine.reports.rollups import rebuild_calls
        session = Session(bind=op.get_bind())
        rebuild_calls(session, None, None)      # the migration's transaction commits it
        session.flush()


def downgrade() -> None:
    with op.batch_alter_table('call_records', schema=None) as batch_op:
        batch_op.drop_index('ix_call_records_dnis')
        batch_op.drop_index('ix_call_records_ani')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_column('call_facts_at')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_column('last_result')
