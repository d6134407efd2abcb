"""Least privilege on PostgreSQL (docs/security.md): the app runs as a role that owns nothing.

Each test gets a database of its own (``pdca_lp_<random>``) owned by a fresh owner role, and a fresh app
role; the owner migrates and grants (store/privileges.py), and the app role then does the app's work and
fails at everything that would switch the append-only protection off. Roles and database are dropped
afterwards. Skipped when the server is unreachable, except under CI (conftest.require_postgres).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from domain.actors import Actor, Role
from domain.decider import Context
from domain.policy import Policy
from domain.rectification import (
    EVENT_ADAPTER,
    INITIAL_STATE,
    Basis,
    BasisKind,
    CaseState,
    Command,
    MeasureInput,
    OpenCase,
    ProblemInput,
    SubmitPlan,
    decide,
    evolve,
)
from store.account_models import Account, get_account, save_account
from store.db import make_engine
from store.eventlog import AuditLog, NewEvent
from store.migrate import SchemaBehind, current_revision, head_revision, upgrade
from store.models import CaseSummary, MeasureLedger
from store.notify_models import DeliveryLedger, DeliveryStatus
from store.privileges import TABLE_PRIVILEGES, LeastPrivilegeError, grant_app_role, granted_app_roles, privileged_reason
from store.projections import PROJECTORS, reset_projections
from store.triggers import append_only_triggers, expected_triggers

from .conftest import POSTGRES_URL, require_postgres

pytestmark = pytest.mark.postgres

INSUFFICIENT_PRIVILEGE = "42501"


@dataclass(frozen=True)
class Roles:
    database: str
    owner: str
    app: str
    owner_url: str
    app_url: str


def _url(user: str, password: str, database: str) -> str:
    url = make_url(POSTGRES_URL).set(username=user, password=password, database=database)
    return url.render_as_string(hide_password=False)


@pytest.fixture
def roles() -> Iterator[Roles]:
    """A database owned by a new owner role, and a new app role that may only connect (no grants yet)."""
    require_postgres()
    suffix = uuid.uuid4().hex[:10]
    database, owner, app = f"pdca_lp_{suffix}", f"pdca_lp_owner_{suffix}", f"pdca_lp_app_{suffix}"
    owner_password, app_password = secrets.token_hex(12), secrets.token_hex(12)
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(owner), sql.Literal(owner_password)))
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(app), sql.Literal(app_password)))
        admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(owner)))
    try:
        yield Roles(database, owner, app, _url(owner, owner_password, database), _url(app, app_password, database))
    finally:
        assert database.startswith("pdca_lp_") and owner.startswith("pdca_lp_owner_") and app.startswith("pdca_lp_app_")
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
            # the database held everything they owned or were granted; nothing else refers to them
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(app)))
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(owner)))


@pytest.fixture
def engines(roles: Roles) -> Iterator[tuple[Engine, Engine]]:
    """(owner, app) engines on a database migrated by the owner, with the app role granted."""
    owner, app = make_engine(roles.owner_url), make_engine(roles.app_url)
    try:
        upgrade(owner, app_role=roles.app)
        yield owner, app
    finally:
        owner.dispose()
        app.dispose()


T0 = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
SUPERVISOR = Actor(id="sup-1", roles=[Role.SUPERVISOR])
SECRETARY = Actor(id="sec-1", roles=[Role.BRANCH_SECRETARY])


def open_case(org_code: str) -> OpenCase:
    return OpenCase(
        actor=SUPERVISOR, org_code=org_code, org_name="东风村党支部", region="河西镇", year=2026,
        basis=Basis(kind=BasisKind.RANKING, detail="2025年度综合考评倒排第3名", rank=3),
        problems=[ProblemInput(category="weak_leadership", description="班子不团结")],
        leaders=["lead-1"],
    )


def submit_plan() -> SubmitPlan:
    return SubmitPlan(
        actor=SECRETARY,
        measures=[
            MeasureInput(id="M1", description="调整班子分工", problems=["P1"], responsible="sec-1", deadline=date(2026, 5, 31)),
            MeasureInput(id="M2", description="发展合作社", problems=["P1"], responsible="fs-1", deadline=date(2026, 6, 30)),
        ],
        summary="整改方案",
    )


def record(log: AuditLog, state: CaseState, command: Command, at: datetime) -> CaseState:
    """Decide ``command`` and append its events to the case's stream, as the workflow does."""
    produced = decide(state, command, Context(now=at, policy=Policy()))
    new_state = state
    for e in produced:
        new_state = evolve(new_state, e)
    batch = [
        NewEvent(event_id=f"{new_state.case_id}:{state.version + i}", event_type=e.type, actor=e.actor,
                 payload=EVENT_ADAPTER.dump_json(e).decode(), policy_version=e.policy_version)
        for i, e in enumerate(produced, start=1)
    ]
    log.append(new_state.case_id, state.version, batch, now=at)
    return new_state


