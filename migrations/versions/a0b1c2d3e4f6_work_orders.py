"""Work orders (issue 15): departments (承办单位), the category tree, orders with their parts, timeline, alerts and
follow-up visits; the department role and a department user's department.

Revision ID: a0b1c2d3e4f6
Revises: 9f0a1b2c3d4e
Create Date: 2026-12-06 22:29:44.071957
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = 'a0b1c2d3e4f6'
down_revision = '9f0a1b2c3d4e'
branch_labels = None
depends_on = None


OLD_ROLES = ("admin", "supervisor", "agent", "quality", "viewer")
NEW_ROLES = OLD_ROLES + ("department",)


def _set_roles(values: tuple[str, ...]) -> None:
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_roles_role_code'), type_='check')
        batch_op.create_check_constraint('role_code', "code IN (%s)" % ", ".join(f"'{v}'" for v in values))


def upgrade() -> None:
    _set_roles(NEW_ROLES)
    roles = sa.table('user_roles', sa.column('code', sa.String), sa.column('name', sa.String))
    op.execute(roles.insert().values(code='department', name='承办单位'))
    op.create_table('order_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_order_categories_not_own_parent')),
    sa.ForeignKeyConstraint(['parent_id'], ['order_categories.id'], name=op.f('fk_order_categories_parent_id_order_categories'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_categories'))
    )
    with op.batch_alter_table('order_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_categories_parent_id'), ['parent_id'], unique=False)

    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('contact', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_departments_hall_id_halls'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('hall_id', 'name', name=op.f('uq_departments_hall_id_name'))
    )
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_departments_hall_id'), ['hall_id'], unique=False)

    op.create_table('work_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('registered', 'reviewed', 'dispatched', 'replied', 'closed', name='order_state', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('request_type', sa.Enum('consultation', 'complaint', 'report', 'help', 'suggestion', name='request_type', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('urgency', sa.Enum('general', 'special', 'special_urgent', name='order_urgency', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('hard', sa.Boolean(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('citizen_name', sa.Text(), nullable=False),
    sa.Column('citizen_phone', sa.String(length=310), nullable=False),
    sa.Column('citizen_address', sa.Text(), nullable=False),
    sa.Column('reply_wanted', sa.Boolean(), nullable=False),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.Column('wishes', sa.Text(), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('call_uuid', sa.String(length=64), nullable=True),
    sa.Column('external_number', sa.String(length=64), nullable=True),
    sa.Column('voicemail_id', sa.Integer(), nullable=True),
    sa.Column('ivr_data', sa.Text(), nullable=False),
    sa.Column('queue_code', sa.String(length=32), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('on_the_spot', sa.Boolean(), nullable=False),
    sa.Column('review_errors', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('misdispatches', sa.Integer(), nullable=False),
    sa.Column('reopened', sa.Integer(), nullable=False),
    sa.Column('dispatch_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late_dispatch', sa.Boolean(), nullable=False),
    sa.Column('reply_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('calendar_gap', sa.Integer(), nullable=True),
    sa.CheckConstraint("source IN ('call', 'voicemail', 'manual')", name=op.f('ck_work_orders_source_known')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_work_orders_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['order_categories.id'], name=op.f('fk_work_orders_category_id_order_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_work_orders_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_work_orders_hall_id_halls'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['voicemail_id'], ['voicemails.id'], name=op.f('fk_work_orders_voicemail_id_voicemails'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_orders')),
    sa.UniqueConstraint('external_number', name=op.f('uq_work_orders_external_number')),
    sa.UniqueConstraint('number', name=op.f('uq_work_orders_number'))
    )
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_orders_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index('ix_work_orders_call_uuid', ['call_uuid'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_orders_category_id'), ['category_id'], unique=False)
        batch_op.create_index('ix_work_orders_citizen_phone', ['citizen_phone'], unique=False)
        batch_op.create_index('ix_work_orders_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_orders_hall_id'), ['hall_id'], unique=False)
        batch_op.create_index('ix_work_orders_state_created', ['state', 'created_at'], unique=False)
        batch_op.create_index('ix_work_orders_state_dispatch_due', ['state', 'dispatch_due'], unique=False)
        batch_op.create_index('ix_work_orders_calendar_gap', ['calendar_gap'], unique=False)

    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('call_uuid', sa.String(length=64), nullable=True),
    sa.Column('rating', sa.Enum('satisfied', 'basically', 'unsatisfied', name='follow_up_rating', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('department_rating', sa.Enum('satisfied', 'basically', 'unsatisfied', name='follow_up_department_rating', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('done_by', sa.String(length=64), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("mode IN ('manual', 'automated')", name=op.f('ck_follow_ups_mode_known')),
    sa.CheckConstraint("state IN ('pending', 'calling', 'done', 'unreachable', 'cancelled')", name=op.f('ck_follow_ups_state_known')),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_follow_ups_hall_id_halls'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_follow_ups_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('order_id', 'round', name=op.f('uq_follow_ups_order_id_round'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_call_uuid'), ['call_uuid'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_hall_id'), ['hall_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_follow_ups_state_next', ['state', 'next_attempt_at'], unique=False)

    op.create_table('work_order_parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('dispatched', 'accepted', 'replied', 'returned', name='order_part_state', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('extension_asked', sa.Boolean(), nullable=False),
    sa.Column('extensions', sa.Integer(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reply_due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notice_needed', sa.Boolean(), nullable=False),
    sa.Column('noticed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_work_order_parts_department_id_departments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_work_order_parts_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_parts')),
    sa.UniqueConstraint('order_id', 'department_id', name=op.f('uq_work_order_parts_order_id_department_id'))
    )
    with op.batch_alter_table('work_order_parts', schema=None) as batch_op:
        batch_op.create_index('ix_work_order_parts_department_state', ['department_id', 'state'], unique=False)
        batch_op.create_index('ix_work_order_parts_state_reply_due', ['state', 'reply_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_parts_order_id'), ['order_id'], unique=False)

    op.create_table('work_order_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('register', 'answer_on_the_spot', 'pass_review', 'fail_review', 'correct', 'dispatch', 'accept', 'return', 'request_extension', 'grant_extension', 'refuse_extension', 'reply', 'send_back', 'close', 'reopen', name='order_action', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_work_order_steps_department_id_departments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_work_order_steps_order_id_work_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_work_order_steps_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_steps'))
    )
    with op.batch_alter_table('work_order_steps', schema=None) as batch_op:
        batch_op.create_index('ix_work_order_steps_action_at', ['action', 'at'], unique=False)
        batch_op.create_index('ix_work_order_steps_order', ['order_id', 'id'], unique=False)

    op.create_table('order_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('hall_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=False),
    sa.CheckConstraint("kind IN ('special', 'reminder', 'overdue', 'escalation', 'calendar')", name=op.f('ck_order_alerts_kind_known')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_order_alerts_department_id_departments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hall_id'], ['halls.id'], name=op.f('fk_order_alerts_hall_id_halls'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_order_alerts_order_id_work_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['part_id'], ['work_order_parts.id'], name=op.f('fk_order_alerts_part_id_work_order_parts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_alerts')),
    sa.UniqueConstraint('key', name=op.f('uq_order_alerts_key'))
    )
    with op.batch_alter_table('order_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_alerts_hall_id'), ['hall_id'], unique=False)
        batch_op.create_index('ix_order_alerts_open', ['done_at', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_alerts_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_department_id'), ['department_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_department_id_departments'), 'departments', ['department_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_department_id_departments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_department_id'))
        batch_op.drop_column('department_id')

    with op.batch_alter_table('order_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_alerts_order_id'))
        batch_op.drop_index('ix_order_alerts_open')
        batch_op.drop_index(batch_op.f('ix_order_alerts_hall_id'))

    op.drop_table('order_alerts')
    with op.batch_alter_table('work_order_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_work_order_steps_order')
        batch_op.drop_index('ix_work_order_steps_action_at')

    op.drop_table('work_order_steps')
    with op.batch_alter_table('work_order_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_parts_order_id'))
        batch_op.drop_index('ix_work_order_parts_department_state')

    op.drop_table('work_order_parts')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_ups_state_next')
        batch_op.drop_index(batch_op.f('ix_follow_ups_order_id'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_hall_id'))
        batch_op.drop_index(batch_op.f('ix_follow_ups_call_uuid'))

    op.drop_table('follow_ups')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_work_orders_state_created')
        batch_op.drop_index(batch_op.f('ix_work_orders_hall_id'))
        batch_op.drop_index('ix_work_orders_created_at')
        batch_op.drop_index('ix_work_orders_citizen_phone')
        batch_op.drop_index(batch_op.f('ix_work_orders_category_id'))
        batch_op.drop_index('ix_work_orders_call_uuid')
        batch_op.drop_index(batch_op.f('ix_work_orders_agent_id'))

    op.drop_table('work_orders')
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_departments_hall_id'))

    op.drop_table('departments')
    with op.batch_alter_table('order_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_categories_parent_id'))

    op.drop_table('order_categories')
    op.execute("DELETE FROM users WHERE role_id IN (SELECT id FROM user_roles WHERE code = 'department')")
    op.execute("DELETE FROM user_roles WHERE code = 'department'")
    _set_roles(OLD_ROLES)
