"""Service halls (province/city/county tree), routing rules, holiday overrides; hall of numbers and agents.

Named checks: hall level (enum), six-digit region code, a province has no parent, no hall is its own parent;
holiday override kind (enum); rule position not negative.

Revision ID: 4c4382d67e16
Revises: c1d2e3f4a5b6
Create Date: 2026-11-22 20:50:13.655385
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '4c4382d67e16'
down_revision = 'c1d2e3f4a5b6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('halls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('level', sa.Enum('province', 'city', 'county', name='hall_level', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('region_code', sa.String(length=6), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("level <> 'province' OR parent_id IS NULL", name=op.f('ck_halls_province_has_no_parent')),
    sa.CheckConstraint('length(region_code) = 6', name=op.f('ck_halls_region_code_six_digits')),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_halls_not_own_parent')),
    sa.ForeignKeyConstraint(['parent_id'], ['halls.id'], name=op.f('fk_halls_parent_id_halls'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_halls')),
    sa.UniqueConstraint('code', name=op.f('uq_halls_code'))
    )
    with op.batch_alter_table('halls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_halls_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_halls_region_code'), ['region_code'], unique=False)

    op.create_table('holiday_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('holiday', 'workday', name='day_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holiday_overrides')),
    sa.UniqueConstraint('date', name=op.f('uq_holiday_overrides_date'))
    )
    op.create_table('routing_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('match', sa.JSON(), nullable=False),
    sa.Column('action', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('position >= 0', name=op.f('ck_routing_rules_position_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rules')),
    sa.UniqueConstraint('name', name=op.f('uq_routing_rules_name'))
    )
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_rules_position'), ['position'], unique=False)

    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hall_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_agents_hall_id'), ['hall_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_agents_hall_id_halls'), 'halls', ['hall_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('published_numbers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hall_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_published_numbers_hall_id'), ['hall_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_published_numbers_hall_id_halls'), 'halls', ['hall_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('published_numbers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_published_numbers_hall_id_halls'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_published_numbers_hall_id'))
        batch_op.drop_column('hall_id')

    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agents_hall_id_halls'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_agents_hall_id'))
        batch_op.drop_column('hall_id')

    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_rules_position'))

    op.drop_table('routing_rules')
    op.drop_table('holiday_overrides')
    with op.batch_alter_table('halls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_halls_region_code'))
        batch_op.drop_index(batch_op.f('ix_halls_parent_id'))

    op.drop_table('halls')
