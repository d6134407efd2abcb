"""Keys and calendar facts fetched by local activities (``local-fetch-v1``, workflows/audited.py): a case's
opening — keys, verification, append, calendar — is one workflow task with no activity task; the opening
is decided at the workflow's start time (a retried first task decides the same events); a case a parent
opens fetches no keys until its first command, whose credential is still verified before anything is
recorded."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from domain.rectification import case_id_for
from store.eventlog import AuditLog
from tests.identity import request
from tests.workflow.scenario import POLICY, REGION, YEAR, Case, measure, open_command, plan, unique_org
from worker import build_worker, open_audit_log
from workflows.rectification import CaseInput, CommandResult, RectificationWorkflow
from workflows.search_attributes import initial_search_attributes


@workflow.defn(name="TestOpensOneCase")
class OpensOneCase:
    """A parent, as a campaign is: starts one case without a credential and leaves it running."""

    @workflow.run
    async def run(self, args: list[str]) -> None:
        queue, org = args
        await workflow.start_child_workflow(
            RectificationWorkflow.run,
            CaseInput(case_id=case_id_for(org, YEAR), policy=POLICY, open=open_command(org)),
            id=case_id_for(org, YEAR),
            task_queue=queue,
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=initial_search_attributes("rectification", "designated", org, REGION),
        )


@pytest.fixture
def audit_log(tmp_path: Path) -> AuditLog:
    return open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")


@asynccontextmanager
async def workers(env: WorkflowEnvironment, log: AuditLog) -> AsyncIterator[str]:
    queue = f"test-{uuid.uuid4().hex[:8]}"
    parent = Worker(env.client, task_queue=queue + "-parent", workflows=[OpensOneCase], workflow_runner=UnsandboxedWorkflowRunner())
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(env.client, log, queue, executor=executor), parent:
            yield queue


async def events_of(handle: WorkflowHandle[Any, Any]) -> list[Any]:
    return list((await handle.fetch_history()).events)


def local_activities(events: list[Any]) -> list[tuple[int, str]]:
    out = []
    for e in events:
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED and e.marker_recorded_event_attributes.marker_name == "core_local_activity":
            data = e.marker_recorded_event_attributes.details["data"].payloads[0].data
            out.append((e.event_id, json.loads(data)["activity_type"]))
    return out


def count(events: list[Any], kind: int) -> int:
    return sum(1 for e in events if e.event_type == kind)


async def test_an_opening_is_one_workflow_task_without_activity_tasks(time_env: WorkflowEnvironment, audit_log: AuditLog) -> None:
    async with workers(time_env, audit_log) as queue:
        case = Case(time_env, audit_log, queue, unique_org())
        handle = await case.start()
        await case.settle()
        events = await events_of(handle)
        assert count(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == 0
        # keys, the organization's record (memory-recall-v1), the opening's append and the calendar: all
        # recorded by the first workflow task's completion
        first_done = next(e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        next_task = next(
            (e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED and e.event_id > first_done),
            events[-1].event_id + 1,
        )
        fetched = local_activities(events)
        assert [kind for _, kind in fetched] == ["trusted_keys", "read_org_record", "append_events", "load_calendar_facts"]
        assert all(first_done < at < next_task for at, _ in fetched)
        # decided at the workflow's start time: every attempt of the first task decides the same events
        [opened] = case.stream()
        started = events[0].event_time.ToDatetime().isoformat()
        assert json.loads(opened.payload)["at"].startswith(started[:19]), (opened.payload, started)


async def test_a_case_a_parent_opens_fetches_keys_with_its_first_command(time_env: WorkflowEnvironment, audit_log: AuditLog) -> None:
    async with workers(time_env, audit_log) as queue:
        org = unique_org()
        case = Case(time_env, audit_log, queue, org)
        await time_env.client.execute_workflow(OpensOneCase.run, [queue, org], id=f"parent-{org}", task_queue=queue + "-parent")
        await case.wait_for(lambda: len(case.stream()) == 1, "CaseOpened appended")
        handle = time_env.client.get_workflow_handle_for(RectificationWorkflow.run, case.case_id)
        case.handle = handle
        await case.settle()
        events = await events_of(handle)
        # no keys at the opening; the organization's record is read as for every case (memory-recall-v1)
        assert [kind for _, kind in local_activities(events)] == ["read_org_record", "append_events", "load_calendar_facts"]
        assert count(events, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) == 0

        # A forged credential (its signature altered): the validator, holding no keys yet, can only read its
        # claims; the handler fetches the keys and refuses it before anything is appended.
        t0 = await case.now()
        good = request(case.case_id, plan(measure("M1", ["P1", "P2"], t0 + timedelta(days=30))), "forged-1")
        head, claims, signature = (good.credential or "").split(".")
        forged = good.model_copy(update={"credential": f"{head}.{claims}.{signature[::-1]}"})
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update("command", forged, result_type=CommandResult)
        assert len(case.stream()) == 1
        events = await events_of(handle)
        assert [kind for _, kind in local_activities(events)][-1] == "trusted_keys"  # fetched, then refused

        # The same command, genuinely signed: verified with the fetched keys, appended.
        result = await handle.execute_update(
            "command", good.model_copy(update={"request_id": "genuine-1"}), result_type=CommandResult
        )
        assert result.events == ["PlanSubmitted"]
        assert len(case.stream()) == 2
        await handle.terminate("test done")
