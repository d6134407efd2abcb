"""Temporal Schedules the product runs on its own (created idempotently by `pdca up` or `pdca audit schedule`)."""

from __future__ import annotations

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleRange,
    ScheduleSpec,
)

from workflows.audit_verification import SCHEDULE_ID, AuditVerificationWorkflow

TIME_ZONE = "Asia/Shanghai"


async def ensure_audit_verification(client: Client, task_queue: str, hour: int = 2) -> bool:
    """Verify the hash chain every day at ``hour``:00 Beijing time. True if created, False if it existed."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(AuditVerificationWorkflow.run, id=f"{SCHEDULE_ID}-run", task_queue=task_queue),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(hour)], comment="daily hash-chain verification")],
            time_zone_name=TIME_ZONE,
        ),
    )
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True


async def ensure_digest_schedule(client: Client, task_queue: str, hour: int = 17, minute: int = 0) -> bool:
    """Send the daily notice digests at ``hour:minute`` Beijing time. The schedule fires every day; the
    workflow itself skips days that are not working days (so make-up workdays 调休 are covered).
    True if created, False if it existed."""
    from workflows.digest import SCHEDULE_ID as DIGEST_SCHEDULE_ID
    from workflows.digest import DigestInput, NotificationDigestWorkflow

    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            NotificationDigestWorkflow.run, DigestInput(), id=f"{DIGEST_SCHEDULE_ID}-run", task_queue=task_queue
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    hour=[ScheduleRange(hour)], minute=[ScheduleRange(minute)], comment="daily notice digest (working days)"
                )
            ],
            time_zone_name=TIME_ZONE,
        ),
    )
    try:
        await client.create_schedule(DIGEST_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        return False
    return True
