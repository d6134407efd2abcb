"""On the dev server (continue-as-new suggestions, a real worker restart): a campaign continues as new
every K started children and when the server suggests it, and a worker restart mid-batch starts no
case twice. Also shows what counts as a pending child."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.api.enums.v1 import EventType

from domain.campaign import CampaignSettings
from tests.workflow.campaign_support import Campaign, case_ids, designees, terminate_all
from worker import build_worker
from workflows.search_attributes import register


async def test_continue_as_new_and_worker_restart_mid_batch(dev_env, audit_log) -> None:
    client = dev_env.client
    await register(client)
    queue = f"camp-can-{uuid.uuid4().hex[:8]}"
    settings = CampaignSettings(start_batch_size=10, batch_pause=timedelta(milliseconds=300), continue_as_new_after_starts=25)
    camp = Campaign(dev_env, audit_log, queue, region="河西镇", settings=settings)
    opens = designees(f"CN{uuid.uuid4().hex[:4]}", 70, region="河西镇")
    ids = case_ids(opens)
    try:
        with ThreadPoolExecutor(max_workers=4) as executor:
            async with build_worker(client, audit_log, queue, executor=executor):
                await camp.start()
                await camp.approve(opens)
                # Stop the worker as soon as the first batch is recorded: the rest is mid-flight.
                deadline = time.monotonic() + 60
                while "CasesStarted" not in camp.stream_types() and time.monotonic() < deadline:
                    await asyncio.sleep(0.05)
                first_run = (await camp.view()).run
                desc = await camp.handle.describe()  # type: ignore[union-attr]
                pending_children = len(desc.raw_description.pending_children)
        # Worker down for a moment; then a fresh worker (new process state, same queue) carries on.
        await asyncio.sleep(1.0)
        with ThreadPoolExecutor(max_workers=4) as executor:
            async with build_worker(client, audit_log, queue, executor=executor):
                deadline = time.monotonic() + 120
                while True:
                    view = await camp.view()
                    if view.pending == 0 and view.designated == 70:
                        break
                    assert time.monotonic() < deadline, view
                    await asyncio.sleep(0.3)
                opened = Counter()
                deadline = time.monotonic() + 60
                while len(opened) < 70 and time.monotonic() < deadline:
                    opened = Counter(r.stream_id for r in audit_log.read_all(0, 100000) if r.event_type == "CaseOpened")
                    await asyncio.sleep(0.2)
                assert set(opened) == set(ids) and set(opened.values()) == {1}
                assert view.started == 70 and view.existing == 0
                # Continued as new at least twice (every 25 starts), carrying the state along.
                assert view.run >= 3 > first_run
                runs = [e async for e in client.list_workflows(f"WorkflowId = '{camp.campaign_id}'")]
                history = await client.get_workflow_handle(camp.campaign_id).fetch_history()
                print(
                    f"\ncampaign CAN: 70 children, run {view.run}; first run had {pending_children} pending children "
                    f"after its first batch; current run history {len(history.events)} events; "
                    f"runs listed {len(runs)}"
                )
                starts = [
                    e for e in history.events if e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
                ]
                assert len(starts) <= settings.continue_as_new_after_starts + settings.start_batch_size
                await terminate_all(client, ids + [camp.campaign_id])
    finally:
        await terminate_all(client, ids + [camp.campaign_id])
