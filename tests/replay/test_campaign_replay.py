"""Replay the recorded annual-campaign history against today's workflow code.

Recorded by ``python -m tests.replay.record_campaign_history`` into ``histories/campaign/`` (a folder of
its own: ``test_replay.py`` replays ``histories/*.json`` as rectification cases).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory

from tests.replay.payloads import start_input
from tests.replay.test_replay import replayer
from workflows.campaign import WORKFLOW_NAME, CampaignInput, CampaignView, CampaignWorkflow
from workflows.rectification import RectificationWorkflow

HISTORY = Path(__file__).parent / "histories" / "campaign" / "annual_campaign.json"


# Every recorded campaign history: before the audited workflow base and with it.
RECORDED = sorted(HISTORY.parent.glob("*.json"))


def campaign_history(path: Path = HISTORY) -> WorkflowHistory:
    text = path.read_text(encoding="utf-8")
    return WorkflowHistory.from_json(start_input(text)["campaign_id"], text)


@pytest.mark.parametrize("path", RECORDED, ids=[p.stem for p in RECORDED])
async def test_campaign_history_replays(path: Path) -> None:
    history = campaign_history(path)
    types = {e.event_type for e in history.events}
    assert len(history.events) > 50 and len(types) > 10  # children started, activities, timers, updates
    result = await replayer(CampaignWorkflow, RectificationWorkflow).replay_workflow(history)
    assert result.replay_failure is None


@workflow.defn(name=WORKFLOW_NAME)
class PauseFirstVariant(CampaignWorkflow):
    """A careless change: pause before opening the campaign."""

    @workflow.run
    async def run(self, input: CampaignInput) -> CampaignView:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(input)


async def test_non_deterministic_campaign_change_is_caught() -> None:
    with pytest.raises(workflow.NondeterminismError):
        await replayer(PauseFirstVariant, RectificationWorkflow).replay_workflow(campaign_history())
