"""The annual campaign (年度整顿工作): one workflow per region and year, the committee-level PDCA loop.

- Plan: ``ApproveDesignation`` arrives as the ``command`` Update (validator runs the domain's decide);
  approving again amends: only organizations not approved before are added.
- Do: each approved case is started as a child ``RectificationCase`` workflow (id = case id,
  ``ParentClosePolicy.ABANDON``, same task queue), in batches of ``start_batch_size`` with a
  ``batch_pause`` between batches. A child whose id already exists (opened by hand with `pdca case open`,
  started by an earlier run, …) raises WorkflowAlreadyStartedError and is counted as *existing*: never
  started twice. Each batch is recorded as a ``CasesStarted`` event.
- Check: on the 1st of every month (and on the ``refresh`` Update, and after the last batch) an activity
  computes the figures over the campaign's cases from the ledgers; a ``CheckRecorded`` event is appended
  when they changed. Query ``summary``.
- Act: at 31 December 18:00 Beijing (or on ``CloseYear``) the year-end summary (``YearClosed``), then the
  write-back of outcomes to the organizations' history (``OutcomesRecorded``); then the workflow ends.

Continue-as-new: when the server suggests it, and after every ``continue_as_new_after_starts`` children
started in one run. Every running child counts as *pending* for the run that started it (abandoned or
not) until it closes, and a run may have at most 2 000 pending children; a new run starts with none.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

# Passed through: domain models and the skeleton (workflows.audited, no per-run state) are imported once;
# a new run re-imports this module (and workflows.rectification).
with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from activities.audit import StageChange
    from activities.campaign import CampaignActivities, CheckRequest, WriteBackRequest
    from domain.actors import SYSTEM_ACTOR
    from domain.campaign import (
        DECIDER,
        CampaignFigures,
        CampaignSettings,
        CampaignStage,
        CampaignState,
        CloseYear,
        OpenCampaign,
        RecordCheck,
        RecordOutcomes,
        RecordStarts,
        StartStatus,
        YearEndSummary,
        accepts,
        next_batch,
        next_check_at,
        year_end_at,
    )
    from domain.identity import TrustedKeys
    from domain.policy import Policy
    from domain.rectification import DECIDER as RECTIFICATION
    from domain.rectification import OpenCase, case_id_for
    from workflows.audited import UPDATE_NAME, AuditedWorkflow, CommandResult, named_update
    from workflows.search_attributes import CASE_KIND, REGION, STAGE, initial_search_attributes
from workflows.rectification import CaseInput, RectificationWorkflow

__all__ = ["UPDATE_NAME", "WORKFLOW_NAME", "CampaignInput", "CampaignResult", "CampaignView", "CampaignWorkflow"]

WORKFLOW_NAME = "AnnualCampaign"

_READ_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))



class CampaignResult(CommandResult):
    campaign_id: str
    stage: CampaignStage
    designated: int
    started: int
    pending: int


class CampaignInput(BaseModel):
    campaign_id: str
    policy: Policy  # the policy of the cases it starts (and of the approval's checks)
    settings: CampaignSettings = Field(default_factory=CampaignSettings)
    open: OpenCampaign | None = None  # the first run opens the campaign
    state: CampaignState | None = None  # carried over by continue-as-new
    processed: dict[str, CampaignResult] = Field(default_factory=dict)
    next_check: datetime | None = None
    runs: int = 1  # how many runs this campaign has had (1 + continue-as-new count)
    credential: str | None = None  # the opener's credential (verified before the opening is recorded)
    keys: TrustedKeys | None = None  # the authority's public keys (carried over continue-as-new)


class CampaignView(BaseModel):
    """The ``summary`` query: the state without the pending opening payloads."""

    campaign_id: str
    region: str | None
    year: int
    stage: CampaignStage
    version: int
    designated: int
    started: int
    existing: int
    pending: int
    batches: int
    checks: int
    last_check: CampaignFigures | None
    summary: YearEndSummary | None
    outcomes_recorded: bool
    next_check: datetime | None
    year_end: datetime | None
    run: int
    started_this_run: int


@workflow.defn(name=WORKFLOW_NAME)
class CampaignWorkflow(AuditedWorkflow[CampaignState, CampaignResult]):
    decider = DECIDER
    result_model = CampaignResult

    @workflow.init
    def __init__(self, input: CampaignInput) -> None:
        self.settings = input.settings
        self.next_check = input.next_check
        self.runs = input.runs
        self.refresh_wanted = False
        self.started_this_run = 0
        self._setup(input.campaign_id, input.policy, input.open, input.state, input.processed, None, input.credential, input.keys)

    @workflow.run
    async def run(self, input: CampaignInput) -> CampaignView:
        await self._begin()
        if self.next_check is None:
            self.next_check = next_check_at(workflow.now(), self.settings)
        year_end = year_end_at(self.state.year, self.settings)
        while True:
            if self.state.stage == CampaignStage.CLOSED:
                if not self.state.outcomes_recorded:
                    async with self.lock:
                        await self._write_back()
                    continue
                break
            if self.state.pending:
                async with self.lock:
                    await self._start_batch()
                if self.started_this_run >= self.settings.continue_as_new_after_starts or self._suggested():
                    await self._continue_as_new()
                if self.state.pending:
                    await workflow.sleep(self.settings.batch_pause, summary="pause between start batches")
                else:
                    self.refresh_wanted = True  # every case runs: take a first look
                continue
            if self._suggested():
                await self._continue_as_new()
            now = workflow.now()
            if self.settings.auto_close and now >= year_end:
                async with self.lock:
                    # asked again under the lock: a CloseYear command may have closed it meanwhile
                    if accepts(self.state, "CloseYear"):
                        await self._apply(await self._prepare(CloseYear(actor=SYSTEM_ACTOR, note="年度截止 year end")))
                continue
            if self.refresh_wanted or now >= self.next_check:
                async with self.lock:
                    await self._check()
                if now >= self.next_check:
                    self.next_check = next_check_at(now, self.settings)
                continue
            await self._sleep_until(min(self.next_check, year_end) if self.settings.auto_close else self.next_check)
        await self._finish()
        return self.view()

    async def _sleep_until(self, wake: datetime) -> None:
        seen = self.changes
        timeout = (wake - workflow.now()).total_seconds()
        if timeout <= 0:
            return
        try:
            await workflow.wait_condition(
                lambda: self.changes != seen or self.refresh_wanted or bool(self.state.pending) or self._suggested(),
                timeout=timeout,
                timeout_summary="next monthly check / year end",
            )
        except TimeoutError:
            pass

    # ------------------------------------------------------------------ what the skeleton asks of a campaign

    def _calendar_on(self) -> bool:
        return False  # a campaign counts months and the year end, not working days

    async def _prepare(self, command: Any) -> Any:
        """Closing the year (by a person or at the year end) records the final figures with it."""
        if isinstance(command, CloseYear):
            return command.model_copy(update={"figures": await self._figures()})
        return command

    def _result_fields(self) -> dict[str, Any]:
        s = self.state
        return {
            "campaign_id": self.stream_id,
            "stage": s.stage,
            "designated": len(s.cases),
            "started": s.started,
            "pending": len(s.pending),
        }

    def _next_run_input(self) -> CampaignInput:
        return CampaignInput(
            campaign_id=self.stream_id,
            policy=self.policy,
            settings=self.settings,
            state=self.state,
            processed=self._remembered(),
            next_check=self.next_check,
            runs=self.runs + 1,
            keys=self._carried_keys(),
        )

    def _search_attributes(self) -> list[SearchAttributeUpdate]:
        updates = [CASE_KIND.value_set(DECIDER.name), STAGE.value_set(self.state.stage.value)]
        if self.state.region:
            updates.append(REGION.value_set(self.state.region))
        return updates

    def _stage_change(self, before: CampaignState, after: CampaignState) -> StageChange | None:
        return None  # the stage-duration metric is about cases and projects

    # ------------------------------------------------------------------ Do

    async def _start_batch(self) -> None:
        batch = next_batch(self.state, self.settings)
        if not batch:
            return
        outcomes = await asyncio.gather(*(self._start_child(o) for o in batch))
        started = [cid for cid, fresh in outcomes if fresh]
        existing = [cid for cid, fresh in outcomes if not fresh]
        await self._apply(RecordStarts(started=started, existing=existing))
        self.started_this_run += len(started)

    async def _start_child(self, open_case: OpenCase) -> tuple[str, bool]:
        case_id = case_id_for(open_case.org_code, open_case.year)
        try:
            await workflow.start_child_workflow(
                RectificationWorkflow.run,
                CaseInput(case_id=case_id, policy=self.policy, open=open_case),
                id=case_id,
                task_queue=workflow.info().task_queue,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                search_attributes=initial_search_attributes(RECTIFICATION.name, "designated", open_case.org_code, open_case.region),
                static_summary=f"{open_case.org_name} {open_case.year}",
            )
        except WorkflowAlreadyStartedError:
            return case_id, False  # opened by hand, or by an earlier run: counted, never duplicated
        return case_id, True

    # ------------------------------------------------------------------ Check / Act

    async def _figures(self) -> CampaignFigures:
        return await workflow.execute_activity_method(
            CampaignActivities.campaign_figures,
            CheckRequest(campaign_id=self.stream_id, region=self.state.region, year=self.state.year, as_of=workflow.now()),
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=_READ_RETRY,
        )

    async def _check(self) -> None:
        self.refresh_wanted = False
        if not accepts(self.state, "RecordCheck"):
            return
        await self._apply(RecordCheck(figures=await self._figures()))

    async def _write_back(self) -> None:
        result = await workflow.execute_activity_method(
            CampaignActivities.record_campaign_outcomes,
            WriteBackRequest(campaign_id=self.stream_id, year=self.state.year),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=_READ_RETRY,
        )
        await self._apply(RecordOutcomes(organizations=result.organizations))

    # ------------------------------------------------------------------ Updates and queries of its own

    @named_update("refresh")
    async def refresh(self) -> CampaignView:
        """Check now: recompute the figures (a CheckRecorded event when they changed)."""
        await workflow.wait_condition(lambda: self.persisted)
        async with self.lock:
            await self._check()
        return self.view()

    @refresh.validator
    def _validate_refresh(self) -> None:
        if not accepts(self.state, "RecordCheck"):
            raise ApplicationError(f"the campaign is {self.state.stage.value}: nothing to check", type="not_allowed_in_stage")

    @workflow.query(name="summary")
    def summary(self) -> CampaignView:
        return self.view()

    def view(self) -> CampaignView:
        s = self.state
        return CampaignView(
            campaign_id=self.stream_id,
            region=s.region,
            year=s.year,
            stage=s.stage,
            version=s.version,
            designated=len(s.cases),
            started=s.count(StartStatus.STARTED),
            existing=s.count(StartStatus.EXISTING),
            pending=len(s.pending),
            batches=s.batches,
            checks=s.checks,
            last_check=s.last_check,
            summary=s.summary,
            outcomes_recorded=s.outcomes_recorded,
            next_check=self.next_check,
            year_end=year_end_at(s.year, self.settings) if s.year else None,
            run=self.runs,
            started_this_run=self.started_this_run,
        )