def events(prefix: str, count: int) -> list[NewEvent]:
    return [
        NewEvent(event_id=f"{prefix}-{i}", event_type="Noted", actor="alice", payload=f'{{"n":{i}}}', policy_version="t")
        for i in range(1, count + 1)
    ]


def sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


# --------------------------------------------------------------------------- what the app role can do


def test_the_app_role_appends_verifies_and_keeps_the_ledgers(engines: tuple[Engine, Engine]) -> None:
    _owner, app = engines
    log = AuditLog(app, PROJECTORS)

    log.append("s1", 0, events("a", 3), now=T0)
    state = record(log, INITIAL_STATE, open_case("ORG-LP"), T0 + timedelta(days=1))
    record(log, state, submit_plan(), T0 + timedelta(days=2))

    report = log.verify()
    assert (report.ok, report.checked) == (True, 5)
    with Session(app) as session:
        summary = session.get(CaseSummary, state.case_id)
        assert summary is not None and (summary.stage, summary.measures_total) == ("planning", 2)
        assert len(session.exec(select(MeasureLedger)).all()) == 2
    # `pdca audit rebuild`: the projections are deleted and re-inserted
    log.rebuild_projections(reset_projections)
    with Session(app) as session:
        assert len(session.exec(select(MeasureLedger)).all()) == 2
    with app.connect() as conn:
        assert privileged_reason(conn) is None


def test_the_app_role_keeps_its_working_data(engines: tuple[Engine, Engine]) -> None:
    """Notices, accounts and the directory: written by upsert, as the worker and the API do."""
    _owner, app = engines
    ledger = DeliveryLedger(app)
    row = ledger.record(
        event_id="e-1", recipient="sec-1", channel="log", event_type="ReminderDue", kind="reminder",
        case_id="rect-x", status=DeliveryStatus.FAILED, message="提醒", error="down",
    )
    assert row.attempts == 1
    row = ledger.record(
        event_id="e-1", recipient="sec-1", channel="log", event_type="ReminderDue", kind="reminder",
        case_id="rect-x", status=DeliveryStatus.SENT, message="提醒",
    )
    assert (row.status, row.attempts) == ("sent", 2)

    save_account(app, Account(person_id="p-1", password_hash="x", updated_at=datetime.now(UTC)))
    account = get_account(app, "p-1")
    assert account is not None
    account.failed_attempts = 3
    save_account(app, account)
    assert (get_account(app, "p-1") or account).failed_attempts == 3

    with app.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organization (code, name, level, domain, region, flags, updated_at) "
                "VALUES ('ORG-1', '东风村党支部', 'branch', 'village', '河西镇', '[]', '2026-01-01T00:00:00.000000Z')"
            )
        )
        conn.execute(text("UPDATE organization SET name = '东风村党委' WHERE code = 'ORG-1'"))


# --------------------------------------------------------------------------- what it cannot do

