"""One Temporal workflow per secretary project (书记项目、委员项目、支部项目). It orchestrates; the domain decides.

Same shape as the rectification workflow:
- Every human step arrives as the ``command`` Update. Its validator runs ``domain.project.decide``,
  so a refused command never enters history. The handler decides again under a lock, appends the
  events through ``AuditActivities.append_events`` and acknowledges only after that.
- The run loop sleeps until ``next_wakeup`` (or until a command changes the state), then feeds a
  ``Tick`` to the decider: milestone reminders and overdue notices, quarterly-report reminders and
  催办, the evaluation-due notice and sanction lapses are events too, delivered only at working
  moments per the working-day calendar (facts fetched through an activity, so replay sees the same).
- Notices go to an outbox that a separate loop delivers (``NotifyActivities.send_notice``, kind
  "project"); a failing channel never blocks the project.
- Time comes from ``workflow.now()``; event ids from ``workflow.uuid4()`` (replay-safe).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from activities.audit import (
        AppendRequest,
        EventRecord,
    )
    from activities.notify import Notice
    from domain.errors import DomainError
    from domain.policy import Policy
    from domain.project import (
        EVENT_ADAPTER,
        INITIAL_STATE,
        KIND,
        NOTICE_EVENTS,
        TERMINAL,
        ApplyProject,
        Command,
        Event,
        ProjectState,
        Stage,
        Tick,
        decide,
        evolve,
        next_wakeup,
    )
    from domain.workcal import CalendarFacts, WorkCalendar
    from workflows.calendar import fetch_calendar
    from workflows.search_attributes import project_search_attributes

from workflows import audited

WORKFLOW_NAME = "SecretaryProject"
UPDATE_NAME = "command"
MAX_REMEMBERED_REQUESTS = 500



class ProjectCommandRequest(BaseModel):
    request_id: str = Field(min_length=1)  # supplied by the CLI: a retried command is applied once
    command: Command


class ProjectCommandResult(BaseModel):
    request_id: str
    project_id: str
    version: int
    stage: Stage
    events: list[str]
    duplicate: bool = False


class ProjectInput(BaseModel):
    project_id: str
    policy: Policy
    apply: ApplyProject | None = None  # the first run applies (立项)
    state: ProjectState | None = None  # carried over by continue-as-new
    processed: dict[str, ProjectCommandResult] = Field(default_factory=dict)
    calendar: CalendarFacts | None = None  # carried over by continue-as-new


class ProjectOutcome(BaseModel):
    project_id: str
    stage: Stage
    version: int
    rating: str | None


@workflow.defn(name=WORKFLOW_NAME)
class SecretaryProjectWorkflow:
    @workflow.init
    def __init__(self, input: ProjectInput) -> None:
        # Handlers may run before run() starts: everything they touch is set up here.
        self.project_id = input.project_id
        self.policy = input.policy
        self.processed: dict[str, ProjectCommandResult] = dict(input.processed)
        self.state: ProjectState = input.state or INITIAL_STATE
        # Facts arrive from an activity in run(); until then (validators only) weekends count.
        self.calendar = WorkCalendar(input.calendar)
        self.lock = asyncio.Lock()
        self.changes = 0
        self.outbox: list[EventRecord] = []
        self.published: dict[str, object] = {}
        self.persisted = input.apply is None
        self.opening: list[Event] = []
        self.refused: DomainError | None = None
        if input.apply is not None:
            try:  # applying needs no calendar
                self.opening = decide(INITIAL_STATE, input.apply, workflow.now(), self.policy, self.calendar)
            except DomainError as error:
                self.refused = error
            for event in self.opening:
                self.state = evolve(self.state, event)

    @workflow.run
    async def run(self, input: ProjectInput) -> ProjectOutcome:
        if self.refused is not None:
            raise ApplicationError(self.refused.message, type=self.refused.code, non_retryable=True)
        delivery = asyncio.create_task(self._deliver_notices())
        if not self.persisted:
            async with self.lock:
                await self._persist(self.opening, INITIAL_STATE, self.state)
                self.persisted = True
        async with self.lock:
            await self._ensure_calendar()
        self._publish_search_attributes()
        while self.state.stage not in TERMINAL:
            await self._sleep_until_due_or_changed()
            async with self.lock:
                await self._apply(Tick())
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(self._quiet)
                delivery.cancel()
                workflow.continue_as_new(
                    ProjectInput(
                        project_id=self.project_id,
                        policy=self.policy,
                        state=self.state,
                        processed=dict(list(self.processed.items())[-MAX_REMEMBERED_REQUESTS:]),
                        calendar=self.calendar.facts,
                    )
                )
        await workflow.wait_condition(self._quiet)
        delivery.cancel()
        return ProjectOutcome(
            project_id=self.project_id,
            stage=self.state.stage,
            version=self.state.version,
            rating=self.state.evaluation.rating.value if self.state.evaluation else None,
        )

    def _quiet(self) -> bool:
        return workflow.all_handlers_finished() and not self.outbox

    async def _sleep_until_due_or_changed(self) -> None:
        seen = self.changes
        wake = next_wakeup(self.state, self.policy, self.calendar, workflow.now())
        if wake is not None and wake <= workflow.now():
            return
        timeout = (wake - workflow.now()).total_seconds() if wake is not None else None
        try:
            await workflow.wait_condition(
                lambda: self.changes != seen or workflow.info().is_continue_as_new_suggested(),
                timeout=timeout,
                timeout_summary="next milestone/report notice",
            )
        except TimeoutError:
            pass

    def _years(self) -> list[int]:
        now = workflow.now()
        years = {now.year, now.year + 1}
        if self.state.year:
            years |= {self.state.year, self.state.year + 1}
        return sorted(years)

    async def _ensure_calendar(self) -> None:
        """Fetch facts for any year the timers may count on that the calendar does not hold yet."""
        if any(year not in self.calendar.facts.years for year in self._years()):
            self.calendar = await fetch_calendar(self._years(), self.calendar.facts)

    # ------------------------------------------------------------------ commands

    @workflow.update(name=UPDATE_NAME)
    async def command(self, request: ProjectCommandRequest) -> ProjectCommandResult:
        await workflow.wait_condition(lambda: self.persisted or self.refused is not None)
        async with self.lock:
            if request.request_id in self.processed:
                return self.processed[request.request_id].model_copy(update={"duplicate": True})
            await self._ensure_calendar()
            try:
                events = await self._apply(request.command)
            except DomainError as error:
                raise ApplicationError(error.message, type=error.code, non_retryable=True) from error
            result = ProjectCommandResult(
                request_id=request.request_id,
                project_id=self.project_id,
                version=self.state.version,
                stage=self.state.stage,
                events=[e.type for e in events],
            )
            self.processed[request.request_id] = result
            return result

    @command.validator
    def _validate(self, request: ProjectCommandRequest) -> None:
        if request.request_id in self.processed:
            return
        if isinstance(request.command, Tick):
            raise ApplicationError("Tick is issued by the workflow's own timers", type="invalid_command")
        try:
            decide(self.state, request.command, workflow.now(), self.policy, self.calendar)
        except DomainError as error:
            raise ApplicationError(error.message, type=error.code, non_retryable=True) from error

    @workflow.query(name="state")
    def current_state(self) -> ProjectState:
        return self.state

    @workflow.query(name="policy")
    def current_policy(self) -> Policy:
        return self.policy

    @workflow.query(name="calendar")
    def calendar_facts(self) -> CalendarFacts:
        """The working-day facts the timers count on (fetched through the calendar activity)."""
        return self.calendar.facts

    @workflow.query(name="next_wakeup")
    def next_wakeup_at(self) -> datetime | None:
        return next_wakeup(self.state, self.policy, self.calendar, workflow.now())

    # ------------------------------------------------------------------ internals

    async def _apply(self, command: Command) -> list[Event]:
        events = decide(self.state, command, workflow.now(), self.policy, self.calendar)
        if events:
            after = self.state
            for event in events:
                after = evolve(after, event)
            await self._persist(events, self.state, after)
            self.state = after
            self.changes += 1
            self._publish_search_attributes()
        return events

    async def _persist(self, events: list[Event], before: ProjectState, after: ProjectState) -> None:
        records = audited.event_records(events, EVENT_ADAPTER)
        await audited.append(
            AppendRequest(
                case_id=self.project_id,
                expected_version=before.version,
                events=records,
                org_code=after.org_code,
                stage=after.stage.value,
                stage_change=audited.stage_change(KIND, before, after),
            )
        )
        self.outbox.extend(record for record in records if record.event_type in NOTICE_EVENTS)

    async def _deliver_notices(self) -> None:
        while True:
            await workflow.wait_condition(lambda: bool(self.outbox))
            await self._notify(self.outbox[0])
            self.outbox.pop(0)

    async def _notify(self, record: EventRecord) -> None:
        notice = Notice(
            event_id=record.event_id, case_id=self.project_id, org_name=self.state.org_name, payload=record.payload, kind=KIND
        )
        await audited.notify(notice, {"project_id": self.project_id, "event_type": record.event_type})

    def _publish_search_attributes(self) -> None:
        audited.publish_changed(self.published, project_search_attributes(self.state))
