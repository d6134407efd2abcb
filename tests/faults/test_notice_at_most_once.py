"""A notice is recorded as being sent before it is sent, so a worker that dies mid-send never makes the
retry send it again (docs/notifications.md, "Crashes"): the key is left ``sending``; the next attempt
marks it ``uncertain``, counts it, does not resend, and `pdca notify status` lists it for a person.

The worker's death is a ``BaseException`` raised by the channel *after* the message went out (what a
``kill -9`` between "send" and "record" looks like to the ledger); tests/faults/test_stack_faults.py
does it with a real kill."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from activities.notify import Notifier
from observability.metrics import NOTICES
from service.notify import summarize
from store.db import make_engine
from store.migrate import downgrade, upgrade
from store.notify_models import DeliveryLedger, DeliveryStatus
from store.triggers import append_only_triggers, expected_triggers

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


class WorkerKilled(BaseException):
    """Stands for the process dying: nothing after it runs (not an ``Exception``: no handler records it)."""


class Wire:
    """A channel that records what left the machine; ``die_after_send``: the worker dies just after."""

    name = "wire"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.die_after_send = False

    def send(self, recipient: str, message: str, *, key: str, case_id: str, event_type: str) -> None:
        self.sent.append(key)
        if self.die_after_send:
            raise WorkerKilled()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def deliver(notifier: Notifier, event_id: str, recipients: list[str]) -> object:
    return notifier.deliver(
        event_id=event_id, event_type="ReminderSent", kind="rectification", case_id="rect-V001-2026",
        recipients=recipients, message="【到期提醒】…",
    )


def uncertain_count() -> float:
    return NOTICES.labels("ReminderSent", "wire", "uncertain")._value.get()


def test_a_key_is_recorded_as_sending_before_the_channel_is_called(engine: Engine) -> None:
    ledger = DeliveryLedger(engine)
    seen: list[str | None] = []

    class Peek(Wire):
        def send(self, recipient: str, message: str, *, key: str, case_id: str, event_type: str) -> None:
            row = ledger.get(key.split(":")[0], recipient, "wire")  # read through another session: committed
            seen.append(row.status if row else None)
            super().send(recipient, message, key=key, case_id=case_id, event_type=event_type)

    report = deliver(Notifier.single(Peek(), ledger), "e-1", ["chen"])
    assert seen == ["sending"]
    row = ledger.get("e-1", "chen", "wire")
    assert row is not None and row.status == "sent" and row.attempts == 1 and row.sending_by and row.sending_at
    assert report.sent == 1  # type: ignore[attr-defined]


def test_a_retry_after_a_death_mid_send_does_not_send_again_and_says_so(engine: Engine) -> None:
    ledger = DeliveryLedger(engine)
    wire = Wire()
    wire.die_after_send = True
    before = uncertain_count()
    with pytest.raises(WorkerKilled):
        deliver(Notifier.single(wire, ledger), "e-2", ["chen", "li"])  # dies after chen's copy went out
    assert ledger.get("e-2", "chen", "wire").status == "sending"  # type: ignore[union-attr]
    assert ledger.get("e-2", "li", "wire") is None

    wire.die_after_send = False
    report = deliver(Notifier.single(wire, ledger), "e-2", ["chen", "li"])  # Temporal's retry

    assert wire.sent == ["e-2:chen", "e-2:li"]  # chen's copy went out once, li's once
    assert report.uncertain == 1 and report.sent == 1 and not report.failures  # type: ignore[attr-defined]
    row = ledger.get("e-2", "chen", "wire")
    assert row is not None and row.status == DeliveryStatus.UNCERTAIN and row.attempts == 1
    assert row.last_error and "not resent" in row.last_error
    assert uncertain_count() == before + 1

    again = deliver(Notifier.single(wire, ledger), "e-2", ["chen", "li"])  # any later retry: nothing
    assert wire.sent == ["e-2:chen", "e-2:li"] and again.uncertain == 1 and again.already == 1  # type: ignore[attr-defined]


def test_notify_status_lists_uncertain_deliveries_whatever_the_window(engine: Engine) -> None:
    ledger = DeliveryLedger(engine)
    wire = Wire()
    wire.die_after_send = True
    with pytest.raises(WorkerKilled):
        deliver(Notifier.single(wire, ledger), "e-3", ["chen"])
    wire.die_after_send = False
    deliver(Notifier.single(wire, ledger), "e-3", ["chen"])

    later = datetime.now(UTC) + timedelta(days=30)  # a window that no longer holds the attempt
    data = summarize(ledger.since(later), None, later)
    assert [c["uncertain"] for c in data["channels"] if c["channel"] == "wire"] == [1]
    assert [(u["event_id"], u["recipient"]) for u in data["uncertain"]] == [("e-3", "chen")]
    assert data["uncertain"][0]["sending_by"]


def test_a_digest_cut_off_mid_send_is_not_sent_again_the_same_day(engine: Engine) -> None:
    from domain.actors import Actor

    ledger = DeliveryLedger(engine)
    wire = Wire()
    chen = Actor(id="chen", name="陈书记", roles=["branch_secretary"], channels=["wire"], digest=True)
    notifier = Notifier({"wire": wire}, {"chen": chen}, default=["wire"], ledger=ledger)
    deliver(notifier, "e-4", ["chen"])
    deliver(notifier, "e-5", ["chen"])
    assert wire.sent == []  # queued for the digest

    wire.die_after_send = True
    with pytest.raises(WorkerKilled):
        notifier.send_digests(NOW)
    wire.die_after_send = False
    result = notifier.send_digests(NOW)  # the digest workflow's retry

    assert len(wire.sent) == 1 and result.uncertain == 1 and result.digests_sent == 0
    statuses = {r.event_id: r.status for r in ledger.since(None)}
    assert statuses == {"e-4": "uncertain", "e-5": "uncertain", "digest:2026-11-23": "uncertain"}


def test_migration_0009_adds_the_columns_and_keeps_the_audit_triggers(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine, "0008")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO notice_delivery (event_id, recipient, channel, event_type, kind, case_id, status, attempts, "
                "message, created_at, updated_at) VALUES ('e', 'r', 'c', 'T', 'k', 'x', 'sent', 1, 'm', "
                "'2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')"
            )
        )
    upgrade(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("notice_delivery")}
    assert {"sending_by", "sending_at"} <= columns
    with engine.connect() as connection:
        assert append_only_triggers(connection) == expected_triggers(connection) != set()
        assert connection.execute(text("SELECT status FROM notice_delivery")).scalar_one() == "sent"  # rows kept
    downgrade(engine, "0008")
    assert "sending_by" not in {c["name"] for c in inspect(engine).get_columns("notice_delivery")}
    with engine.connect() as connection:
        assert append_only_triggers(connection) == expected_triggers(connection)
    upgrade(engine)
    engine.dispose()


def test_claim_is_committed_for_other_connections(engine: Engine) -> None:
    ledger = DeliveryLedger(engine)
    row = ledger.claim(
        event_id=str(uuid.uuid4()), recipient="chen", channel="wire", event_type="T", kind="k", case_id="c", message="m", by="test"
    )
    other = make_engine(str(engine.url))
    try:
        with other.connect() as connection:
            status = connection.execute(
                text("SELECT status FROM notice_delivery WHERE event_id = :e"), {"e": row.event_id}
            ).scalar_one()
        assert status == "sending"
    finally:
        other.dispose()
