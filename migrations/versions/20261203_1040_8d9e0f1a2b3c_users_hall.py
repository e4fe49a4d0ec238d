"""Every user belongs to a hall and sees and changes only that hall's subtree; no hall: every hall.

Revision ID: 8d9e0f1a2b3c
Revises: 7c8d9e0f1a2b
Create Date: 2026-12-03 10:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '8d9e0f1a2b3c'
down_revision = '7c8d9e0f1a2b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hall_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_hall_id'), ['hall_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_hall_id_halls'), 'halls', ['hall_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_hall_id_halls'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_users_hall_id'))
        batch_op.drop_column('hall_id')
