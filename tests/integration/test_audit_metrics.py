"""The audit activity counts what it stores: escalation rungs include the ladder's sanction proposals
(not the memory rules' proposals, which are not rungs of a ladder), and a deduplicated retry counts nothing."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from prometheus_client import REGISTRY
from temporalio.testing import ActivityEnvironment

from activities.audit import AppendRequest, AuditActivities, EventRecord
from worker import open_audit_log


def sample(rung: str) -> float:
    return REGISTRY.get_sample_value("pdca_escalations_total", {"rung": rung}) or 0.0


def record(event_type: str, **fields: object) -> EventRecord:
    payload = {"at": "2027-05-06T10:00:00Z", "actor": "system", "type": event_type, **fields}
    return EventRecord(event_id=uuid.uuid4().hex, event_type=event_type, actor="system", policy_version="p", payload=json.dumps(payload))


def test_escalations_count_rungs_and_ladder_proposals_once(tmp_path: Path) -> None:
    audit = AuditActivities(open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}"))
    before = {r: sample(r) for r in ("reminder_talk", "admonishment_talk", "personnel_adjustment")}
    events = [
        record("EscalationRaised", rung="reminder_talk"),
        record("SanctionProposed", rung="admonishment_talk", source="ladder"),
        record("SanctionProposed", rung="personnel_adjustment", source="memory"),
    ]
    # A stream no projector folds: the counting is what is under test, not the events' shapes.
    request = AppendRequest(case_id="metrics-probe", expected_version=0, events=events)
    env = ActivityEnvironment()
    env.run(audit.append_events, request)
    env.run(audit.append_events, request)  # a retried activity: stored once, counted once
    assert sample("reminder_talk") == before["reminder_talk"] + 1
    assert sample("admonishment_talk") == before["admonishment_talk"] + 1
    assert sample("personnel_adjustment") == before["personnel_adjustment"]
