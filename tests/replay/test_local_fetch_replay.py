"""Keys and calendar facts fetched by local activities (``local-fetch-v1``, workflows/audited.py), and the
recorded histories.

Histories recorded with it (``*_local_fetch.json``, and ``local_fetch/rectification_campaign_child.json``:
a case a campaign opened, without a key fetch at its opening; its first command fetched them) replay with
today's code — here, and the others also with the histories of their folders (test_replay.py,
test_project_replay.py, test_campaign_replay.py); histories recorded before it fetch through the regular
activities on replay. Both directions have teeth: code that ignored the marker would fail them.

Recorded by (on purpose only, as the other recorded histories):

    python -m tests.replay.record_history tests/replay/histories/rectification_full_case_local_fetch.json
    python -m tests.replay.record_history --timing tests/replay/histories/rectification_timing_case_local_fetch.json
    python -m tests.replay.record_project_history tests/replay/histories/projects/project_full_lifecycle_local_fetch.json
    python -m tests.replay.record_campaign_history tests/replay/histories/campaign/annual_campaign_local_fetch.json \\
        --child tests/replay/histories/local_fetch/rectification_campaign_child.json
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
from tests.replay.test_append_local_replay import markers, patch_ids, scheduled_activities
from tests.replay.test_replay import replayer
from workflows.audited import LOCAL_FETCH_PATCH
from workflows.campaign import CampaignWorkflow
from workflows.project import SecretaryProjectWorkflow
from workflows.rectification import WORKFLOW_NAME, CaseInput, CaseOutcome, RectificationWorkflow

HISTORIES = Path(__file__).parent / "histories"
CHILD = "local_fetch/rectification_campaign_child.json"
RECORDED = {
    "rectification_full_case_local_fetch.json": (RectificationWorkflow, "case_id"),
    "rectification_timing_case_local_fetch.json": (RectificationWorkflow, "case_id"),
    "projects/project_full_lifecycle_local_fetch.json": (SecretaryProjectWorkflow, "project_id"),
    "campaign/annual_campaign_local_fetch.json": (CampaignWorkflow, "campaign_id"),
    CHILD: (RectificationWorkflow, "case_id"),
}
FETCHES = {"trusted_keys", "load_calendar_facts"}


def load(name: str) -> tuple[dict[str, Any], WorkflowHistory]:
    text = (HISTORIES / name).read_text(encoding="utf-8")
    return json.loads(text), WorkflowHistory.from_json(start_input(text)[RECORDED[name][1]], text)


def local_activities(raw: dict[str, Any]) -> list[tuple[int, str]]:
    """(event id, activity type) of every local activity's marker."""
    out = []
    for event in raw["events"]:
        attributes = event.get("markerRecordedEventAttributes")
        if event["eventType"] != "EVENT_TYPE_MARKER_RECORDED" or attributes["markerName"] != "core_local_activity":
            continue
        data = json_format.ParseDict(attributes["details"]["data"]["payloads"][0], Payload())
        out.append((int(event["eventId"]), json.loads(data.data)["activity_type"]))
    return out


def first_update(raw: dict[str, Any]) -> int:
    return next(int(e["eventId"]) for e in raw["events"] if e["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED")


@pytest.mark.parametrize("name", sorted(RECORDED), ids=lambda n: Path(n).stem)
async def test_a_history_recorded_with_local_fetches_replays(name: str) -> None:
    raw, history = load(name)
    # what makes it this history: the marker, no fetch as an activity task, the fetches it made as local activities
    assert LOCAL_FETCH_PATCH in patch_ids(raw)
    assert not FETCHES & set(scheduled_activities(raw))
    if RECORDED[name][0] is not CampaignWorkflow:  # a campaign counts no working days: keys only
        assert FETCHES <= {kind for _, kind in local_activities(raw)}
    result = await replayer(RECORDED[name][0]).replay_workflow(history)
    assert result.replay_failure is None


async def test_a_case_a_campaign_opens_fetches_its_keys_with_its_first_command() -> None:
    raw, _ = load(CHILD)
    assert start_input((HISTORIES / CHILD).read_text(encoding="utf-8")).get("credential") is None
    fetches = [(at, kind) for at, kind in local_activities(raw) if kind == "trusted_keys"]
    assert fetches and all(at > first_update(raw) for at, _ in fetches)  # none at the opening
    appends = [at for at, kind in local_activities(raw) if kind == "append_events"]
    assert appends[0] < first_update(raw) < fetches[0][0] < appends[1]  # opening; then keys before the command's append


@workflow.defn(name=WORKFLOW_NAME)
class IgnoresTheMarker(RectificationWorkflow):
    """A careless change: always fetch through the regular activities (and keys at every opening)."""

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        return await super().run(input)

    def _fetches_locally(self) -> bool:
        return False


@workflow.defn(name=WORKFLOW_NAME)
class AlwaysLocal(RectificationWorkflow):
    """The change without its patch: always fetch through local activities."""

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        return await super().run(input)

    def _fetches_locally(self) -> bool:
        return True


@workflow.defn(name=WORKFLOW_NAME)
class KeysAtEveryOpening(RectificationWorkflow):
    """Local fetches, but a campaign's case fetches its keys at its opening again."""

    @workflow.run
    async def run(self, input: CaseInput) -> CaseOutcome:
        return await super().run(input)

    def _opened_by_parent(self) -> bool:
        return False


@pytest.mark.parametrize("name", ["rectification_full_case_local_fetch.json", CHILD], ids=lambda n: Path(n).stem)
async def test_replaying_local_fetches_as_regular_activities_is_caught(name: str) -> None:
    _, history = load(name)
    with pytest.raises(workflow.NondeterminismError):
        await replayer(IgnoresTheMarker).replay_workflow(history)


async def test_fetching_keys_at_a_campaign_cases_opening_is_caught() -> None:
    _, history = load(CHILD)
    # Local activities' markers are matched by sequence number: the extra fetch is handed the opening
    # append's recorded answer, which is not keys — the replay's workflow task fails.
    with pytest.raises((workflow.NondeterminismError, RuntimeError)):
        await replayer(KeysAtEveryOpening).replay_workflow(history)


async def test_a_history_recorded_before_the_marker_needs_the_old_branch() -> None:
    text = (HISTORIES / "rectification_full_case_append_local.json").read_text(encoding="utf-8")
    raw = json.loads(text)
    history = WorkflowHistory.from_json(start_input(text)["case_id"], text)
    assert FETCHES <= set(scheduled_activities(raw)) and LOCAL_FETCH_PATCH not in patch_ids(raw)
    assert markers(raw, "core_local_activity")  # its appends are local: only the fetches tell the branches apart
    assert (await replayer().replay_workflow(history)).replay_failure is None  # the old branch, taken
    with pytest.raises(workflow.NondeterminismError):
        await replayer(AlwaysLocal).replay_workflow(history)
