"""Quality inspection (质检): scorecard forms and their versions, sampling plans and their inspectors, reviews with
their item marks and time-marked comments, and appeals.

Revision ID: f5a6b7c8d9e1
Revises: e4f5a6b7c8d0
Create Date: 2026-12-07 23:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f5a6b7c8d9e1'
down_revision = 'e4f5a6b7c8d0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('qa_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=True),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_qa_forms_hall_id_halls'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_forms'))
    )
    with op.batch_alter_table('qa_forms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_forms_hall_id'), ['hall_id'], unique=False)

    op.create_table('qa_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=True),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('queue_code', sa.String(length=32), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('per_agent', sa.Integer(), nullable=False),
    sa.Column('due_days', sa.Integer(), nullable=False),
    sa.Column('long_call_s', sa.Integer(), nullable=True),
    sa.Column('short_call_s', sa.Integer(), nullable=True),
    sa.Column('unsatisfied', sa.Boolean(), nullable=False),
    sa.Column('complaint', sa.Boolean(), nullable=False),
    sa.Column('transfer', sa.Boolean(), nullable=False),
    sa.Column('long_hold_s', sa.Integer(), nullable=True),
    sa.Column('rule_cap', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('drawn_week', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('per_agent >= 0 AND due_days >= 1', name=op.f('ck_qa_plans_counts_positive')),
    sa.ForeignKeyConstraint(['form_id'], ['qa_forms.id'], name=op.f('fk_qa_plans_form_id_qa_forms'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['group_id'], ['agent_groups.id'], name=op.f('fk_qa_plans_group_id_agent_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_qa_plans_hall_id_halls'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_plans'))
    )
    with op.batch_alter_table('qa_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_plans_hall_id'), ['hall_id'], unique=False)

    op.create_table('qa_form_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_qa_form_versions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['form_id'], ['qa_forms.id'], name=op.f('fk_qa_form_versions_form_id_qa_forms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_form_versions')),
    sa.UniqueConstraint('form_id', 'version', name=op.f('uq_qa_form_versions_form_id_version'))
    )
    op.create_table('qa_plan_inspectors',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['qa_plans.id'], name=op.f('fk_qa_plan_inspectors_plan_id_qa_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_qa_plan_inspectors_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plan_id', 'user_id', name=op.f('pk_qa_plan_inspectors'))
    )
    op.create_table('qa_form_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('guidance', sa.String(length=500), nullable=False),
    sa.Column('max_points', sa.Double(), nullable=False),
    sa.Column('weight', sa.Double(), nullable=False),
    sa.Column('fatal', sa.Boolean(), nullable=False),
    sa.CheckConstraint('max_points >= 0 AND weight >= 0', name=op.f('ck_qa_form_items_points_positive')),
    sa.ForeignKeyConstraint(['version_id'], ['qa_form_versions.id'], name=op.f('fk_qa_form_items_version_id_qa_form_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_form_items'))
    )
    with op.batch_alter_table('qa_form_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_form_items_version_id'), ['version_id'], unique=False)

    op.create_table('qa_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('call_uuid', sa.String(length=64), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('reason', sa.Enum('complaint', 'unsatisfied', 'long_call', 'short_call', 'long_hold', 'transfer', 'random', 'manual', name='qa_reason', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.Enum('assigned', 'scored', 'appealed', 'decided', name='qa_review_state', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('first_score', sa.Double(), nullable=True),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('fatal', sa.Boolean(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_qa_reviews_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_qa_reviews_inspector_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['qa_plans.id'], name=op.f('fk_qa_reviews_plan_id_qa_plans'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recording_id'], ['recordings.id'], name=op.f('fk_qa_reviews_recording_id_recordings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['qa_form_versions.id'], name=op.f('fk_qa_reviews_version_id_qa_form_versions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_reviews')),
    sa.UniqueConstraint('plan_id', 'recording_id', name=op.f('uq_qa_reviews_plan_id_recording_id'))
    )
    with op.batch_alter_table('qa_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_qa_reviews_agent_week', ['agent_id', 'week'], unique=False)
        batch_op.create_index('ix_qa_reviews_call_uuid', ['call_uuid'], unique=False)
        batch_op.create_index('ix_qa_reviews_inspector_state', ['inspector_id', 'state'], unique=False)

    op.create_table('qa_appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.Enum('upheld', 'revised', name='qa_decision', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_qa_appeals_filed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['review_id'], ['qa_reviews.id'], name=op.f('fk_qa_appeals_review_id_qa_reviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_qa_appeals_reviewer_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_appeals')),
    sa.UniqueConstraint('review_id', name=op.f('uq_qa_appeals_review_id'))
    )
    op.create_table('qa_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('at_ms', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_qa_comments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['review_id'], ['qa_reviews.id'], name=op.f('fk_qa_comments_review_id_qa_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_comments'))
    )
    with op.batch_alter_table('qa_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_comments_review_id'), ['review_id'], unique=False)

    op.create_table('qa_item_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=8), nullable=False),
    sa.Column('points', sa.Double(), nullable=True),
    sa.Column('violated', sa.Boolean(), nullable=False),
    sa.CheckConstraint("stage IN ('first', 'appeal')", name=op.f('ck_qa_item_marks_stage_known')),
    sa.ForeignKeyConstraint(['item_id'], ['qa_form_items.id'], name=op.f('fk_qa_item_marks_item_id_qa_form_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['review_id'], ['qa_reviews.id'], name=op.f('fk_qa_item_marks_review_id_qa_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_item_marks')),
    sa.UniqueConstraint('review_id', 'item_id', 'stage', name=op.f('uq_qa_item_marks_review_id_item_id_stage'))
    )


def downgrade() -> None:
    op.drop_table('qa_item_marks')
    with op.batch_alter_table('qa_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qa_comments_review_id'))

    op.drop_table('qa_comments')
    op.drop_table('qa_appeals')
    with op.batch_alter_table('qa_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_qa_reviews_inspector_state')
        batch_op.drop_index('ix_qa_reviews_call_uuid')
        batch_op.drop_index('ix_qa_reviews_agent_week')

    op.drop_table('qa_reviews')
    with op.batch_alter_table('qa_form_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qa_form_items_version_id'))

    op.drop_table('qa_form_items')
    op.drop_table('qa_plan_inspectors')
    op.drop_table('qa_form_versions')
    with op.batch_alter_table('qa_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qa_plans_hall_id'))

    op.drop_table('qa_plans')
    with op.batch_alter_table('qa_forms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qa_forms_hall_id'))

    op.drop_table('qa_forms')
