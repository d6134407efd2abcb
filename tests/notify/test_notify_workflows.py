"""Channels inside real workflows: a down webhook never blocks a case; the NotificationDigest
workflow and its Schedule; replay of a recorded digest history."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, select
from temporalio.client import WorkflowHistory

from activities.channels import load_channels_config, load_directory
from activities.notify import Notifier, NotifyActivities
from domain.rectification import Stage
from domain.timeutil import local
from store.notify_models import DeliveryLedger, NoticeDelivery
from tests.notify.conftest import actor, reminder, write
from tests.notify.servers import closed_port
from tests.timeskip import skip
from tests.workflow.scenario import Case, approve, complete, measure, plan, unique_org
from worker import build_worker, open_audit_log
from workflows.digest import SCHEDULE_ID, DigestInput, NotificationDigestWorkflow

DAY = timedelta(days=1)
HISTORY = Path(__file__).parents[1] / "replay" / "histories" / "digest" / "notification_digest.json"


def configure(tmp_path: Path, monkeypatch, channels: dict, actors: list[dict]) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PDCA_CHANNELS", str(write(tmp_path / "channels.yaml", channels)))
    monkeypatch.setenv("PDCA_ACTORS", str(write(tmp_path / "actors.yaml", {"actors": actors})))


async def test_a_down_webhook_neither_blocks_nor_fails_a_case(time_env, tmp_path: Path, monkeypatch) -> None:
    channels = {
        "channels": {"down": {"type": "webhook", "url": f"http://127.0.0.1:{closed_port()}/hook", "timeout_seconds": 2}},
        "default_channels": ["log", "down"],
    }
    configure(tmp_path, monkeypatch, channels, [actor("resp-a")])
    log = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")
    queue = f"notify-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(time_env.client, log, queue, executor=executor):  # channels from the files
            case = Case(time_env, log, queue, unique_org("down"))
            await case.start()
            try:
                t0 = await case.now()
                deadline = t0 + 20 * DAY
                await case.cmd(plan(measure("M1", ["P1", "P2"], deadline)))
                await case.cmd(approve())
                await case.advance_to(deadline - 6 * DAY)
                assert case.types().count("ReminderSent") == 1
                await case.cmd(complete("M1"))
                assert (await case.state()).stage == Stage.IMPLEMENTING or await case.running()
            finally:
                await case.handle.terminate("test done")  # type: ignore[union-attr]
    with Session(log.engine) as session:
        rows = {r.channel: r for r in session.exec(select(NoticeDelivery).where(NoticeDelivery.event_type == "ReminderSent"))}
    assert rows["log"].status == "sent" and rows["log"].attempts == 1  # delivered once, never re-sent by the retries
    assert rows["down"].status == "failed" and rows["down"].attempts == 5  # the workflow's 5 attempts, then given up
    assert "refused" in (rows["down"].last_error or "").lower()


async def _queue_and_run_digest(env, tmp_path: Path, monkeypatch, http, input: DigestInput):  # type: ignore[no-untyped-def]
    channels = {"channels": {"oa": {"type": "webhook", "url": http.url("/hook")}}, "default_channels": ["oa"]}
    configure(tmp_path, monkeypatch, channels, [actor("wang.sup", digest=True)])
    log = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")
    config, _ = load_channels_config()
    acts = NotifyActivities(notifier=Notifier.from_config(config, load_directory(config=config), DeliveryLedger(log.engine)))
    acts.send_notice(reminder(["wang.sup"], measure="M1"))
    acts.send_notice(reminder(["wang.sup"], measure="M2"))
    queue = f"digest-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=2) as executor:
        async with build_worker(env.client, log, queue, executor=executor):
            handle = await env.client.start_workflow(
                NotificationDigestWorkflow.run, input, id=f"digest-test-{uuid.uuid4().hex[:8]}", task_queue=queue
            )
            result = await handle.result()
            history = await handle.fetch_history()
    return result, history


async def test_the_digest_workflow_sends_queued_notices_once(time_env, tmp_path: Path, monkeypatch, http) -> None:
    result, history = await _queue_and_run_digest(time_env, tmp_path, monkeypatch, http, DigestInput(working_days_only=False))
    assert result.digests_sent == 1 and result.items == 2, result
    [post] = http.posts
    assert post.body["recipient"] == "wang.sup" and "共 2 条" in post.body["message"]
    if not HISTORY.exists():  # recorded once; the replay test below keeps it honest
        HISTORY.parent.mkdir(parents=True, exist_ok=True)
        HISTORY.write_text(history.to_json(), encoding="utf-8")


async def test_the_digest_workflow_skips_days_off(time_env, tmp_path: Path, monkeypatch, http) -> None:
    from activities.calendar import CalendarActivities
    from domain.workcal import WorkCalendar

    # Move the virtual clock to the coming Saturday, noon Beijing time.
    now = local(await time_env.get_current_time())
    saturday = (now + timedelta(days=(5 - now.weekday()) % 7 or 7)).replace(hour=12, minute=0, second=0, microsecond=0)
    await skip(time_env, saturday - now)
    result, _ = await _queue_and_run_digest(time_env, tmp_path, monkeypatch, http, DigestInput())
    assert result.day == saturday.date().isoformat()
    # Saturday is off unless the calendar makes it a make-up workday (调休).
    workday = WorkCalendar(CalendarActivities(None).load_calendar_facts([saturday.year])).is_workday(saturday.date())
    if workday:
        assert result.digests_sent == 1 and len(http.posts) == 1
    else:
        assert result.skipped == "not a working day" and result.digests_sent == 0 and http.posts == []


async def test_recorded_digest_history_replays() -> None:
    from tests.replay.test_replay import replayer

    assert HISTORY.exists(), "run tests/notify/test_notify_workflows.py once to record it"
    text = HISTORY.read_text(encoding="utf-8")
    workflow_id = "digest-recorded"
    await replayer(NotificationDigestWorkflow).replay_workflow(WorkflowHistory.from_json(workflow_id, json.loads(text)))


async def test_digest_schedule_is_created_once_daily_in_beijing_time(dev_env) -> None:
    from service.schedules import ensure_digest_schedule

    queue = f"sched-{uuid.uuid4().hex[:8]}"
    assert await ensure_digest_schedule(dev_env.client, queue) is True
    assert await ensure_digest_schedule(dev_env.client, queue) is False
    description = await dev_env.client.get_schedule_handle(SCHEDULE_ID).describe()
    spec = description.schedule.spec
    assert spec.time_zone_name == "Asia/Shanghai"
    [calendar] = spec.calendars
    assert [r.start for r in calendar.hour] == [17] and [r.start for r in calendar.minute] == [0]
    assert description.schedule.action.workflow == "NotificationDigest"
    upcoming = description.info.next_action_times
    assert upcoming and all(local(t).hour == 17 and local(t).minute == 0 for t in upcoming)
    await dev_env.client.get_schedule_handle(SCHEDULE_ID).delete()