TAMPERING = {
    "delete": "DELETE FROM audit_event",
    "update": "UPDATE audit_event SET actor = 'mallory'",
    "truncate": "TRUNCATE audit_event",
    "drop trigger": "DROP TRIGGER audit_event_no_update_delete ON audit_event",
    "disable trigger": "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete",
    "disable all triggers": "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "replica role": "SET session_replication_role = replica",
    "replica role, local": "SET LOCAL session_replication_role = replica",
    "replica role, set_config": "SELECT set_config('session_replication_role', 'replica', true)",
    "create table": "CREATE TABLE audit_copy (position integer)",
    "drop table": "DROP TABLE audit_event",
    "drop projection": "DROP TABLE case_summary",
    "alter table": "ALTER TABLE audit_event ADD COLUMN note text",
    "take ownership": "ALTER TABLE audit_event OWNER TO CURRENT_USER",
    "replace trigger function": (
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$ BEGIN RETURN OLD; END; $$ LANGUAGE plpgsql"
    ),
    "rewind alembic": "UPDATE alembic_version SET version_num = '0001'",
    "delete a directory row": "DELETE FROM organization",
    "truncate a projection": "TRUNCATE case_summary",
}


@pytest.mark.parametrize("statement", list(TAMPERING.values()), ids=list(TAMPERING))
def test_the_app_role_cannot_change_the_record_or_switch_its_protection_off(
    engines: tuple[Engine, Engine], statement: str
) -> None:
    owner, app = engines
    AuditLog(app).append("s1", 0, events("a", 2), now=T0)

    with pytest.raises(DBAPIError) as raised, app.begin() as conn:
        conn.execute(text(statement))

    assert sqlstate(raised.value) == INSUFFICIENT_PRIVILEGE, raised.value
    with owner.connect() as conn:
        assert append_only_triggers(conn) == expected_triggers(conn)
    report = AuditLog(app).verify()
    assert (report.ok, report.checked) == (True, 2)


def test_the_app_role_cannot_become_the_owner_nor_grant_itself_more(engines: tuple[Engine, Engine], roles: Roles) -> None:
    _owner, app = engines
    with pytest.raises(DBAPIError) as raised, app.begin() as conn:
        conn.execute(text(f'SET ROLE "{roles.owner}"'))
    assert sqlstate(raised.value) == INSUFFICIENT_PRIVILEGE

    with app.begin() as conn:  # a GRANT by a role without the grant option grants nothing (a warning)
        conn.execute(text(f'GRANT DELETE ON audit_event TO "{roles.app}"'))
    with pytest.raises(DBAPIError) as raised, app.begin() as conn:
        conn.execute(text("DELETE FROM audit_event"))
    assert sqlstate(raised.value) == INSUFFICIENT_PRIVILEGE


def test_the_grants_are_exactly_the_table(engines: tuple[Engine, Engine], roles: Roles) -> None:
    _owner, app = engines
    checked = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
    with app.connect() as conn:
        tables = [r[0] for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))]
        held = {
            table: tuple(p for p in checked if conn.execute(text(f"SELECT has_table_privilege('{table}', '{p}')")).scalar_one())
            for table in tables
        }
    assert set(tables) == set(TABLE_PRIVILEGES)
    assert held == TABLE_PRIVILEGES
    assert held["audit_event"] == ("SELECT", "INSERT")


# --------------------------------------------------------------------------- start-up and migration


def _ddl_recorder(engine: Engine) -> list[str]:
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    return statements


def _ddl(statements: list[str]) -> list[str]:
    words = ("CREATE", "ALTER", "DROP", "GRANT", "REVOKE", "TRUNCATE")
    return [s for s in statements if s.lstrip().upper().startswith(words) or "pg_advisory" in s]


def test_at_head_the_app_role_starts_without_ddl(engines: tuple[Engine, Engine], roles: Roles, monkeypatch: pytest.MonkeyPatch) -> None:
    import worker

    _owner, app = engines
    statements = _ddl_recorder(app)
    upgrade(app)  # what every start-up does
    assert statements and _ddl(statements) == []

    # the worker's start-up, as the app role, with the owner URL not given to it
    monkeypatch.setenv("PDCA_DATABASE_URL", roles.app_url)
    monkeypatch.delenv("PDCA_MIGRATION_DATABASE_URL", raising=False)
    monkeypatch.delenv("PDCA_DATABASE_APP_ROLE", raising=False)
    log = worker.open_audit_log()
    try:
        log.append("s1", 0, events("w", 1))
        assert log.verify().ok
        with log.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            assert conn.execute(text("SELECT current_user")).scalar_one() == roles.app
    finally:
        log.engine.dispose()


