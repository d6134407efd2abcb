"""The daily notice digest (每日通知汇总), started by a Temporal Schedule every day at 17:00 Beijing time.

On a working day (the working-day calendar: holidays off, make-up workdays 调休 on) it runs the
``send_digests`` activity: each recipient who chose ``digest: true`` gets one message per channel with
the notices queued for them. On other days it does nothing and the notices wait for the next working
day. A digest is keyed by its Beijing date, so a re-run the same day sends nothing twice. A failing
channel is retried with backoff and then reported in the result (and by `pdca notify status`); the
queued notices stay queued for the next run.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from activities.notify import DigestRequest, DigestResult, NotifyActivities
    from domain.timeutil import local
    from workflows.calendar import fetch_calendar

WORKFLOW_NAME = "NotificationDigest"
SCHEDULE_ID = "pdca-notification-digest"

DIGEST_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=30),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=6,
    non_retryable_error_types=["NoticeUndeliverable"],
)


class DigestInput(BaseModel):
    working_days_only: bool = True  # skip weekends and public holidays (make-up workdays count)
    lang: str = "zh"


@workflow.defn(name=WORKFLOW_NAME)
class NotificationDigestWorkflow:
    @workflow.run
    async def run(self, input: DigestInput) -> DigestResult:
        now = workflow.now()
        day = local(now).date()
        if input.working_days_only:
            calendar = await fetch_calendar([day.year])
            if not calendar.is_workday(day):
                return DigestResult(day=day.isoformat(), skipped="not a working day")
        try:
            return await workflow.execute_activity_method(
                NotifyActivities.send_digests,
                DigestRequest(as_of=now, lang=input.lang),
                start_to_close_timeout=timedelta(minutes=10),
                retry_policy=DIGEST_RETRY,
            )
        except ActivityError as error:
            # Not a workflow failure: what failed stays queued and is in `pdca notify status`.
            cause = error.cause.message if error.cause is not None and hasattr(error.cause, "message") else str(error)
            workflow.logger.warning("notice digest failed", extra={"day": day.isoformat(), "error": cause})
            return DigestResult(day=day.isoformat(), skipped=f"failed after retries: {cause}")
