"""The annual campaign on the time-skipping server: children started exactly once, figures equal the
children's states, the year closes and writes outcomes back."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.client import WorkflowUpdateFailedError

from domain.campaign import CampaignStage
from domain.rectification import SubmitPlan
from tests.identity import credential, request
from tests.timeskip import skip_to
from tests.workflow.campaign_support import (
    Campaign,
    case_ids,
    child_status,
    children_stages,
    designees,
    terminate_all,
)
from tests.workflow.scenario import BRANCH, measure
from workflows.rectification import CaseInput, RectificationWorkflow

N = 240  # organizations approved in the main test


async def _openings(audit_log, expected: int, timeout: float = 60.0) -> Counter[str]:
    """CaseOpened events per case id, once ``expected`` cases have made their opening durable
    (a child is started before its first workflow task appends CaseOpened)."""
    deadline = time.monotonic() + timeout
    while True:
        opened = Counter(row.stream_id for row in audit_log.read_all(0, 1_000_000) if row.event_type == "CaseOpened")
        if len(opened) >= expected or time.monotonic() > deadline:
            return opened
        await asyncio.sleep(0.2)


async def test_campaign_starts_each_case_once_and_checks_figures(time_env, audit_log, worker_queue) -> None:
    client = time_env.client
    camp = Campaign(time_env, audit_log, worker_queue, region=None)
    opens = designees("CX", N)
    ids = case_ids(opens)
    try:
        # A case opened by hand (`pdca case open`) before the campaign starts its cases.
        by_hand = opens[7]
        await client.start_workflow(
            RectificationWorkflow.run,
            CaseInput(case_id=ids[7], policy=camp.policy, open=by_hand, credential=credential(by_hand.actor)),
            id=ids[7],
            task_queue=worker_queue,
        )
        await camp.start()
        wall = time.perf_counter()
        first = await camp.approve(opens[:200], request_id="approve-1")
        assert first.events == ["DesignationApproved"] and first.designated == 200
        # The same request again (a CLI retry): answered from memory, nothing new.
        again = await camp.approve(opens[:200], request_id="approve-1", update_id="approve-1-retry")
        assert again.duplicate and again.version == first.version
        # Re-approval with a new request id, overlapping: only the 40 new organizations are added.
        amend = await camp.approve(opens[150:], request_id="approve-2")
        assert amend.events == ["DesignationApproved"] and amend.designated == N
        # Nothing new at all: no event.
        nothing = await camp.approve(opens[:10], request_id="approve-3")
        assert nothing.events == [] and nothing.designated == N

        view = await camp.wait_started()
        elapsed = time.perf_counter() - wall
        assert view.designated == N and view.pending == 0
        assert view.started == N - 1 and view.existing == 1

        # Every case exactly once: one CaseOpened per case id in the audit log, every child running.
        opened = await _openings(audit_log, N)
        assert set(opened) == set(ids) and set(opened.values()) == {1}
        for cid in ids[:: max(1, N // 12)]:
            assert await child_status(client, cid) == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
        batches = [json.loads(r.payload) for r in audit_log.read_stream(camp.campaign_id) if r.event_type == "CasesStarted"]
        started = [cid for b in batches for cid in b["started"]]
        existing = [cid for b in batches for cid in b["existing"]]
        assert sorted(started + existing) == sorted(ids) and existing == [ids[7]]
        assert len(batches) == -(-N // camp.settings.start_batch_size)

        # Move a few cases on (plan submitted), then Check: figures equal the children's states.
        now = await time_env.get_current_time()
        for cid in ids[:12]:
            handle = client.get_workflow_handle(cid)
            await handle.execute_update(
                RectificationWorkflow.command,
                request(cid, SubmitPlan(actor=BRANCH, measures=[measure("M1", ["P1"], now + timedelta(days=30))]), f"{cid}-plan"),
            )
        view = await camp.refresh()
        figures = view.last_check
        assert figures is not None
        stages = await children_stages(client, ids)
        assert figures.cases == N
        assert figures.by_stage == dict(stages) == {"designated": N - 12, "planning": 12}
        by_township = Counter(o.region for o in opens)
        assert {r: sum(s.values()) for r, s in figures.by_region.items()} == dict(by_township)

        # A refresh with nothing changed records nothing.
        checks = camp.stream_types().count("CheckRecorded")
        await camp.refresh()
        assert camp.stream_types().count("CheckRecorded") == checks

        # Commands the workflow issues itself are refused from outside, and nothing enters history.
        from domain.campaign import RecordStarts

        with pytest.raises(WorkflowUpdateFailedError):
            await camp.send(RecordStarts(started=[ids[0]]))

        # Act: close the year early; the summary and the write-back follow, then the workflow ends.
        closed = await camp.close_year()
        assert closed.stage == CampaignStage.CLOSED and closed.events == ["YearClosed"]
        result = await camp.handle.result()  # type: ignore[union-attr]
        assert result.stage == CampaignStage.CLOSED and result.outcomes_recorded
        assert result.summary is not None and result.summary.designated == N and result.summary.started == N - 1
        assert camp.stream_types()[-2:] == ["YearClosed", "OutcomesRecorded"]
        # Closing the year does not stop the cases: they carry on (ParentClosePolicy.ABANDON).
        assert await child_status(client, ids[0]) == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING

        history = await camp.handle.fetch_history()  # type: ignore[union-attr]
        print(
            f"\ncampaign: {N} cases ({N - 1} started, 1 existing) in {elapsed:.1f}s wall "
            f"({elapsed / N * 1000:.0f} ms per child), {len(batches)} batches; "
            f"campaign history {len(history.events)} events, {len(history.to_json()) // 1024} KiB; "
            f"audit events for the campaign: {len(camp.stream_types())}"
        )
    finally:
        await terminate_all(client, ids + [camp.campaign_id])


async def test_refused_approval_leaves_no_trace(time_env, audit_log, worker_queue) -> None:
    camp = Campaign(time_env, audit_log, worker_queue, region="城关镇")
    try:
        await camp.start()
        wrong_region = designees("RX", 2, region="青山乡")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await camp.approve(wrong_region)
        assert "region" in str(refused.value.cause)
        twice = designees("RY", 1, region="城关镇") * 2
        with pytest.raises(WorkflowUpdateFailedError):
            await camp.approve(twice)
        from domain.actors import Actor, Role
        from domain.campaign import ApproveDesignation

        clerk = Actor(id="ts-li", roles=[Role.TOWNSHIP_SECRETARY])
        with pytest.raises(WorkflowUpdateFailedError) as denied:
            await camp.send(ApproveDesignation(actor=clerk, designees=designees("RZ", 1, region="城关镇")))
        assert denied.value.cause.type == "permission_denied"  # type: ignore[union-attr]
        assert camp.stream_types() == ["CampaignOpened"]
        assert camp.campaign_id == f"camp-城关镇-{camp.year}"
        view = await camp.view()
        assert view.stage == CampaignStage.OPEN and view.designated == 0
    finally:
        await terminate_all(time_env.client, [camp.campaign_id])


async def test_monthly_check_and_year_end_close(time_env, audit_log, worker_queue) -> None:
    """The timers: a check on the 1st of the month, the year closes itself on 31 Dec 18:00 Beijing."""
    client = time_env.client
    camp = Campaign(time_env, audit_log, worker_queue, region="白水镇")
    opens = designees("YE", 6, region="白水镇")
    try:
        await camp.start()
        await camp.approve(opens)
        view = await camp.wait_started()
        assert view.started == 6
        checks = await camp.wait_for_event("CheckRecorded")
        assert checks == 1  # the first look after the last batch
        # Skip to the year end: the campaign closes itself and writes back (from the ledgers). The cases
        # are stopped first: a year of their daily ticks in the same skip stalled the time-skipping test
        # server under load (sdk-java#1618/#2246), and what this test checks is the campaign's own timers.
        assert view.year_end is not None
        await terminate_all(client, case_ids(opens))
        await skip_to(time_env, view.year_end + timedelta(minutes=1))
        result = await camp.handle.result()  # type: ignore[union-attr]
        assert result.stage == CampaignStage.CLOSED and result.outcomes_recorded
        types = camp.stream_types()
        assert types[-2:] == ["YearClosed", "OutcomesRecorded"]
        closed_at = [r.recorded_at for r in audit_log.read_stream(camp.campaign_id) if r.event_type == "YearClosed"]
        assert closed_at
        payload = json.loads(audit_log.read_stream(camp.campaign_id)[-2].payload)
        assert payload["at"].startswith(f"{camp.year}-12-31T10:00")  # 18:00 Beijing
        assert payload["actor"] == "system"
    finally:
        await terminate_all(client, case_ids(opens) + [camp.campaign_id])
