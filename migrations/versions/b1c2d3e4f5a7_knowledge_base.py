"""Knowledge base (issue 15, item 5): the category tree, articles with their validity dates and the queues and IVR
choices they are suggested for, corrections (纠错); the full-text index of the segmented text.

The full-text index is the database's own and lives outside the models (engine.store.models.knowledge names it;
migrations/env.py leaves it out of comparisons):

* SQLite: an FTS5 table `knowledge_fts` over knowledge_articles (external content: it stores only the index),
  kept in step by triggers on insert, update of the segmented columns, and delete. A later migration that rebuilds
  knowledge_articles in batch mode (copy and rename) drops these triggers and must create them again
  (create_sqlite_search below) and rebuild the index (engine.store.knowledge.rebuild_index).
* PostgreSQL: a GIN index over setweight(to_tsvector('simple', search_title), 'A') ||
  setweight(to_tsvector('simple', search_body), 'B'), the expression engine.store.knowledge searches with.

Revision ID: b1c2d3e4f5a7
Revises: a0b1c2d3e4f6
Create Date: 2026-12-07 10:12:31.402718
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = 'b1c2d3e4f5a7'
down_revision = 'a0b1c2d3e4f6'
branch_labels = None
depends_on = None


PG_VECTOR = ("(setweight(to_tsvector('simple'::regconfig, search_title), 'A'::\"char\") || "
             "setweight(to_tsvector('simple'::regconfig, search_body), 'B'::\"char\"))")
SQLITE_TRIGGERS = {
    "knowledge_fts_ai": "AFTER INSERT ON knowledge_articles BEGIN "
                        "INSERT INTO knowledge_fts (rowid, search_title, search_body) "
                        "VALUES (new.id, new.search_title, new.search_body); END",
    "knowledge_fts_ad": "AFTER DELETE ON knowledge_articles BEGIN "
                        "INSERT INTO knowledge_fts (knowledge_fts, rowid, search_title, search_body) "
                        "VALUES ('delete', old.id, old.search_title, old.search_body); END",
    "knowledge_fts_au": "AFTER UPDATE OF search_title, search_body ON knowledge_articles BEGIN "
                        "INSERT INTO knowledge_fts (knowledge_fts, rowid, search_title, search_body) "
                        "VALUES ('delete', old.id, old.search_title, old.search_body); "
                        "INSERT INTO knowledge_fts (rowid, search_title, search_body) "
                        "VALUES (new.id, new.search_title, new.search_body); END",
}


def create_sqlite_search() -> None:
    """The FTS5 index (words separated by spaces: unicode61 reads each segmented word as a token) and its triggers."""
    op.execute("CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_fts USING fts5(search_title, search_body, "
               "content='knowledge_articles', content_rowid='id', tokenize='unicode61')")
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
    op.execute("INSERT INTO knowledge_fts (knowledge_fts) VALUES ('rebuild')")


def upgrade() -> None:
    op.create_table('knowledge_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_knowledge_categories_not_own_parent')),
    sa.ForeignKeyConstraint(['parent_id'], ['knowledge_categories.id'], name=op.f('fk_knowledge_categories_parent_id_knowledge_categories'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_categories'))
    )
    with op.batch_alter_table('knowledge_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_categories_parent_id'), ['parent_id'], unique=False)

    op.create_table('knowledge_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('keywords', sa.String(length=255), nullable=False),
    sa.Column('state', sa.Enum('draft', 'published', 'retired', name='knowledge_article_state', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('search_title', sa.Text(), nullable=False),
    sa.Column('search_body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by', sa.String(length=64), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['knowledge_categories.id'], name=op.f('fk_knowledge_articles_category_id_knowledge_categories'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_articles'))
    )
    with op.batch_alter_table('knowledge_articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_articles_category_id'), ['category_id'], unique=False)
        batch_op.create_index('ix_knowledge_articles_state_category', ['state', 'category_id'], unique=False)

    op.create_table('knowledge_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('value', sa.String(length=128), nullable=False),
    sa.CheckConstraint("kind IN ('queue', 'ivr')", name=op.f('ck_knowledge_targets_kind_known')),
    sa.ForeignKeyConstraint(['article_id'], ['knowledge_articles.id'], name=op.f('fk_knowledge_targets_article_id_knowledge_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_targets')),
    sa.UniqueConstraint('article_id', 'kind', 'value', name=op.f('uq_knowledge_targets_article_id_kind_value'))
    )
    with op.batch_alter_table('knowledge_targets', schema=None) as batch_op:
        batch_op.create_index('ix_knowledge_targets_kind_value', ['kind', 'value'], unique=False)

    op.create_table('knowledge_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('article_version', sa.Integer(), nullable=False),
    sa.Column('flagged_by_id', sa.Integer(), nullable=True),
    sa.Column('flagged_by', sa.String(length=64), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('call_uuid', sa.String(length=64), nullable=True),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('handled_by', sa.String(length=64), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.CheckConstraint("state IN ('open', 'fixed', 'rejected')", name=op.f('ck_knowledge_corrections_state_known')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_knowledge_corrections_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['article_id'], ['knowledge_articles.id'], name=op.f('fk_knowledge_corrections_article_id_knowledge_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['flagged_by_id'], ['users.id'], name=op.f('fk_knowledge_corrections_flagged_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_corrections'))
    )
    with op.batch_alter_table('knowledge_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_corrections_article_id'), ['article_id'], unique=False)
        batch_op.create_index('ix_knowledge_corrections_flagged_by', ['flagged_by_id', 'created_at'], unique=False)
        batch_op.create_index('ix_knowledge_corrections_state_created', ['state', 'created_at'], unique=False)

    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        create_sqlite_search()
    elif dialect == "postgresql":
        op.execute(f"CREATE INDEX ix_knowledge_articles_search ON knowledge_articles USING gin ({PG_VECTOR})")


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS knowledge_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_knowledge_articles_search")
    with op.batch_alter_table('knowledge_corrections', schema=None) as batch_op:
        batch_op.drop_index('ix_knowledge_corrections_state_created')
        batch_op.drop_index('ix_knowledge_corrections_flagged_by')
        batch_op.drop_index(batch_op.f('ix_knowledge_corrections_article_id'))

    op.drop_table('knowledge_corrections')
    with op.batch_alter_table('knowledge_targets', schema=None) as batch_op:
        batch_op.drop_index('ix_knowledge_targets_kind_value')

    op.drop_table('knowledge_targets')
    with op.batch_alter_table('knowledge_articles', schema=None) as batch_op:
        batch_op.drop_index('ix_knowledge_articles_state_category')
        batch_op.drop_index(batch_op.f('ix_knowledge_articles_category_id'))

    op.drop_table('knowledge_articles')
    with op.batch_alter_table('knowledge_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_categories_parent_id'))

    op.drop_table('knowledge_categories')
