"""One Temporal workflow per rectification case. It orchestrates; the domain decides.

- Every human step arrives as the ``command`` Update. Its validator runs the domain's ``decide``,
  so a command the rules refuse is rejected before anything enters history. The handler decides
  again under a lock, appends the events through an activity and acknowledges only after that.
- The run loop sleeps until the domain's ``next_wakeup`` (or until a command changes the state),
  then feeds a ``Tick`` to the decider: reminders, overdue notices and escalations are events too.
- Time comes from ``workflow.now()``; event ids from ``workflow.uuid4()`` (replay-safe).
- Working-day calendar facts come from the ``load_calendar_facts`` activity (``fetch_calendar``) for
  the years the case needs; they are kept in the workflow state and carried over continue-as-new.
  Cases started before this existed (no ``calendar-timing-v1`` patch marker) keep their old timing:
  no calendar fetch, notices exactly when due.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from activities.audit import AppendRequest, EventRecord
    from activities.notify import Notice
    from domain.errors import DomainError
    from domain.policy import Policy
    from domain.rectification import (
        EVENT_ADAPTER,
        calendar_years,
        KIND,
        INITIAL_STATE,
        NOTICE_EVENTS,
        CaseState,
        Command,
        Event,
        OpenCase,
        Stage,
        Tick,
        decide,
        evolve,
        next_wakeup,
    )
    from domain.workcal import CalendarFacts, WorkCalendar
    from workflows.calendar import fetch_calendar
    from workflows.search_attributes import case_search_attributes

from workflows import audited

WORKFLOW_NAME = "RectificationCase"
UPDATE_NAME = "command"
# Remembered request ids: enough for a retried CLI command to be recognised across continue-as-new.
MAX_REMEMBERED_REQUESTS = 500
# Patch id guarding calendar-aware timing (calendar facts activity, working-time notices).
TIMING_PATCH = "calendar-timing-v1"


class CommandRequest(BaseModel):
    request_id: str = Field(min_length=1)  # supplied by the CLI: a retried command is applied once
    command: Command


class CommandResult(BaseModel):
    request_id: str
    case_id: str
    version: int
    stage: Stage
    events: list[str]
    duplicate: bool = False


class CaseInput(BaseModel):
    case_id: str
    policy: Policy
    open: OpenCase | None = None  # the first run opens the case
    state: CaseState | None = None  # carried over by continue-as-new
    processed: dict[str, CommandResult] = Field(default_factory=dict)
    calendar: CalendarFacts | None = None  # calendar facts already fetched (carried over continue-as-new)


class CaseOutcome(BaseModel):
    case_id: str
    stage: Stage
    version: int
    outcome: str | None


@workflow.defn(name=WORKFLOW_NAME)
class RectificationWorkflow:
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        # Handlers may run before run() starts: everything they touch is set up here.
        self.case_id = input.case_id
        self.policy = input.policy
        self.processed: dict[str, CommandResult] = dict(input.processed)
        self.state: CaseState = input.state or INITIAL_STATE
        self.calendar_facts: CalendarFacts = input.calendar or CalendarFacts()
        self.calendar = WorkCalendar(self.calendar_facts)
        # None until run() asks the patch; False: a case recorded before calendar-aware timing.
        self.timed: bool | None = None
        self.lock = asyncio.Lock()
        self.changes = 0
        # Notices wait here for the delivery loop, outside the lock: a slow or failing channel
        # must never hold up commands or timers.
        self.outbox: list[EventRecord] = []
        self.published: dict[str, object] = {}  # search attribute values last upserted
        self.persisted = input.open is None
        self.opening: list[Event] = []
        self.refused: DomainError | None = None
        if input.open is not None:
            # Decide the opening now so validators see an open case; run() makes it durable first.
            try:
                self.opening = decide(INITIAL_STATE, input.open, workflow.now(), self.policy, self.calendar)
            except DomainError as error:  # the CLI checks first; a raw client may not have
                self.refused = error
            for event in self.opening:
                self.state = evolve(self.state, event)

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        if self.refused is not None:
            raise ApplicationError(self.refused.message, type=self.refused.code, non_retryable=True)
        self.timed = workflow.patched(TIMING_PATCH)
        delivery = asyncio.create_task(self._deliver_notices())
        if not self.persisted:
            async with self.lock:
                await self._persist(self.opening, INITIAL_STATE, self.state)
                self.persisted = True
        if self.timed:
            async with self.lock:
                await self._ensure_calendar()
        self._publish_search_attributes()
        while self.state.stage != Stage.CLOSED:
            await self._sleep_until_due_or_changed()
            async with self.lock:
                await self._apply(Tick())
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(self._quiet)
                delivery.cancel()
                workflow.continue_as_new(
                    CaseInput(
                        case_id=self.case_id,
                        policy=self.policy,
                        state=self.state,
                        processed=dict(list(self.processed.items())[-MAX_REMEMBERED_REQUESTS:]),
                        calendar=self.calendar_facts if self.timed else None,
                    )
                )
        await workflow.wait_condition(self._quiet)
        delivery.cancel()
        return CaseOutcome(
            case_id=self.case_id,
            stage=self.state.stage,
            version=self.state.version,
            outcome=self.state.outcome.value if self.state.outcome else None,
        )

    def _quiet(self) -> bool:
        """Nothing in flight: safe to continue-as-new or to complete."""
        return workflow.all_handlers_finished() and not self.outbox

    async def _sleep_until_due_or_changed(self) -> None:
        seen = self.changes
        wake = next_wakeup(self.state, self._policy(), self.calendar, workflow.now())
        if wake is not None and wake <= workflow.now():
            return
        timeout = (wake - workflow.now()).total_seconds() if wake is not None else None
        try:
            await workflow.wait_condition(
                lambda: self.changes != seen or workflow.info().is_continue_as_new_suggested(),
                timeout=timeout,
                timeout_summary="next reminder/deadline/escalation",
            )
        except asyncio.TimeoutError:
            pass

    # ------------------------------------------------------------------ commands

    @workflow.update(name=UPDATE_NAME)
    async def command(self, request: CommandRequest) -> CommandResult:
        await workflow.wait_condition(lambda: (self.persisted and self.timed is not None) or self.refused is not None)
        async with self.lock:
            if request.request_id in self.processed:
                return self.processed[request.request_id].model_copy(update={"duplicate": True})
            try:
                events = await self._apply(request.command)
            except DomainError as error:
                # State moved between validation and handling: fail this update, not the workflow.
                _count_rejection(error.code, request.command.type)
                raise ApplicationError(error.message, type=error.code, non_retryable=True) from error
            result = CommandResult(
                request_id=request.request_id,
                case_id=self.case_id,
                version=self.state.version,
                stage=self.state.stage,
                events=[e.type for e in events],
            )
            self.processed[request.request_id] = result
            return result

    @command.validator
    def _validate(self, request: CommandRequest) -> None:
        if request.request_id in self.processed:
            return  # a retry: the handler answers with the first result
        if isinstance(request.command, Tick):
            _count_rejection("invalid_command", "Tick")
            raise ApplicationError("Tick is issued by the workflow's own timers", type="invalid_command")
        try:
            decide(self.state, request.command, workflow.now(), self._policy(), self.calendar)
        except DomainError as error:
            _count_rejection(error.code, request.command.type)
            raise ApplicationError(error.message, type=error.code, non_retryable=True) from error

    @workflow.query(name="state")
    def current_state(self) -> CaseState:
        return self.state

    @workflow.query(name="policy")
    def current_policy(self) -> Policy:
        return self.policy

    @workflow.query(name="calendar")
    def current_calendar(self) -> CalendarFacts:
        return self.calendar_facts

    # ------------------------------------------------------------------ internals

    def _policy(self) -> Policy:
        """The policy as the timers apply it: a case recorded before calendar-aware timing keeps
        delivering notices exactly when due (its history must replay unchanged)."""
        if self.timed is False:
            return self.policy.model_copy(update={"notice_window": "any_time"})
        return self.policy

    async def _ensure_calendar(self) -> None:
        """Fetch the calendar facts of any year the case now needs (recorded as an activity)."""
        if not self.timed:
            return
        years = calendar_years(self.state, workflow.now())
        if any(year not in self.calendar_facts.years for year in years):
            self.calendar = await fetch_calendar(years, self.calendar_facts)
            self.calendar_facts = self.calendar.facts

    async def _apply(self, command: Command) -> list[Event]:
        await self._ensure_calendar()
        events = decide(self.state, command, workflow.now(), self._policy(), self.calendar)
        if events:
            after = self.state
            for event in events:
                after = evolve(after, event)
            await self._persist(events, self.state, after)
            self.state = after
            self.changes += 1
            self._publish_search_attributes()
            await self._ensure_calendar()
        return events

    async def _persist(self, events: list[Event], before: CaseState, after: CaseState) -> None:
        records = audited.event_records(events, EVENT_ADAPTER)
        await audited.append(
            AppendRequest(
                case_id=self.case_id,
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
            self.outbox.pop(0)  # only now: _quiet() must see a notice in flight as pending

    async def _notify(self, record: EventRecord) -> None:
        notice = Notice(event_id=record.event_id, case_id=self.case_id, org_name=self.state.org_name, payload=record.payload)
        await audited.notify(notice, {"case_id": self.case_id, "event_type": record.event_type})

    def _publish_search_attributes(self) -> None:
        audited.publish_changed(self.published, case_search_attributes(self.state))


_count_rejection = audited.count_rejection
