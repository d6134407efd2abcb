"""A local append retried by a *retried workflow task* (activities/audit.py ``_adopt``).

The append runs inside the workflow task that decided its events (``append-local-v1``). If that task fails
after the append committed (worker killed, deadlock detector), the retried task decides again at a later
``workflow.now()``: the same event ids for content that may differ. Found in a 10,000-case run, where it
refused a campaign's approval with "event id … was already used for different content". The stored batch
is the record: the workflow adopts it. Only a request whose first event id is the stream's next stored
event is adopted; anything else stays a conflict."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.audit import AppendRequest, AuditActivities, EventRecord
from store.eventlog import AuditLog
from worker import open_audit_log

STREAM = "adopt-test-1"  # a stream no projector owns: these payloads are not case events


def record(event_id: str, event_type: str, at: str) -> EventRecord:
    payload = json.dumps({"type": event_type, "at": at, "actor": "system"})
    return EventRecord(event_id=event_id, event_type=event_type, actor="system", policy_version=None, payload=payload)


def request(events: list[EventRecord], expected: int = 0, adopt: bool = True) -> AppendRequest:
    return AppendRequest(stream_id=STREAM, expected_version=expected, events=events, adopt_earlier_attempt=adopt)


@pytest.fixture
def audit(tmp_path: Path) -> AuditActivities:
    return AuditActivities(open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}"))


def append(audit: AuditActivities, req: AppendRequest) -> object:
    return ActivityEnvironment().run(audit.append_events, req)


def stored(log: AuditLog) -> list[tuple[str, str, str]]:
    return [(row.event_id, row.event_type, row.payload) for row in log.read_stream(STREAM)]


def test_a_retried_task_adopts_the_batch_its_failed_attempt_stored(audit: AuditActivities) -> None:
    ids = [uuid.uuid4().hex, uuid.uuid4().hex]
    first = [record(ids[0], "PlanSubmitted", "2026-03-02T10:00:00.100000Z"), record(ids[1], "ReminderSent", "2026-03-02T10:00:00.100000Z")]
    append(audit, request(first))
    before = stored(audit.audit_log)
    # the retried task decided at a later now(): same ids, other content (and here one event fewer)
    retry = [record(ids[0], "PlanSubmitted", "2026-03-02T10:00:03.900000Z")]
    ack = append(audit, request(retry))
    assert ack.adopted == first and ack.version == 2 and ack.duplicate  # type: ignore[attr-defined]
    assert stored(audit.audit_log) == before  # nothing written, nothing changed
    assert audit.audit_log.verify().ok


def test_a_retry_of_the_same_content_that_decided_fewer_events_adopts_the_whole_batch(audit: AuditActivities) -> None:
    ids = [uuid.uuid4().hex, uuid.uuid4().hex]
    first = [record(ids[0], "PlanSubmitted", "2026-03-02T10:00:00Z"), record(ids[1], "ReminderSent", "2026-03-02T10:00:00Z")]
    append(audit, request(first))
    ack = append(audit, request(first[:1]))  # the first event identical: a plain duplicate, but the stream is at 2
    assert ack.adopted == first and ack.version == 2  # type: ignore[attr-defined]


def test_a_plain_retry_is_a_duplicate_without_adoption(audit: AuditActivities) -> None:
    first = [record(uuid.uuid4().hex, "PlanSubmitted", "2026-03-02T10:00:00Z")]
    append(audit, request(first))
    ack = append(audit, request(first))
    assert ack.duplicate and ack.adopted is None and ack.version == 1  # type: ignore[attr-defined]


def test_without_the_flag_or_with_a_stranger_first_id_it_stays_a_conflict(audit: AuditActivities) -> None:
    ids = [uuid.uuid4().hex, uuid.uuid4().hex]
    at = "2026-03-02T10:00:00Z"
    append(audit, request([record(ids[0], "PlanSubmitted", at), record(ids[1], "ReminderSent", at)]))
    changed = [record(ids[0], "PlanSubmitted", "2026-03-02T10:00:09Z")]
    with pytest.raises(ApplicationError) as refused:
        append(audit, request(changed, adopt=False))  # a regular activity's retry re-sends what history holds
    assert refused.value.type == "IdempotencyConflict"
    # an id of the batch, but not its first: not this task's attempt at this point
    with pytest.raises(ApplicationError) as refused:
        append(audit, request([record(ids[1], "ReminderSent", "2026-03-02T10:00:09Z")]))
    assert refused.value.type == "IdempotencyConflict"
    # a new id at a version already taken: a concurrency error, never adopted
    with pytest.raises(ApplicationError) as refused:
        append(audit, request([record(uuid.uuid4().hex, "PlanSubmitted", "2026-03-02T10:00:09Z")]))
    assert refused.value.type == "ConcurrencyError"
