"""The supervision cadence (月督导、季观摩、半年通报) as real Schedules on the dev server."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session
from temporalio.client import ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from domain.cadence import CadenceEntry, CadenceKind
from domain.policy import Policy
from domain.timeutil import SHANGHAI
from service.schedules import TIME_ZONE, ensure_cadence, schedule_id
from store.models import CaseSummary, MeasureLedger
from worker import build_worker, open_audit_log

NOW = datetime.now(UTC)


def _seed(engine) -> None:  # type: ignore[no-untyped-def]
    """Projection rows as the audit log's projector writes them (the activity only reads these)."""
    common = dict(
        kind="rectification",
        year=2026,
        cycle=1,
        plan_status="approved",
        plan_round=1,
        plan_returns=0,
        escalations=0,
        last_event_at=NOW,
        version=5,
        position=5,
    )
    with Session(engine) as session:
        session.add(
            CaseSummary(
                case_id="rect-V001-2026",
                org_code="V001",
                org_name="城关镇东村党支部",
                region="城关镇",
                stage="implementing",
                measures_total=2,
                measures_done=0,
                overdue_measures=1,
                overdue=True,
                **common,
            )
        )
        session.add(
            CaseSummary(
                case_id="rect-V002-2026",
                org_code="V002",
                org_name="河口镇西村党支部",
                region="河口镇",
                stage="implementing",
                measures_total=2,
                measures_done=2,
                overdue_measures=0,
                overdue=False,
                **common,
            )
        )
        for case_id, mid, deadline, done, overdue in (
            ("rect-V001-2026", "M1", NOW - timedelta(days=3), False, True),
            ("rect-V001-2026", "M2", NOW + timedelta(days=10), False, False),
            ("rect-V002-2026", "M1", NOW - timedelta(days=20), True, False),
            ("rect-V002-2026", "M2", NOW + timedelta(days=90), True, False),
        ):
            session.add(
                MeasureLedger(
                    case_id=case_id,
                    measure_id=mid,
                    cycle=1,
                    description="d",
                    problems="P1",
                    responsible="chen",
                    deadline=deadline,
                    done=done,
                    overdue=overdue,
                    progress_reports=0,
                    reminders="",
                    escalations="",
                )
            )
        session.commit()


async def _run_once(env: WorkflowEnvironment, sid: str) -> dict:
    handle = env.client.get_schedule_handle(sid)
    before = len((await handle.describe()).info.recent_actions)
    await handle.trigger()
    for _ in range(200):
        actions = (await handle.describe()).info.recent_actions
        if len(actions) > before:
            started = actions[-1].action
            return dict(await env.client.get_workflow_handle(started.workflow_id, run_id=started.first_execution_run_id).result())
        await asyncio.sleep(0.2)
    raise AssertionError(f"{sid} did not start a run")


async def _delete_all(env: WorkflowEnvironment) -> None:
    for kind in CadenceKind:
        try:
            await env.client.get_schedule_handle(schedule_id(kind)).delete()
        except Exception:  # noqa: BLE001
            pass


