"""Create or upgrade the audit database schema with Alembic (no alembic.ini needed).

On PostgreSQL the schema is the owner role's (``PDCA_MIGRATION_DATABASE_URL``); the application runs as
an app role that may not run DDL (store/privileges.py). So ``upgrade`` does nothing when the schema is
already at head (no lock, no DDL: what the worker does at start-up as the app role), re-grants the app
roles after an upgrade, and turns "permission denied" into ``SchemaBehind`` naming the command to run.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from settings.errors import InputError

MIGRATIONS = Path(__file__).parent / "migrations"

_INSUFFICIENT_PRIVILEGE = "42501"  # SQLSTATE


class SchemaBehind(InputError):
    """The schema is older than the code and this connection may not upgrade it (the app role)."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    """The database's revision (None: never migrated). Needs only SELECT on alembic_version."""
    return MigrationContext.configure(connection).get_current_revision()


# Names "the schema migration lock" for pg_advisory_xact_lock (any constant will do).
_PG_MIGRATION_LOCK = 0x5044_4D47


def upgrade(engine: Engine, revision: str = "head", app_role: str | None = None) -> None:
    """Idempotent; safe when several workers start together on a fresh database.

    At head already (and no ``app_role`` to grant): returns without DDL or lock. Otherwise migrates; on
    PostgreSQL then grants ``app_role`` and re-grants every app role granted before
    (store.privileges.grant_app_role), in the same transaction. A connection without the right to
    migrate (the app role) raises ``SchemaBehind``."""
    from store.privileges import grant_app_role, granted_app_roles

    config = alembic_config()
    with engine.begin() as connection:
        before = current_revision(connection)
        if revision == "head" and app_role is None and before == head_revision():
            return
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            # DDL is transactional on PostgreSQL: hold the lock until this upgrade commits, so a
            # concurrent upgrade waits and then finds the schema already at head.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        # SQLite: every transaction here is BEGIN IMMEDIATE (store.db), which already serializes.
        config.attributes["connection"] = connection
        user = connection.exec_driver_sql("SELECT current_user").scalar_one() if postgres else None
        try:
            command.upgrade(config, revision)
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) != _INSUFFICIENT_PRIVILEGE:
                raise
            raise SchemaBehind(
                f"审计库结构落后 the audit database schema is behind (at {before or 'nothing'}, this code needs "
                f"{head_revision()}) and role {user!r} may not change it: run `pdca migrate` with the owner URL "
                "(PDCA_MIGRATION_DATABASE_URL)"
            ) from None
        if postgres and (app_role is not None or current_revision(connection) != before):
            for role in sorted(granted_app_roles(connection) | ({app_role} if app_role else set())):
                grant_app_role(connection, role)


def downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
