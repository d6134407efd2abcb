"""What every audited workflow (case, project, campaign) does the same way: mint event records, append
them through the audit activity, deliver notices, publish changed search attributes, count refusals.

Workflow code (deterministic): ids from ``workflow.uuid4()``, I/O only through activities. Moving these
here changed no workflow's sequence of Temporal commands (the recorded histories still replay).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.audit import AppendRequest, AuditActivities, EventRecord, StageChange
    from activities.notify import Notice, NotifyActivities

APPEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=["ConcurrencyError", "IdempotencyConflict"],
)
NOTICE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=2), maximum_interval=timedelta(minutes=1), maximum_attempts=5)


def event_records(events: Sequence[Any], adapter: Any) -> list[EventRecord]:
    """The events as stored records; ids minted here, in order, so a retried append is stored once."""
    return [
        EventRecord(
            event_id=str(workflow.uuid4()),
            event_type=event.type,
            actor=event.actor,
            policy_version=event.policy_version,
            payload=adapter.dump_json(event).decode(),
        )
        for event in events
    ]


async def append(request: AppendRequest, timeout: timedelta = timedelta(seconds=30)) -> None:
    await workflow.execute_activity_method(
        AuditActivities.append_events, request, start_to_close_timeout=timeout, retry_policy=APPEND_RETRY
    )


async def notify(notice: Notice, log_fields: dict[str, str]) -> None:
    """Deliver one notice; a failing channel never blocks or fails the workflow (the event is audited)."""
    try:
        await workflow.execute_activity_method(
            NotifyActivities.send_notice, notice, start_to_close_timeout=timedelta(seconds=30), retry_policy=NOTICE_RETRY
        )
    except ActivityError:
        workflow.logger.warning("notice delivery failed", extra=log_fields)


def stage_change(kind: str, before: Any, after: Any) -> StageChange | None:
    """Facts for the stage-duration metric when ``after`` is in another stage than ``before``."""
    if before.stage == after.stage or before.stage_since is None or after.stage_since is None:
        return None
    return StageChange(kind=kind, left=before.stage.value, seconds=(after.stage_since - before.stage_since).total_seconds())


_UNSET = object()


def publish_changed(published: dict[str, object], updates: Iterable[SearchAttributeUpdate]) -> None:
    """Upsert only the search attributes whose value changed: each upsert is a history event."""
    changed = [u for u in updates if published.get(u.key.name, _UNSET) != u.value]
    if changed:
        workflow.upsert_search_attributes(changed)
        published.update({u.key.name: u.value for u in changed})


def count_rejection(reason: str, command: str) -> None:
    """Count a refused command on the SDK's workflow metric meter (served on the SDK metrics port,
    where the exporter adds the _total suffix: pdca_commands_rejected_total).

    Not prometheus-client: this is workflow code. The SDK's meter records only on first execution
    (never during replay), and validators run live once per request, so nothing is double counted.
    """
    workflow.metric_meter().create_counter(
        "pdca_commands_rejected", "Commands refused by the rules, by reason and command"
    ).add(1, {"reason": reason, "command": command})
