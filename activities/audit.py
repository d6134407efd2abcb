"""Activities of the audit log: append a stream's events exactly once; verify the hash chain."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import structlog
from pydantic import AliasChoices, BaseModel, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from observability.metrics import (
    ACCEPTANCE_VERDICTS,
    AUDIT_APPEND_SECONDS,
    AUDIT_APPENDS_DEDUPLICATED,
    AUDIT_CHAIN_OK,
    AUDIT_CHAIN_VERIFIED_EVENTS,
    AUDIT_EVENTS_APPENDED,
    AUDIT_LAST_VERIFICATION,
    AUDIT_VERIFICATIONS,
    COMMAND_APPLY_SECONDS,
    ESCALATIONS,
    STAGE_DURATION_SECONDS,
)
from store.eventlog import AuditLog, ConcurrencyError, IdempotencyConflict, NewEvent

log = structlog.get_logger(__name__)


class EventRecord(BaseModel):
    event_id: str  # minted by the workflow, so a retried activity re-sends the same ids
    event_type: str
    actor: str
    policy_version: str | None
    payload: str


class StageChange(BaseModel):
    """Facts for the stage-duration metric: which stage the case left, and how long it had been there."""

    kind: str
    left: str
    seconds: float


class AppendRequest(BaseModel):
    # The stream (case, project or campaign); ``case_id`` is how workers before the rename sent it.
    stream_id: str = Field(validation_alias=AliasChoices("stream_id", "case_id"))
    expected_version: int
    events: list[EventRecord]
    # For logs and metrics only (the events are the record): codes, never personal names.
    org_code: str = ""
    stage: str = ""
    stage_change: StageChange | None = None


class AppendAck(BaseModel):
    version: int
    positions: list[int]
    duplicate: bool


class VerificationResult(BaseModel):
    ok: bool
    checked: int
    head_position: int
    head_hash: str
    bad_position: int | None = None
    reason: str | None = None
    digest_file: str | None = None


class AuditActivities:
    def __init__(self, audit_log: AuditLog, digest_dir: Path | None = None) -> None:
        self.audit_log = audit_log
        self.digest_dir = digest_dir

    @activity.defn(name="verify_audit_chain")
    def verify_audit_chain(self) -> VerificationResult:
        """Walk the whole chain; record the result as metrics and, when intact, export the head digest
        to a file so the chain can be anchored outside the database."""
        report = self.audit_log.verify()
        now = datetime.now(UTC)
        AUDIT_VERIFICATIONS.labels("ok" if report.ok else "broken").inc()
        AUDIT_CHAIN_OK.set(1 if report.ok else 0)
        AUDIT_CHAIN_VERIFIED_EVENTS.set(report.checked)
        AUDIT_LAST_VERIFICATION.set(now.timestamp())
        digest_file = None
        if report.ok and self.digest_dir is not None:
            self.digest_dir.mkdir(parents=True, exist_ok=True)
            path = self.digest_dir / f"audit-digest-{now:%Y%m%dT%H%M%SZ}.json"
            record = {
                "verified_at": now.isoformat(),
                "head_position": report.head_position,
                "head_hash": report.head_hash,
                "checked": report.checked,
            }
            path.write_text(json.dumps(record) + "\n", encoding="utf-8")
            digest_file = str(path)
        if report.ok:
            log.info("audit_verified", checked=report.checked, head_position=report.head_position, digest_file=digest_file)
        else:
            log.error("audit_chain_broken", bad_position=report.bad_position, reason=report.reason, checked=report.checked)
        return VerificationResult(**report.__dict__, digest_file=digest_file)

    @activity.defn(name="append_events")
    def append_events(self, request: AppendRequest) -> AppendAck:
        with structlog.contextvars.bound_contextvars(
            workflow_id=activity.info().workflow_id,
            stream_id=request.stream_id,
            org_code=request.org_code,
            stage=request.stage,
            actor=request.events[0].actor if request.events else None,
        ):
            return self._append(request)

    def _append(self, request: AppendRequest) -> AppendAck:
        started = time.perf_counter()
        batch = [NewEvent(e.event_id, e.event_type, e.actor, e.payload, e.policy_version) for e in request.events]
        try:
            result = self.audit_log.append(request.stream_id, request.expected_version, batch)
        except (ConcurrencyError, IdempotencyConflict) as error:
            log.error("audit_append_refused", error=str(error))
            raise ApplicationError(str(error), type=type(error).__name__, non_retryable=True) from error
        AUDIT_APPEND_SECONDS.observe(time.perf_counter() - started)
        if result.duplicate:
            AUDIT_APPENDS_DEDUPLICATED.inc()
        else:
            self._record_metrics(request)
        log.info(
            "audit_appended",
            version=result.version,
            events=[e.event_type for e in request.events],
            duplicate=result.duplicate,
        )
        return AppendAck(version=result.version, positions=result.positions, duplicate=result.duplicate)

    @staticmethod
    def _record_metrics(request: AppendRequest) -> None:
        """Counted once per stored batch: a retried (deduplicated) append counts nothing."""
        decided_at = None
        for record in request.events:
            AUDIT_EVENTS_APPENDED.labels(record.event_type).inc()
            # Any kind of stream (rectification, project, campaign): read the common fields only.
            event = json.loads(record.payload)
            decided_at = decided_at or datetime.fromisoformat(event["at"])
            if record.event_type == "EscalationRaised" or (record.event_type == "SanctionProposed" and event.get("source") == "ladder"):
                ESCALATIONS.labels(event["rung"]).inc()  # the sanction rungs of the ladder are proposals
            elif record.event_type == "AcceptanceRecorded":
                ACCEPTANCE_VERDICTS.labels(event["verdict"]).inc()
        if decided_at is not None:
            kind = "timer" if request.events[0].actor == "system" else "command"
            COMMAND_APPLY_SECONDS.labels(kind).observe(max(0.0, (datetime.now(UTC) - decided_at).total_seconds()))
        if request.stage_change:
            change = request.stage_change
            STAGE_DURATION_SECONDS.labels(change.kind, change.left).observe(change.seconds)
