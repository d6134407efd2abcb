"""Replay the recorded secretary-project history against today's workflow code.

Recorded by ``python -m tests.replay.record_project_history``.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import (
    SandboxedWorkflowRunner,
    SandboxRestrictions,
)

from tests.replay.payloads import PASSTHROUGH as TEST_PASSTHROUGH
from tests.replay.payloads import replay_converter, start_input
from worker import PASSTHROUGH
from workflows.project import (
    WORKFLOW_NAME,
    ProjectInput,
    ProjectOutcome,
    SecretaryProjectWorkflow,
)

HISTORY = Path(__file__).parent / "histories" / "projects" / "project_full_lifecycle.json"


def replayer(*workflows: type) -> Replayer:
    return Replayer(
        workflows=list(workflows or [SecretaryProjectWorkflow]),
        data_converter=replay_converter(),
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH, *TEST_PASSTHROUGH)
        ),
    )


# Every recorded project history: the one recorded before the audited workflow base, and one recorded
# with it (its calendar-each-decision-v1 patch marker on); project_committee_member_per_person.json a
# 委员项目 keyed by its owner (the project-per-person-v1 marker on).
RECORDED = sorted(HISTORY.parent.glob("*.json"))


def history(path: Path = HISTORY) -> WorkflowHistory:
    text = path.read_text(encoding="utf-8")
    return WorkflowHistory.from_json(start_input(text)["project_id"], text)


@pytest.mark.parametrize("path", RECORDED, ids=[p.stem for p in RECORDED])
async def test_recorded_project_history_replays(path: Path) -> None:
    assert HISTORY.exists(), "run: python -m tests.replay.record_project_history"
    recorded = history(path)
    assert recorded.workflow_id.startswith(("proj-secretary-", "proj-committee_member-"))
    result = await replayer().replay_workflow(recorded)
    assert result.replay_failure is None
    assert len(recorded.events) > 100  # a whole project year, not an empty shell


@workflow.defn(name=WORKFLOW_NAME)
class SleepFirstVariant(SecretaryProjectWorkflow):
    """A careless change: wait a moment before making the application durable."""

    @workflow.run
    async def run(self, input: ProjectInput) -> ProjectOutcome:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(input)


async def test_a_non_deterministic_change_is_caught() -> None:
    with pytest.raises(workflow.NondeterminismError):
        await replayer(SleepFirstVariant).replay_workflow(history())


async def test_a_committee_member_project_keyed_by_its_owner_replays() -> None:
    """Recorded with project-per-person-v1: the 委员项目's id names its owner (issue 14)."""
    path = HISTORY.parent / "project_committee_member_per_person.json"
    recorded = history(path)
    assert recorded.workflow_id == "proj-committee_member-replay-proj-2027-bs-wang"
    # the patch marker's id, as the JSON carries it (base64 of "project-per-person-v1")
    assert base64.b64encode(b"project-per-person-v1").decode() in path.read_text(encoding="utf-8")
    result = await replayer().replay_workflow(recorded)
    assert result.replay_failure is None
