"""Queues and agent groups may belong to a hall (issue 13, R-ADM-1/R-ADM-4): a hall's own staff change only their
halls' queues and teams; those without a hall are the centre's, seen by everyone, changed by the centre's staff.

Revision ID: 6c7d8e9f0a1b
Revises: 3f4a5b6c7d8e
Create Date: 2026-12-04 09:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '6c7d8e9f0a1b'
down_revision = '3f4a5b6c7d8e'
branch_labels = None
depends_on = None

_TABLES = ('queues', 'agent_groups')


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('hall_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_hall_id'), ['hall_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_hall_id_halls'), 'halls', ['hall_id'], ['id'],
                                        ondelete='SET NULL')


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_hall_id_halls'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_hall_id'))
            batch_op.drop_column('hall_id')
