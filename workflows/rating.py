"""One Temporal workflow per star rating (评星定级: an organization's rating of a year), on the audited
decider skeleton (workflows/audited.py).

Its timers: the end of the objection window (公示期, counted in working days) and the end of dynamic
management, after which the rating is archived. Two facts are read by activities, never taken from a
client: what the rating opens with (the organization's name, township and domain, last year's level,
the cases that propose 晋位升级 or count as a veto; ``read_rating_facts``, before the opening is recorded),
and the organization a veto event's source concerns (``read_source_org``, before the event is decided).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

# Passed through: domain models and the skeleton (workflows.audited, no per-run state) are imported once.
with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from activities.org_record import OrgRecordActivities, OrgRecordRequest, SourceOrg, SourceRequest
    from domain.identity import TrustedKeys
    from domain.policy import Policy
    from domain.rating import DECIDER, MANUAL, ApproveRating, OpenRating, RatingState, RecordVetoEvent, Stage
    from store.ratings import RatingFacts
    from workflows.activity_calls import call_activity
    from workflows.audited import UPDATE_NAME, AuditedWorkflow, CommandResult
    from workflows.search_attributes import place_search_attributes

__all__ = ["UPDATE_NAME", "WORKFLOW_NAME", "RatingCommandResult", "RatingInput", "RatingOutcome", "RatingWorkflow"]

WORKFLOW_NAME = "StarRating"
READ_TIMEOUT = timedelta(seconds=30)
READ_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))


class RatingCommandResult(CommandResult):
    rating_id: str
    stage: Stage


class RatingInput(BaseModel):
    rating_id: str
    policy: Policy
    open: OpenRating | None = None  # the first run opens the rating
    state: RatingState | None = None  # carried over by continue-as-new
    processed: dict[str, RatingCommandResult] = Field(default_factory=dict)
    credential: str | None = None  # the opener's credential (verified before the opening is recorded)
    keys: TrustedKeys | None = None


class RatingOutcome(BaseModel):
    rating_id: str
    stage: Stage
    version: int
    level: int | None


@workflow.defn(name=WORKFLOW_NAME)
class RatingWorkflow(AuditedWorkflow[RatingState, RatingCommandResult]):
    decider = DECIDER
    result_model = RatingCommandResult

    @workflow.init
    def __init__(self, input: RatingInput) -> None:
        self._setup(input.rating_id, input.policy, input.open, input.state, input.processed, None, input.credential, input.keys)

    @workflow.run
    async def run(self, input: RatingInput) -> RatingOutcome:
        await self._run_to_end()
        return RatingOutcome(rating_id=self.stream_id, stage=self.state.stage, version=self.state.version, level=self.state.level)

    async def _complete_opening(self) -> None:
        """The organization's name, township, domain, last year's level and its cases are the directory's
        and the audit log's, read now (scope is checked on the township), never the command body's: the
        opening is decided again with them before it is recorded."""
        opening = self.opening_command
        if not isinstance(opening, OpenRating):
            return
        facts: RatingFacts = await call_activity(
            OrgRecordActivities.read_rating_facts,
            OrgRecordRequest(org_code=opening.org_code, year=opening.year),
            local=self._fetches_locally(),
            timeout=READ_TIMEOUT,
            retry=READ_RETRY,
        )
        if not facts.found:
            message = f"org_code: {opening.org_code} is not in the organization directory"
            raise ApplicationError(message, type="invalid_command", non_retryable=True)
        known = opening.model_copy(
            update={
                "org_name": facts.name,
                "region": facts.region,
                "domain": facts.domain,
                "previous_level": facts.previous_level,
                "upgrade_cases": facts.upgrade_cases,
                "open_cases": facts.open_cases,
            }
        )
        self._decide_opening_again(known)

    async def _prepare(self, command: Any) -> Any:
        """Facts a command is decided on, read from the audit log's ledgers (replacing whatever the client
        wrote): the rating year's cases of the organization at approval (``open_cases``: a case opened
        since the rating was is a veto item the gates apply), the organization a veto event's source
        concerns (``source_org``)."""
        if isinstance(command, ApproveRating):
            facts: RatingFacts = await call_activity(
                OrgRecordActivities.read_rating_facts,
                OrgRecordRequest(org_code=self.state.org_code, year=self.state.year),
                local=True,
                timeout=READ_TIMEOUT,
                retry=READ_RETRY,
            )
            return command.model_copy(update={"open_cases": facts.open_cases})
        if not isinstance(command, RecordVetoEvent) or command.source == MANUAL:
            return command
        found: SourceOrg = await call_activity(
            OrgRecordActivities.read_source_org,
            SourceRequest(source=command.source),
            local=True,
            timeout=READ_TIMEOUT,
            retry=READ_RETRY,
        )
        return command.model_copy(update={"source_org": found.org_code})

    def _result_fields(self) -> dict[str, Any]:
        return {"rating_id": self.stream_id, "stage": self.state.stage}

    def _search_attributes(self) -> list[SearchAttributeUpdate]:
        return place_search_attributes(DECIDER.name, self.state)

    def _next_run_input(self) -> RatingInput:
        return RatingInput(
            rating_id=self.stream_id, policy=self.policy, state=self.state, processed=self._remembered(), keys=self._carried_keys()
        )
