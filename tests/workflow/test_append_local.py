"""A command in one workflow task: the audit append as a local activity (``append-local-v1``,
workflows/audited.py). The events are durable before the command is answered; a retried append (the
first attempt stored the events but its answer was lost) is stored once; a version conflict is not
retried."""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment

from store.eventlog import AuditLog, NewEvent
from tests.workflow.scenario import Case, approve, measure, plan, unique_org
from worker import build_worker, open_audit_log

DAY = timedelta(days=1)


class FlakyLog:
    """The audit log, but ``fail(n)`` makes the n-th append from now store its events and then raise, as
    when the answer of a committed append is lost; every append is counted."""

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self.calls = 0
        self.failing: int | None = None
        self.lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.log, name)

    def append(self, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            self.calls += 1
            failing = self.calls == self.failing
        result = self.log.append(*args, **kwargs)
        if failing:
            raise RuntimeError("connection lost after COMMIT")
        return result

    def fail(self, nth: int = 1) -> None:
        self.failing = self.calls + nth


@asynccontextmanager
async def worker_on(env: WorkflowEnvironment, log: Any) -> AsyncIterator[str]:
    queue = f"test-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(env.client, log, queue, executor=executor):
            yield queue


@pytest.fixture
def flaky(tmp_path: Path) -> FlakyLog:
    return FlakyLog(open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}"))


async def events_of(case: Case) -> list[Any]:
    assert case.handle is not None
    return list((await case.handle.fetch_history()).events)


async def test_a_command_is_appended_and_answered_in_one_workflow_task(time_env: WorkflowEnvironment, flaky: FlakyLog) -> None:
    async with worker_on(time_env, flaky) as queue:
        case = Case(time_env, flaky.log, queue, unique_org())
        await case.start()
        t0 = await case.now()
        await case.cmd(plan(measure("M1", ["P1", "P2"], t0 + 30 * DAY)))
        result = await case.cmd(approve())
        assert result.version == 3 and [e.event_type for e in case.stream()][-1] == "PlanApproved"
        history = await events_of(case)
        await case.handle.terminate("done")  # type: ignore[union-attr]
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
    assert "append_events" not in scheduled  # no activity task: the append ran in the workflow task
    local = [
        e
        for e in history
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]
    appends = [
        e for e in local if b'"activity_type":"append_events"' in e.marker_recorded_event_attributes.details["data"].payloads[0].data
    ]
    assert len(appends) == flaky.calls == 3  # the opening and the two commands (keys and calendar: local-fetch-v1)
    # the approval: accepted, appended (the local activity's marker) and answered in one workflow task
    accepted = [i for i, e in enumerate(history) if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED][-1]
    completed = next(
        i for i, e in enumerate(history) if i > accepted and e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
    )
    kinds = [e.event_type for e in history[accepted : completed + 1]]
    assert EventType.EVENT_TYPE_MARKER_RECORDED in kinds
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED not in kinds, kinds


async def test_an_append_whose_answer_was_lost_is_retried_and_stored_once(time_env: WorkflowEnvironment, flaky: FlakyLog) -> None:
    async with worker_on(time_env, flaky) as queue:
        case = Case(time_env, flaky.log, queue, unique_org())
        await case.start()
        t0 = await case.now()
        flaky.fail()  # the plan's first attempt stores its events, then fails
        result = await case.cmd(plan(measure("M1", ["P1", "P2"], t0 + 30 * DAY)))
        assert result.version == 2 and result.events == ["PlanSubmitted"]
        assert flaky.calls == 3  # opening, the plan's attempt that failed, its retry (a duplicate)
        assert [e.event_type for e in case.stream()] == ["CaseOpened", "PlanSubmitted"]
        # the case goes on from the right version
        assert (await case.cmd(approve())).version == 3
        assert flaky.log.verify().ok
        await case.handle.terminate("done")  # type: ignore[union-attr]


async def test_a_version_conflict_fails_the_command_without_retrying(time_env: WorkflowEnvironment, flaky: FlakyLog) -> None:
    async with worker_on(time_env, flaky) as queue:
        case = Case(time_env, flaky.log, queue, unique_org())
        await case.start()
        t0 = await case.now()
        # another writer took version 2 of this stream (never happens in production: one workflow per stream)
        intruder = AuditLog(flaky.log.engine)  # no projectors: its event is no case event
        intruder.append(case.case_id, 1, [NewEvent(str(uuid.uuid4()), "Intruder", "someone", "{}", None)])
        calls = flaky.calls
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await case.cmd(plan(measure("M1", ["P1", "P2"], t0 + 30 * DAY)))
        # a local activity's refusal is raised as it is (a regular activity's comes wrapped in an ActivityError)
        cause: BaseException | None = failed.value.cause
        if isinstance(cause, ActivityError):
            cause = cause.cause
        assert isinstance(cause, ApplicationError) and cause.type == "ConcurrencyError", cause
        assert flaky.calls == calls + 1  # one attempt: not retried
        assert await case.running()  # the command failed, not the case
        await case.handle.terminate("done")  # type: ignore[union-attr]