async def test_cadence_schedules_are_idempotent_keep_pauses_and_follow_the_policy(dev_env: WorkflowEnvironment) -> None:
    await _delete_all(dev_env)
    queue = f"cadence-{uuid.uuid4().hex[:8]}"
    policy = Policy(supervisors=["wang.sup"])
    try:
        first = await ensure_cadence(dev_env.client, queue, policy)
        assert set(first.values()) == {"created"} and len(first) == 3
        assert set((await ensure_cadence(dev_env.client, queue, policy)).values()) == {"unchanged"}

        monthly = dev_env.client.get_schedule_handle(schedule_id(CadenceKind.MONTHLY_DIGEST))
        description = await monthly.describe()
        assert description.schedule.spec.time_zone_name == TIME_ZONE
        for moment in description.info.next_action_times[:3]:
            local = moment.astimezone(SHANGHAI)
            assert (local.day, local.hour, local.minute) == (5, 9, 0)  # the 5th, 09:00 Beijing time
        review = await dev_env.client.get_schedule_handle(schedule_id(CadenceKind.QUARTERLY_REVIEW)).describe()
        assert {t.astimezone(SHANGHAI).month for t in review.info.next_action_times[:4]} == {1, 4, 7, 10}

        await monthly.pause(note="换届期间暂停")
        changed = policy.model_copy(
            update={
                "cadence": policy.cadence.model_copy(update={"monthly_digest": CadenceEntry(months=list(range(1, 13)), day=8, hour=10)})
            }
        )
        outcome = await ensure_cadence(dev_env.client, queue, changed)
        assert outcome[schedule_id(CadenceKind.MONTHLY_DIGEST)] == "updated"
        # The policy travels in every schedule's action: all three now carry the new one.
        assert outcome[schedule_id(CadenceKind.QUARTERLY_REVIEW)] == "updated"
        assert set((await ensure_cadence(dev_env.client, queue, changed)).values()) == {"unchanged"}
        description = await monthly.describe()
        assert description.schedule.state.paused is True and description.schedule.state.note == "换届期间暂停"
        assert description.schedule.spec.calendars[0].day_of_month[0].start == 8
        action = description.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow) and action.task_queue == queue

        disabled = changed.model_copy(
            update={"cadence": changed.cadence.model_copy(update={"quarterly_review": CadenceEntry(enabled=False, months=[1], day=1)})}
        )
        assert (await ensure_cadence(dev_env.client, queue, disabled))[schedule_id(CadenceKind.QUARTERLY_REVIEW)] == "deleted"
        assert (await ensure_cadence(dev_env.client, queue, disabled))[schedule_id(CadenceKind.QUARTERLY_REVIEW)] == "absent"
    finally:
        await _delete_all(dev_env)


async def test_monthly_digest_and_review_list_runs_write_files_and_tell_supervisors(
    dev_env: WorkflowEnvironment, tmp_path: Path, monkeypatch, channel
) -> None:
    await _delete_all(dev_env)
    monkeypatch.setenv("PDCA_REPORTS_DIR", str(tmp_path / "reports"))
    audit_log = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")
    _seed(audit_log.engine)
    queue = f"cadence-{uuid.uuid4().hex[:8]}"
    policy = Policy(supervisors=["wang.sup", "zhou.sup"])
    try:
        with ThreadPoolExecutor(max_workers=2) as executor:
            async with build_worker(dev_env.client, audit_log, queue, channel=channel, executor=executor):
                await ensure_cadence(dev_env.client, queue, policy)
                digest = await _run_once(dev_env, schedule_id(CadenceKind.MONTHLY_DIGEST))
                assert digest["items"] == 1  # V001: M1 overdue, M2 due in 10 days; V002 all done
                text = Path(digest["files"][0]).read_text(encoding="utf-8")
                assert "城关镇东村党支部" in text and "逾期：M1" in text and "临期：M2" in text and "河口镇西村" not in text
                assert "overdue: M1" in Path(digest["files"][1]).read_text(encoding="utf-8")
                told = [s for s in channel.sent if s["event_type"] == "Cadence.monthly_digest"]
                assert sorted(s["recipient"] for s in told) == ["wang.sup", "zhou.sup"]
                assert "月度督导通报" in told[0]["message"]

                review = await _run_once(dev_env, schedule_id(CadenceKind.QUARTERLY_REVIEW))
                text = Path(review["files"][0]).read_text(encoding="utf-8")
                ahead, behind = text.split("现场督导")
                assert "河口镇西村党支部" in ahead and "城关镇东村党支部" in behind
    finally:
        await _delete_all(dev_env)


async def test_half_year_bulletin_run_writes_the_report(dev_env: WorkflowEnvironment, tmp_path: Path, monkeypatch, channel) -> None:
    await _delete_all(dev_env)
    monkeypatch.setenv("PDCA_REPORTS_DIR", str(tmp_path / "reports"))
    audit_log = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")
    queue = f"cadence-{uuid.uuid4().hex[:8]}"
    try:
        with ThreadPoolExecutor(max_workers=2) as executor:
            async with build_worker(dev_env.client, audit_log, queue, channel=channel, executor=executor):
                await ensure_cadence(dev_env.client, queue, Policy(supervisors=["wang.sup"]))
                result = await _run_once(dev_env, schedule_id(CadenceKind.HALF_YEAR_BULLETIN))
                markdown, html = Path(result["files"][0]), Path(result["files"][1])
                assert markdown.suffix == ".md" and html.suffix == ".html" and markdown.exists() and html.exists()
                assert result["items"] == 0  # nothing in the database: an empty bulletin, still written
                assert any(s["event_type"] == "Cadence.half_year_bulletin" for s in channel.sent)
    finally:
        await _delete_all(dev_env)
