"""The supervision cadence (月督导、季观摩、半年通报) as real Schedules on the dev server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session
from temporalio.api.enums.v1 import EventType
from temporalio.client import ScheduleActionStartWorkflow, ScheduleBackfill, ScheduleOverlapPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.calendar import facts_for_years
from domain.actors import Role
from domain.cadence import CadenceEntry, CadenceKind, working_day_run
from domain.decider import Proof
from domain.people import DIRECTORY_ID, DirectoryOpened, PersonAdded, PersonDisabled, PersonInput
from domain.policy import Policy
from domain.timeutil import SHANGHAI
from domain.workcal import WorkCalendar
from service.bootstrap import bootstrap
from service.schedules import TIME_ZONE, ensure_cadence, list_schedules, schedule_id, show_schedule, trigger
from store.eventlog import NewEvent
from store.models import CaseSummary, MeasureLedger
from worker import PASSTHROUGH, build_worker, open_audit_log
from workflows.cadence import CadenceWorkflow

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
                # Triggered by hand: the running year up to now, not as of 30 June (nor last year's summary).
                today = datetime.now(SHANGHAI)
                text = markdown.read_text(encoding="utf-8")
                assert f"{today.year}年度" in text and today.strftime("%Y-%m-%d") in text, text[:400]
                assert any(s["event_type"] == "Cadence.half_year_bulletin" for s in channel.sent)
    finally:
        await _delete_all(dev_env)


def _people(audit_log) -> None:  # type: ignore[no-untyped-def]
    """A people directory as `pdca up` and `pdca person import` leave it: an administrator, two
    supervisors (one disabled), a village secretary."""
    at, proof = NOW, Proof(credential="jti-admin")
    events = [
        DirectoryOpened(at=at, actor="admin", proof=proof, admin=PersonInput(id="admin", roles=[Role.ADMIN])),
        PersonAdded(at=at, actor="admin", proof=proof, person=PersonInput(id="wang.sup", roles=[Role.SUPERVISOR])),
        PersonAdded(at=at, actor="admin", proof=proof, person=PersonInput(id="chen.branch", roles=[Role.BRANCH_SECRETARY])),
        PersonAdded(at=at, actor="admin", proof=proof, person=PersonInput(id="gone.sup", roles=[Role.SUPERVISOR])),
        PersonDisabled(at=at, actor="admin", proof=proof, person_id="gone.sup", reason="调离"),
    ]
    rows = [NewEvent(uuid.uuid4().hex, e.type, e.actor, e.model_dump_json()) for e in events]
    audit_log.append(DIRECTORY_ID, 0, rows)


async def test_without_a_policy_the_monthly_digest_reaches_the_directorys_supervisors(
    dev_env: WorkflowEnvironment, tmp_path: Path, monkeypatch, channel
) -> None:
    """A fresh stack with no policy file (no ``supervisors``): the digest goes to every active supervisor
    of the people directory, not to nobody."""
    await _delete_all(dev_env)
    monkeypatch.setenv("PDCA_REPORTS_DIR", str(tmp_path / "reports"))
    audit_log = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")
    _seed(audit_log.engine)
    _people(audit_log)
    queue = f"cadence-{uuid.uuid4().hex[:8]}"
    try:
        with ThreadPoolExecutor(max_workers=2) as executor:
            async with build_worker(dev_env.client, audit_log, queue, channel=channel, executor=executor):
                await ensure_cadence(dev_env.client, queue, Policy())
                digest = await _run_once(dev_env, schedule_id(CadenceKind.MONTHLY_DIGEST))
                assert digest["recipients"] == ["wang.sup"]
                told = [s["recipient"] for s in channel.sent if s["event_type"] == "Cadence.monthly_digest"]
                assert told == ["wang.sup"]
    finally:
        await _delete_all(dev_env)


def _off_days_override(path: Path, first, last) -> Path:  # type: ignore[no-untyped-def]
    """An override file making every day from ``first`` to ``last`` a day off (local rest days, as a
    county may add them)."""
    years: dict[int, list[str]] = {}
    day = first
    while day <= last:
        if day.weekday() < 5:  # weekends are off anyway (and refused as holidays)
            years.setdefault(day.year, []).append(f"      - {{date: {day.isoformat()}, name: 测试休息日}}")
        day += timedelta(days=1)
    text = "years:\n" + "".join(f"  {year}:\n    holidays:\n" + "\n".join(lines) + "\n" for year, lines in years.items())
    path.write_text(text if years else "years: {}\n", encoding="utf-8")
    return path


async def test_a_scheduled_run_on_a_day_off_waits_for_the_next_working_day(
    dev_env: WorkflowEnvironment, tmp_path: Path, monkeypatch, channel
) -> None:
    """The schedule fires on its calendar day; the day is off by the calendar, so the run waits on a
    durable timer until the same time on the next working day and has told nobody yet. Backfill runs
    the schedule's action for a moment earlier today exactly as the schedule would have."""
    today = datetime.now(SHANGHAI)
    if (today.hour, today.minute) < (0, 2):
        pytest.skip("00:01 today is not yet past")
    day = min(today.day, 28)  # an entry's day is 1-28: on the 29th-31st, the 28th of this month
    scheduled = datetime(today.year, today.month, day, 0, 1, tzinfo=SHANGHAI)
    await _delete_all(dev_env)
    monkeypatch.setenv("PDCA_REPORTS_DIR", str(tmp_path / "reports"))
    override = _off_days_override(tmp_path / "calendar.yaml", scheduled.date(), today.date() + timedelta(days=1))
    monkeypatch.setenv("PDCA_CALENDAR", str(override))
    audit_log = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")
    queue = f"cadence-{uuid.uuid4().hex[:8]}"
    entry = CadenceEntry(months=[today.month], day=day, hour=0, minute=1)
    policy = Policy(supervisors=["wang.sup"])
    policy = policy.model_copy(update={"cadence": policy.cadence.model_copy(update={"monthly_digest": entry})})
    calendar = WorkCalendar(facts_for_years([today.year, today.year + 1], override))
    expected = working_day_run(scheduled, calendar)
    assert expected.date() >= today.date() + timedelta(days=2)  # every day from the scheduled one to tomorrow is off
    try:
        with ThreadPoolExecutor(max_workers=2) as executor:
            async with build_worker(dev_env.client, audit_log, queue, channel=channel, executor=executor):
                await ensure_cadence(dev_env.client, queue, policy)
                handle = dev_env.client.get_schedule_handle(schedule_id(CadenceKind.MONTHLY_DIGEST))
                await handle.backfill(
                    ScheduleBackfill(
                        start_at=scheduled - timedelta(seconds=30), end_at=scheduled + timedelta(seconds=30),
                        overlap=ScheduleOverlapPolicy.ALLOW_ALL,
                    )
                )
                timer = None
                for _ in range(300):
                    actions = (await handle.describe()).info.recent_actions
                    if actions:
                        run = dev_env.client.get_workflow_handle(actions[-1].action.workflow_id)
                        history = await run.fetch_history()
                        started = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED]
                        if started:
                            timer = started[0]
                            break
                    await asyncio.sleep(0.2)
                assert timer is not None, "the run did not start a timer"
                wait = timer.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
                fires_at = timer.event_time.ToDatetime().replace(tzinfo=UTC) + wait
                assert abs(fires_at - expected) < timedelta(seconds=5), (fires_at, expected)
                description = await run.describe()
                assert description.status is not None and description.status.name == "RUNNING"
                # The waiting run replays with the same code (the patch, the calendar activity, the timer).
                await Replayer(
                    workflows=[CadenceWorkflow], data_converter=dev_env.client.data_converter,
                    workflow_runner=SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)),
                ).replay_workflow(await run.fetch_history())
                assert not [s for s in channel.sent if s["event_type"] == "Cadence.monthly_digest"]  # nobody told yet
                # A hand trigger meanwhile is not skipped behind the waiting run, and runs at once.
                before = len(actions)
                await trigger(bootstrap(client=dev_env.client), schedule_id(CadenceKind.MONTHLY_DIGEST))
                for _ in range(300):
                    actions = (await handle.describe()).info.recent_actions
                    if len(actions) > before:
                        break
                    await asyncio.sleep(0.2)
                by_hand = dict(await dev_env.client.get_workflow_handle(actions[-1].action.workflow_id).result())
                assert by_hand["recipients"] == ["wang.sup"]
                await run.terminate("test done")
    finally:
        await _delete_all(dev_env)


