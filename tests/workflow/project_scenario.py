"""Driving a secretary project (书记项目) on the time-skipping test server.

Used by tests/workflow/test_project_workflow.py and tests/replay/record_project_history.py.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import (
    DescribeWorkflowExecutionRequest,
    DescribeWorkflowExecutionResponse,
)
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributeKey
from temporalio.converter import default as default_converter
from temporalio.testing import WorkflowEnvironment

from domain.actors import Actor, Role
from domain.policy import Policy
from domain.project import (
    ApplicationInput,
    ApplyProject,
    Command,
    Level,
    MilestoneInput,
    ProjectState,
    project_id_for,
)
from domain.timeutil import SHANGHAI
from domain.workcal import CalendarFacts, WorkCalendar
from store.eventlog import AuditLog
from store.models import AuditEvent
from tests.identity import credential, request
from tests.timeskip import skip_to
from workflows.project import (
    ProjectCommandResult,
    ProjectInput,
    ProjectOutcome,
    SecretaryProjectWorkflow,
)
from workflows.search_attributes import initial_search_attributes

# The test server's clock starts at the wall clock and is shared by every test of the session: each
# project takes the year after the server's current year (``Project.year``), so dates lie ahead.
REGION = "青山镇"
OWNER = Actor(id="bs-wang", name="王书记", roles=[Role.BRANCH_SECRETARY])
REVIEWER = Actor(id="ts-li", name="李书记", roles=[Role.TOWNSHIP_SECRETARY])
REVIEWER2 = Actor(id="sup-sun", name="孙督导", roles=[Role.SUPERVISOR])
EVALUATOR = Actor(id="cl-zhao", name="赵县领导", roles=[Role.COUNTY_LEADER])
SUPERVISOR = Actor(id="sup-zhang", name="张督导", roles=[Role.SUPERVISOR])
POLICY = Policy(supervisors=["sup-zhang"])
TOLERANCE = timedelta(minutes=1)


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def unique_org(prefix: str = "P") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def application(year: int, **changes: Any) -> ApplicationInput:
    data: dict[str, Any] = dict(
        title="村集体经济破零",
        problem="集体经济收入为零，群众增收渠道少",
        goals=["年底集体经济收入达到10万元"],
        measures=["成立土地股份合作社", "盘活闲置校舍"],
        milestones=[
            MilestoneInput(id="M1", description="成立合作社", deadline=date(year, 3, 31)),
            MilestoneInput(id="M2", description="首次分红", deadline=date(year, 11, 30)),
        ],
        deadline=date(year, 12, 20),
    )
    data.update(changes)
    return ApplicationInput(**data)


def apply_command(org_code: str, year: int, owner: Actor = OWNER, level: Level = Level.SECRETARY) -> ApplyProject:
    return ApplyProject(
        actor=owner,
        level=level,
        org_code=org_code,
        org_name=f"{org_code}村党支部",
        region=REGION,
        year=year,
        application=application(year),
    )


@dataclass
class Project:
    env: WorkflowEnvironment
    audit_log: AuditLog
    queue: str
    org_code: str
    policy: Policy = field(default_factory=lambda: POLICY)
    handle: WorkflowHandle[SecretaryProjectWorkflow, ProjectOutcome] | None = None
    requests: int = 0
    year: int = 0  # set by start(): the year after the test server's current year
    level: Level = Level.SECRETARY  # a 委员项目 / 支部项目 is keyed by its owner: proj-committee_member-…-bs-wang

    @property
    def project_id(self) -> str:
        return project_id_for(self.level, self.org_code, self.year, OWNER.id)

    @property
    def client(self) -> Client:
        return self.env.client

    async def start(self) -> None:
        self.year = (await self.now()).astimezone(SHANGHAI).year + 1
        self.handle = await self.client.start_workflow(
            SecretaryProjectWorkflow.run,
            ProjectInput(
                project_id=self.project_id,
                policy=self.policy,
                apply=apply_command(self.org_code, self.year, level=self.level),
                credential=credential(OWNER),
            ),
            id=self.project_id,
            task_queue=self.queue,
            search_attributes=initial_search_attributes("project", "reviewing", self.org_code, REGION),
        )
        await self.wait_for(lambda: len(self.stream()) == 1, "ProjectApplied appended")
        await self.settle()

    async def cmd(self, command: Command, request_id: str | None = None) -> ProjectCommandResult:
        assert self.handle is not None
        self.requests += 1
        return await self.handle.execute_update(
            SecretaryProjectWorkflow.command,
            request(self.project_id, command, request_id or f"{self.project_id}-req-{self.requests}"),
            result_type=ProjectCommandResult,
        )

    async def calendar(self) -> WorkCalendar:
        assert self.handle is not None
        return WorkCalendar(await self.handle.query("calendar", result_type=CalendarFacts))

    async def state(self) -> ProjectState:
        assert self.handle is not None
        return await self.handle.query("state", result_type=ProjectState)

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def advance_to(self, instant: datetime) -> None:
        await skip_to(self.env, instant)
        await self.settle()

    async def settle(self, timeout: float = 20.0) -> None:
        assert self.handle is not None
        deadline = time.monotonic() + timeout
        quiet = 0
        while True:
            desc = await self.raw_describe()
            pending = len(desc.pending_activities)
            state = await self.state()
            if pending == 0 and state.version == len(self.stream()):
                quiet += 1
                if quiet >= 2:
                    return
            else:
                quiet = 0
            if time.monotonic() > deadline:
                raise AssertionError(f"workflow did not settle: pending={pending} version={state.version} stream={len(self.stream())}")
            await asyncio.sleep(0.05)

    async def raw_describe(self) -> DescribeWorkflowExecutionResponse:
        return await self.client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(namespace=self.client.namespace, execution=WorkflowExecution(workflow_id=self.project_id))
        )

    async def running(self) -> bool:
        desc = await self.raw_describe()
        return desc.workflow_execution_info.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING

    async def search_attribute(self, key: SearchAttributeKey) -> Any:
        desc = await self.raw_describe()
        fields = desc.workflow_execution_info.search_attributes.indexed_fields
        if key.name not in fields:
            return None
        value = default_converter().payload_converter.from_payloads([fields[key.name]])[0]
        return None if value in (None, []) else value

    async def wait_for(self, predicate: Any, what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for: {what}")
            await asyncio.sleep(0.05)

    def stream(self) -> list[AuditEvent]:
        return self.audit_log.read_stream(self.project_id)

    def events(self, event_type: str | None = None, **match: Any) -> list[dict[str, Any]]:
        out = []
        for row in self.stream():
            if event_type is not None and row.event_type != event_type:
                continue
            payload = json.loads(row.payload)
            if all(payload.get(k) == v for k, v in match.items()):
                out.append(payload)
        return out

    def types(self) -> list[str]:
        return [row.event_type for row in self.stream()]


def at(payload: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(payload["at"])


def assert_at(payload: dict[str, Any], expected: datetime, tolerance: timedelta = TOLERANCE) -> None:
    actual = at(payload)
    assert expected <= actual <= expected + tolerance, f"{payload['type']} at {actual.isoformat()}, expected {expected.isoformat()}"


async def drive_full_lifecycle(p: Project) -> None:
    """Apply → returned twice → approved → M1 done late-ish, Q1 report missed (reminder + three 催办),
    Q2/Q3 reported → evaluation poor → sanction proposal approved → closed."""
    from domain.project import (
        ApproveApplication,
        CloseProject,
        CompleteMilestone,
        DecideSanction,
        EvaluateProject,
        Rating,
        RecordProgress,
        ReturnApplication,
        ReviseApplication,
        SanctionDecision,
        SubmitQuarterlyReport,
    )

    await p.start()
    YEAR = p.year
    await p.cmd(ReturnApplication(actor=REVIEWER, comments="目标要量化"))
    await p.cmd(ReviseApplication(actor=OWNER, application=application(YEAR, goals=["集体经济收入10万元", "带动20户增收"])))
    await p.cmd(ReturnApplication(actor=REVIEWER2, comments="节点再细化"))
    await p.cmd(ReviseApplication(actor=OWNER, application=application(YEAR)))
    approved = await p.cmd(ApproveApplication(actor=REVIEWER, comments="同意立项"))
    assert approved.stage == "implementing", approved
    await p.advance_to(bj(YEAR, 3, 28, 10, 0))  # after the M1 reminder (5wd before 03-31)
    await p.cmd(RecordProgress(actor=OWNER, note="召开村民代表大会", milestone_id="M1", evidence=["会议纪要"]))
    await p.cmd(CompleteMilestone(actor=OWNER, milestone_id="M1", note="合作社已注册", evidence=["营业执照"]))
    # Q1 report never comes: reminder + three 催办, then silence.
    await p.advance_to(bj(YEAR, 7, 2, 10, 0))
    await p.cmd(SubmitQuarterlyReport(actor=OWNER, quarter=2, note="合作社流转土地200亩"))
    await p.advance_to(bj(YEAR, 10, 8, 10, 0))
    await p.cmd(SubmitQuarterlyReport(actor=OWNER, quarter=3, note="校舍改造完成"))
    await p.advance_to(bj(YEAR, 11, 27, 10, 0))  # after the M2 reminder (5wd before 11-30)
    await p.cmd(CompleteMilestone(actor=OWNER, milestone_id="M2", note="首次分红3万元", evidence=["分红公示"]))
    await p.advance_to(bj(YEAR, 12, 23, 10, 0))  # after the evaluation-due notice
    evaluated = await p.cmd(EvaluateProject(actor=EVALUATOR, rating=Rating.POOR, satisfaction=0.55, comments="目标未达成"))
    assert evaluated.events == ["ProjectEvaluated", "DutyReviewRecorded", "SanctionProposed"], evaluated
    await p.cmd(DecideSanction(actor=SUPERVISOR, decision=SanctionDecision.APPROVED, comment="由镇党委书记提醒谈话"))
    closed = await p.cmd(CloseProject(actor=SUPERVISOR, note="结项"))
    assert closed.stage == "closed", closed
    assert p.handle is not None
    outcome = await p.handle.result()
    assert outcome.stage == "closed" and outcome.rating == "poor", outcome
