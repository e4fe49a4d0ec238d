"""Console query indexes (issue 14): every filter and ordering of a console page or API on a table that grows with
history has an index, so that a page costs the rows it shows, not the history behind them.

* agent_state_changes: by time (the floor view's day figures) and by call and agent (the CTI call card);
* agent_requests: by time (the agents page's recent requests), by agent newest first (the CTI API's /me and its
  event stream) and by agent since a time (a consultation, who transferred the call);
* call_records: by agent and time (the CTI API's day figures; an agent's deletion);
* callbacks: by request time (the list of every status); voicemails: by status and time (the list);
* recordings: by caller and dialled number, by employee number and by agent (the search, without dates too).

Revision ID: 9f0a1b2c3d4e
Revises: 8e9f0a1b2c3d
Create Date: 2026-12-04 19:10:00
"""
from __future__ import annotations

from alembic import op

revision = '9f0a1b2c3d4e'
down_revision = '8e9f0a1b2c3d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_agent_state_changes_at', 'agent_state_changes', ['at'], unique=False)
    op.create_index('ix_agent_state_changes_call_agent_at', 'agent_state_changes', ['call_uuid', 'agent_id', 'at'],
                    unique=False)
    op.create_index('ix_agent_requests_requested_at', 'agent_requests', ['requested_at'], unique=False)
    op.create_index('ix_agent_requests_agent_id', 'agent_requests', ['agent_id', 'id'], unique=False)
    op.create_index('ix_agent_requests_agent_requested_at', 'agent_requests', ['agent_id', 'requested_at'],
                    unique=False)
    op.create_index('ix_call_records_agent_started_at', 'call_records', ['agent_id', 'started_at'], unique=False)
    op.create_index('ix_callbacks_requested_at', 'callbacks', ['requested_at'], unique=False)
    op.create_index('ix_voicemails_status', 'voicemails', ['status', 'recorded_at'], unique=False)
    op.create_index('ix_recordings_ani', 'recordings', ['ani'], unique=False)
    op.create_index('ix_recordings_dnis', 'recordings', ['dnis'], unique=False)
    op.create_index('ix_recordings_employee_no', 'recordings', ['employee_no'], unique=False)
    op.create_index('ix_recordings_agent_id', 'recordings', ['agent_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_recordings_agent_id', table_name='recordings')
    op.drop_index('ix_recordings_employee_no', table_name='recordings')
    op.drop_index('ix_recordings_dnis', table_name='recordings')
    op.drop_index('ix_recordings_ani', table_name='recordings')
    op.drop_index('ix_voicemails_status', table_name='voicemails')
    op.drop_index('ix_callbacks_requested_at', table_name='callbacks')
    op.drop_index('ix_call_records_agent_started_at', table_name='call_records')
    op.drop_index('ix_agent_requests_agent_requested_at', table_name='agent_requests')
    op.drop_index('ix_agent_requests_agent_id', table_name='agent_requests')
    op.drop_index('ix_agent_requests_requested_at', table_name='agent_requests')
    op.drop_index('ix_agent_state_changes_call_agent_at', table_name='agent_state_changes')
    op.drop_index('ix_agent_state_changes_at', table_name='agent_state_changes')
