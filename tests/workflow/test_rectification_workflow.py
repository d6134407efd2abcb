"""RectificationWorkflow on the time-skipping test server, with a real worker and a real SQLite audit log.

Virtual time is driven explicitly (``time_env.sleep``): it does not skip while awaiting updates.
Every reminder / overdue / escalation is checked against the ``at`` the audit log recorded.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ActivityError, ApplicationError

from domain.actors import Actor
from domain.rectification import (
    CloseCase,
    Outcome,
    ProblemInput,
    RecordAcceptance,
    RecordFollowUp,
    ReportProgress,
    ReturnPlan,
    Stage,
    SubmitSelfCheck,
    Tick,
    Verdict,
)
from tests.identity import credential
from tests.timeskip import skip
from tests.workflow.scenario import (
    BRANCH,
    COUNTY,
    FIRST_SEC,
    LEADERS,
    POLICY,
    SUPERVISOR,
    TOWNSHIP,
    Case,
    approve,
    assert_at,
    at,
    complete,
    measure,
    open_command,
    plan,
)
from worker import build_worker
from workflows.rectification import CaseInput, RectificationWorkflow
from workflows.search_attributes import NEXT_DUE, OVERDUE, STAGE

DAY = timedelta(days=1)
SUPERVISORS = list(POLICY.supervisors)


def self_check(actor: Actor = BRANCH) -> SubmitSelfCheck:
    return SubmitSelfCheck(actor=actor, summary="自查完成")


def acceptance(score: float, actor: Actor = COUNTY, unsatisfied: float = 0.1) -> RecordAcceptance:
    return RecordAcceptance(actor=actor, score=score, unsatisfied_share=unsatisfied, comments="验收")


def follow_up(relapsed: bool = False, new_problems: list[ProblemInput] | None = None) -> RecordFollowUp:
    return RecordFollowUp(actor=COUNTY, relapsed=relapsed, note="回头看", new_problems=new_problems or [])


def close(outcome: Outcome = Outcome.UPGRADED) -> CloseCase:
    return CloseCase(actor=SUPERVISOR, outcome=outcome, note="销号")


def assert_notices_delivered(case: Case, channel) -> None:  # type: ignore[no-untyped-def]
    """Every notice event reached exactly its recipients, keyed by the audited event id."""
    delivered = Counter(msg["key"] for msg in channel.sent)
    for row in case.stream():
        if row.event_type not in {"ReminderSent", "MeasureOverdue", "EscalationRaised", "ConsolidationEnded"}:
            continue
        recipients = json.loads(row.payload)["recipients"]
        assert recipients, f"{row.event_type} names no recipients"
        for recipient in recipients:
            assert delivered[f"{row.event_id}:{recipient}"] == 1, f"{row.event_type} to {recipient}: {delivered}"
    audited_ids = {row.event_id for row in case.stream()}
    assert all(key.split(":")[0] in audited_ids for key in delivered), "a notice for an event that is not audited"


def assert_log_consistent(case: Case, version: int) -> None:
    rows = case.stream()
    assert [row.version for row in rows] == list(range(1, version + 1))
    report = case.audit_log.verify()
    assert report.ok, report


def report_line(capsys, text: str) -> None:  # type: ignore[no-untyped-def]
    with capsys.disabled():
        print(f"\n[measure] {text}")


# --------------------------------------------------------------------------- a full case over a year


async def test_full_year_reminders_escalations_and_close(cases, channel, capsys) -> None:
    wall = time.perf_counter()
    case: Case = cases()
    handle = await case.start()
    t0 = await case.now()
    d1, d2 = t0 + 60 * DAY, t0 + 120 * DAY
    await case.cmd(
        plan(
            measure("M1", ["P1"], d1, responsible="resp-a"),
            measure("M2", ["P2"], d2, responsible="resp-b"),
        )
    )
    approved = await case.cmd(approve())
    assert approved.stage == Stage.IMPLEMENTING

    # --- M1: both reminders, then completed a half day before its deadline.
    await case.advance_to(d1 - 12 * timedelta(hours=1))
    m1_reminders = case.events("ReminderSent", measure_id="M1")
    assert [r["lead"] for r in m1_reminders] == ["7d", "1d"]
    assert_at(m1_reminders[0], d1 - 7 * DAY)
    assert_at(m1_reminders[1], d1 - DAY)
    assert case.events("ReminderSent", measure_id="M2") == []
    assert case.events("MeasureOverdue") == []
    await case.cmd(complete("M1"))

    # --- M2: 7d and 1d reminders, overdue at the deadline, escalation rungs at +7d and +21d.
    await case.advance_to(d2 + 30 * DAY)
    m2_reminders = case.events("ReminderSent", measure_id="M2")
    assert [r["lead"] for r in m2_reminders] == ["7d", "1d"]
    assert_at(m2_reminders[0], d2 - 7 * DAY)
    assert_at(m2_reminders[1], d2 - DAY)
    assert all(r["recipients"] == ["resp-b"] for r in m2_reminders)
    [overdue] = case.events("MeasureOverdue", measure_id="M2")
    assert_at(overdue, d2)
    assert overdue["recipients"] == ["resp-b", *LEADERS]
    escalations = case.events("EscalationRaised", measure_id="M2")
    assert [e["rung"] for e in escalations] == ["reminder_talk", "supervision_notice"]
    assert_at(escalations[0], d2 + 7 * DAY)
    assert_at(escalations[1], d2 + 21 * DAY)
    assert escalations[0]["recipients"] == ["resp-b", *LEADERS]
    assert escalations[1]["recipients"] == ["resp-b", *LEADERS, *SUPERVISORS]
    # M1 was completed in time: nothing more for it, ever.
    assert len(case.events("ReminderSent", measure_id="M1")) == 2
    assert case.events("MeasureOverdue", measure_id="M1") == []
    assert case.events("EscalationRaised", measure_id="M1") == []
    assert await case.search_attribute(OVERDUE) is True
    assert await case.search_attribute(STAGE) == "implementing"
    assert datetime.fromisoformat(await case.search_attribute(NEXT_DUE)) == d2
    assert_notices_delivered(case, channel)

    # --- complete, self-check, acceptance, a year of consolidation.
    await case.cmd(complete("M2", actor=FIRST_SEC))
    await case.cmd(self_check())
    accepted = await case.cmd(acceptance(86))
    assert accepted.events == ["AcceptanceRecorded", "ConsolidationStarted"]
    assert accepted.stage == Stage.CONSOLIDATING
    [started] = case.events("ConsolidationStarted")
    until = at(started) + timedelta(days=365)
    assert started["until"] == until.isoformat().replace("+00:00", "Z")
    await case.advance_to(until - DAY)
    assert case.events("ConsolidationEnded") == []
    await case.advance_to(until + DAY)
    [ended] = case.events("ConsolidationEnded")
    assert_at(ended, until)
    assert ended["recipients"] == [*LEADERS, *SUPERVISORS]
    assert_notices_delivered(case, channel)

    await case.cmd(follow_up())
    closed = await case.cmd(close())
    assert closed.stage == Stage.CLOSED
    virtual = (await case.now()) - t0
    outcome = await handle.result()
    wall = time.perf_counter() - wall

    assert outcome.stage == Stage.CLOSED and outcome.outcome == "upgraded"
    assert_log_consistent(case, outcome.version)
    state = await case.state()
    assert state.version == outcome.version == len(case.stream())
    # Each timer-driven event exactly once.
    counts = Counter(case.types())
    assert counts["ReminderSent"] == 4 and counts["MeasureOverdue"] == 1
    assert counts["EscalationRaised"] == 2 and counts["ConsolidationEnded"] == 1
    history = await handle.fetch_history()
    report_line(
        capsys,
        f"full case {case.case_id}: {len(case.stream())} audit events {dict(counts)}; "
        f"{len(history.events)} history events; wall {wall:.2f}s "
        f"(virtual {virtual.days} days)",
    )


# --------------------------------------------------------------------------- rework loop


async def test_failed_acceptance_orders_rework_with_new_deadline(cases, channel) -> None:
    case: Case = cases()
    await case.start()
    t0 = await case.now()
    await case.cmd(plan(measure("M1", ["P1", "P2"], t0 + 30 * DAY, responsible="resp-a")))
    await case.cmd(approve())
    await case.advance(DAY)
    await case.cmd(complete("M1"))
    await case.cmd(self_check())
    failed = await case.cmd(acceptance(55))
    assert failed.events == ["AcceptanceRecorded", "ReworkOrdered"]
    assert failed.stage == Stage.IMPLEMENTING
    [recorded] = case.events("AcceptanceRecorded")
    assert recorded["verdict"] == Verdict.FAILED_SCORE and recorded["pass_score"] == 70.0
    [rework] = case.events("ReworkOrdered")
    new_deadline = at(rework) + timedelta(days=90)
    assert rework["deadline"] == new_deadline.isoformat().replace("+00:00", "Z") and rework["rework_round"] == 1
    state = await case.state()
    [m1] = state.measures
    assert m1.deadline == new_deadline and not m1.done and m1.reminded == [] and not m1.overdue
    # The original deadline (t0+30d) passes silently: the measure now runs to the rework deadline.
    await case.advance_to(t0 + 31 * DAY)
    assert case.events("ReminderSent") == [] and case.events("MeasureOverdue") == []

    await case.advance_to(new_deadline + timedelta(hours=1))
    reminders = case.events("ReminderSent", measure_id="M1")
    assert [r["lead"] for r in reminders] == ["7d", "1d"]
    assert_at(reminders[0], new_deadline - 7 * DAY)
    assert_at(reminders[1], new_deadline - DAY)
    [overdue] = case.events("MeasureOverdue")
    assert_at(overdue, new_deadline)
    assert_notices_delivered(case, channel)

    await case.cmd(complete("M1"))
    await case.cmd(self_check())
    passed = await case.cmd(acceptance(78))
    assert passed.events == ["AcceptanceRecorded", "ConsolidationStarted"]
    assert [a["verdict"] for a in case.events("AcceptanceRecorded")] == ["failed_score", "passed"]
    assert [a["round"] for a in case.events("AcceptanceRecorded")] == [1, 2]
    state = await case.state()
    assert state.stage == Stage.CONSOLIDATING and state.rework_round == 1
    assert_log_consistent(case, state.version)


# --------------------------------------------------------------------------- relapse


async def test_relapse_during_consolidation_starts_a_new_cycle(cases) -> None:
    case: Case = cases()
    handle = await case.start()
    t0 = await case.now()
    await case.cmd(plan(measure("M1", ["P1", "P2"], t0 + 30 * DAY)))
    await case.cmd(approve())
    await case.cmd(complete("M1"))
    await case.cmd(self_check())
    await case.cmd(acceptance(90))
    await case.advance(60 * DAY)

    relapse = await case.cmd(
        follow_up(relapsed=True, new_problems=[ProblemInput(category="collective_economy", description="集体经济空壳")])
    )
    assert relapse.events == ["FollowUpReviewed", "RelapseRecorded"]
    assert relapse.stage == Stage.DESIGNATED
    state = await case.state()
    assert state.cycle == 2 and state.measures == [] and state.consolidation_until is None
    assert [(p.id, p.cycle) for p in state.problems] == [("P1", 1), ("P2", 1), ("P3", 2)]
    assert await case.search_attribute(STAGE) == "designated"

    # The new cycle's plan must address the new problem.
    now = await case.now()
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await case.cmd(plan(measure("M2", ["P1"], now + 30 * DAY)))
    assert isinstance(refused.value.cause, ApplicationError) and refused.value.cause.type == "invalid_command"
    assert "P3" in str(refused.value.cause)
    await case.cmd(plan(measure("M2", ["P3"], now + 30 * DAY)))
    await case.cmd(approve())
    await case.cmd(complete("M2"))
    await case.cmd(self_check())
    passed = await case.cmd(acceptance(80))
    assert passed.stage == Stage.CONSOLIDATING
    started = case.events("ConsolidationStarted")
    assert len(started) == 2
    until = at(started[-1]) + timedelta(days=365)
    await case.advance_to(until + timedelta(hours=1))
    [ended] = case.events("ConsolidationEnded")  # the first consolidation was cut short by the relapse
    assert_at(ended, until)
    await case.cmd(follow_up())
    await case.cmd(close(Outcome.STABLE))
    outcome = await handle.result()
    assert outcome.stage == Stage.CLOSED and outcome.outcome == "stable"
    assert case.types().count("RelapseRecorded") == 1
    assert_log_consistent(case, outcome.version)


# --------------------------------------------------------------------------- rejected commands


def _history_mentions(history, update_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [EventType.Name(e.event_type) for e in history.events if update_id in str(e)]


async def test_refused_commands_leave_no_trace(cases) -> None:
    case: Case = cases()
    handle = await case.start()
    t0 = await case.now()
    # The township secretary may both author and review plans: separation of duties must stop them.
    await case.cmd(plan(measure("M1", ["P1", "P2"], t0 + 30 * DAY), actor=TOWNSHIP))

    refusals = {
        "separation_of_duties": approve(actor=TOWNSHIP),
        "not_allowed_in_stage": acceptance(90),
        "permission_denied": approve(actor=BRANCH),
        "invalid_command": Tick(),
    }
    rejected_ids = []
    for code, command in refusals.items():
        before = len(case.stream())
        request_id = f"rejected-{code}-{uuid.uuid4().hex[:6]}"
        with pytest.raises(WorkflowUpdateFailedError) as failure:
            await case.cmd(command, request_id=request_id, update_id=request_id)
        cause = failure.value.cause
        assert isinstance(cause, ApplicationError), cause
        assert cause.type == code, (code, cause.type, cause)
        assert len(case.stream()) == before
        rejected_ids.append(request_id)

    await case.cmd(approve(actor=SUPERVISOR), request_id="accepted-approve", update_id="accepted-approve")
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await case.cmd(complete("M9"), request_id="rejected-unknown-measure", update_id="rejected-unknown-measure")
    assert isinstance(failure.value.cause, ApplicationError)
    assert failure.value.cause.type == "invalid_command" and "M9" in str(failure.value.cause)
    rejected_ids.append("rejected-unknown-measure")

    await case.settle()
    state = await case.state()
    assert state.stage == Stage.IMPLEMENTING and state.version == len(case.stream()) == 3
    assert case.types() == ["CaseOpened", "PlanSubmitted", "PlanApproved"]

    history = await handle.fetch_history()
    accepted_updates = [
        e.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    assert len(accepted_updates) == 2  # the plan and the approval: the control that updates are recorded at all
    for update_id in rejected_ids:
        assert update_id not in accepted_updates
        assert _history_mentions(history, update_id) == [], update_id
    assert _history_mentions(history, "accepted-approve") != []


# --------------------------------------------------------------------------- idempotent retry


async def test_retried_request_id_is_applied_once(cases) -> None:
    case: Case = cases()
    await case.start()
    t0 = await case.now()
    submit = plan(measure("M1", ["P1", "P2"], t0 + 30 * DAY))
    first = await case.cmd(submit, request_id="cli-req-1")
    again = await case.cmd(submit, request_id="cli-req-1")
    assert not first.duplicate and again.duplicate
    assert again.model_dump(exclude={"duplicate"}) == first.model_dump(exclude={"duplicate"})
    # Even a retry carrying a command that would now be refused answers with the first result.
    return_plan = ReturnPlan(actor=TOWNSHIP, comments="补充措施")
    returned = await case.cmd(return_plan, request_id="cli-req-2")
    assert returned.events == ["PlanReturned"]
    retried = await case.cmd(return_plan, request_id="cli-req-2")
    assert retried.duplicate and retried.version == returned.version
    await case.settle()
    assert case.types() == ["CaseOpened", "PlanSubmitted", "PlanReturned"]
    assert (await case.state()).version == 3


# --------------------------------------------------------------------------- a failing notification channel


class FailingChannel:
    name = "failing"

    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()

    def send(self, recipient: str, message: str, *, key: str, case_id: str, event_type: str) -> None:
        self.attempts[key.split(":")[0]] += 1
        raise ConnectionError("notification gateway unreachable")


async def test_failing_channel_neither_fails_nor_blocks_the_case(time_env, audit_log, cases) -> None:
    channel = FailingChannel()
    queue = f"failing-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(time_env.client, audit_log, queue, channel=channel, executor=executor):
            case: Case = cases(queue=queue)
            await case.start()
            t0 = await case.now()
            deadline = t0 + 20 * DAY
            await case.cmd(plan(measure("M1", ["P1", "P2"], deadline)))
            await case.cmd(approve())
            await case.advance_to(deadline + 8 * DAY)
            types = case.types()
            assert types.count("ReminderSent") == 2 and types.count("MeasureOverdue") == 1
            assert types.count("EscalationRaised") == 1
            [overdue] = case.events("MeasureOverdue")
            assert_at(overdue, deadline)  # the failed reminders before it did not delay it
            notice_ids = [row.event_id for row in case.stream() if row.event_type in {"ReminderSent", "MeasureOverdue", "EscalationRaised"}]
            # Every notice was tried (and retried up to the policy's 5 attempts), then given up on.
            assert sorted(channel.attempts) == sorted(notice_ids)
            assert all(n == 5 for n in channel.attempts.values()), channel.attempts
            # The case goes on.
            await case.cmd(complete("M1"))
            await case.cmd(self_check())
            result = await case.cmd(acceptance(90))
            assert result.stage == Stage.CONSOLIDATING
            assert await case.running()
            assert_log_consistent(case, (await case.state()).version)


# --------------------------------------------------------------------------- concurrent and repeated opens


async def test_concurrent_conflicting_commands_apply_once(cases) -> None:
    """Two reviewers approve at once: both may pass validation, the handler re-decides under the lock."""
    case: Case = cases()
    await case.start()
    t0 = await case.now()
    await case.cmd(plan(measure("M1", ["P1", "P2"], t0 + 30 * DAY)))
    results = await asyncio.gather(case.cmd(approve()), case.cmd(approve(actor=SUPERVISOR)), return_exceptions=True)
    applied = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(applied) == 1 and len(refused) == 1, results
    assert isinstance(refused[0], WorkflowUpdateFailedError)
    assert isinstance(refused[0].cause, ApplicationError) and refused[0].cause.type == "not_allowed_in_stage"
    await case.settle()
    assert case.types().count("PlanApproved") == 1
    assert (await case.state()).version == len(case.stream()) == 3


async def test_reopening_a_closed_case_id_fails_without_touching_the_log(time_env, cases, worker_queue) -> None:
    case: Case = cases()
    await case.start()
    t0 = await case.now()
    await case.cmd(plan(measure("M1", ["P1", "P2"], t0 + 30 * DAY)))
    await case.cmd(approve())
    await case.cmd(complete("M1"))
    await case.cmd(self_check())
    await case.cmd(acceptance(90))
    await case.advance(366 * DAY)
    await case.cmd(follow_up())
    await case.cmd(close())
    assert case.handle is not None
    await case.handle.result()
    before = [(row.event_id, row.hash) for row in case.stream()]

    again: Case = cases(org_code=case.org_code)
    second = await time_env.client.start_workflow(
        RectificationWorkflow.run,
        CaseInput(
            case_id=again.case_id,
            policy=POLICY,
            open=open_command(again.org_code),
            credential=credential(open_command(again.org_code).actor),
        ),
        id=again.case_id,
        task_queue=worker_queue,
    )
    again.handle = second
    with pytest.raises(WorkflowFailureError) as failure:
        await asyncio.wait_for(second.result(), timeout=20)
    # the append's refusal: wrapped in an ActivityError by a regular activity; a local one (append-local-v1)
    # raises it as it is (temporalio 1.35)
    cause = failure.value.cause
    if isinstance(cause, ActivityError):
        cause = cause.cause
    assert isinstance(cause, ApplicationError) and cause.type == "ConcurrencyError", cause
    assert [(row.event_id, row.hash) for row in case.stream()] == before
    assert case.audit_log.verify().ok


async def test_commands_are_not_held_up_while_a_notice_is_retried(time_env, audit_log, cases) -> None:
    channel = FailingChannel()
    queue = f"failing-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(time_env.client, audit_log, queue, channel=channel, executor=executor):
            case: Case = cases(queue=queue)
            await case.start()
            t0 = await case.now()
            deadline = t0 + 20 * DAY
            await case.cmd(plan(measure("M1", ["P1", "P2"], deadline)))
            await case.cmd(approve())
            # Stop the clock one second after the 7d reminder: its first delivery attempt has failed and the
            # retry is pending. Virtual time now runs at wall-clock speed.
            await skip(time_env, deadline - 7 * DAY - (await case.now()) + timedelta(seconds=1))
            await case.wait_for(lambda: "ReminderSent" in case.types(), "the reminder is audited")
            progress = ReportProgress(actor=BRANCH, measure_id="M1", note="已召开支委会")
            update = asyncio.create_task(case.cmd(progress))
            try:
                done, _ = await asyncio.wait({update}, timeout=3)
            finally:
                await skip(time_env, timedelta(minutes=5))  # let the retries run out, whatever happened
                await update
            assert done, "a command waited for a failing notice channel"
