"""Driving an inspection (明察暗访) on the time-skipping test server.

Used by tests/workflow/test_inspection_workflow.py and tests/replay/record_inspection_history.py.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain import inspection as insp
from domain.actors import Actor, Role
from domain.policy import Policy
from domain.timeutil import SHANGHAI
from store.eventlog import AuditLog
from tests.identity import credential, request
from workflows.inspection import InspectionCommandResult, InspectionInput, InspectionOutcome, InspectionWorkflow
from workflows.search_attributes import initial_search_attributes

SUP = Actor(id="sup-wang", name="王督导", roles=[Role.SUPERVISOR])
TOWN = Actor(id="ts-zhao", name="赵书记", roles=[Role.TOWNSHIP_SECRETARY], scope=["柳林乡"])
ORGS = [
    insp.VisitedOrgInput(code="V3007", name="柳林乡云桥村党支部", region="柳林乡"),
    insp.VisitedOrgInput(code="V4005", name="青山镇李湾村党支部", region="青山镇"),
]


def seed_directory(audit_log: AuditLog) -> None:
    """The visited organizations in the directory: the workflow reads their names and townships there."""
    from domain.directory import Organization
    from store.directory import Directory, ParsedDirectory

    orgs = [Organization(code=o.code, name=o.name, level="党支部", domain="农村", region=o.region) for o in ORGS]
    Directory(audit_log.engine).import_records(ParsedDirectory(organizations=orgs, years=[]))


async def wait_for(predicate: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.05)


async def drive_lifecycle(
    env: WorkflowEnvironment, audit_log: AuditLog, queue: str, number: int
) -> tuple[WorkflowHandle[Any, Any], str, InspectionOutcome]:
    """Record a visit with two findings, refuse an out-of-scope finding, add one, dispose of each (case,
    designation — signed —, closed), refuse closing while one is open, close. Returns the handle, the
    stream id and the run's outcome."""
    seed_directory(audit_log)
    today = (await env.get_current_time()).astimezone(SHANGHAI).date()
    stream_id = insp.inspection_id_for(today.year, number)
    opening = insp.RecordInspection(
        actor=SUP, year=today.year, number=number, kind=insp.VisitKind.UNANNOUNCED, visited_on=today, title="四议两公开暗访",
        orgs=ORGS, companions=["ts-zhao"],
        findings=[
            insp.FindingInput(org_code="V3007", category="weak_leadership", description="“四议两公开”未按程序落实"),
            insp.FindingInput(org_code="V4005", category="organization_life", description="党员大会半年未开"),
        ],
    )  # fmt: skip
    handle = await env.client.start_workflow(
        InspectionWorkflow.run,
        InspectionInput(inspection_id=stream_id, policy=Policy(), record=opening, credential=credential(SUP)),
        id=stream_id,
        task_queue=queue,
        search_attributes=initial_search_attributes("inspection", "open", "", ""),
    )
    await wait_for(lambda: len(audit_log.read_stream(stream_id)) == 2, "the visit and its findings appended")

    async def cmd(command: Any, rid: str) -> InspectionCommandResult:
        return await handle.execute_update(
            InspectionWorkflow.command, request(stream_id, command, f"{stream_id}-{rid}"), result_type=InspectionCommandResult
        )

    # a township secretary may add findings only where their scope reaches: not at 青山镇's V4005
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await cmd(insp.RecordFindings(actor=TOWN, findings=[insp.FindingInput(org_code="V4005", category="other", description="x")]), "r0")
    assert "findings[0].org_code: ts-zhao 无权处理 V4005" in str(refused.value.cause)
    more = [insp.FindingInput(org_code="V3007", category="other", description="阵地挂牌不规范")]
    done = await cmd(insp.RecordFindings(actor=SUP, findings=more), "r1")
    assert done.events == ["InspectionFindingsRecorded"]
    await cmd(insp.ReferToCase(actor=SUP, finding_ids=["F1"], case_id=f"rect-V3007-{today.year}"), "r2")
    signed = await cmd(insp.ReferToDesignation(actor=SUP, finding_ids=["F2"], year=today.year + 1, note="组织生活长期不正常"), "r3")
    assert signed.events == ["FindingsReferredToDesignation"]
    with pytest.raises(WorkflowUpdateFailedError) as still_open:
        await cmd(insp.CloseInspection(actor=SUP), "r4")
    assert "findings still open: F3" in str(still_open.value.cause)
    await cmd(insp.CloseFindings(actor=SUP, finding_ids=["F3"], note="当场整改到位"), "r5")
    again = await cmd(insp.CloseFindings(actor=SUP, finding_ids=["F3"], note="当场整改到位"), "r5")  # the same request: applied once
    assert again.duplicate
    closed = await cmd(insp.CloseInspection(actor=SUP, note="全部处置"), "r6")
    assert closed.stage == insp.Stage.CLOSED
    result = await handle.result(rpc_timeout=timedelta(seconds=30))  # the run ends with the inspection
    outcome = result if isinstance(result, InspectionOutcome) else InspectionOutcome.model_validate(result)
    return handle, stream_id, outcome