def test_start_up_with_the_owner_url_migrates_and_grants(roles: Roles, monkeypatch: pytest.MonkeyPatch) -> None:
    import worker

    monkeypatch.setenv("PDCA_DATABASE_URL", roles.app_url)
    monkeypatch.setenv("PDCA_MIGRATION_DATABASE_URL", roles.owner_url)
    monkeypatch.setenv("PDCA_DATABASE_APP_ROLE", roles.app)
    log = worker.open_audit_log()
    try:
        log.append("s1", 0, events("w", 2))
        assert log.verify().ok
        with log.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            assert privileged_reason(conn) is None
            assert granted_app_roles(conn) == {roles.app}
    finally:
        log.engine.dispose()


def test_a_schema_behind_fails_clearly_for_the_app_role_and_a_later_upgrade_regrants(roles: Roles) -> None:
    owner, app = make_engine(roles.owner_url), make_engine(roles.app_url)
    try:
        upgrade(owner, "0005", app_role=roles.app)  # before sanction_ledger (0006) and account (0007)
        statements = _ddl_recorder(app)

        with pytest.raises(SchemaBehind, match=r"pdca migrate.*PDCA_MIGRATION_DATABASE_URL") as raised:
            upgrade(app)
        assert "0005" in raised.value.message and head_revision() in raised.value.message
        assert [s for s in _ddl(statements) if "pg_advisory" not in s]  # it tried, and PostgreSQL refused

        upgrade(owner)  # no app role named: the roles granted before are granted the new tables
        with app.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM sanction_ledger")).scalar_one() == 0
            assert conn.execute(text("SELECT count(*) FROM account")).scalar_one() == 0
            assert conn.execute(text("SELECT has_table_privilege('audit_event', 'DELETE')")).scalar_one() is False
        upgrade(app)  # now current: nothing to do
    finally:
        owner.dispose()
        app.dispose()


def test_a_role_that_could_switch_the_protection_off_is_refused_as_app_role(roles: Roles) -> None:
    owner = make_engine(roles.owner_url)
    try:
        upgrade(owner)
        with owner.begin() as conn:
            with pytest.raises(LeastPrivilegeError, match="migrating"):
                grant_app_role(conn, roles.owner)
            with pytest.raises(LeastPrivilegeError, match="does not exist"):
                grant_app_role(conn, "pdca_lp_nobody_" + uuid.uuid4().hex[:8])
            with pytest.raises(LeastPrivilegeError, match="superuser"):
                grant_app_role(conn, "postgres")
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(roles.owner), sql.Identifier(roles.app)))
        with owner.begin() as conn, pytest.raises(LeastPrivilegeError, match="member of the owner"):
            grant_app_role(conn, roles.app)
        with owner.connect() as conn:
            assert privileged_reason(conn) == "owner of audit_event"
    finally:
        owner.dispose()


def test_pdca_migrate_as_owner_then_the_cli_reads_as_the_app_role(
    roles: Roles, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from cli.main import app as pdca

    monkeypatch.setenv("PDCA_HOME", str(tmp_path))
    monkeypatch.setenv("PDCA_DATABASE_URL", roles.app_url)
    monkeypatch.setenv("PDCA_MIGRATION_DATABASE_URL", roles.owner_url)
    runner = CliRunner()

    migrated = runner.invoke(pdca, ["migrate", "--app-role", roles.app])
    assert migrated.exit_code == 0, migrated.output
    assert "app role" in migrated.output and roles.owner in migrated.output
    assert str(make_url(roles.owner_url).password) not in migrated.output  # the password is masked

    monkeypatch.delenv("PDCA_MIGRATION_DATABASE_URL")
    for command in (["case", "list"], ["audit", "rebuild"]):  # a read; the ledgers rebuilt (DELETE + INSERT)
        done = runner.invoke(pdca, command)
        assert done.exit_code == 0, (command, done.output)

    # `pdca migrate` as the app role (no owner URL): refused, naming what to do
    refused = runner.invoke(pdca, ["migrate", "--app-role", roles.app])
    assert refused.exit_code != 0
    assert "least-privileged" in refused.output and "migrating (owner) role itself" in refused.output
