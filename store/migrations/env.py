"""Alembic environment: the URL and connection come from ``store.migrate``, never from a file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import store.migrations.env_models  # noqa: F401  (registers every table on SQLModel.metadata)

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
