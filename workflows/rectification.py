"""One Temporal workflow per rectification case, on the audited decider skeleton (workflows/audited.py).

What is the case's own: its payload models, its outcome, and its history of timing. Cases started
before calendar-aware timing existed (no ``calendar-timing-v1`` patch marker) keep their old timing:
no calendar fetch, notices exactly when due.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

# Passed through: domain models and the skeleton (workflows.audited, no per-run state) are imported once;
# a new run re-imports only this module.
with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from domain.identity import TrustedKeys
    from domain.policy import Policy
    from domain.rectification import DECIDER, CaseState, OpenCase, Stage
    from domain.workcal import CalendarFacts
    from workflows.audited import UPDATE_NAME, AuditedWorkflow
    from workflows.audited import CommandResult as AuditedResult

__all__ = ["UPDATE_NAME", "WORKFLOW_NAME", "CaseInput", "CaseOutcome", "CommandResult", "RectificationWorkflow"]

WORKFLOW_NAME = "RectificationCase"
# Patch id guarding calendar-aware timing (calendar facts activity, working-time notices).
TIMING_PATCH = "calendar-timing-v1"



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

    def _calendar_on(self) -> bool:
        return bool(self.timed)

    def _decision_policy(self) -> Policy:
        """A case recorded before calendar-aware timing keeps delivering notices exactly when due (its
        history must replay unchanged)."""
        if self.timed is False:
            return self.policy.model_copy(update={"notice_window": "any_time"})
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
