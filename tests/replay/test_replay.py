"""Replay recorded histories against today's workflow code: a non-deterministic change fails here.

Histories are recorded by ``python -m tests.replay.record_history``; every ``histories/*.json`` is replayed,
through the payload codec (tests/replay/payloads.py: plain histories pass through it unchanged).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from tests.replay.payloads import PASSTHROUGH as TEST_PASSTHROUGH
from tests.replay.payloads import replay_converter, start_input
from worker import PASSTHROUGH
from workflows.rectification import WORKFLOW_NAME, CaseInput, CaseOutcome, RectificationWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def replayer(*workflows: type) -> Replayer:
    return Replayer(
        workflows=list(workflows or [RectificationWorkflow]),
        data_converter=replay_converter(),
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH, *TEST_PASSTHROUGH)
        ),
    )


def history_of(path: Path) -> WorkflowHistory:
    """The history, under the workflow id it ran with (by convention the case id in its input)."""
    text = path.read_text(encoding="utf-8")
    return WorkflowHistory.from_json(start_input(text)["case_id"], text)


def test_histories_are_recorded() -> None:
    names = [p.name for p in HISTORIES]
    assert "rectification_full_case.json" in names, "run: python -m tests.replay.record_history"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays(path: Path) -> None:
    history = history_of(path)
    assert history.workflow_id.startswith("rect-")
    result = await replayer().replay_workflow(history)
    assert result.replay_failure is None
    kinds = {e.event_type for e in history.events}
    assert len(history.events) > 100 and len(kinds) > 10  # a real case, not an empty shell


# --------------------------------------------------------------------------- the replay test has teeth


@workflow.defn(name=WORKFLOW_NAME)
class TimerFirstVariant(RectificationWorkflow):
    """A careless change: wait a moment before making the opening durable."""

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(input)


@workflow.defn(name=WORKFLOW_NAME)
class ExtraActivityVariant(RectificationWorkflow):
    """Another careless change: announce the case before persisting its opening."""

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        await workflow.execute_activity("announce_case", input.case_id, start_to_close_timeout=timedelta(seconds=30))
        return await super().run(input)


@pytest.mark.parametrize("variant", [TimerFirstVariant, ExtraActivityVariant], ids=["extra-timer", "extra-activity"])
async def test_non_deterministic_change_is_caught(variant: type) -> None:
    [path] = [p for p in HISTORIES if p.stem == "rectification_full_case"]
    with pytest.raises(workflow.NondeterminismError) as caught:
        await replayer(variant).replay_workflow(history_of(path))
    assert "nondetermin" in str(caught.value).lower()
