"""The people directory (人员目录) as an audited stream: one long-running workflow, ``dir-people``.

Who may sign in, with which roles and scope, which signing keys are theirs, and the record of every
organization and assessment import: each change is a command of an administrator (or, for keys, of
the person), verified like every other command (credential in the validator) and appended to the hash
chain. Sign-in (service/signin.py) reads the folded stream from the audit log.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

# Passed through: domain models and the skeleton (workflows.audited, no per-run state) are imported once;
# a new run re-imports only this module.
with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from activities.audit import StageChange
    from domain.identity import TrustedKeys
    from domain.people import DECIDER, DirectoryStage, DirectoryState, OpenDirectory
    from domain.policy import Policy
    from workflows.audited import UPDATE_NAME, AuditedWorkflow, CommandResult
    from workflows.search_attributes import CASE_KIND, STAGE

__all__ = ["UPDATE_NAME", "WORKFLOW_NAME", "DirectoryInput", "DirectoryResult", "DirectoryWorkflow"]

WORKFLOW_NAME = "PeopleDirectory"


class DirectoryResult(CommandResult):
    directory_id: str
    stage: DirectoryStage


class DirectoryInput(BaseModel):
    directory_id: str
    policy: Policy = Field(default_factory=Policy)
    open: OpenDirectory | None = None  # the first run opens the directory (its first administrator)
    state: DirectoryState | None = None  # carried over by continue-as-new
    processed: dict[str, DirectoryResult] = Field(default_factory=dict)
    credential: str | None = None
    keys: TrustedKeys | None = None


@workflow.defn(name=WORKFLOW_NAME)
class DirectoryWorkflow(AuditedWorkflow[DirectoryState, DirectoryResult]):
    decider = DECIDER
    result_model = DirectoryResult

    @workflow.init
    def __init__(self, input: DirectoryInput) -> None:
        self._setup(input.directory_id, input.policy, input.open, input.state, input.processed, None, input.credential, input.keys)

    @workflow.run
    async def run(self, input: DirectoryInput) -> None:
        await self._begin()
        await workflow.wait_condition(self._suggested)
        await self._continue_as_new()

    def _calendar_on(self) -> bool:
        return False  # nothing here counts working days

    def _result_fields(self) -> dict[str, Any]:
        return {"directory_id": self.stream_id, "stage": self.state.stage}

    def _search_attributes(self) -> list[SearchAttributeUpdate]:
        return [CASE_KIND.value_set(DECIDER.name), STAGE.value_set(self.state.stage.value)]

    def _stage_change(self, before: DirectoryState, after: DirectoryState) -> StageChange | None:
        return None

    def _next_run_input(self) -> DirectoryInput:
        return DirectoryInput(
            directory_id=self.stream_id, policy=self.policy, state=self.state, processed=self._remembered(), keys=self._carried_keys()
        )
