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
    from workflows.activity_calls import call_activity


TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))


async def fetch_calendar(years: list[int], known: CalendarFacts | None = None, local: bool = False) -> WorkCalendar:
    """A calendar covering ``years``; only the years not in ``known`` are asked for (``local``: by a
    local activity)."""
    known = known or CalendarFacts()
    wanted = sorted({y for y in years if y not in known.years})
    if wanted:
        fetched = await call_activity(CalendarActivities.load_calendar_facts, wanted, local=local, timeout=TIMEOUT, retry=RETRY)
        known = known.merged(fetched)
    return WorkCalendar(known)
