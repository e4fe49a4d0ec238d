"""Report jobs (issue 14): reports, scorecards and exports computed by a report worker process, not in a web
request; the request queues a job and waits for its result, which viewers of the same figures share.

Revision ID: 8e9f0a1b2c3d
Revises: 7d8e9f0a1b2c
Create Date: 2026-12-04 19:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '8e9f0a1b2c3d'
down_revision = '7d8e9f0a1b2c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'report_jobs',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('cache_key', sa.String(length=64), nullable=False),
        sa.Column('params', sa.Text(), nullable=False),
        sa.Column('scope', sa.Text(), nullable=False),
        sa.Column('locale', sa.String(length=16), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('worker', sa.String(length=255), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('result', sa.LargeBinary(), nullable=True),
        sa.Column('mimetype', sa.String(length=128), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('beat_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_jobs')),
    )
    op.create_index('ix_report_jobs_state_created', 'report_jobs', ['state', 'created_at'], unique=False)
    op.create_index('ix_report_jobs_cache_key_finished', 'report_jobs', ['cache_key', 'finished_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_report_jobs_cache_key_finished', table_name='report_jobs')
    op.drop_index('ix_report_jobs_state_created', table_name='report_jobs')
    op.drop_table('report_jobs')
