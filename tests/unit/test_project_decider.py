"""The secretary-project decider (书记项目): every transition and every refusal, on a pure calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.actors import SYSTEM_ACTOR, Actor, Role
from domain.decider import Context
from domain.errors import (
    InvalidCommand,
    NotAllowedInStage,
    PermissionDenied,
    SeparationOfDuties,
)
from domain.policy import Policy
from domain.project import (
    INITIAL_STATE,
    ApplicationInput,
    ApplicationStatus,
    ApplyProject,
    ApproveApplication,
    CloseProject,
    CompleteMilestone,
    DecideSanction,
    EvaluateProject,
    Level,
    MilestoneInput,
    ProjectState,
    PromoteProject,
    ProposalStatus,
    Rating,
    RecordProgress,
    RejectApplication,
    ReturnApplication,
    ReviseApplication,
    SanctionDecision,
    Stage,
    SubmitQuarterlyReport,
    Tick,
    decide,
    evolve,
    next_wakeup,
    project_id_for,
    report_dues,
)
from domain.rungs import Rung
from domain.timeutil import SHANGHAI
from domain.workcal import CalendarFacts, FactSource, WorkCalendar, YearFacts

YEAR = 2027
ORG = "V001"
REGION = "青山镇"
# 2027-01-04 is a Monday; the test calendar makes 2027-05-03 (Monday) a holiday.
T0 = datetime(2027, 1, 4, 10, 0, tzinfo=SHANGHAI)
CAL = WorkCalendar(
    CalendarFacts(years={2027: YearFacts(year=2027, source=FactSource.OVERRIDE, holidays=[date(2027, 5, 3)], origin="test")})
)
POLICY = Policy(supervisors=["sup-1"])


def actor(actor_id: str, *roles: Role, scope: list[str] | None = None) -> Actor:
    return Actor(id=actor_id, roles=list(roles), scope=scope or ["*"])


OWNER = actor("bs-1", Role.BRANCH_SECRETARY, scope=[ORG])
OTHER_BRANCH = actor("bs-2", Role.BRANCH_SECRETARY, scope=["V999"])
REVIEWER = actor("ts-1", Role.TOWNSHIP_SECRETARY, scope=[REGION])
REVIEWER2 = actor("sup-2", Role.SUPERVISOR)
EVALUATOR = actor("cl-1", Role.COUNTY_LEADER)
SUP = actor("sup-1", Role.SUPERVISOR)
# A township secretary may both apply (own project) and review others: the separation check matters.
TOWNSHIP_OWNER = actor("ts-9", Role.TOWNSHIP_SECRETARY)


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def application(**changes) -> ApplicationInput:  # type: ignore[no-untyped-def]
    data = dict(
        title="村集体经济破零",
        problem="集体经济收入为零",
        goals=["年底集体经济收入达到10万元"],
        measures=["成立合作社", "盘活闲置资产"],
        milestones=[
            MilestoneInput(id="M1", description="成立合作社", deadline=date(2027, 3, 31)),
            MilestoneInput(id="M2", description="首次分红", deadline=date(2027, 11, 30)),
        ],
        deadline=date(2027, 12, 20),
    )
    data.update(changes)
    return ApplicationInput(**data)


def apply_cmd(actor_: Actor = OWNER, **changes) -> ApplyProject:  # type: ignore[no-untyped-def]
    fields = dict(
        actor=actor_, level=Level.SECRETARY, org_code=ORG, org_name="东村党支部", region=REGION, year=YEAR, application=application()
    )
    fields.update(changes)
    return ApplyProject(**fields)


class P:
    """decide + evolve in one place."""

    def __init__(self, policy: Policy = POLICY) -> None:
        self.policy = policy
        self.state: ProjectState = INITIAL_STATE
        self.events: list = []
        self.now = T0  # the time of the latest command or tick

    def ctx(self, now: datetime | None = None) -> Context:
        return Context(now=(self.now if now is None else now).astimezone(UTC), policy=self.policy, calendar=CAL)

    def do(self, command, now: datetime = T0) -> list:  # type: ignore[no-untyped-def]
        events = decide(self.state, command, self.ctx(now))
        self.now = now
        for event in events:
            self.state = evolve(self.state, event)
        self.events += events
        return events

    def types(self, events: list | None = None) -> list[str]:
        return [e.type for e in (self.events if events is None else events)]

    def tick(self, now: datetime) -> list:
        return self.do(Tick(), now)


def approved(policy: Policy = POLICY, at: datetime = T0) -> P:
    p = P(policy)
    p.do(apply_cmd(), T0)
    p.do(ApproveApplication(actor=REVIEWER, comments="同意"), at)
    return p


# ------------------------------------------------------------------ application and review


def test_apply_opens_a_project_owned_by_the_secretary() -> None:
    p = P()
    [event] = p.do(apply_cmd())
    assert event.type == "ProjectApplied"
    assert event.project_id == project_id_for("secretary", ORG, YEAR) == "proj-secretary-V001-2027"
    assert event.owner == "bs-1"
    assert p.state.stage == Stage.REVIEWING and p.state.application_status == ApplicationStatus.SUBMITTED
    assert [m.id for m in p.state.milestones] == ["M1", "M2"]
    assert p.state.milestones[0].deadline == bj(2027, 3, 31, 18, 0)  # a date falls due at 18:00 Beijing
    assert p.state.application is not None and p.state.application.deadline == bj(2027, 12, 20, 18, 0)


@pytest.mark.parametrize(
    "command, error",
    [
        (lambda: apply_cmd(actor_=SUP), PermissionDenied),  # supervisors do not apply
        (lambda: apply_cmd(actor_=OTHER_BRANCH), PermissionDenied),  # out of scope
        (lambda: apply_cmd(application=application(deadline=date(2026, 12, 1))), InvalidCommand),  # past deadline
        (
            lambda: apply_cmd(application=application(milestones=[MilestoneInput(id="M1", description="x", deadline=date(2026, 12, 1))])),
            InvalidCommand,
        ),
        (
            lambda: apply_cmd(application=application(milestones=[MilestoneInput(id="M1", description="x", deadline=date(2027, 12, 31))])),
            InvalidCommand,  # a milestone after the final deadline
        ),
        (
            lambda: apply_cmd(
                application=application(
                    milestones=[
                        MilestoneInput(id="M1", description="x", deadline=date(2027, 3, 1)),
                        MilestoneInput(id="M1", description="y", deadline=date(2027, 4, 1)),
                    ]
                )
            ),
            InvalidCommand,  # duplicate milestone ids
        ),
    ],
    ids=["role", "scope", "deadline-past", "milestone-past", "milestone-after-final", "duplicate-milestones"],
)
def test_apply_refusals(command, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error):
        P().do(command())


def test_inputs_refuse_naive_timestamps_and_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="UTC offset"):
        MilestoneInput(id="M1", description="x", deadline="2027-03-01T10:00:00")
    with pytest.raises(ValidationError, match="Extra inputs"):
        ApplicationInput.model_validate({**application().model_dump(), "budjet": 1})


def test_apply_twice_is_refused() -> None:
    p = P()
    p.do(apply_cmd())
    with pytest.raises(NotAllowedInStage):
        p.do(apply_cmd())


def test_two_revision_rounds_then_approval() -> None:
    p = P()
    p.do(apply_cmd())
    [ret] = p.do(ReturnApplication(actor=REVIEWER, comments="目标不够具体"))
    assert (ret.round, ret.returns, ret.limit, ret.recipients) == (1, 1, 3, ["bs-1"])
    assert p.state.application_status == ApplicationStatus.RETURNED
    with pytest.raises(NotAllowedInStage):  # awaiting the owner's revision
        p.do(ApproveApplication(actor=REVIEWER))
    [rev] = p.do(ReviseApplication(actor=OWNER, application=application(goals=["年底收入10万元", "带动20户就业"])))
    assert rev.round == 2 and p.state.application_status == ApplicationStatus.SUBMITTED
    p.do(ReturnApplication(actor=REVIEWER2, comments="节点再细化"))
    p.do(ReviseApplication(actor=OWNER, application=application()))
    [ok] = p.do(ApproveApplication(actor=REVIEWER, comments="同意立项"))
    assert ok.round == 3
    assert p.state.stage == Stage.IMPLEMENTING and p.state.revision_rounds == 2
    assert p.state.reviewers == ["ts-1", "sup-2"]


def test_revision_refusals() -> None:
    p = P()
    p.do(apply_cmd(actor_=TOWNSHIP_OWNER))
    with pytest.raises(SeparationOfDuties):  # the owner never reviews their own project
        p.do(ReturnApplication(actor=TOWNSHIP_OWNER, comments="x"))
    with pytest.raises(NotAllowedInStage):  # not returned yet
        p.do(ReviseApplication(actor=TOWNSHIP_OWNER, application=application()))
    p.do(ReturnApplication(actor=REVIEWER, comments="x"))
    with pytest.raises(SeparationOfDuties):  # only the owner revises
        p.do(ReviseApplication(actor=REVIEWER, application=application()))
    q = P()
    q.do(apply_cmd())
    with pytest.raises(PermissionDenied):  # a branch secretary is not on the panel
        q.do(ReturnApplication(actor=OTHER_BRANCH, comments="x"))


def test_revision_limit_then_approve_or_reject() -> None:
    p = P()
    p.do(apply_cmd())
    for _ in range(3):
        p.do(ReturnApplication(actor=REVIEWER, comments="再改"))
        p.do(ReviseApplication(actor=OWNER, application=application()))
    with pytest.raises(NotAllowedInStage, match="approve or reject"):
        p.do(ReturnApplication(actor=REVIEWER, comments="第四次"))
    [rejected] = p.do(RejectApplication(actor=REVIEWER, comments="选题不聚焦，不予立项"))
    assert rejected.round == 4 and p.state.stage == Stage.REJECTED
    assert next_wakeup(p.state, p.ctx()) is None
    with pytest.raises(NotAllowedInStage):
        p.do(ReviseApplication(actor=OWNER, application=application()))


def test_a_policy_of_zero_returns_means_approve_or_reject_at_once() -> None:
    policy = Policy(supervisors=["sup-1"], projects={"max_revision_rounds": 0})
    p = P(policy)
    p.do(apply_cmd())
    with pytest.raises(NotAllowedInStage):
        p.do(ReturnApplication(actor=REVIEWER, comments="x"))


# ------------------------------------------------------------------ quarterly reports


def test_approval_sets_quarterly_report_due_dates_10_working_days_after_quarter_end() -> None:
    p = approved()
    dues = {r.quarter: r.due for r in p.state.reports}
    # Q1 ends Wed 2027-03-31; 10 working days later: Wed 2027-04-14, at 18:00.
    assert dues[1] == bj(2027, 4, 14, 18, 0)
    # Q2 ends Wed 2027-06-30 → Wed 2027-07-14.
    assert dues[2] == bj(2027, 7, 14, 18, 0)
    assert sorted(dues) == [1, 2, 3, 4]
    # Q4 is due in the next year.
    assert dues[4].astimezone(SHANGHAI).year == 2028


def test_quarters_already_ended_are_not_owed() -> None:
    dues = report_dues(YEAR, bj(2027, 5, 10, 10, 0), POLICY, CAL)
    assert [d.quarter for d in dues] == [2, 3, 4]


def test_report_refusals_and_late_flag() -> None:
    p = approved()
    with pytest.raises(NotAllowedInStage, match="not begun"):
        p.do(SubmitQuarterlyReport(actor=OWNER, quarter=2, note="x"), bj(2027, 3, 1, 10, 0))
    [ok] = p.do(SubmitQuarterlyReport(actor=OWNER, quarter=1, note="合作社已注册"), bj(2027, 4, 2, 10, 0))
    assert ok.late is False
    with pytest.raises(NotAllowedInStage, match="already"):
        p.do(SubmitQuarterlyReport(actor=OWNER, quarter=1, note="again"), bj(2027, 4, 3, 10, 0))
    [late] = p.do(SubmitQuarterlyReport(actor=OWNER, quarter=2, note="迟报"), bj(2027, 7, 20, 10, 0))
    assert late.late is True
    q = approved(at=bj(2027, 5, 10, 10, 0))
    with pytest.raises(InvalidCommand, match="no report is owed"):
        q.do(SubmitQuarterlyReport(actor=OWNER, quarter=1, note="x"), bj(2027, 5, 11, 10, 0))


def run_clock(p: P, until: datetime) -> list:
    """Tick at every wake-up the decider asks for, up to ``until``; each wake-up must produce events."""
    fired: list = []
    while True:
        wake = next_wakeup(p.state, p.ctx())
        if wake is None or wake > until:
            return fired
        events = p.tick(wake)
        assert events, f"next_wakeup {wake} produced nothing"
        fired += events


def test_missed_report_gets_a_reminder_then_three_urges_and_no_more() -> None:
    p = approved()
    p.do(CompleteMilestone(actor=OWNER, milestone_id="M1", note="done", evidence=["e"]), bj(2027, 3, 1, 10, 0))
    fired = [e for e in run_clock(p, bj(2027, 7, 1, 0, 0)) if e.type in {"ReportReminderSent", "ReportUrged"}]
    q1 = [e for e in fired if e.quarter == 1]
    assert [e.type for e in q1] == ["ReportReminderSent", "ReportUrged", "ReportUrged", "ReportUrged"]
    # Due Wed 04-14 18:00 → reminder 1wd later Thu 04-15 18:00 (inside working hours, end inclusive);
    # urges every 5 working days after the previous notice.
    assert q1[0].at == bj(2027, 4, 15, 18, 0)
    assert q1[1].at == bj(2027, 4, 22, 18, 0)
    assert q1[2].at == bj(2027, 4, 29, 18, 0)
    # 04-29 + 5wd skips the weekend and the 05-03 holiday: Fri 05-07.
    assert q1[3].at == bj(2027, 5, 7, 18, 0)
    assert [e.urge for e in q1[1:]] == [1, 2, 3] and all(e.of == 3 for e in q1[1:])
    assert q1[1].recipients == ["bs-1", "sup-1"]
    assert p.state.report(1).urges == 3  # type: ignore[union-attr]
    assert p.state.overdue


def test_a_submitted_report_stops_the_urging() -> None:
    p = approved()
    run_clock(p, bj(2027, 4, 23, 0, 0))
    assert p.state.report(1).urges == 1  # type: ignore[union-attr]
    p.do(SubmitQuarterlyReport(actor=OWNER, quarter=1, note="补报"), bj(2027, 4, 23, 9, 0))
    fired = run_clock(p, bj(2027, 6, 30, 0, 0))
    assert not [e for e in fired if getattr(e, "quarter", None) == 1]


def test_notices_wait_for_a_working_moment() -> None:
    policy = Policy(supervisors=["sup-1"], projects={"report_reminder_after": "2d"})
    p = approved(policy)
    # Due Wed 04-14 18:00 + 2d = Fri 04-16 18:00: a working moment; with "3d" → Sat → Mon 09:00.
    fired = run_clock(p, bj(2027, 4, 17, 0, 0))
    assert [e.at for e in fired if e.type == "ReportReminderSent"] == [bj(2027, 4, 16, 18, 0)]
    policy = Policy(supervisors=["sup-1"], projects={"report_reminder_after": "3d"})
    p = approved(policy)
    fired = run_clock(p, bj(2027, 4, 20, 0, 0))
    assert [e.at for e in fired if e.type == "ReportReminderSent"] == [bj(2027, 4, 19, 9, 0)]


# ------------------------------------------------------------------ milestones and progress


def test_milestone_reminder_overdue_and_late_completion() -> None:
    p = approved()
    fired = run_clock(p, bj(2027, 4, 1, 0, 0))
    m1 = [e for e in fired if getattr(e, "milestone_id", None) == "M1"]
    assert [e.type for e in m1] == ["MilestoneReminderSent", "MilestoneOverdue"]
    assert m1[0].at == bj(2027, 3, 24, 18, 0)  # 5 working days before Wed 03-31 18:00
    assert m1[1].at == bj(2027, 3, 31, 18, 0)
    assert m1[1].recipients == ["bs-1", "sup-1"]
    assert p.state.overdue
    [done] = p.do(CompleteMilestone(actor=OWNER, milestone_id="M1", note="合作社成立", evidence=["营业执照"]), bj(2027, 4, 2, 10, 0))
    assert done.late is True
    with pytest.raises(NotAllowedInStage):
        p.do(CompleteMilestone(actor=OWNER, milestone_id="M1"), bj(2027, 4, 2, 11, 0))
    with pytest.raises(InvalidCommand, match="unknown milestone"):
        p.do(CompleteMilestone(actor=OWNER, milestone_id="M9"), bj(2027, 4, 2, 11, 0))
    with pytest.raises(PermissionDenied):
        p.do(CompleteMilestone(actor=SUP, milestone_id="M2"), bj(2027, 4, 2, 11, 0))


def test_progress_ledger() -> None:
    p = approved()
    p.do(RecordProgress(actor=OWNER, note="召开村民代表大会", milestone_id="M1", evidence=["会议纪要"]), bj(2027, 2, 1, 10, 0))
    p.do(RecordProgress(actor=OWNER, note="外出考察"), bj(2027, 2, 2, 10, 0))
    assert [(e.note, e.milestone_id) for e in p.state.progress] == [("召开村民代表大会", "M1"), ("外出考察", None)]
    with pytest.raises(InvalidCommand):
        p.do(RecordProgress(actor=OWNER, note="x", milestone_id="M7"), bj(2027, 2, 2, 10, 0))
    with pytest.raises(ValidationError):
        RecordProgress(actor=OWNER, note="")


# ------------------------------------------------------------------ evaluation, sanctions, closing


def finished(p: P) -> P:
    p.do(CompleteMilestone(actor=OWNER, milestone_id="M1", note="ok"), bj(2027, 3, 1, 10, 0))
    p.do(CompleteMilestone(actor=OWNER, milestone_id="M2", note="ok"), bj(2027, 11, 1, 10, 0))
    return p


def test_evaluation_waits_for_milestones_or_the_deadline() -> None:
    p = approved()
    with pytest.raises(NotAllowedInStage, match="milestones still open"):
        p.do(EvaluateProject(actor=EVALUATOR, rating=Rating.GOOD, satisfaction=0.9), bj(2027, 6, 1, 10, 0))
    # after the final deadline it may be evaluated even with open milestones
    [evaluated, *_] = p.do(EvaluateProject(actor=EVALUATOR, rating=Rating.MEDIUM, satisfaction=0.8), bj(2027, 12, 21, 10, 0))
    assert evaluated.rating == Rating.MEDIUM and evaluated.milestones_done == 0


def test_separation_of_duties_owner_reviewer_evaluator() -> None:
    p = finished(approved())
    now = bj(2027, 11, 2, 10, 0)
    with pytest.raises(SeparationOfDuties):  # the approving reviewer cannot evaluate
        p.do(EvaluateProject(actor=actor("ts-1", Role.SUPERVISOR), rating=Rating.GOOD, satisfaction=0.9), now)
    q = P()
    q.do(apply_cmd(actor_=actor("cl-9", Role.COUNTY_LEADER, Role.TOWNSHIP_SECRETARY)))
    q.do(ApproveApplication(actor=REVIEWER))
    with pytest.raises(SeparationOfDuties):  # the owner cannot evaluate
        q.do(EvaluateProject(actor=actor("cl-9", Role.COUNTY_LEADER), rating=Rating.GOOD, satisfaction=0.9), bj(2027, 12, 21, 10, 0))
    with pytest.raises(PermissionDenied):
        p.do(EvaluateProject(actor=OWNER, rating=Rating.GOOD, satisfaction=0.9), now)


def test_good_evaluation_is_recorded_for_the_duty_review_and_promoted() -> None:
    p = finished(approved())
    p.do(SubmitQuarterlyReport(actor=OWNER, quarter=1, note="q1"), bj(2027, 4, 1, 10, 0))
    events = p.do(EvaluateProject(actor=EVALUATOR, rating=Rating.GOOD, satisfaction=0.92, comments="成效明显"), bj(2027, 11, 2, 10, 0))
    assert p.types(events) == ["ProjectEvaluated", "DutyReviewRecorded"]
    duty = events[1]
    assert duty.secretary == "bs-1" and duty.evaluator == "cl-1" and duty.rating == Rating.GOOD
    assert (duty.milestones_done, duty.milestones_total, duty.reports_on_time) == (2, 2, 1)
    assert duty.project_id == "proj-secretary-V001-2027" and duty.title == "村集体经济破零"
    assert p.state.stage == Stage.EVALUATED
    with pytest.raises(PermissionDenied):
        p.do(PromoteProject(actor=EVALUATOR), bj(2027, 11, 3, 10, 0))
    [promoted] = p.do(PromoteProject(actor=SUP, note="全县推广"), bj(2027, 11, 3, 10, 0))
    assert promoted.recipients == ["bs-1", "sup-1"] and p.state.stage == Stage.PROMOTED
    with pytest.raises(NotAllowedInStage):
        p.do(CloseProject(actor=SUP), bj(2027, 11, 4, 10, 0))


def test_low_satisfaction_makes_the_result_poor() -> None:
    p = finished(approved())
    events = p.do(EvaluateProject(actor=EVALUATOR, rating=Rating.GOOD, satisfaction=0.5), bj(2027, 11, 2, 10, 0))
    assert events[0].rating == Rating.POOR and events[0].given_rating == Rating.GOOD
    assert events[2].type == "SanctionProposed"


def test_poor_result_proposes_a_sanction_decided_by_an_approver() -> None:
    p = finished(approved())
    now = bj(2027, 11, 2, 10, 0)  # Tuesday
    events = p.do(EvaluateProject(actor=EVALUATOR, rating=Rating.POOR, satisfaction=0.7, comments="推进不力"), now)
    assert p.types(events) == ["ProjectEvaluated", "DutyReviewRecorded", "SanctionProposed"]
    proposal = events[2]
    assert proposal.rung == Rung.REMINDER_TALK and proposal.subject == "bs-1" and proposal.recipients == ["sup-1"]
    assert proposal.decide_by == bj(2027, 11, 16, 10, 0)  # 10 working days
    with pytest.raises(NotAllowedInStage, match="pending sanction"):
        p.do(CloseProject(actor=SUP), now)
    with pytest.raises(NotAllowedInStage, match="rated good"):
        p.do(PromoteProject(actor=SUP), now)
    with pytest.raises(PermissionDenied):  # a township secretary is no sanction approver
        p.do(DecideSanction(actor=REVIEWER, decision=SanctionDecision.APPROVED), now)
    [decided] = p.do(DecideSanction(actor=SUP, decision=SanctionDecision.APPROVED, comment="由镇党委书记谈话"), now)
    assert decided.proposal_id == proposal.proposal_id and decided.rung == Rung.REMINDER_TALK
    assert p.state.proposals[0].status == ProposalStatus.APPROVED
    with pytest.raises(NotAllowedInStage, match="no sanction proposal is pending"):
        p.do(DecideSanction(actor=SUP, decision=SanctionDecision.DISMISSED), now)
    with pytest.raises(NotAllowedInStage, match="already approved"):
        p.do(DecideSanction(actor=SUP, proposal_id=proposal.proposal_id, decision=SanctionDecision.DISMISSED), now)
    with pytest.raises(InvalidCommand):
        p.do(DecideSanction(actor=SUP, proposal_id="nope", decision=SanctionDecision.DISMISSED), now)
    [closed] = p.do(CloseProject(actor=SUP, note="结项"), now)
    assert closed.type == "ProjectClosed" and p.state.stage == Stage.CLOSED


def test_the_owner_cannot_decide_a_sanction_and_an_undecided_proposal_lapses() -> None:
    policy = Policy(supervisors=["sup-1"], sanction_approvers=[Role.SUPERVISOR, Role.BRANCH_SECRETARY])
    p = finished(approved(policy))
    p.do(EvaluateProject(actor=EVALUATOR, rating=Rating.POOR, satisfaction=0.7), bj(2027, 11, 2, 10, 0))
    with pytest.raises(SeparationOfDuties):
        p.do(DecideSanction(actor=OWNER, decision=SanctionDecision.DISMISSED), bj(2027, 11, 2, 11, 0))
    assert next_wakeup(p.state, p.ctx()) == bj(2027, 11, 16, 10, 0)
    [lapsed] = p.tick(bj(2027, 11, 16, 10, 0))
    assert lapsed.type == "SanctionLapsed" and p.state.proposals[0].status == ProposalStatus.LAPSED
    assert next_wakeup(p.state, p.ctx()) is None
    p.do(CloseProject(actor=SUP), bj(2027, 11, 17, 10, 0))


def test_evaluation_due_notice_at_the_final_deadline() -> None:
    p = finished(approved())
    for q in (1, 2, 3):
        p.do(SubmitQuarterlyReport(actor=OWNER, quarter=q, note="ok"), bj(2027, 3 * q + 1, 2, 10, 0))
    fired = run_clock(p, bj(2027, 12, 31, 0, 0))
    assert [e.type for e in fired] == ["EvaluationDue"]
    assert fired[0].at == bj(2027, 12, 20, 18, 0) and fired[0].recipients == ["sup-1"]


def test_tick_is_system_only_and_commands_after_the_end_are_refused() -> None:
    p = approved()
    with pytest.raises(PermissionDenied):
        p.do(Tick(actor=SUP), bj(2027, 2, 1, 10, 0))
    assert p.tick(bj(2027, 2, 1, 10, 0)) == []
    r = P()
    r.do(apply_cmd())
    r.do(RejectApplication(actor=REVIEWER, comments="不予立项"))
    for command in (
        ApproveApplication(actor=REVIEWER),
        RecordProgress(actor=OWNER, note="x"),
        EvaluateProject(actor=EVALUATOR, rating=Rating.GOOD, satisfaction=1),
        DecideSanction(actor=SUP, decision=SanctionDecision.APPROVED),
    ):
        with pytest.raises(NotAllowedInStage):
            r.do(command)
    assert SYSTEM_ACTOR.id == "system"


def test_every_wakeup_fires_and_the_whole_year_is_bounded() -> None:
    """From approval to the end of the year with nothing done: a bounded set of notices, each at its time."""
    p = approved()
    fired = run_clock(p, bj(2028, 12, 31, 0, 0))
    counts: dict[str, int] = {}
    for e in fired:
        counts[e.type] = counts.get(e.type, 0) + 1
    assert counts == {
        "MilestoneReminderSent": 2,
        "MilestoneOverdue": 2,
        "ReportReminderSent": 4,
        "ReportUrged": 12,
        "EvaluationDue": 1,
    }
    for e in fired:
        assert CAL.is_working_time(e.at, POLICY.working_hours), e
    assert next_wakeup(p.state, p.ctx()) is None
    assert timedelta(0) <= fired[-1].at - fired[0].at
