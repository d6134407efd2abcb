"""The notice_delivery migration on SQLite and PostgreSQL; the ledger's once-only rule."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import inspect

from store.db import make_engine
from store.migrate import downgrade, upgrade
from store.notify_models import DeliveryLedger, DeliveryStatus

COLUMNS = {
    "event_id", "recipient", "channel", "event_type", "kind", "case_id", "status", "attempts",
    "last_error", "message", "digest_id", "created_at", "updated_at", "sent_at",
    "sending_by", "sending_at",  # 0009: who claimed a key before sending it
}


def check_schema(engine) -> None:  # type: ignore[no-untyped-def]
    inspector = inspect(engine)
    assert "notice_delivery" in inspector.get_table_names()
    assert {c["name"] for c in inspector.get_columns("notice_delivery")} == COLUMNS
    assert inspector.get_pk_constraint("notice_delivery")["constrained_columns"] == ["event_id", "recipient", "channel"]
    assert {i["name"] for i in inspector.get_indexes("notice_delivery")} >= {
        "ix_notice_delivery_channel_status",
        "ix_notice_delivery_status_recipient",
    }


def exercise(engine) -> None:  # type: ignore[no-untyped-def]
    ledger = DeliveryLedger(engine)
    key = {
        "event_id": "e1",
        "recipient": "chen.branch",
        "channel": "oa",
        "event_type": "ReminderSent",
        "kind": "rectification",
        "case_id": "rect-V001-2026",
        "message": "【到期提醒】…",
    }
    ledger.record(**key, status=DeliveryStatus.FAILED, error="HTTP 500")
    ledger.record(**key, status=DeliveryStatus.SENT)
    after = ledger.record(**key, status=DeliveryStatus.FAILED, error="late duplicate")  # never un-sends
    assert after.status == "sent" and after.attempts == 2 and after.last_error is None and after.sent_at is not None


def test_migration_creates_the_table_on_sqlite(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade(engine)
    check_schema(engine)
    exercise(engine)
    downgrade(engine, "0003")
    assert "notice_delivery" not in inspect(engine).get_table_names()
    upgrade(engine)
    check_schema(engine)


@pytest.mark.postgres
def test_migration_creates_the_table_on_postgresql() -> None:
    from tests.integration.conftest import POSTGRES_URL, SCHEMA_PREFIX, require_postgres

    require_postgres()
    import psycopg
    from psycopg import sql

    schema = f"{SCHEMA_PREFIX}{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    engine = make_engine(f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}options=-csearch_path%3D{schema}")
    try:
        upgrade(engine)
        check_schema(engine)
        exercise(engine)
    finally:
        engine.dispose()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
