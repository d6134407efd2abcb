"""One Temporal workflow per inspection (明察暗访、专项抽查、观摩), on the audited decider skeleton
(workflows/audited.py).

An inspection counts no working days and has no timers: it records the visit and its findings, takes
each finding's disposal, and ends when it is closed (办结).
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

    from activities.org_record import OrgPlaces, OrgPlacesRequest, OrgRecordActivities
    from domain.identity import TrustedKeys
    from domain.inspection import DECIDER, InspectionState, RecordInspection, Stage
    from domain.policy import Policy
    from workflows.activity_calls import call_activity
    from workflows.audited import UPDATE_NAME, AuditedWorkflow, CommandResult
    from workflows.search_attributes import place_search_attributes

__all__ = ["UPDATE_NAME", "WORKFLOW_NAME", "InspectionCommandResult", "InspectionInput", "InspectionOutcome", "InspectionWorkflow"]

WORKFLOW_NAME = "Inspection"


class InspectionCommandResult(CommandResult):
    inspection_id: str
    stage: Stage


class InspectionInput(BaseModel):
    inspection_id: str
    policy: Policy
    record: RecordInspection | None = None  # the first run records the visit
    state: InspectionState | None = None  # carried over by continue-as-new
    processed: dict[str, InspectionCommandResult] = Field(default_factory=dict)
    credential: str | None = None  # the recorder's credential (verified before the visit is recorded)
    keys: TrustedKeys | None = None


class InspectionOutcome(BaseModel):
    inspection_id: str
    stage: Stage
    version: int
    findings: int


@workflow.defn(name=WORKFLOW_NAME)
class InspectionWorkflow(AuditedWorkflow[InspectionState, InspectionCommandResult]):
    decider = DECIDER
    result_model = InspectionCommandResult

    @workflow.init
    def __init__(self, input: InspectionInput) -> None:
        self._setup(input.inspection_id, input.policy, input.record, input.state, input.processed, None, input.credential, input.keys)

    @workflow.run
    async def run(self, input: InspectionInput) -> InspectionOutcome:
        await self._run_to_end()
        return InspectionOutcome(
            inspection_id=self.stream_id, stage=self.state.stage, version=self.state.version, findings=len(self.state.findings)
        )

    async def _complete_opening(self) -> None:
        """The visited organizations' names and townships are the directory's, read now (scope is checked on
        the townships), never the command body's: the visit is decided again with them before it is recorded."""
        opening = self.opening_command
        if not isinstance(opening, RecordInspection):
            return
        found: OrgPlaces = await call_activity(
            OrgRecordActivities.read_org_places,
            OrgPlacesRequest(codes=[o.code for o in opening.orgs]),
            local=self._fetches_locally(),
            timeout=timedelta(seconds=30),
            retry=RetryPolicy(maximum_interval=timedelta(seconds=30)),
        )
        places = {p.code: p for p in found.places}
        unknown = [o.code for o in opening.orgs if o.code not in places]
        if unknown:
            message = f"orgs: not in the organization directory: {', '.join(unknown)}"
            raise ApplicationError(message, type="invalid_command", non_retryable=True)
        orgs = [o.model_copy(update={"name": places[o.code].name, "region": places[o.code].region}) for o in opening.orgs]
        placed = opening.model_copy(update={"orgs": orgs})
        self._decide_opening_again(placed)

    def _calendar_on(self) -> bool:
        return False  # nothing here counts working days

    def _result_fields(self) -> dict[str, Any]:
        return {"inspection_id": self.stream_id, "stage": self.state.stage}

    def _search_attributes(self) -> list[SearchAttributeUpdate]:
        return place_search_attributes(DECIDER.name, self.state)

    def _next_run_input(self) -> InspectionInput:
        return InspectionInput(
            inspection_id=self.stream_id, policy=self.policy, state=self.state, processed=self._remembered(), keys=self._carried_keys()
        )
