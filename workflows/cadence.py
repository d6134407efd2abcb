"""One run of a supervision cadence, started by its Temporal Schedule (月督导、季观摩、半年通报).

Working days (``cadence-working-days-v1``): a Schedule fires on its calendar day (the 5th, the 10th, the
15th — Temporal's calendar specs know no holidays); when that day is not a working day by the working-day
calendar (weekend, public holiday; make-up workdays 调休 count), the run waits on a durable timer until
the same Beijing time on the next working day (顺延) and only then reads the ledgers and tells people.
The calendar facts are asked of the calendar activity when the run fires, so a holiday notice published
after the schedule was created is still obeyed, and the facts are in the run's history for replays.
``pdca schedule list`` shows the moved dates by the same rule (``domain.cadence.working_day_run``).

A run started by hand (``pdca schedule trigger``) carries the moment of the trigger, not one of the
schedule's moments: it runs at once and covers up to that moment (a 半年通报 triggered in November covers
the year up to November, not 30 June).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from activities.cadence import CadenceActivities, CadenceRequest, CadenceResult
    from domain.cadence import CadenceKind, is_scheduled_moment, working_day_run
    from domain.policy import Policy
    from domain.timeutil import local
    from workflows.calendar import fetch_calendar

WORKFLOW_NAME = "SupervisionCadence"
WORKING_DAYS_PATCH = "cadence-working-days-v1"
# Temporal sets it on every run a Schedule starts: the moment the run was scheduled for (a trigger: now).
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")


class CadenceInput(BaseModel):
    kind: CadenceKind
    policy: Policy


@workflow.defn(name=WORKFLOW_NAME)
class CadenceWorkflow:
    @workflow.run
    async def run(self, input: CadenceInput) -> CadenceResult:
        by_hand = False
        scheduled: datetime | None = None
        if workflow.patched(WORKING_DAYS_PATCH):
            scheduled = workflow.info().typed_search_attributes.get(SCHEDULED_START)
            by_hand = scheduled is None or not is_scheduled_moment(scheduled, input.policy.cadence.entry(input.kind))
            if scheduled is not None and not by_hand and input.policy.cadence.working_days_only:
                year = local(scheduled).year
                calendar = await fetch_calendar([year, year + 1])  # a run on 31 December may move into January
                run_at = working_day_run(scheduled, calendar)
                wait = run_at - workflow.now()
                if wait > timedelta(0):
                    workflow.logger.info(
                        "cadence run moved to the next working day",
                        extra={"kind": input.kind.value, "scheduled": scheduled.isoformat(), "runs_at": run_at.isoformat()},
                    )
                    await workflow.sleep(wait)
        return await workflow.execute_activity_method(
            CadenceActivities.run_cadence,
            CadenceRequest(
                kind=input.kind,
                as_of=workflow.now(),
                policy=input.policy,
                run_id=workflow.info().workflow_id,
                by_hand=by_hand,
                scheduled_for=scheduled,
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(minutes=2)),
        )
