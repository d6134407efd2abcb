"""Memory on every case (``memory-recall-v1``, workflows/rectification.py, issue 14): the recorded histories.

``rectification_memory_case.json`` (the record read at opening with memory proposals, an adjustment
carried out, findings and a supplementary plan, a partner) and ``rectification_full_case_memory_recall.json``
(the full case, an organization outside the directory) replay with today's code; every history recorded
before the patch replays without reading the record (test_replay.py). Recorded by (on purpose only):

    python -m tests.replay.record_history --memory tests/replay/histories/rectification_memory_case.json
    python -m tests.replay.record_history tests/replay/histories/rectification_full_case_memory_recall.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory

from tests.replay.payloads import start_input
from tests.replay.test_append_local_replay import markers, patch_ids
from tests.replay.test_local_fetch_replay import local_activities
from tests.replay.test_replay import replayer
from workflows.rectification import MEMORY_RECALL_PATCH, WORKFLOW_NAME, CaseInput, CaseOutcome, RectificationWorkflow

HISTORIES = Path(__file__).parent / "histories"
# (the campaign child: python -m tests.replay.record_campaign_history /tmp/campaign.json \
#      --child tests/replay/histories/memory_recall/rectification_campaign_child.json)
RECORDED = [
    "rectification_memory_case.json",
    "rectification_full_case_memory_recall.json",
    "memory_recall/rectification_campaign_child.json",
]


def load(name: str) -> tuple[dict[str, Any], WorkflowHistory]:
    text = (HISTORIES / name).read_text(encoding="utf-8")
    return json.loads(text), WorkflowHistory.from_json(start_input(text)["case_id"], text)


@pytest.mark.parametrize("name", RECORDED, ids=lambda n: Path(n).stem)
async def test_a_history_that_read_the_record_replays(name: str) -> None:
    raw, history = load(name)
    assert MEMORY_RECALL_PATCH in patch_ids(raw)
    fetched = [kind for _, kind in local_activities(raw)]
    # the record is read before the opening is appended
    assert fetched.index("read_org_record") < fetched.index("append_events")
    # every patch question before the run's first local activity (local-fetch-v1's rule)
    first_local = min(at for at, _ in local_activities(raw))
    patch_events = [int(e["eventId"]) for e in raw["events"] if e["eventType"] == "EVENT_TYPE_MARKER_RECORDED"
                    and e["markerRecordedEventAttributes"]["markerName"] == "core_patch"]
    assert patch_events and max(patch_events) < first_local
    assert len(markers(raw, "core_patch")) == len(patch_events)
    result = await replayer().replay_workflow(history)
    assert result.replay_failure is None


@workflow.defn(name=WORKFLOW_NAME)
class ForgetsTheRecord(RectificationWorkflow):
    """A careless change: no record read at the opening."""

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        return await super().run(input)

    async def _complete_opening(self) -> None:
        return None


async def test_dropping_the_record_read_is_caught() -> None:
    _, history = load("rectification_memory_case.json")
    with pytest.raises((workflow.NondeterminismError, RuntimeError)):
        await replayer(ForgetsTheRecord).replay_workflow(history)
