"""Activity: append a case's events to the audit log, exactly once."""

from __future__ import annotations

import time

import structlog
from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.metrics import AUDIT_APPEND_SECONDS, AUDIT_APPENDS_DEDUPLICATED, AUDIT_EVENTS_APPENDED
from store.eventlog import AuditLog, ConcurrencyError, IdempotencyConflict, NewEvent

log = structlog.get_logger(__name__)


class EventRecord(BaseModel):
    event_id: str  # minted by the workflow, so a retried activity re-sends the same ids
    event_type: str
    actor: str
    policy_version: str | None
    payload: str


class AppendRequest(BaseModel):
    case_id: str
    expected_version: int
    events: list[EventRecord]


class AppendAck(BaseModel):
    version: int
    positions: list[int]
    duplicate: bool


class AuditActivities:
    def __init__(self, audit_log: AuditLog) -> None:
        self.audit_log = audit_log

    @activity.defn(name="append_events")
    def append_events(self, request: AppendRequest) -> AppendAck:
        started = time.perf_counter()
        batch = [NewEvent(e.event_id, e.event_type, e.actor, e.payload, e.policy_version) for e in request.events]
        try:
            result = self.audit_log.append(request.case_id, request.expected_version, batch)
        except (ConcurrencyError, IdempotencyConflict) as error:
            log.error("audit_append_refused", case_id=request.case_id, error=str(error))
            raise ApplicationError(str(error), type=type(error).__name__, non_retryable=True) from error
        AUDIT_APPEND_SECONDS.observe(time.perf_counter() - started)
        if result.duplicate:
            AUDIT_APPENDS_DEDUPLICATED.inc()
        else:
            for event in request.events:
                AUDIT_EVENTS_APPENDED.labels(event.event_type).inc()
        log.info(
            "audit_appended",
            case_id=request.case_id,
            version=result.version,
            events=[e.event_type for e in request.events],
            duplicate=result.duplicate,
        )
        return AppendAck(version=result.version, positions=result.positions, duplicate=result.duplicate)