async def test_schedule_list_and_show_print_the_working_day_dates(dev_env: WorkflowEnvironment, tmp_path: Path, monkeypatch) -> None:
    """What `pdca schedule list|show` print: the day a run really happens, by the calendar the worker
    uses, beside the day Temporal fires. The next 5th is made a day off by the override file (if it is
    not a weekend anyway), so the first run is moved."""
    from datetime import date

    await _delete_all(dev_env)
    today = datetime.now(SHANGHAI).date()
    fifth = date(today.year, today.month, 5)
    if fifth <= today:
        fifth = date(today.year + (today.month == 12), today.month % 12 + 1, 5)
    override = tmp_path / "calendar.yaml"
    holiday = f"  {fifth.year}:\n    holidays:\n      - {{date: {fifth.isoformat()}, name: 测试休息日}}\n" if fifth.weekday() < 5 else ""
    override.write_text("years:\n" + holiday if holiday else "years: {}\n", encoding="utf-8")
    monkeypatch.setenv("PDCA_CALENDAR", str(override))
    queue = f"cadence-{uuid.uuid4().hex[:8]}"
    calendar = WorkCalendar(facts_for_years([fifth.year, fifth.year + 1, fifth.year + 2], override))
    try:
        await ensure_cadence(dev_env.client, queue, Policy())
        sid = schedule_id(CadenceKind.MONTHLY_DIGEST)
        row = await show_schedule(bootstrap(client=dev_env.client), sid)
        assert row["rule"] == "next_working_day" and len(row["next_runs"]) == len(row["scheduled_runs"]) == 10
        assert row["scheduled_runs"][0] == f"{fifth.isoformat()} 09:00"
        first = working_day_run(datetime(fifth.year, fifth.month, 5, 9, tzinfo=SHANGHAI), calendar)
        assert first.date() > fifth and row["next_runs"][0] == first.strftime("%Y-%m-%d 09:00")
        assert row["moved"][0] == {"scheduled": row["scheduled_runs"][0], "runs": row["next_runs"][0]}
        for moment in row["next_runs"]:
            assert calendar.is_workday(date.fromisoformat(moment[:10])), moment
        # listing reads Temporal's visibility store, which learns of a new schedule a moment later: polled
        listed: dict[str, Any] = {}
        deadline = time.monotonic() + 120
        while sid not in listed:
            assert time.monotonic() < deadline, f"{sid} never listed"
            listed = {r["id"]: r for r in await list_schedules(bootstrap(client=dev_env.client))}
            if sid not in listed:
                await asyncio.sleep(0.5)
        assert listed[sid]["next_runs"] == row["next_runs"][:3]

        # the CLI, as a person reads it (a pipe: whole lines)
        env = {**os.environ, "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host, "PDCA_HOME": str(tmp_path)}
        line = [sys.executable, "-m", "cli.main", "schedule", "show", sid]
        done = subprocess.run(line, capture_output=True, text=True, env=env, cwd=Path(__file__).resolve().parents[2], timeout=120)
        assert done.returncode == 0, done.stderr
        weekday = "一二三四五六日"[first.weekday()]
        assert f"{first:%Y-%m-%d} 周{weekday} 09:00  ← 原定 {fifth.isoformat()}" in done.stdout, done.stdout
        assert "顺延" in done.stdout
    finally:
        await _delete_all(dev_env)


async def test_a_run_due_on_a_saturday_runs_on_the_next_working_day_and_replays(
    time_env: WorkflowEnvironment, tmp_path: Path, monkeypatch, channel
) -> None:
    """On the time-skipping server, the whole wait: a run stamped for a Saturday (as its Schedule stamps
    it: ``TemporalScheduledStartTime``, registered here since the test server has no Schedules) tells
    the supervisors on the next working day at 09:00, and its history replays."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
    from temporalio.common import SearchAttributePair, TypedSearchAttributes
    from temporalio.service import RPCError

    from workflows.cadence import SCHEDULED_START, CadenceInput

    try:
        await time_env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                search_attributes={SCHEDULED_START.name: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME}, namespace="default"
            )
        )
    except RPCError:
        pass  # already added by an earlier test of this module
    monkeypatch.setenv("PDCA_REPORTS_DIR", str(tmp_path / "reports"))
    override = tmp_path / "calendar.yaml"
    override.write_text("years: {}\n", encoding="utf-8")  # the package's holidays only, whatever ~/.pdca holds
    monkeypatch.setenv("PDCA_CALENDAR", str(override))
    now = await time_env.get_current_time()
    day = now.astimezone(SHANGHAI).date() + timedelta(days=1)
    calendar = WorkCalendar(facts_for_years([day.year, day.year + 1], override))
    while day.weekday() != 5 or day.day > 28 or calendar.is_workday(day):  # a Saturday off (not a 调休 workday)
        day += timedelta(days=1)
    scheduled = datetime(day.year, day.month, day.day, 9, tzinfo=SHANGHAI)
    expected = working_day_run(scheduled, calendar)
    assert expected.date() > day
    policy = Policy(supervisors=["wang.sup"])
    entry = CadenceEntry(months=[day.month], day=day.day)
    policy = policy.model_copy(update={"cadence": policy.cadence.model_copy(update={"monthly_digest": entry})})
    audit_log = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")
    queue = f"cadence-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=2) as executor:
        async with build_worker(time_env.client, audit_log, queue, channel=channel, executor=executor):
            await time_env.sleep(scheduled - now)  # the Schedule would start the run now
            handle = await time_env.client.start_workflow(
                CadenceWorkflow.run,
                CadenceInput(kind=CadenceKind.MONTHLY_DIGEST, policy=policy),
                id=f"{schedule_id(CadenceKind.MONTHLY_DIGEST)}-run-{uuid.uuid4().hex[:6]}",
                task_queue=queue,
                search_attributes=TypedSearchAttributes([SearchAttributePair(SCHEDULED_START, scheduled.astimezone(UTC))]),
            )
            result = await handle.result()
            history = await handle.fetch_history()
    assert result.recipients == ["wang.sup"]
    assert f"monthly_digest-{expected:%Y%m%d}" in result.files[0]  # the files of the day it really ran
    told = [s for s in channel.sent if s["event_type"] == "Cadence.monthly_digest"]
    assert len(told) == 1 and f"{expected:%Y-%m-%d}" in told[0]["message"]
    await Replayer(
        workflows=[CadenceWorkflow], data_converter=time_env.client.data_converter,
        workflow_runner=SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)),
    ).replay_workflow(history)
