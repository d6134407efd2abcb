"""Create or upgrade the audit database schema with Alembic (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


# Names "the schema migration lock" for pg_advisory_xact_lock (any constant will do).
_PG_MIGRATION_LOCK = 0x5044_4D47


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Idempotent; safe when several workers start together on a fresh database."""
    config = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # DDL is transactional on PostgreSQL: hold the lock until this upgrade commits, so a
            # concurrent upgrade waits and then finds the schema already at head.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        # SQLite: every transaction here is BEGIN IMMEDIATE (store.db), which already serializes.
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
