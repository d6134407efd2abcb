"""Workflow-side access to the working-day calendar: facts come from an activity (recorded in history) —
a local activity for audited streams whose run started since ``local-fetch-v1`` (workflows/audited.py),
the regular activity otherwise."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from domain.workcal import CalendarFacts, WorkCalendar


TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))
# A local fetch's retries back off within the workflow task up to this; longer backoffs wait on a timer.
LOCAL_RETRY_THRESHOLD = timedelta(seconds=5)


async def fetch_calendar(years: list[int], known: CalendarFacts | None = None, local: bool = False) -> WorkCalendar:
    """A calendar covering ``years``; only the years not in ``known`` are asked for (``local``: by a
    local activity)."""
    known = known or CalendarFacts()
    wanted = sorted({y for y in years if y not in known.years})
    if wanted:
        if local:
            fetched = await workflow.execute_local_activity_method(
                CalendarActivities.load_calendar_facts,
                wanted,
                start_to_close_timeout=TIMEOUT,
                retry_policy=RETRY,
                local_retry_threshold=LOCAL_RETRY_THRESHOLD,
            )
        else:
            fetched = await workflow.execute_activity_method(
                CalendarActivities.load_calendar_facts, wanted, start_to_close_timeout=TIMEOUT, retry_policy=RETRY
            )
        known = known.merged(fetched)
    return WorkCalendar(known)
