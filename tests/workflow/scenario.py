"""Shared helpers for driving a rectification case on the time-skipping test server.

Used by the workflow tests and by ``tests/replay/record_history.py``.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest, DescribeWorkflowExecutionResponse
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributeKey
from temporalio.converter import default as default_converter
from temporalio.testing import WorkflowEnvironment

from domain.actors import Actor, Role
from domain.policy import EscalationStep, Policy, Recipient, Rung
from domain.rectification import (
    ApprovePlan,
    Basis,
    BasisKind,
    CaseState,
    Command,
    CompleteMeasure,
    MeasureInput,
    OpenCase,
    ProblemInput,
    SubmitPlan,
    case_id_for,
)
from store.eventlog import AuditLog
from store.models import AuditEvent
from tests.identity import credential, request
from tests.timeskip import skip, skip_to
from workflows.rectification import (
    CaseInput,
    CaseOutcome,
    CommandResult,
    RectificationWorkflow,
)
from workflows.search_attributes import initial_search_attributes

YEAR = 2026
REGION = "qingshan-county"
SUPERVISOR = Actor(id="sup-zhang", name="张督导", roles=[Role.SUPERVISOR])
TOWNSHIP = Actor(id="ts-li", name="李书记", roles=[Role.TOWNSHIP_SECRETARY])
BRANCH = Actor(id="bs-wang", name="王书记", roles=[Role.BRANCH_SECRETARY])
FIRST_SEC = Actor(id="fs-chen", name="陈第一书记", roles=[Role.FIRST_SECRETARY])
COUNTY = Actor(id="cl-zhao", name="赵县领导", roles=[Role.COUNTY_LEADER])
LEADERS = ["cl-zhao", "ts-li"]
# Calendar-time policy (notices exactly when due) for the tests written before working-day timing;
# TIMED_POLICY is the calendar-aware default ladder.
POLICY = Policy(
    supervisors=["sup-zhang", "sup-sun"],
    notice_window="any_time",
    reminder_leads=["7d", "1d"],
    escalation_ladder=[
        EscalationStep(rung=Rung.REMINDER_TALK, after="7d"),
        EscalationStep(
            rung=Rung.SUPERVISION_NOTICE, after="21d", notify=[Recipient.RESPONSIBLE, Recipient.LEADERS, Recipient.SUPERVISORS]
        ),
    ],
)
TIMED_POLICY = Policy(version="timed-1", supervisors=["sup-zhang", "sup-sun"], superiors={"*": ["ts-li"]})

# Virtual-time assertions: an event due at T must carry ``at`` within this of T.
TOLERANCE = timedelta(minutes=1)


def unique_org(prefix: str = "org") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def open_command(org_code: str, problems: list[ProblemInput] | None = None) -> OpenCase:
    return OpenCase(
        actor=SUPERVISOR,
        org_code=org_code,
        org_name=f"{org_code}村党支部",
        region=REGION,
        year=YEAR,
        basis=Basis(kind=BasisKind.RANKING, detail="2025年度综合考评倒排第2名", rank=2),
        problems=problems
        or [
            ProblemInput(category="weak_leadership", description="班子不团结"),
            ProblemInput(category="organization_life", description="三会一课不落实"),
        ],
        leaders=LEADERS,
    )


def measure(mid: str, problems: list[str], deadline: datetime, responsible: str = "resp-a") -> MeasureInput:
    return MeasureInput(id=mid, description=f"措施 {mid}", problems=problems, responsible=responsible, deadline=deadline)


def plan(*measures: MeasureInput, actor: Actor = BRANCH) -> SubmitPlan:
    return SubmitPlan(actor=actor, measures=list(measures), summary="整改方案")


def approve(actor: Actor = TOWNSHIP) -> ApprovePlan:
    return ApprovePlan(actor=actor, comments="同意")


def complete(mid: str, actor: Actor = BRANCH) -> CompleteMeasure:
    return CompleteMeasure(actor=actor, measure_id=mid, note="已完成", evidence=[f"evidence/{mid}.pdf"])


@dataclass
class Case:
    """One case: its workflow handle, its audit stream, and the virtual clock."""

    env: WorkflowEnvironment
    audit_log: AuditLog
    queue: str
    org_code: str
    policy: Policy = field(default_factory=lambda: POLICY)
    handle: WorkflowHandle[RectificationWorkflow, CaseOutcome] | None = None
    requests: int = 0
    started_wall: float = field(default_factory=time.perf_counter)

    @property
    def case_id(self) -> str:
        return case_id_for(self.org_code, YEAR)

    @property
    def client(self) -> Client:
        return self.env.client

    async def start(self, open_cmd: OpenCase | None = None) -> WorkflowHandle[RectificationWorkflow, CaseOutcome]:
        self.handle = await self.client.start_workflow(
            RectificationWorkflow.run,
            CaseInput(
                case_id=self.case_id,
                policy=self.policy,
                open=open_cmd or open_command(self.org_code),
                credential=credential((open_cmd or open_command(self.org_code)).actor),
            ),
            id=self.case_id,
            task_queue=self.queue,
            search_attributes=initial_search_attributes("rectification", "designated", self.org_code, REGION),
        )
        await self.wait_for(lambda: len(self.stream()) >= 1, "CaseOpened appended")  # with any proposals the opening made
        return self.handle

    def next_request_id(self) -> str:
        self.requests += 1
        return f"{self.case_id}-req-{self.requests}"

    async def cmd(self, command: Command, request_id: str | None = None, update_id: str | None = None) -> CommandResult:
        assert self.handle is not None
        return await self.handle.execute_update(
            "command",  # by name: the typed overloads take no result_type
            request(self.case_id, command, request_id or self.next_request_id()),
            id=update_id,
            result_type=CommandResult,
        )

    async def state(self) -> CaseState:
        assert self.handle is not None
        return await self.handle.query("state", result_type=CaseState)

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def advance_to(self, instant: datetime) -> None:
        """Skip virtual time up to ``instant``, then wait until the workflow is idle."""
        await skip_to(self.env, instant)
        await self.settle()

    async def advance(self, delta: timedelta) -> None:
        await skip(self.env, delta)
        await self.settle()

    async def settle(self, timeout: float = 20.0) -> None:
        """Idle = no pending activity and the workflow's version equals the audit stream length (twice in a row)."""
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
        """``handle.describe()`` without decoding search attributes: the time-skipping test server keeps
        an unset Datetime attribute as a null payload, which ``describe()`` (temporalio 1.35) fails to decode."""
        return await self.client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=self.client.namespace, execution=WorkflowExecution(workflow_id=self.case_id)
            )
        )

    async def running(self) -> bool:
        desc = await self.raw_describe()
        return desc.workflow_execution_info.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING

    async def search_attribute(self, key: SearchAttributeKey) -> Any:
        """One typed search attribute as the server holds it (None when unset or null)."""
        desc = await self.raw_describe()
        fields = desc.workflow_execution_info.search_attributes.indexed_fields
        if key.name not in fields:
            return None
        value = default_converter().payload_converter.from_payloads([fields[key.name]])[0]
        if value is None or value == []:
            return None
        return value

    async def wait_for(self, predicate: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for: {what}")
            await asyncio.sleep(0.05)

    # ---------------------------------------------------------------- audit log

    def stream(self) -> list[AuditEvent]:
        return self.audit_log.read_stream(self.case_id)

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
    assert expected <= actual <= expected + tolerance, (
        f"{payload['type']} fired at {actual.isoformat()}, expected {expected.isoformat()} (+{tolerance})"
    )
