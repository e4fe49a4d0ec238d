"""Alembic environment: imports only engine.store; the URL comes from the engine's configuration."""
from __future__ import annotations

from alembic import context
import engine.store.models  # noqa: F401  (registers every table on the metadata)
from engine.store.base import Base
from engine.store.models.knowledge import is_search_object
from engine.store.session import make_engine

target_metadata = Base.metadata


def _include_name(name, type_, _parent_names) -> bool:
    """Leave the knowledge base's full-text index out of comparisons: the database's own objects (an FTS5 table on
    SQLite, a GIN expression index on PostgreSQL) that its migration creates and no model describes."""
    return not is_search_object(name, type_)


def _url() -> str:
    """The URL given by the caller (callcenter db ...), else the engine's configured database."""
    url = context.config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from engine.config import load_config
    return load_config().database_url


def run_migrations_offline() -> None:
    """Emit SQL to stdout without a database connection."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, compare_type=True, include_name=_include_name)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live connection (batch mode so SQLite can alter tables)."""
    connectable = context.config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    """Configure and run inside one transaction."""
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True, include_name=_include_name)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
