"""The calendar facts reach a workflow through the `load_calendar_facts` activity on a real worker
(time-skipping server): recorded in history once, only missing years fetched, warnings visible."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from pydantic import BaseModel
from temporalio import workflow
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import (
    SandboxedWorkflowRunner,
    SandboxRestrictions,
)

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from domain.workcal import CalendarFacts
    from worker import PASSTHROUGH
    from workflows.calendar import fetch_calendar

class ProbeResult(BaseModel):
    facts: CalendarFacts
    after_national_day: date
    after_spring_festival_2027: date
    warnings: list[str]


@workflow.defn(name="calendar_probe")
class CalendarProbe:
    @workflow.run
    async def run(self, years: list[int]) -> ProbeResult:
        first = await fetch_calendar(years[:1])
        # the second call asks only for the years not yet known: one more activity, not two
        calendar = await fetch_calendar(years, first.facts)
        again = await fetch_calendar(years, calendar.facts)  # nothing missing: no activity at all
        return ProbeResult(
            facts=again.facts,
            after_national_day=again.add_working_days(date(2026, 9, 30), 1),
            after_spring_festival_2027=again.add_working_days(date(2027, 2, 4), 1),
            warnings=again.warnings(years),
        )


async def test_facts_come_through_the_activity_and_are_recorded(dev_env) -> None:
    # On the dev server: awaiting this result on the session's time-skipping server let it skip
    # ten years ahead (nothing else was pending), which broke every later test with dates in it.
    time_env = dev_env
    example = Path(__file__).resolve().parents[2] / "examples" / "calendar-override.yaml"
    queue = f"calendar-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=2) as executor:
        async with Worker(
            time_env.client,
            task_queue=queue,
            workflows=[CalendarProbe],
            activities=[CalendarActivities(example).load_calendar_facts],
            activity_executor=executor,
            workflow_runner=SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)),
        ):
            handle = await time_env.client.start_workflow(
                CalendarProbe.run, [2026, 2027, 2028], id=f"calendar-probe-{uuid.uuid4().hex[:8]}", task_queue=queue
            )
            result = await handle.result()
            history = await handle.fetch_history()

    assert result.after_national_day == date(2026, 10, 8)
    assert result.after_spring_festival_2027 == date(2027, 2, 14)  # the example's make-up Sunday
    assert sorted(result.facts.years) == [2026, 2027, 2028]
    assert result.facts.years[2026].names[date(2026, 10, 1)] == "国庆节"
    assert len(result.warnings) == 2 and "provisional" in result.warnings[0] and "2028" in result.warnings[1]
    scheduled = [e for e in history.events if e.HasField("activity_task_scheduled_event_attributes")]
    assert [e.activity_task_scheduled_event_attributes.activity_type.name for e in scheduled] == ["load_calendar_facts"] * 2
