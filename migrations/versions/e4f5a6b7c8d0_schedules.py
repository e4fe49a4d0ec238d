"""Schedules (排班, issue 17 item 6): shift templates and rotations (a hall's or the centre's), weekly schedules
generated from the planned requirement, and their shifts, against which adherence and attendance are measured.

Revision ID: e4f5a6b7c8d0
Revises: d3e4f5a6b7c9
Create Date: 2026-12-07 23:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'e4f5a6b7c8d0'
down_revision = 'd3e4f5a6b7c9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shift_rotations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('pattern', sa.JSON(), nullable=False),
    sa.Column('teams', sa.Integer(), nullable=False),
    sa.Column('anchor', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('teams > 0', name=op.f('ck_shift_rotations_teams_positive')),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_shift_rotations_hall_id_halls'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_rotations'))
    )
    with op.batch_alter_table('shift_rotations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shift_rotations_hall_id'), ['hall_id'], unique=False)

    op.create_table('shift_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('length_minutes', sa.Integer(), nullable=False),
    sa.Column('unpaid_break_minutes', sa.Integer(), nullable=False),
    sa.Column('paid_break_minutes', sa.Integer(), nullable=False),
    sa.Column('break_after_minutes', sa.Integer(), nullable=True),
    sa.Column('weekdays', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('length_minutes > 0 AND length_minutes <= 1440', name=op.f('ck_shift_templates_length_range')),
    sa.CheckConstraint('paid_break_minutes >= 0', name=op.f('ck_shift_templates_paid_break_not_negative')),
    sa.CheckConstraint('start_minute >= 0 AND start_minute < 1440', name=op.f('ck_shift_templates_start_within_day')),
    sa.CheckConstraint('unpaid_break_minutes >= 0 AND unpaid_break_minutes < length_minutes', name=op.f('ck_shift_templates_unpaid_break_range')),
    sa.CheckConstraint('weekdays > 0 AND weekdays < 128', name=op.f('ck_shift_templates_weekdays_range')),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_shift_templates_hall_id_halls'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_templates'))
    )
    with op.batch_alter_table('shift_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shift_templates_hall_id'), ['hall_id'], unique=False)

    op.create_table('schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('week_start', sa.Date(), nullable=False),
    sa.Column('pool', sa.String(length=8), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('queue_code', sa.String(length=32), nullable=True),
    sa.Column('rotation_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('required', sa.JSON(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by', sa.String(length=64), nullable=False),
    sa.CheckConstraint("pool IN ('hall', 'group', 'queue')", name=op.f('ck_schedules_pool_known')),
    sa.CheckConstraint("status IN ('draft', 'published')", name=op.f('ck_schedules_status_known')),
    sa.ForeignKeyConstraint(['group_id'], ['agent_groups.id'], name=op.f('fk_schedules_group_id_agent_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_schedules_hall_id_halls'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['rotation_id'], ['shift_rotations.id'], name=op.f('fk_schedules_rotation_id_shift_rotations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedules'))
    )
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedules_hall_id'), ['hall_id'], unique=False)
        batch_op.create_index('ix_schedules_week_start', ['week_start'], unique=False)

    op.create_table('scheduled_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('break_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('break_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_break_minutes', sa.Integer(), nullable=False),
    sa.CheckConstraint('end_at > start_at', name=op.f('ck_scheduled_shifts_ends_after_start')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_scheduled_shifts_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_scheduled_shifts_schedule_id_schedules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['shift_templates.id'], name=op.f('fk_scheduled_shifts_template_id_shift_templates'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_shifts'))
    )
    with op.batch_alter_table('scheduled_shifts', schema=None) as batch_op:
        batch_op.create_index('ix_scheduled_shifts_agent_start', ['agent_id', 'start_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_scheduled_shifts_schedule_id'), ['schedule_id'], unique=False)
        batch_op.create_index('ix_scheduled_shifts_start', ['start_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('scheduled_shifts', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_shifts_start')
        batch_op.drop_index(batch_op.f('ix_scheduled_shifts_schedule_id'))
        batch_op.drop_index('ix_scheduled_shifts_agent_start')

    op.drop_table('scheduled_shifts')
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_index('ix_schedules_week_start')
        batch_op.drop_index(batch_op.f('ix_schedules_hall_id'))

    op.drop_table('schedules')
    with op.batch_alter_table('shift_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shift_templates_hall_id'))

    op.drop_table('shift_templates')
    with op.batch_alter_table('shift_rotations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shift_rotations_hall_id'))

    op.drop_table('shift_rotations')
