"""Two more console roles: quality inspector (质检员) and read-only viewer.

Revision ID: 6b7c8d9e0f1a
Revises: 5a6b7c8d9e0f
Create Date: 2026-12-03 10:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '6b7c8d9e0f1a'
down_revision = '5a6b7c8d9e0f'
branch_labels = None
depends_on = None

OLD = ("admin", "supervisor", "agent")
NEW = OLD + ("quality", "viewer")
NAMES = {"quality": "质检员", "viewer": "只读查看"}


def _set_roles(values: tuple[str, ...]) -> None:
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_roles_role_code'), type_='check')
        batch_op.create_check_constraint('role_code', "code IN (%s)" % ", ".join(f"'{v}'" for v in values))


def upgrade() -> None:
    _set_roles(NEW)
    roles = sa.table('user_roles', sa.column('code', sa.String), sa.column('name', sa.String))
    for code, name in NAMES.items():
        op.execute(roles.insert().values(code=code, name=name))


def downgrade() -> None:
    op.execute("DELETE FROM user_roles WHERE code IN ('quality', 'viewer')")
    _set_roles(OLD)
