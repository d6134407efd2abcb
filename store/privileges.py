"""Least privilege on PostgreSQL: what the application's role may do, table by table (docs/security.md).

The append-only triggers on ``audit_event`` (store/triggers.py) bind everyone except a superuser, who
can ``SET session_replication_role = replica``, and the tables' owner, who can ``DROP TRIGGER`` or
``ALTER TABLE … DISABLE TRIGGER``. So the worker, the API and the CLI's reads run as an *app role* that
owns nothing and holds only the grants below; migrations run as the *owner role* (the one that creates
the tables: ``PDCA_MIGRATION_DATABASE_URL``), which then calls ``grant_app_role`` in the same
transaction, so a table added by a later migration is granted when it appears.

    grant_app_role(connection, "pdca_app")   # run as the owner, after the upgrade (store.migrate.upgrade)
    granted_app_roles(connection)            # roles already granted (re-granted after every upgrade)
    privileged_reason(connection)            # why the connected role could switch the protection off, or None

``TABLE_PRIVILEGES`` is decided from the code that writes each table; every table of the schema must be
listed (tests/unit/test_privileges.py), and a table that is not gets SELECT only, so a forgotten grant
fails loudly instead of giving away DELETE. SQLite has no roles: nothing here applies to it.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from settings.errors import InputError

__all__ = [
    "TABLE_PRIVILEGES",
    "LeastPrivilegeError",
    "grant_app_role",
    "granted_app_roles",
    "privileged_reason",
]

_READ = ("SELECT",)
_APPEND = ("SELECT", "INSERT")
_UPSERT = ("SELECT", "INSERT", "UPDATE")
_REWRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")  # projections: rows changed in place, or deleted and re-inserted

TABLE_PRIVILEGES: dict[str, tuple[str, ...]] = {
    # the record: appended to and read, never changed (no UPDATE, DELETE, TRUNCATE)
    "audit_event": _APPEND,
    # Alembic's revision: read at start-up to check the schema is current; only the owner moves it
    "alembic_version": _READ,
    # projections (store/projections.py, campaign_projection.py, project_projection.py): rebuilt with
    # DELETE + INSERT (`pdca audit rebuild`); every append inserts, updates and deletes its stream's rows
    "case_summary": _REWRITE,
    "measure_ledger": _REWRITE,
    "problem_ledger": _REWRITE,
    "sanction_ledger": _REWRITE,
    "campaign_summary": _REWRITE,
    "campaign_case": _REWRITE,
    "project_summary": _REWRITE,
    "project_milestone": _REWRITE,
    "inspection_summary": _REWRITE,  # store/inspections.py
    "inspection_finding": _REWRITE,
    "rating_summary": _REWRITE,  # store/ratings.py
    # working data written by upsert, never deleted by the code
    "organization": _UPSERT,  # store/directory.py: organization import
    "assessment": _UPSERT,  # store/directory.py: assessment import and rankings
    "notice_delivery": _UPSERT,  # store/notify_models.py: one row per notice, status updated
    "account": _UPSERT,  # store/account_models.py, service/signin.py: password hash, TOTP, lock-out
    "pairing_unit": _UPSERT,  # store/pairings.py: pairing-unit import
    "pairing_link": _REWRITE,  # store/pairings.py: a re-imported unit's organizations replace its old ones
    "standard_result": _REWRITE,  # store/standards.py: a year's standard results, replaced on re-import
}

_ALL = "SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"


class LeastPrivilegeError(InputError):
    """The app role cannot be made least-privileged (it does not exist, is a superuser, owns the tables …)."""


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(name)


def _tables(connection: Connection) -> list[str]:
    rows = connection.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    )
    return [row[0] for row in rows]


def app_role_problems(connection: Connection, role: str) -> list[str]:
    """Why ``role`` cannot serve as the app role here (empty: it can)."""
    found = connection.execute(
        text("SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).first()
    if found is None:
        return [f"role {role!r} does not exist: CREATE ROLE {role} LOGIN PASSWORD '…' (as a superuser) first"]
    problems = []
    superuser, createrole, bypassrls = found
    if superuser:
        problems.append(f"role {role!r} is a superuser: it can SET session_replication_role = replica")
    if createrole:
        problems.append(f"role {role!r} has CREATEROLE: it could grant itself the owner's membership")
    if bypassrls:
        problems.append(f"role {role!r} has BYPASSRLS")
    current = connection.execute(text("SELECT current_user")).scalar_one()
    if role == current:
        problems.append(f"role {role!r} is the migrating (owner) role itself")
    else:
        member = connection.execute(
            text("SELECT pg_has_role(:role, current_user, 'MEMBER')"), {"role": role}
        ).scalar_one()
        if member:
            problems.append(f"role {role!r} is a member of the owner role {current!r}: it inherits DROP TRIGGER")
    can_create = connection.execute(
        text("SELECT has_schema_privilege(:role, current_schema(), 'CREATE')"), {"role": role}
    ).scalar_one()
    if can_create:
        problems.append(
            f"role {role!r} may CREATE in schema {_schema(connection)!r} (PostgreSQL < 15 grants it to PUBLIC): "
            f"REVOKE CREATE ON SCHEMA {_schema(connection)} FROM PUBLIC (as the schema's owner or a superuser)"
        )
    if connection.dialect.server_version_info and connection.dialect.server_version_info >= (15,):
        may_set = connection.execute(
            text("SELECT has_parameter_privilege(:role, 'session_replication_role', 'SET')"), {"role": role}
        ).scalar_one()
        if may_set:
            problems.append(f"role {role!r} was granted SET on session_replication_role")
    return problems


def _schema(connection: Connection) -> str:
    return str(connection.execute(text("SELECT current_schema()")).scalar_one())


def grant_app_role(connection: Connection, role: str) -> dict[str, tuple[str, ...]]:
    """Give ``role`` exactly ``TABLE_PRIVILEGES`` on every table of the current schema (revoking anything
    else it held there), USAGE on the schema and its sequences; the grants made, by table.

    Run as the tables' owner, inside the migration's transaction. Raises ``LeastPrivilegeError`` when the
    role could switch the append-only protection off anyway (superuser, member of the owner, …)."""
    if connection.dialect.name != "postgresql":
        return {}
    problems = app_role_problems(connection, role)
    if problems:
        raise LeastPrivilegeError(
            "应用角色不满足最小权限 the app role is not least-privileged: " + "; ".join(problems)
        )
    who, schema = _quote(connection, role), _quote(connection, _schema(connection))
    connection.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {who}")
    connection.exec_driver_sql(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {who}")
    granted: dict[str, tuple[str, ...]] = {}
    for table in _tables(connection):
        privileges = TABLE_PRIVILEGES.get(table, _READ)
        name = f"{schema}.{_quote(connection, table)}"
        connection.exec_driver_sql(f"REVOKE {_ALL} ON {name} FROM {who}")
        connection.exec_driver_sql(f"GRANT {', '.join(privileges)} ON {name} TO {who}")
        granted[table] = privileges
    return granted


def granted_app_roles(connection: Connection) -> set[str]:
    """Roles other than the owner (and PUBLIC) holding INSERT on ``audit_event``: the app roles granted
    before, re-granted after an upgrade so the tables it adds reach them too."""
    if connection.dialect.name != "postgresql":
        return set()
    exists = connection.execute(text("SELECT to_regclass('audit_event')")).scalar_one()
    if exists is None:
        return set()
    rows = connection.execute(
        text(
            "SELECT DISTINCT r.rolname FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a "
            "JOIN pg_roles r ON r.oid = a.grantee "
            "WHERE c.oid = 'audit_event'::regclass AND a.privilege_type = 'INSERT' AND a.grantee <> c.relowner"
        )
    )
    return {row[0] for row in rows}


def privileged_reason(connection: Connection) -> str | None:
    """Why the connected role could switch the append-only protection off (superuser, owner of
    ``audit_event`` or member of its owner, DELETE/UPDATE/TRUNCATE granted), or None: it could not.
    SQLite: None (it has no roles; its triggers fall to DROP TRIGGER whoever connects)."""
    if connection.dialect.name != "postgresql":
        return None
    superuser = connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar_one_or_none()
    if superuser:
        return "superuser"
    row = connection.execute(
        text(
            "SELECT pg_has_role(current_user, c.relowner, 'MEMBER'), "
            "has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'UPDATE') "
            "OR has_table_privilege(c.oid, 'TRUNCATE') "
            "FROM pg_class c WHERE c.oid = to_regclass('audit_event')"
        )
    ).first()
    if row is None:
        return None
    owner, rewrite = row
    if owner:
        return "owner of audit_event"
    if rewrite:
        return "may DELETE, UPDATE or TRUNCATE audit_event"
    return None
