"""The append as a local activity (``append-local-v1``, workflows/audited.py) and the recorded histories.

Histories recorded with it (``*_append_local.json``; payloads encrypted with the suite's test keys) replay
with today's code — here for every kind, and also with the other histories of their folders
(test_replay.py, test_project_replay.py, test_campaign_replay.py); histories recorded before it take the
regular activity on replay. Both directions have teeth: code that ignored the marker would fail them.

Recorded by (on purpose only, as the other recorded histories):

    python -m tests.replay.record_history tests/replay/histories/rectification_full_case_append_local.json
    python -m tests.replay.record_history --timing tests/replay/histories/rectification_timing_case_append_local.json
    python -m tests.replay.record_project_history tests/replay/histories/projects/project_full_lifecycle_append_local.json
    python -m tests.replay.record_campaign_history tests/replay/histories/campaign/annual_campaign_append_local.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory

from tests.replay.payloads import start_input
from tests.replay.test_replay import replayer
from workflows.audited import APPEND_LOCAL_PATCH
from workflows.campaign import CampaignWorkflow
from workflows.project import SecretaryProjectWorkflow
from workflows.rectification import WORKFLOW_NAME, CaseInput, CaseOutcome, RectificationWorkflow

HISTORIES = Path(__file__).parent / "histories"
RECORDED = {
    "rectification_full_case_append_local.json": (RectificationWorkflow, "case_id"),
    "rectification_timing_case_append_local.json": (RectificationWorkflow, "case_id"),
    "projects/project_full_lifecycle_append_local.json": (SecretaryProjectWorkflow, "project_id"),
    "campaign/annual_campaign_append_local.json": (CampaignWorkflow, "campaign_id"),
}


def load(name: str) -> tuple[dict[str, Any], WorkflowHistory]:
    path = HISTORIES / name
    text = path.read_text(encoding="utf-8")
    return json.loads(text), WorkflowHistory.from_json(start_input(text)[RECORDED[name][1]], text)


def markers(raw: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [
        e["markerRecordedEventAttributes"]
        for e in raw["events"]
        if e["eventType"] == "EVENT_TYPE_MARKER_RECORDED" and e["markerRecordedEventAttributes"]["markerName"] == name
    ]


def patch_ids(raw: dict[str, Any]) -> set[str]:
    ids = set()
    for marker in markers(raw, "core_patch"):
        payload = json_format.ParseDict(marker["details"]["patch-data"]["payloads"][0], Payload())
        ids.add(json.loads(payload.data)["id"])
    return ids


def scheduled_activities(raw: dict[str, Any]) -> list[str]:
    return [
        e["activityTaskScheduledEventAttributes"]["activityType"]["name"]
        for e in raw["events"]
        if e["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED"
    ]


@pytest.mark.parametrize("name", sorted(RECORDED), ids=lambda n: Path(n).stem)
async def test_a_history_recorded_with_local_appends_replays(name: str) -> None:
    raw, history = load(name)
    # what makes it this history: the marker, every append a local activity, no append_events activity task
    assert APPEND_LOCAL_PATCH in patch_ids(raw)
    assert len(markers(raw, "core_local_activity")) >= 8
    assert "append_events" not in scheduled_activities(raw)
    result = await replayer(RECORDED[name][0]).replay_workflow(history)
    assert result.replay_failure is None


@workflow.defn(name=WORKFLOW_NAME)
class IgnoresTheMarker(RectificationWorkflow):
    """A careless change: always append through the regular activity."""

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        return await super().run(input)

    def _appends_locally(self) -> bool:
        return False


@workflow.defn(name=WORKFLOW_NAME)
class AlwaysLocal(RectificationWorkflow):
    """The change without its patch: always append through a local activity."""

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        return await super().run(input)

    def _appends_locally(self) -> bool:
        return True


async def test_replaying_local_appends_as_regular_activities_is_caught() -> None:
    _, history = load("rectification_full_case_append_local.json")
    with pytest.raises(workflow.NondeterminismError):
        await replayer(IgnoresTheMarker).replay_workflow(history)


async def test_a_history_recorded_before_the_marker_needs_the_old_branch() -> None:
    path = HISTORIES / "rectification_full_case_identity.json"
    text = path.read_text(encoding="utf-8")
    history = WorkflowHistory.from_json(start_input(text)["case_id"], text)
    assert "append_events" in scheduled_activities(json.loads(text))
    assert (await replayer().replay_workflow(history)).replay_failure is None  # the old branch, taken
    with pytest.raises(workflow.NondeterminismError):
        await replayer(AlwaysLocal).replay_workflow(history)
