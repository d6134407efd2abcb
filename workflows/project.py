"""One Temporal workflow per secretary project (书记项目、委员项目、支部项目), on the audited decider
skeleton (workflows/audited.py).

What is the project's own: its payload models and outcome, and its history of calendar refreshes.
Projects started before the ``calendar-each-decision-v1`` patch refresh the working-day calendar only
before a person's command; later ones also before every timer and after every change, as cases do.
Projects applied for since ``project-per-person-v1`` have a 委员项目 / 支部项目 id that names its
leading person (``proj-committee_member-V001-2027-wy-01``: several per organization and year), and a
run started under an id that is not its application's is refused; earlier ones keep their ids.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

# Passed through: domain models and the skeleton (workflows.audited, no per-run state) are imported once;
# a new run re-imports only this module.
with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from activities.org_record import OrgPlaces, OrgPlacesRequest, OrgRecordActivities
    from domain.errors import InvalidCommand
    from domain.identity import TrustedKeys
    from domain.policy import Policy
    from domain.project import DECIDER, ApplyProject, ProjectState, Stage
    from domain.workcal import CalendarFacts
    from workflows.activity_calls import call_activity
    from workflows.audited import UPDATE_NAME, AuditedWorkflow, CommandResult

__all__ = [
    "UPDATE_NAME",
    "WORKFLOW_NAME",
    "ProjectCommandResult",
    "ProjectInput",
    "ProjectOutcome",
    "SecretaryProjectWorkflow",
]

WORKFLOW_NAME = "SecretaryProject"
CALENDAR_PATCH = "calendar-each-decision-v1"
PER_PERSON_PATCH = "project-per-person-v1"



class ProjectCommandResult(CommandResult):
    project_id: str
    stage: Stage


class ProjectInput(BaseModel):
    project_id: str
    policy: Policy
    apply: ApplyProject | None = None  # the first run applies (立项)
    state: ProjectState | None = None  # carried over by continue-as-new
    processed: dict[str, ProjectCommandResult] = Field(default_factory=dict)
    calendar: CalendarFacts | None = None  # carried over by continue-as-new
    credential: str | None = None  # the opener's credential (verified before the opening is recorded)
    keys: TrustedKeys | None = None  # the authority's public keys (carried over continue-as-new)


class ProjectOutcome(BaseModel):
    project_id: str
    stage: Stage
    version: int
    rating: str | None


@workflow.defn(name=WORKFLOW_NAME)
class SecretaryProjectWorkflow(AuditedWorkflow[ProjectState, ProjectCommandResult]):
    decider = DECIDER
    result_model = ProjectCommandResult

    @workflow.init
    def __init__(self, input: ProjectInput) -> None:
        self.each_decision = False  # run() asks the patch
        apply = input.apply
        # Since project-per-person-v1 a 委员项目 / 支部项目 is keyed by its leading person (the verified
        # applicant): asked first, before the skeleton decides the opening, for an opening run only.
        per_person = apply is not None and workflow.patched(PER_PERSON_PATCH)
        if apply is not None and per_person:
            apply = apply.model_copy(update={"per_person": True})
        self._setup(input.project_id, input.policy, apply, input.state, input.processed, input.calendar, input.credential, input.keys)
        if per_person and self.refused is None and self.opening:
            decided = getattr(self.opening[0], "project_id", input.project_id)
            if decided != input.project_id:  # a raw client started the workflow under another id
                self.refused = InvalidCommand(f"the application is project {decided}, not {input.project_id}: start it under its own id")

    @workflow.run
    async def run(self, input: ProjectInput) -> ProjectOutcome:
        await self._run_to_end()
        evaluation = self.state.evaluation
        return ProjectOutcome(
            project_id=self.stream_id,
            stage=self.state.stage,
            version=self.state.version,
            rating=evaluation.rating.value if evaluation else None,
        )

    def _start(self) -> None:
        self.each_decision = workflow.patched(CALENDAR_PATCH)

    async def _complete_opening(self) -> None:
        """Since project-per-person-v1: the organization's name and township are the directory's, read now
        (scope is checked on the township), not the application's; an organization the directory does not
        know keeps the application's. The opening is decided again with them before it is recorded."""
        opening = self.opening_command
        if not isinstance(opening, ApplyProject) or not opening.per_person:
            return
        found: OrgPlaces = await call_activity(
            OrgRecordActivities.read_org_places,
            OrgPlacesRequest(codes=[opening.org_code]),
            local=self._fetches_locally(),
            timeout=timedelta(seconds=30),
            retry=RetryPolicy(maximum_interval=timedelta(seconds=30)),
        )
        if not found.places:
            return
        place = found.places[0]
        placed = opening.model_copy(update={"org_name": place.name, "region": place.region})
        self._decide_opening_again(placed)

    def _calendar_each_decision(self) -> bool:
        return self.each_decision

    def _result_fields(self) -> dict[str, Any]:
        return {"project_id": self.stream_id, "stage": self.state.stage}

    def _next_run_input(self) -> ProjectInput:
        return ProjectInput(
            project_id=self.stream_id,
            policy=self.policy,
            state=self.state,
            processed=self._remembered(),
            calendar=self.calendar.facts,
            keys=self._carried_keys(),
        )
