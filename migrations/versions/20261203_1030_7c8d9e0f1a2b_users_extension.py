"""A user's own registered extension: a supervisor listens, whispers or barges in only from it.

Revision ID: 7c8d9e0f1a2b
Revises: 6b7c8d9e0f1a
Create Date: 2026-12-03 10:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '7c8d9e0f1a2b'
down_revision = '6b7c8d9e0f1a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extension', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('extension')
