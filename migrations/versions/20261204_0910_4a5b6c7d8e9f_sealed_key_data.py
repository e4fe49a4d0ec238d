"""Key data sealed in the database (engine.store.sealed): the columns that hold caller numbers, collected IVR data,
remote agents' numbers, SIP digest hashes and CDR variables get the width of their sealed form; the call-event
log gets a sealed `private` part for what identifies the caller (name, collected data, a number transferred to),
which until now was in its `detail`.

The values themselves are sealed by `callcenter db upgrade` right after the migrations (engine.store.resealing:
it needs the keys, which migrations do not see); until then a clear value is read as it is.

Revision ID: 4a5b6c7d8e9f
Revises: 9e0f1a2b3c4d
Create Date: 2026-12-04 09:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '4a5b6c7d8e9f'
down_revision = '9e0f1a2b3c4d'
branch_labels = None
depends_on = None

# table -> [(column, clear type, sealed type, nullable)]; sealed widths: engine.store.sealed.sealed_length
_SEALED_64 = sa.String(length=310)
_COLUMNS = {
    'call_records': [('ani', sa.String(64), _SEALED_64, False), ('dnis', sa.String(64), _SEALED_64, False)],
    'call_events': [('ani', sa.String(64), _SEALED_64, False), ('dnis', sa.String(64), _SEALED_64, False)],
    'recordings': [('ani', sa.String(64), _SEALED_64, False), ('dnis', sa.String(64), _SEALED_64, False)],
    'voicemails': [('ani', sa.String(64), _SEALED_64, False), ('dnis', sa.String(64), _SEALED_64, False)],
    'callbacks': [('number', sa.String(64), _SEALED_64, False)],
    'agent_requests': [('argument', sa.String(64), _SEALED_64, True)],
    'agents': [('sip_a1_hash', sa.String(32), sa.String(length=182), True),
               ('remote_number', sa.String(32), sa.String(length=182), True)],
}


def _alter(to_sealed: bool) -> None:
    for table, columns in _COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name, clear, sealed, nullable in columns:
                batch.alter_column(name, existing_type=clear if to_sealed else sealed,
                                   type_=sealed if to_sealed else clear, existing_nullable=nullable)


def upgrade() -> None:
    _alter(True)
    with op.batch_alter_table('call_events') as batch:
        batch.add_column(sa.Column('private', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    # values must be opened first (`callcenter data unseal`), or they no longer fit the clear widths
    with op.batch_alter_table('call_events') as batch:
        batch.drop_column('private')
    _alter(False)
