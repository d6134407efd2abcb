"""The daily hash-chain verification, run by a real Schedule on the dev server."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prometheus_client import REGISTRY
from temporalio.client import ScheduleCalendarSpec
from temporalio.testing import WorkflowEnvironment

from service.schedules import TIME_ZONE, ensure_audit_verification
from store.eventlog import NewEvent
from store.triggers import drop_append_only_triggers
from worker import build_worker, open_audit_log
from workflows.audit_verification import SCHEDULE_ID


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def run_once(env: WorkflowEnvironment) -> dict:
    """Trigger the schedule now and wait for that run's result."""
    handle = env.client.get_schedule_handle(SCHEDULE_ID)
    before = len((await handle.describe()).info.recent_actions)
    await handle.trigger()
    for _ in range(150):
        actions = (await handle.describe()).info.recent_actions
        if len(actions) > before:
            started = actions[-1].action
            result = await env.client.get_workflow_handle(started.workflow_id, run_id=started.first_execution_run_id).result()
            return dict(result)
        await asyncio.sleep(0.2)
    raise AssertionError("the schedule did not start a run")


async def test_daily_verification_records_metrics_and_signs_a_checkpoint(dev_env: WorkflowEnvironment, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PDCA_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    monkeypatch.setenv("PDCA_AUDIT_KEY_DIR", str(tmp_path / "audit-keys"))
    monkeypatch.delenv("PDCA_CHECKPOINT_WEBHOOK", raising=False)
    audit_log = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")
    audit_log.append(
        "s1", 0, [NewEvent(uuid.uuid4().hex, "Noted", "tester", '{"n":1}'), NewEvent(uuid.uuid4().hex, "Noted", "tester", '{"n":2}')]
    )
    queue = f"verify-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=2) as executor:
        async with build_worker(dev_env.client, audit_log, queue, executor=executor):
            assert await ensure_audit_verification(dev_env.client, queue) is True
            assert await ensure_audit_verification(dev_env.client, queue) is False  # idempotent
            description = await dev_env.client.get_schedule_handle(SCHEDULE_ID).describe()
            spec = description.schedule.spec
            assert spec.time_zone_name == TIME_ZONE
            assert spec.calendars == [ScheduleCalendarSpec(hour=spec.calendars[0].hour, comment=spec.calendars[0].comment)]
            assert spec.calendars[0].hour[0].start == 2

            ok_before = sample("pdca_audit_verifications_total", result="ok")
            written_before = sample("pdca_audit_checkpoints_total", result="written")
            report = await run_once(dev_env)
            assert report["ok"] is True and report["checked"] == 2 and report["checkpoints_checked"] == 0
            assert sample("pdca_audit_verifications_total", result="ok") == ok_before + 1
            assert sample("pdca_audit_chain_ok") == 1
            assert sample("pdca_audit_checkpoints_total", result="written") == written_before + 1
            assert sample("pdca_audit_checkpoint_position") == 2
            checkpoint = json.loads(Path(report["checkpoint_file"]).read_text())
            assert checkpoint["position"] == 2 and checkpoint["head_hash"] == audit_log.verify().head_hash
            assert checkpoint["signature_algorithm"] == "ed25519" and checkpoint["signature"]
            # the next run checks that checkpoint first, then signs another (a new file, never overwritten)
            report = await run_once(dev_env)
            assert report["ok"] is True and report["checkpoints_checked"] == 1 and report["anchored_position"] == 2
            assert len(list((tmp_path / "checkpoints").glob("checkpoint-*.json"))) == 2

            with audit_log.engine.begin() as connection:  # tampering, as a DBA could
                drop_append_only_triggers(connection)
                connection.exec_driver_sql("UPDATE audit_event SET payload = '{\"n\":3}' WHERE position = 2")
            broken_before = sample("pdca_audit_verifications_total", result="broken")
            report = await run_once(dev_env)
            assert report["ok"] is False and report["bad_position"] == 2 and report["checkpoint_file"] is None
            assert sample("pdca_audit_verifications_total", result="broken") == broken_before + 1
            assert sample("pdca_audit_chain_ok") == 0
    await dev_env.client.get_schedule_handle(SCHEDULE_ID).delete()
