"""One Temporal workflow per rectification case, on the audited decider skeleton (workflows/audited.py).

What is the case's own: its payload models, its outcome, and its history of timing. Cases started
before calendar-aware timing existed (no ``calendar-timing-v1`` patch marker) keep their old timing:
no calendar fetch, notices exactly when due.

Memory on every case (``memory-recall-v1``): a case — opened by hand, or by its campaign — reads its
organization's record (secretary, history, pairing units) through an activity before its opening is
recorded, and the opening is decided again with it (at the run's start time, as in ``__init__``): the memory rules apply to it
whoever opened it, from the record, never from the command body. The patch is asked in ``_start``,
before the run's first local activity; runs recorded before it replay as recorded.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

# Passed through: domain models and the skeleton (workflows.audited, no per-run state) are imported once;
# a new run re-imports only this module.
with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from activities.org_record import OrgRecord, OrgRecordActivities, OrgRecordRequest
    from domain.errors import DomainError
    from domain.identity import TrustedKeys
    from domain.policy import Policy
    from domain.rectification import DECIDER, CaseState, OpenCase, Stage
    from domain.workcal import CalendarFacts
    from workflows.activity_calls import call_activity
    from workflows.audited import UPDATE_NAME, AuditedWorkflow
    from workflows.audited import CommandResult as AuditedResult

__all__ = ["UPDATE_NAME", "WORKFLOW_NAME", "CaseInput", "CaseOutcome", "CommandResult", "RectificationWorkflow"]

WORKFLOW_NAME = "RectificationCase"
# Patch id guarding calendar-aware timing (calendar facts activity, working-time notices).
TIMING_PATCH = "calendar-timing-v1"
# Patch id guarding the organization's record read at a hand-opened case's opening (memory on every case).
MEMORY_RECALL_PATCH = "memory-recall-v1"
RECORD_TIMEOUT = timedelta(seconds=30)
RECORD_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))



class CommandResult(AuditedResult):
    case_id: str
    stage: Stage


class CaseInput(BaseModel):
    case_id: str
    policy: Policy
    open: OpenCase | None = None  # the first run opens the case
    state: CaseState | None = None  # carried over by continue-as-new
    processed: dict[str, CommandResult] = Field(default_factory=dict)
    calendar: CalendarFacts | None = None  # calendar facts already fetched (carried over continue-as-new)
    credential: str | None = None  # the opener's credential (verified before the opening is recorded)
    keys: TrustedKeys | None = None  # the authority's public keys (carried over continue-as-new)


class CaseOutcome(BaseModel):
    case_id: str
    stage: Stage
    version: int
    outcome: str | None


@workflow.defn(name=WORKFLOW_NAME)
class RectificationWorkflow(AuditedWorkflow[CaseState, CommandResult]):
    decider = DECIDER
    result_model = CommandResult

    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        # None until run() asks the patch; False: a case recorded before calendar-aware timing.
        self.timed: bool | None = None
        self.recalls: bool | None = None  # memory-recall-v1, asked in _start
        self._setup(
            input.case_id, input.policy, input.open, input.state, input.processed, input.calendar, input.credential, input.keys
        )

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        await self._run_to_end()
        outcome = self.state.outcome
        return CaseOutcome(
            case_id=self.stream_id, stage=self.state.stage, version=self.state.version, outcome=outcome.value if outcome else None
        )

    def _start(self) -> None:
        self.timed = workflow.patched(TIMING_PATCH)
        self.recalls = workflow.patched(MEMORY_RECALL_PATCH)

    async def _complete_opening(self) -> None:
        """Every case: its opening decided again with its organization's record, read now (whoever opened
        it: a person by hand, or a campaign whose designees' history came in the approving client's command)."""
        opening = self.opening_command
        if not self.recalls or not isinstance(opening, OpenCase):
            return
        record: OrgRecord = await call_activity(
            OrgRecordActivities.read_org_record,
            OrgRecordRequest(org_code=opening.org_code, year=opening.year),
            local=self._fetches_locally(),
            timeout=RECORD_TIMEOUT,
            retry=RECORD_RETRY,
        )
        # The township (scope is checked on it) and the name are the directory's when it knows the
        # organization, not the body's.
        region, name = record.region or opening.region, record.name or opening.org_name
        recalled = opening.model_copy(
            update={
                "region": region,
                "org_name": name,
                "secretary": record.secretary,
                "history": record.history,
                "pairings": record.pairings,
            }
        )
        at = workflow.info().workflow_start_time if self._fetches_locally() else None
        try:
            events = self.decider.decide(self.decider.initial, recalled, self._context(at))
        except DomainError:
            # The record made the opening unacceptable (a corrupt record): open without memory rather than
            # with anything the command body said about the organization's past.
            workflow.logger.warning("opening with the recalled record refused", extra={"case_id": self.stream_id})
            bare = opening.model_copy(update={"region": region, "org_name": name, "secretary": None, "history": None, "pairings": None})
            try:
                events = self.decider.decide(self.decider.initial, bare, self._context(at))
            except DomainError as error:  # refused as a raw client's opening is: never a task retried for good
                raise ApplicationError(error.message, type=error.code, non_retryable=True) from None
        self.opening, self.state = events, self._folded(self.decider.initial, events)

    def _calendar_on(self) -> bool:
        return bool(self.timed)

    def _decision_policy(self) -> Policy:
        """A case recorded before calendar-aware timing keeps delivering notices exactly when due (its
        history must replay unchanged)."""
        if self.timed is False:
            return self.policy.model_copy(update={"notice_window": "any_time", "close_requires_execution": False})
        if self.recalls is False:
            # recorded before sanctions could be recorded as carried out: it closes as it did
            return self.policy.model_copy(update={"close_requires_execution": False})
        return self.policy

    def _result_fields(self) -> dict[str, Any]:
        return {"case_id": self.stream_id, "stage": self.state.stage}

    def _next_run_input(self) -> CaseInput:
        return CaseInput(
            case_id=self.stream_id,
            policy=self.policy,
            state=self.state,
            processed=self._remembered(),
            calendar=self.calendar.facts if self.timed else None,
            keys=self._carried_keys(),
        )
