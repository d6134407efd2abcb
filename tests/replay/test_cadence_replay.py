"""Replay the recorded supervision-cadence run (moved from a Saturday to Monday) against today's code.

Recorded by ``python -m tests.replay.record_cadence_history``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.cadence import CadenceActivities, CadenceRequest, CadenceResult
from tests.replay.payloads import PASSTHROUGH as TEST_PASSTHROUGH
from tests.replay.payloads import replay_converter
from worker import PASSTHROUGH
from workflows.cadence import WORKFLOW_NAME, CadenceInput, CadenceWorkflow

HISTORY = Path(__file__).parent / "histories" / "cadence" / "cadence_moved_run.json"
WORKFLOW_ID = "pdca-cadence-monthly-digest-run-2026-12-12T01:00:00Z"


def replayer(*workflows: type) -> Replayer:
    return Replayer(
        workflows=list(workflows or [CadenceWorkflow]),
        data_converter=replay_converter(),
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH, *TEST_PASSTHROUGH)
        ),
    )


def history() -> WorkflowHistory:
    return WorkflowHistory.from_json(WORKFLOW_ID, HISTORY.read_text(encoding="utf-8"))


async def test_the_recorded_moved_run_replays() -> None:
    assert HISTORY.exists(), "run: python -m tests.replay.record_cadence_history"
    recorded = history()
    types = [event.event_type for event in recorded.events]
    assert EventType.EVENT_TYPE_TIMER_STARTED in types and EventType.EVENT_TYPE_MARKER_RECORDED in types  # the wait, the patch
    result = await replayer().replay_workflow(recorded)
    assert result.replay_failure is None


@workflow.defn(name=WORKFLOW_NAME)
class RunOnTheDayVariant(CadenceWorkflow):
    """A careless change: run on the scheduled day without asking the calendar or waiting."""

    @workflow.run
    async def run(self, input: CadenceInput) -> CadenceResult:
        from datetime import timedelta

        return await workflow.execute_activity_method(
            CadenceActivities.run_cadence,
            CadenceRequest(kind=input.kind, as_of=workflow.now(), policy=input.policy, run_id=workflow.info().workflow_id),
            start_to_close_timeout=timedelta(minutes=10),
        )


async def test_a_non_deterministic_change_is_caught() -> None:
    with pytest.raises(workflow.NondeterminismError):
        await replayer(RunOnTheDayVariant).replay_workflow(history())
