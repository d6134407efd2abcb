"""Activities of the audit log: append a stream's events exactly once; verify the hash chain against the
signed checkpoints and sign a new one (store/checkpoints.py)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

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
    AUDIT_CHECKPOINT_POSITION,
    AUDIT_CHECKPOINT_WEBHOOK_FAILURES,
    AUDIT_CHECKPOINTS,
    AUDIT_EVENTS_APPENDED,
    AUDIT_LAST_CHECKPOINT,
    AUDIT_LAST_VERIFICATION,
    AUDIT_VERIFICATIONS,
    COMMAND_APPLY_SECONDS,
    ESCALATIONS,
    STAGE_DURATION_SECONDS,
)
from store.checkpoints import Anchoring, CheckpointError, post_checkpoint, sign_head, trusted_audit_keys, verify_anchored
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
    # Set by a local append (workflows/audited.py): events an earlier attempt of the same workflow task
    # stored are adopted, not refused (see ``AuditActivities._adopt``).
    adopt_earlier_attempt: bool = False


class AppendAck(BaseModel):
    version: int
    positions: list[int]
    duplicate: bool
    # The events stored for this request when they are not the ones it sent: an earlier attempt of the
    # same workflow task stored its own decision (the record); the workflow takes these instead.
    adopted: list[EventRecord] | None = None


class VerificationResult(BaseModel):
    ok: bool
    checked: int
    head_position: int
    head_hash: str
    bad_position: int | None = None
    reason: str | None = None
    # the checkpoints found and checked, and the newest position a good one anchors
    checkpoints_checked: int = 0
    anchored_position: int = 0
    checkpoint_problems: list[str] = Field(default_factory=list)  # "<file>: <what is wrong>"
    # the checkpoint this run signed (None: the verification failed, the log is empty, or no directory)
    checkpoint_file: str | None = None
    checkpoint_position: int | None = None
    checkpoint_error: str | None = None  # the checkpoint could not be written (or the webhook refused it)


class AuditActivities:
    def __init__(self, audit_log: AuditLog, anchoring: Anchoring | None = None) -> None:
        self.audit_log = audit_log
        self.anchoring = anchoring

    @activity.defn(name="verify_audit_chain")
    def verify_audit_chain(self) -> VerificationResult:
        """Walk the whole chain and every stream's versions, check every checkpoint written so far against
        it, record the result as metrics and, when all is well, sign the head into a new checkpoint
        (store/checkpoints.py) outside the database. A checkpoint that cannot be written is logged and
        counted (pdca_audit_checkpoints_total{result="failed"}), not retried: the next run writes one."""
        directories = [self.anchoring.checkpoint_dir] if self.anchoring else []
        try:
            keys = trusted_audit_keys(self.anchoring.key_dir) if self.anchoring else {}
        except CheckpointError as error:  # a broken key file: verify the chain, report the keys
            log.error("audit_keys_unreadable", error=str(error))
            keys = {}
        report = verify_anchored(self.audit_log, directories, keys)
        now = datetime.now(UTC)
        AUDIT_VERIFICATIONS.labels("ok" if report.ok else "broken").inc()
        AUDIT_CHAIN_OK.set(1 if report.ok else 0)
        AUDIT_CHAIN_VERIFIED_EVENTS.set(report.checked)
        AUDIT_LAST_VERIFICATION.set(now.timestamp())
        result = VerificationResult(
            ok=report.ok,
            checked=report.checked,
            head_position=report.head_position,
            head_hash=report.head_hash,
            bad_position=report.bad_position,
            reason=report.reason,
            checkpoints_checked=report.checkpoints_checked,
            anchored_position=report.anchored_position,
            checkpoint_problems=[f"{f.file}: {f.problem}" for f in report.failed_checkpoints],
        )
        if not report.ok:
            log.error(
                "audit_chain_broken",
                bad_position=report.bad_position,
                reason=report.reason,
                checked=report.checked,
                checkpoint_problems=result.checkpoint_problems,
            )
            return result
        if self.anchoring is not None and report.head_position > 0 and report.merkle_root is not None:
            self._checkpoint(self.anchoring, report.head_position, report.head_hash, report.merkle_root, result)
        log.info(
            "audit_verified",
            checked=report.checked,
            head_position=report.head_position,
            anchored_position=report.anchored_position,
            checkpoint_file=result.checkpoint_file,
        )
        return result

    @staticmethod
    def _checkpoint(anchoring: Anchoring, position: int, head_hash: str, merkle_root: str, result: VerificationResult) -> None:
        try:
            checkpoint, path = sign_head(anchoring, position, head_hash, merkle_root)
        except CheckpointError as error:
            AUDIT_CHECKPOINTS.labels("failed").inc()
            log.error("audit_checkpoint_failed", error=str(error))
            result.checkpoint_error = str(error)
            return
        AUDIT_CHECKPOINTS.labels("written").inc()
        AUDIT_CHECKPOINT_POSITION.set(position)
        AUDIT_LAST_CHECKPOINT.set(checkpoint.recorded.timestamp())
        result.checkpoint_file, result.checkpoint_position = str(path), position
        if anchoring.webhook:
            problem = post_checkpoint(anchoring.webhook, checkpoint)
            if problem:
                AUDIT_CHECKPOINT_WEBHOOK_FAILURES.inc()
                log.warning("audit_checkpoint_webhook_failed", error=problem, checkpoint_file=str(path))
                result.checkpoint_error = f"webhook: {problem}"

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
            adopted = self._adopt(request) if isinstance(error, IdempotencyConflict) else None
            if adopted is None:
                log.error("audit_append_refused", error=str(error))
                raise ApplicationError(str(error), type=type(error).__name__, non_retryable=True) from error
            return adopted
        AUDIT_APPEND_SECONDS.observe(time.perf_counter() - started)
        if result.duplicate:
            AUDIT_APPENDS_DEDUPLICATED.inc()
            adopted = self._adopt(request)
            if adopted is not None and adopted.version != result.version:
                return adopted  # the earlier attempt stored more events than this one decided
        else:
            self._record_metrics(request)
        log.info(
            "audit_appended",
            version=result.version,
            events=[e.event_type for e in request.events],
            duplicate=result.duplicate,
        )
        return AppendAck(version=result.version, positions=result.positions, duplicate=result.duplicate)

    def _adopt(self, request: AppendRequest) -> AppendAck | None:
        """The events an earlier attempt of the same workflow task stored, when this request is its retry.

        A local append runs inside the workflow task that decided its events; if that task fails after
        the append committed (a worker killed, the deadlock detector), the retried task decides again at
        a later ``workflow.now()``: the same event ids (``workflow.uuid4()`` is replayed) for content that
        may differ. The stream's first event after ``expected_version`` carrying this request's first
        event id proves the stored batch is that earlier attempt's (only this workflow mints that id at
        that point of its history, and only it writes its stream): those events are the record, and the
        workflow adopts them. Anything else is a real conflict (None)."""
        if not request.adopt_earlier_attempt or not request.events:
            return None
        stored = self.audit_log.read_stream(request.stream_id, after_version=request.expected_version)
        if not stored or stored[0].version != request.expected_version + 1 or stored[0].event_id != request.events[0].event_id:
            return None
        AUDIT_APPENDS_DEDUPLICATED.inc()
        log.warning("audit_append_adopted", stored=[row.event_type for row in stored], sent=[e.event_type for e in request.events])
        return AppendAck(
            version=stored[-1].version,
            positions=[row.position for row in stored],
            duplicate=True,
            adopted=[
                EventRecord(
                    event_id=row.event_id,
                    event_type=row.event_type,
                    actor=row.actor,
                    policy_version=row.policy_version,
                    payload=row.payload,
                )
                for row in stored
            ],
        )

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
