"""Agents' SIP credentials, served to FreeSWITCH through mod_xml_curl: only the digest hash (a1-hash =
md5(extension:domain:password)) is stored, never the password.

Revision ID: a9b8c7d6e5f4
Revises: f3a4b5c6d7e8
Create Date: 2026-11-22 21:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a9b8c7d6e5f4'
down_revision = 'f3a4b5c6d7e8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sip_a1_hash', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_column('sip_a1_hash')
