"""Agents: the on_hold state (the caller is on hold; the agent still owns the call).

Revision ID: c1d2e3f4a5b6
Revises: 7466e64160e6
Create Date: 2026-11-22 20:45:00
"""
from __future__ import annotations

from alembic import op

revision = 'c1d2e3f4a5b6'
down_revision = '7466e64160e6'
branch_labels = None
depends_on = None

OLD = ("logged_out", "ready", "not_ready", "reserved", "talking", "wrap_up")
NEW = OLD + ("on_hold",)
COLUMNS = (("agents", "state", "agent_state"), ("agent_state_changes", "from_state", "from_state"),
           ("agent_state_changes", "to_state", "to_state"))


def _set(values: tuple[str, ...]) -> None:
    for table, column, name in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
            batch_op.create_check_constraint(name, "%s IN (%s)" % (column, ", ".join(f"'{v}'" for v in values)))


def upgrade() -> None:
    _set(NEW)


def downgrade() -> None:
    op.execute("UPDATE agents SET state = 'talking' WHERE state = 'on_hold'")
    op.execute("UPDATE agent_state_changes SET from_state = 'talking' WHERE from_state = 'on_hold'")
    op.execute("UPDATE agent_state_changes SET to_state = 'talking' WHERE to_state = 'on_hold'")
    _set(OLD)
