"""Helpers for driving an annual campaign on a test server (used by the campaign tests and the replay recorder)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.actors import Actor, Role
from domain.campaign import ApproveDesignation, CampaignSettings, CloseYear, OpenCampaign, campaign_id_for
from domain.policy import Policy
from domain.rectification import Basis, BasisKind, CaseState, OpenCase, ProblemInput, case_id_for
from store.eventlog import AuditLog
from tests.identity import credential, request
from workflows.campaign import CampaignInput, CampaignResult, CampaignView, CampaignWorkflow

# Next year, always ahead of the session's virtual clock on any day these tests run (a fixed year
# would put the campaign's year end in the past one day).
YEAR = date.today().year + 1
SUPERVISOR = Actor(id="sup-zhang", name="张督导", roles=[Role.SUPERVISOR])
TOWNSHIPS = ["城关镇", "青山乡", "河西街道", "白水镇"]
POLICY = Policy(supervisors=["sup-zhang"])


def designees(prefix: str, n: int, region: str | None = None, year: int = YEAR) -> list[OpenCase]:
    """``n`` designated organizations (township round-robin unless ``region``)."""
    return [
        OpenCase(
            actor=SUPERVISOR,
            org_code=f"{prefix}{i:04d}",
            org_name=f"{prefix}{i:04d}村党支部",
            region=region or TOWNSHIPS[i % len(TOWNSHIPS)],
            year=year,
            basis=Basis(kind=BasisKind.RANKING, detail=f"{year - 1}年度综合考评倒排第{i + 1}名", rank=i + 1),
            problems=[ProblemInput(category="weak_leadership", description="班子软弱涣散")],
            leaders=["cl-zhao"],
        )
        for i in range(n)
    ]


@dataclass
class Campaign:
    env: WorkflowEnvironment
    audit_log: AuditLog
    queue: str
    region: str | None = None
    year: int = YEAR
    settings: CampaignSettings = field(default_factory=lambda: CampaignSettings(start_batch_size=25, batch_pause=timedelta(seconds=1)))
    policy: Policy = field(default_factory=lambda: POLICY)
    handle: WorkflowHandle | None = None
    requests: int = 0

    @property
    def campaign_id(self) -> str:
        return campaign_id_for(self.region, self.year)

    @property
    def client(self) -> Client:
        return self.env.client

    async def start(self) -> WorkflowHandle:
        self.handle = await self.client.start_workflow(
            CampaignWorkflow.run,
            CampaignInput(
                campaign_id=self.campaign_id,
                policy=self.policy,
                settings=self.settings,
                open=OpenCampaign(actor=SUPERVISOR, region=self.region, year=self.year),
                credential=credential(SUPERVISOR),
            ),
            id=self.campaign_id,
            task_queue=self.queue,
        )
        return self.handle

    @property
    def latest(self) -> WorkflowHandle:
        """The campaign's current run (after continue-as-new, the start handle names a closed run)."""
        return self.client.get_workflow_handle(self.campaign_id, result_type=CampaignView)

    async def send(self, command, request_id: str | None = None, update_id: str | None = None) -> CampaignResult:  # type: ignore[no-untyped-def]
        """``update_id`` differs from the request id when a test imitates a retry the server cannot
        deduplicate (a new update carrying an old request id, e.g. after continue-as-new)."""
        self.requests += 1
        rid = request_id or f"{self.campaign_id}-req-{self.requests}"
        return await self.latest.execute_update(
            CampaignWorkflow.command, request(self.campaign_id, command, rid), id=update_id or rid, result_type=CampaignResult
        )

    async def approve(self, opens: list[OpenCase], request_id: str | None = None, update_id: str | None = None) -> CampaignResult:
        return await self.send(ApproveDesignation(actor=SUPERVISOR, designees=opens), request_id, update_id)

    async def close_year(self) -> CampaignResult:
        return await self.send(CloseYear(actor=SUPERVISOR, note="提前年度总结"))

    async def view(self) -> CampaignView:
        return await self.latest.query(CampaignWorkflow.summary)

    async def refresh(self) -> CampaignView:
        return await self.latest.execute_update(CampaignWorkflow.refresh)

    async def wait_started(self, timeout: float = 120.0, step: timedelta = timedelta(seconds=2)) -> CampaignView:
        """Skip virtual time (batch pauses) until every approved case has been started."""
        deadline = time.monotonic() + timeout
        while True:
            view = await self.view()
            if view.pending == 0 and view.designated > 0:
                return view
            if time.monotonic() > deadline:
                raise AssertionError(f"cases not all started: {view}")
            await self.env.sleep(step)

    async def wait_for_event(self, event_type: str, timeout: float = 120.0, step: timedelta = timedelta(seconds=2)) -> int:
        """Skip virtual time a little at a time until the campaign's stream holds ``event_type``; how many.
        (A query may see the state of a step whose next event — a check after the last batch — is not
        appended yet.)"""
        deadline = time.monotonic() + timeout
        while (found := self.stream_types().count(event_type)) == 0:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {event_type} in {self.campaign_id}: {self.stream_types()}")
            await self.env.sleep(step)
        return found

    def stream_types(self, stream_id: str | None = None) -> list[str]:
        return [row.event_type for row in self.audit_log.read_stream(stream_id or self.campaign_id)]


async def child_status(client: Client, case_id: str) -> WorkflowExecutionStatus.ValueType:
    desc = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(namespace=client.namespace, execution=WorkflowExecution(workflow_id=case_id))
    )
    return desc.workflow_execution_info.status


async def children_stages(client: Client, case_ids: list[str], concurrency: int = 16) -> Counter[str]:
    """The stage of every case, queried from its own workflow."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(case_id: str) -> str:
        async with semaphore:
            state: CaseState = await client.get_workflow_handle(case_id).query("state", result_type=CaseState)
            return state.stage.value

    return Counter(await asyncio.gather(*(one(cid) for cid in case_ids)))


async def terminate_all(client: Client, ids: list[str]) -> None:
    for wid in ids:
        try:
            if await child_status(client, wid) == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING:
                await client.get_workflow_handle(wid).terminate("test teardown")
        except Exception:  # noqa: BLE001 - teardown best effort
            pass


def case_ids(opens: list[OpenCase]) -> list[str]:
    return [case_id_for(o.org_code, o.year) for o in opens]
