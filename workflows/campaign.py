"""The annual campaign (年度整顿工作): one workflow per region and year, the committee-level PDCA loop.

- Plan: ``ApproveDesignation`` arrives as the ``command`` Update (validator runs the domain's decide);
  approving again amends: only organizations not approved before are added.
- Do: each approved case is started as a child ``RectificationCase`` workflow (id = case id,
  ``ParentClosePolicy.ABANDON``, same task queue), in batches of ``start_batch_size`` with a
  ``batch_pause`` between batches. A child whose id already exists (opened by hand with `pdca open`,
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

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from activities.audit import AppendRequest
    from activities.campaign import CampaignActivities, CheckRequest, WriteBackRequest
    from domain.campaign import (
        EVENT_ADAPTER,
        INITIAL_STATE,
        KIND,
        PEOPLE_COMMANDS,
        CampaignFigures,
        CampaignSettings,
        CampaignStage,
        CampaignState,
        CloseYear,
        Command,
        Event,
        OpenCampaign,
        RecordCheck,
        RecordOutcomes,
        RecordStarts,
        StartStatus,
        YearEndSummary,
        decide,
        evolve,
        next_batch,
        next_check_at,
        year_end_at,
    )
    from domain.actors import SYSTEM_ACTOR
    from domain.errors import DomainError
    from domain.policy import Policy
    from domain.rectification import OpenCase, case_id_for
    from workflows.search_attributes import CASE_KIND, REGION, STAGE, initial_search_attributes

from workflows import audited
from workflows.rectification import CaseInput, RectificationWorkflow

WORKFLOW_NAME = "AnnualCampaign"
UPDATE_NAME = "command"
MAX_REMEMBERED_REQUESTS = 500

_READ_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))

class CampaignRequest(BaseModel):
    request_id: str = Field(min_length=1)
    command: Command


class CampaignResult(BaseModel):
    request_id: str
    campaign_id: str
    version: int
    stage: CampaignStage
    events: list[str]
    designated: int
    started: int
    pending: int
    duplicate: bool = False


class CampaignInput(BaseModel):
    campaign_id: str
    policy: Policy  # the policy of the cases it starts (and of the approval's checks)
    settings: CampaignSettings = Field(default_factory=CampaignSettings)
    open: OpenCampaign | None = None  # the first run opens the campaign
    state: CampaignState | None = None  # carried over by continue-as-new
    processed: dict[str, CampaignResult] = Field(default_factory=dict)
    next_check: datetime | None = None
    runs: int = 1  # how many runs this campaign has had (1 + continue-as-new count)


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
class CampaignWorkflow:
    @workflow.init
    def __init__(self, input: CampaignInput) -> None:
        self.campaign_id = input.campaign_id
        self.policy = input.policy
        self.settings = input.settings
        self.state: CampaignState = input.state or INITIAL_STATE
        self.processed: dict[str, CampaignResult] = dict(input.processed)
        self.next_check = input.next_check
        self.runs = input.runs
        self.lock = asyncio.Lock()
        self.changes = 0
        self.refresh_wanted = False
        self.started_this_run = 0
        self.published_stage: str | None = None
        self.persisted = input.open is None
        self.opening: list[Event] = []
        self.refused: DomainError | None = None
        if input.open is not None:
            try:
                self.opening = decide(INITIAL_STATE, input.open, workflow.now(), self.policy)
            except DomainError as error:
                self.refused = error
            for event in self.opening:
                self.state = evolve(self.state, event)

    @workflow.run
    async def run(self, input: CampaignInput) -> CampaignView:
        if self.refused is not None:
            raise ApplicationError(self.refused.message, type=self.refused.code, non_retryable=True)
        if not self.persisted:
            async with self.lock:
                await self._persist(self.opening, INITIAL_STATE)
                self.persisted = True
        self._publish()
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
                    if self.state.stage != CampaignStage.CLOSED:
                        await self._close(CloseYear(actor=SYSTEM_ACTOR, note="年度截止 year end"))
                continue
            if self.refresh_wanted or now >= self.next_check:
                async with self.lock:
                    await self._check()
                if now >= self.next_check:
                    self.next_check = next_check_at(now, self.settings)
                continue
            await self._sleep_until(min(self.next_check, year_end) if self.settings.auto_close else self.next_check)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.view()

    def _suggested(self) -> bool:
        return workflow.info().is_continue_as_new_suggested()

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
        except asyncio.TimeoutError:
            pass

    async def _continue_as_new(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(
            CampaignInput(
                campaign_id=self.campaign_id,
                policy=self.policy,
                settings=self.settings,
                state=self.state,
                processed=dict(list(self.processed.items())[-MAX_REMEMBERED_REQUESTS:]),
                next_check=self.next_check,
                runs=self.runs + 1,
            )
        )

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
                search_attributes=initial_search_attributes(open_case.org_code, open_case.region),
                static_summary=f"{open_case.org_name} {open_case.year}",
            )
        except WorkflowAlreadyStartedError:
            return case_id, False  # opened by hand, or by an earlier run: counted, never duplicated
        return case_id, True

    # ------------------------------------------------------------------ Check / Act

    async def _figures(self) -> CampaignFigures:
        return await workflow.execute_activity_method(
            CampaignActivities.campaign_figures,
            CheckRequest(campaign_id=self.campaign_id, region=self.state.region, year=self.state.year, as_of=workflow.now()),
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=_READ_RETRY,
        )

    async def _check(self) -> CampaignFigures | None:
        self.refresh_wanted = False
        if self.state.stage not in (CampaignStage.OPEN, CampaignStage.RUNNING):
            return self.state.last_check
        figures = await self._figures()
        await self._apply(RecordCheck(figures=figures))
        return self.state.last_check

    async def _close(self, command: CloseYear) -> list[Event]:
        figures = await self._figures()
        return await self._apply(command.model_copy(update={"figures": figures}))

    async def _write_back(self) -> None:
        result = await workflow.execute_activity_method(
            CampaignActivities.record_campaign_outcomes,
            WriteBackRequest(campaign_id=self.campaign_id, year=self.state.year),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=_READ_RETRY,
        )
        await self._apply(RecordOutcomes(organizations=result.organizations))

    # ------------------------------------------------------------------ Updates and queries

    @workflow.update(name=UPDATE_NAME)
    async def command(self, request: CampaignRequest) -> CampaignResult:
        await workflow.wait_condition(lambda: self.persisted or self.refused is not None)
        async with self.lock:
            if request.request_id in self.processed:
                return self.processed[request.request_id].model_copy(update={"duplicate": True})
            try:
                if isinstance(request.command, CloseYear):
                    events = await self._close(request.command)
                else:
                    events = await self._apply(request.command)
            except DomainError as error:
                raise ApplicationError(error.message, type=error.code, non_retryable=True) from error
            result = CampaignResult(
                request_id=request.request_id,
                campaign_id=self.campaign_id,
                version=self.state.version,
                stage=self.state.stage,
                events=[e.type for e in events],
                designated=len(self.state.cases),
                started=self.state.started,
                pending=len(self.state.pending),
            )
            self.processed[request.request_id] = result
            return result

    @command.validator
    def _validate(self, request: CampaignRequest) -> None:
        if request.request_id in self.processed:
            return
        if request.command.type not in PEOPLE_COMMANDS:
            raise ApplicationError(f"{request.command.type} is issued by the campaign workflow itself", type="invalid_command")
        try:
            decide(self.state, request.command, workflow.now(), self.policy)
        except DomainError as error:
            raise ApplicationError(error.message, type=error.code, non_retryable=True) from error

    @workflow.update(name="refresh")
    async def refresh(self) -> CampaignView:
        """Check now: recompute the figures (a CheckRecorded event when they changed)."""
        await workflow.wait_condition(lambda: self.persisted)
        async with self.lock:
            await self._check()
        return self.view()

    @refresh.validator
    def _validate_refresh(self) -> None:
        if self.state.stage not in (CampaignStage.OPEN, CampaignStage.RUNNING):
            raise ApplicationError(f"the campaign is {self.state.stage.value}: nothing to check", type="not_allowed_in_stage")

    @workflow.query(name="summary")
    def summary(self) -> CampaignView:
        return self.view()

    def view(self) -> CampaignView:
        s = self.state
        return CampaignView(
            campaign_id=self.campaign_id,
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

    # ------------------------------------------------------------------ internals

    async def _apply(self, command: Command) -> list[Event]:
        events = decide(self.state, command, workflow.now(), self.policy)
        if events:
            before = self.state
            after = before
            for event in events:
                after = evolve(after, event)
            await self._persist(events, before)
            self.state = after
            self.changes += 1
            self._publish()
        return events

    async def _persist(self, events: list[Event], before: CampaignState) -> None:
        records = audited.event_records(events, EVENT_ADAPTER)
        await audited.append(
            AppendRequest(case_id=self.campaign_id, expected_version=before.version, events=records, stage=self.state.stage.value),
            timeout=timedelta(seconds=60),
        )

    def _publish(self) -> None:
        stage = self.state.stage.value
        if self.published_stage != stage:
            updates = [CASE_KIND.value_set(KIND), STAGE.value_set(stage)]
            if self.state.region:
                updates.append(REGION.value_set(self.state.region))
            workflow.upsert_search_attributes(updates)
            self.published_stage = stage

