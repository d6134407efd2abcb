"""The secretary-project workflow on the time-skipping server: a year of milestones, quarterly reports,
reminders and 催办 at their virtual times, revision rounds, evaluation, sanction, close."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select
from temporalio.client import WorkflowUpdateFailedError

from domain.project import ApproveApplication, ReturnApplication
from store.project_models import ProjectMilestone, ProjectSummary
from tests.workflow.project_scenario import (
    OWNER,
    POLICY,
    REVIEWER,
    Project,
    assert_at,
    bj,
    drive_full_lifecycle,
    unique_org,
)
from workflows.search_attributes import CASE_KIND, OVERDUE, STAGE


@pytest.fixture
def project(time_env, audit_log, worker_queue):  # type: ignore[no-untyped-def]
    return Project(time_env, audit_log, worker_queue, unique_org())


async def test_full_lifecycle_revisions_missed_report_urges_poor_evaluation_sanction(project: Project, channel) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    await drive_full_lifecycle(project)
    types = project.types()
    YEAR = project.year
    assert types.count("ApplicationReturned") == 2 and types.count("ApplicationRevised") == 2

    # Q1 missed: due 10 working days after 03-31; a reminder 1wd later, then three 催办, each 5 working
    # days after the previous notice, all at working moments, and no more. Expected times are counted
    # on the calendar facts the workflow fetched.
    cal = await project.calendar()
    hours = POLICY.working_hours
    state = await project.state()
    due = state.report(1).due  # type: ignore[union-attr]
    assert due == cal.shift(bj(YEAR, 3, 31, 18, 0), "10wd")
    expected = [cal.next_working_moment(cal.shift(due, "1wd"), hours)]
    for _ in range(3):
        expected.append(cal.next_working_moment(cal.shift(expected[-1], "5wd"), hours))
    q1 = project.events("ReportReminderSent", quarter=1) + project.events("ReportUrged", quarter=1)
    assert [e["type"] for e in q1] == ["ReportReminderSent", "ReportUrged", "ReportUrged", "ReportUrged"]
    for event, when in zip(q1, expected, strict=True):
        assert_at(event, when)
    assert [e["urge"] for e in q1[1:]] == [1, 2, 3]
    # Q2 and Q3 were reported on time: no notices for them.
    assert not project.events("ReportReminderSent", quarter=2) and not project.events("ReportUrged", quarter=3)
    # Milestone reminders 5 working days ahead; nothing overdue.
    reminders = project.events("MilestoneReminderSent")
    assert [r["milestone_id"] for r in reminders] == ["M1", "M2"]
    assert_at(reminders[0], cal.next_working_moment(cal.shift(bj(YEAR, 3, 31, 18, 0), "-5wd"), hours))
    assert not project.events("MilestoneOverdue")
    assert_at(project.events("EvaluationDue")[0], cal.next_working_moment(bj(YEAR, 12, 20, 18, 0), hours))
    for event in project.stream():
        if event.actor == "system":
            assert cal.is_working_time(
                datetime.fromisoformat(json.loads(event.payload)["at"]) - timedelta(seconds=1), hours
            ) or cal.is_working_time(datetime.fromisoformat(json.loads(event.payload)["at"]), hours), event.event_type

    duty = project.events("DutyReviewRecorded")[0]
    assert duty["secretary"] == OWNER.id and duty["rating"] == "poor" and duty["reports_missing"] == 1
    assert (duty["reports_on_time"], duty["urges"], duty["revision_rounds"]) == (2, 3, 2)
    proposal = project.events("SanctionProposed")[0]
    assert proposal["rung"] == "reminder_talk"
    assert project.events("SanctionDecided")[0]["decision"] == "approved"
    assert types[-1] == "ProjectClosed"

    # Notices went out with project wording, to the owner and the supervisors.
    urges = [s for s in channel.sent if s["event_type"] == "ReportUrged"]
    assert len(urges) == 6  # 3 urges × (owner + supervisor)
    assert "催办" in urges[0]["message"] and "第1季度" in urges[0]["message"]
    assert {s["recipient"] for s in urges} == {OWNER.id, "sup-zhang"}

    # The ledger, folded in the same transaction.
    with Session(project.audit_log.engine) as session:
        summary = session.get(ProjectSummary, project.project_id)
        milestones = session.exec(select(ProjectMilestone).where(ProjectMilestone.project_id == project.project_id)).all()
    assert summary is not None
    assert (summary.stage, summary.revision_rounds, summary.quarterly_reports, summary.urges_sent) == ("closed", 2, 2, 3)
    assert (summary.milestones_total, summary.milestones_done, summary.rating, summary.outcome) == (2, 2, "poor", "closed")
    assert summary.satisfaction == pytest.approx(0.55) and summary.sanction_proposals == 1 and summary.level == "secretary"
    assert summary.version == len(types) and sorted(m.milestone_id for m in milestones) == ["M1", "M2"]
    assert project.audit_log.verify().ok
    assert await project.search_attribute(CASE_KIND) == "project"
    assert await project.search_attribute(STAGE) == "closed"
    print(f"\nproject year: {len(types)} audit events, {time.perf_counter() - started:.1f}s wall")


async def test_refused_commands_leave_no_trace_and_retries_apply_once(project: Project) -> None:
    await project.start()
    before = len(project.stream())
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await project.cmd(ApproveApplication(actor=OWNER))  # a branch secretary is not a reviewer
    assert "permission" in str(refused.value.cause).lower() or "roles" in str(refused.value.cause)
    assert len(project.stream()) == before
    first = await project.cmd(ReturnApplication(actor=REVIEWER, comments="再改"), request_id="same-id")
    again = await project.cmd(ReturnApplication(actor=REVIEWER, comments="再改"), request_id="same-id")
    assert again.duplicate and again.version == first.version
    assert project.types().count("ApplicationReturned") == 1
    assert await project.search_attribute(STAGE) == "reviewing"
    assert await project.search_attribute(OVERDUE) is False
    assert project.handle is not None
    await project.settle()  # no notice in flight: an activity cut off by terminate stalls the test server's clock
    await project.handle.terminate("test done")


async def test_missed_report_marks_the_project_overdue_in_search_attributes(project: Project) -> None:
    await project.start()
    await project.cmd(ApproveApplication(actor=REVIEWER, comments="同意"))
    YEAR = project.year
    cal = await project.calendar()
    due = (await project.state()).report(1).due  # type: ignore[union-attr]
    reminder = cal.next_working_moment(cal.shift(due, "1wd"), POLICY.working_hours)
    await project.advance_to(reminder + timedelta(hours=1))  # past Q1 due + reminder; M1 overdue too
    state = await project.state()
    assert state.overdue and state.report(1).reminded  # type: ignore[union-attr]
    assert await project.search_attribute(OVERDUE) is True
    overdue = project.events("MilestoneOverdue")
    assert [o["milestone_id"] for o in overdue] == ["M1"]
    assert_at(overdue[0], cal.next_working_moment(bj(YEAR, 3, 31, 18, 0), POLICY.working_hours))
    assert project.handle is not None
    await project.settle()  # no notice in flight: an activity cut off by terminate stalls the test server's clock
    await project.handle.terminate("test done")
