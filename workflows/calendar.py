"""Workflow-side access to the working-day calendar: facts come from an activity (recorded in history)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from domain.workcal import CalendarFacts, WorkCalendar


async def fetch_calendar(years: list[int], known: CalendarFacts | None = None) -> WorkCalendar:
    """A calendar covering ``years``; only the years not in ``known`` are asked for."""
    known = known or CalendarFacts()
    wanted = sorted({y for y in years if y not in known.years})
    if wanted:
        fetched = await workflow.execute_activity_method(
            CalendarActivities.load_calendar_facts,
            wanted,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
        )
        known = known.merged(fetched)
    return WorkCalendar(known)
