"""API tokens scoped to a hall (issue 13 item 5, R-CTI-8): a token acts either for one agent or for a hall, whose
CRM names on each request (`X-Agent`) the agent of the hall's subtree it drives. Exactly one of agent_id and hall_id
is set.

The downgrade deletes the hall tokens (an agent token cannot stand for them) before agent_id is NOT NULL again.

Revision ID: 3f4a5b6c7d8e
Revises: 5b6c7d8e9f0a
Create Date: 2026-12-04 09:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '3f4a5b6c7d8e'
down_revision = '5b6c7d8e9f0a'
branch_labels = None
depends_on = None

_ONE_OF = "(agent_id IS NOT NULL AND hall_id IS NULL) OR (agent_id IS NULL AND hall_id IS NOT NULL)"


def upgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hall_id', sa.Integer(), nullable=True))
        batch_op.alter_column('agent_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_api_tokens_hall_id'), ['hall_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_api_tokens_hall_id_halls'), 'halls', ['hall_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_check_constraint('agent_or_hall', _ONE_OF)


def downgrade() -> None:
    op.execute("DELETE FROM api_tokens WHERE agent_id IS NULL")
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_api_tokens_agent_or_hall'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_api_tokens_hall_id_halls'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_api_tokens_hall_id'))
        batch_op.drop_column('hall_id')
        batch_op.alter_column('agent_id', existing_type=sa.Integer(), nullable=False)
