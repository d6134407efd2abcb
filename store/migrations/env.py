"""Alembic environment: the URL and connection come from ``store.migrate``, never from a file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
import store.campaign_models  # noqa: F401
import store.directory_models  # noqa: F401
import store.notify_models  # noqa: F401
import store.project_models  # noqa: F401

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
