"""Append-only enforcement inside the database itself, for SQLite and PostgreSQL.

Kept apart from the migration that first creates them: an Alembic batch migration on SQLite
re-creates the table and silently drops its triggers, so any such migration must call
``create_append_only_triggers`` again (and the tests check they exist after ``upgrade``).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

SQLITE_TRIGGERS = {
    "audit_event_no_update": "UPDATE",
    "audit_event_no_delete": "DELETE",
}
PG_TRIGGERS = ("audit_event_no_update_delete", "audit_event_no_truncate")


def create_append_only_triggers(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for name, operation in SQLITE_TRIGGERS.items():
            conn.execute(
                text(
                    f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {operation} ON audit_event "
                    f"BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: {operation} refused'); END"
                )
            )
        return
    conn.execute(
        text(
            """
            CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
    )
    conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update_delete ON audit_event"))
    conn.execute(text("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event"))
    conn.execute(
        text(
            "CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
    )
    conn.execute(
        text(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
    )


def drop_append_only_triggers(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        return
    for name in PG_TRIGGERS:
        conn.execute(text(f"DROP TRIGGER IF EXISTS {name} ON audit_event"))
    conn.execute(text("DROP FUNCTION IF EXISTS audit_event_append_only()"))


def append_only_triggers(conn: Connection) -> set[str]:
    """Names of the append-only triggers present on audit_event."""
    if conn.dialect.name == "sqlite":
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_event'"))
        return {row[0] for row in rows} & set(SQLITE_TRIGGERS)
    rows = conn.execute(
        text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass AND NOT tgisinternal")
    )
    return {row[0] for row in rows} & set(PG_TRIGGERS)


def expected_triggers(conn: Connection) -> set[str]:
    return set(SQLITE_TRIGGERS) if conn.dialect.name == "sqlite" else set(PG_TRIGGERS)
