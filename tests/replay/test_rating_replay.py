"""Replay the recorded star rating history against today's workflow code (a non-deterministic change to
workflows/rating.py or the audited skeleton fails here). Recorded by
``python -m tests.replay.record_rating_history``."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from tests.replay.payloads import PASSTHROUGH as TEST_PASSTHROUGH
from tests.replay.payloads import replay_converter, start_input
from worker import PASSTHROUGH
from workflows.rating import RatingWorkflow

HISTORY = Path(__file__).parent / "histories" / "ratings" / "rating_lifecycle.json"


async def test_recorded_rating_history_replays() -> None:
    assert HISTORY.exists(), "run: python -m tests.replay.record_rating_history"
    text = HISTORY.read_text(encoding="utf-8")
    history = WorkflowHistory.from_json(start_input(text)["rating_id"], text)
    assert history.workflow_id.startswith("star-")
    replayer = Replayer(
        workflows=[RatingWorkflow],
        data_converter=replay_converter(),
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH, *TEST_PASSTHROUGH)
        ),
    )
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
    kinds = {e.event_type for e in history.events}
    assert len(history.events) > 20 and len(kinds) > 5  # updates, local activities, completion: not an empty shell
