"""Example-based tests of the rectification decider: the whole PDCA lifecycle and every refusal."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from domain.actors import Role
from domain.decider import Context
from domain.errors import (
    DomainError,
    InvalidCommand,
    NotAllowedInStage,
    PermissionDenied,
    SeparationOfDuties,
)
from domain.policy import AcceptancePolicy
from domain.rectification import (
    COMMAND_ADAPTER,
    EVENT_ADAPTER,
    INITIAL_STATE,
    AcceptanceRecorded,
    CaseClosed,
    CaseOpened,
    ConsolidationStarted,
    FollowUpReviewed,
    MeasureCompleted,
    Outcome,
    PlanApproved,
    PlanReturned,
    PlanStatus,
    PlanSubmitted,
    ProblemInput,
    ProgressReported,
    RelapseRecorded,
    ReworkOrdered,
    SelfCheckSubmitted,
    Stage,
    Verdict,
    case_id_for,
    decide,
    fold,
)
from domain.timeutil import SHANGHAI

from .builders import (
    CALENDAR,
    ORG,
    REGION,
    T0,
    Case,
    acceptance,
    actor,
    approve,
    at,
    branch_secretary,
    checking,
    classic_policy,
    close,
    complete,
    consolidating,
    county_leader,
    first_secretary,
    follow_up,
    implementing,
    measure,
    open_case,
    opened,
    plan,
    progress,
    return_plan,
    self_check,
    supervisor,
    tick,
    township_secretary,
)

DAY = timedelta(days=1)
JUNE_30_DUE = at(2026, 6, 30, 10, 0)  # 2026-06-30 18:00 Beijing


# --------------------------------------------------------------------------- the whole lifecycle


def test_full_lifecycle_with_return_rework_relapse_and_close() -> None:
    policy = classic_policy()
    case = Case(policy=policy)
    sup, leader = supervisor(), county_leader()
    ts, bs, fs = township_secretary(), branch_secretary(), first_secretary()

    # --- open: 立案认定
    [opened_event] = case.run(open_case(sup), T0)
    assert isinstance(opened_event, CaseOpened)
    assert opened_event.case_id == case_id_for(ORG, 2026) == "rect-V001-2026"
    assert opened_event.policy_version == policy.version == "default-2026.1"
    assert opened_event.actor == "sup-1" and opened_event.at == T0
    assert [(p.id, p.cycle) for p in opened_event.problems] == [("P1", 1), ("P2", 1), ("P3", 1)]
    s = case.state
    assert s.stage == Stage.DESIGNATED and s.version == 1 and s.cycle == 1
    assert s.case_id == "rect-V001-2026" and s.region == REGION and s.opened_at == T0
    assert s.leaders == ["cl-1"] and s.policy_version == "default-2026.1"

    # --- submit plan (round 1) with date deadlines
    [submitted] = case.run(plan(bs), T0 + DAY)
    assert isinstance(submitted, PlanSubmitted) and submitted.round == 1
    assert [m.deadline for m in submitted.measures] == [JUNE_30_DUE, JUNE_30_DUE]
    s = case.state
    assert (s.stage, s.plan_status, s.plan_round, s.plan_submitted_by) == (
        Stage.PLANNING,
        PlanStatus.SUBMITTED,
        1,
        "bs-1",
    )
    assert [m.id for m in s.measures] == ["M1", "M2"]

    # a second plan cannot be submitted while one awaits review
    with pytest.raises(NotAllowedInStage):
        case.attempt(plan(fs), T0 + DAY)

    # --- return with comments: 退回修改
    [returned] = case.run(return_plan(ts, "请明确责任人和时限"), T0 + 2 * DAY)
    assert isinstance(returned, PlanReturned)
    assert returned.round == 1 and returned.comments == "请明确责任人和时限"
    s = case.state
    assert (s.stage, s.plan_status, s.plan_returns, s.plan_comments) == (
        Stage.PLANNING,
        PlanStatus.RETURNED,
        1,
        "请明确责任人和时限",
    )
    # nothing awaits review now
    with pytest.raises(NotAllowedInStage):
        case.attempt(approve(ts), T0 + 2 * DAY)
    with pytest.raises(NotAllowedInStage):
        case.attempt(return_plan(ts), T0 + 2 * DAY)

    # --- resubmit (round 2) by the township secretary, who then may not approve it
    revised = plan(
        ts,
        measures=[
            measure("M1", ["P1"], date(2026, 6, 30), responsible="bs-1"),
            measure("M2", ["P2"], at(2026, 5, 31, 16, 0), responsible="fs-1"),
            measure("M3", ["P3"], date(2026, 7, 31), responsible="bs-1"),
        ],
    )
    [resubmitted] = case.run(revised, T0 + 3 * DAY)
    assert resubmitted.round == 2
    assert case.state.plan_submitted_by == "ts-1" and case.state.plan_status == PlanStatus.SUBMITTED
    assert case.state.plan_returns == 1
    assert [m.deadline for m in case.state.measures] == [JUNE_30_DUE, at(2026, 5, 31, 16, 0), at(2026, 7, 31, 10, 0)]
    with pytest.raises(SeparationOfDuties):
        case.attempt(approve(ts), T0 + 4 * DAY)

    # --- approve: 方案批准 (by a supervisor, a plan reviewer)
    [approved] = case.run(approve(sup, "同意实施"), T0 + 4 * DAY)
    assert isinstance(approved, PlanApproved) and approved.round == 2
    s = case.state
    assert (s.stage, s.plan_status, s.plan_comments) == (Stage.IMPLEMENTING, PlanStatus.APPROVED, "同意实施")

    # --- do: progress and completion
    [reported] = case.run(progress("M1", bs), T0 + 10 * DAY)
    assert isinstance(reported, ProgressReported) and reported.evidence == ["photo.jpg"]
    case.run(progress("M1", bs), T0 + 11 * DAY)
    assert case.state.measure("M1").progress_reports == 2

    with pytest.raises(NotAllowedInStage):  # self-check with open measures
        case.attempt(self_check(fs), T0 + 12 * DAY)

    [done] = case.run(complete("M1", bs), T0 + 20 * DAY)
    assert isinstance(done, MeasureCompleted)
    assert case.state.measure("M1").done and case.state.measure("M1").completed_by == "bs-1"
    with pytest.raises(NotAllowedInStage):  # already completed
        case.attempt(complete("M1", bs), T0 + 21 * DAY)
    with pytest.raises(NotAllowedInStage):
        case.attempt(progress("M1", bs), T0 + 21 * DAY)
    case.run(complete("M2", fs), T0 + 21 * DAY)
    with pytest.raises(NotAllowedInStage):  # M3 still open
        case.attempt(self_check(fs), T0 + 21 * DAY)
    case.run(complete("M3", ts), T0 + 22 * DAY)
    assert case.state.open_measures() == []

    # --- check: self-check then a failed acceptance by score
    [checked] = case.run(self_check(fs, "自查报告"), T0 + 23 * DAY)
    assert isinstance(checked, SelfCheckSubmitted)
    assert case.state.stage == Stage.CHECKING and case.state.self_check_by == "fs-1"

    fail_at = T0 + 30 * DAY
    recorded, rework = case.run(acceptance(62.5, 0.2, sup), fail_at)
    assert isinstance(recorded, AcceptanceRecorded) and isinstance(rework, ReworkOrdered)
    assert recorded.verdict == Verdict.FAILED_SCORE and recorded.round == 1
    assert (recorded.score, recorded.unsatisfied_share) == (62.5, 0.2)
    assert (recorded.pass_score, recorded.max_unsatisfied_share) == (70.0, 0.5)
    assert recorded.policy_version == "default-2026.1"
    assert rework.rework_round == 1 and rework.deadline == fail_at + policy.rework_period == fail_at + 90 * DAY
    s = case.state
    assert s.stage == Stage.IMPLEMENTING and s.rework_round == 1 and s.self_check_by is None
    assert [(m.id, m.done, m.completed_by, m.deadline) for m in s.measures] == [
        ("M1", False, None, rework.deadline),
        ("M2", False, None, rework.deadline),
        ("M3", False, None, rework.deadline),
    ]
    assert [(a.cycle, a.round, a.verdict, a.by) for a in s.acceptances] == [(1, 1, Verdict.FAILED_SCORE, "sup-1")]

    # --- act: rework, then pass
    for mid, who in [("M1", bs), ("M2", fs), ("M3", bs)]:
        case.run(complete(mid, who), fail_at + 30 * DAY)
    case.run(self_check(bs), fail_at + 31 * DAY)
    pass_at = fail_at + 40 * DAY
    recorded, started = case.run(acceptance(88, 0.1, leader), pass_at)
    assert recorded.verdict == Verdict.PASSED and recorded.round == 2
    assert isinstance(started, ConsolidationStarted)
    assert started.until == pass_at + policy.consolidation_period == pass_at + 365 * DAY
    s = case.state
    assert s.stage == Stage.CONSOLIDATING and s.consolidation_until == started.until
    assert [a.verdict for a in s.acceptances] == [Verdict.FAILED_SCORE, Verdict.PASSED]

    # --- closing is refused before the consolidation period ends, and without a follow-up
    with pytest.raises(NotAllowedInStage, match="consolidation"):
        case.attempt(close(by=sup), started.until - timedelta(seconds=1))
    with pytest.raises(NotAllowedInStage, match="follow-up"):
        case.attempt(close(by=sup), started.until)

    # --- 回头看 finds a relapse: a new cycle starts with new problems
    relapse_at = pass_at + 200 * DAY
    reviewed, relapse = case.run(
        follow_up(True, [ProblemInput(category="mass_discontent", description="群众反映强烈")], by=sup),
        relapse_at,
    )
    assert isinstance(reviewed, FollowUpReviewed) and reviewed.relapsed
    assert isinstance(relapse, RelapseRecorded) and relapse.cycle == 2
    assert [(p.id, p.cycle, p.category) for p in relapse.new_problems] == [("P4", 2, "mass_discontent")]
    s = case.state
    assert s.stage == Stage.DESIGNATED and s.cycle == 2
    assert [p.id for p in s.problems] == ["P1", "P2", "P3", "P4"]
    assert (s.plan_status, s.plan_round, s.plan_returns, s.measures) == (PlanStatus.NONE, 0, 0, [])
    assert s.consolidation_until is None and s.follow_ups == 0 and s.rework_round == 0

    # the cycle-2 plan must address P4; cycle-1 problems need no new measure
    old_only = plan(bs, measures=[measure("N1", ["P1", "P2", "P3"], relapse_at + 60 * DAY)])
    with pytest.raises(InvalidCommand, match="P4"):
        case.attempt(old_only, relapse_at + DAY)
    [p2] = case.run(plan(bs, measures=[measure("N1", ["P4"], relapse_at + 60 * DAY)]), relapse_at + DAY)
    assert p2.round == 1 and [m.problems for m in p2.measures] == [["P4"]]
    case.run(approve(ts), relapse_at + 2 * DAY)
    case.run(complete("N1", bs), relapse_at + 30 * DAY)
    case.run(self_check(bs), relapse_at + 31 * DAY)
    pass2 = relapse_at + 35 * DAY
    recorded, started = case.run(acceptance(91, 0.05, sup), pass2)
    assert recorded.verdict == Verdict.PASSED and recorded.round == 3
    assert case.state.acceptances[-1].cycle == 2

    [reviewed] = case.run(follow_up(False, by=leader), pass2 + 180 * DAY)
    assert not reviewed.relapsed and case.state.follow_ups == 1
    with pytest.raises(NotAllowedInStage):
        case.attempt(close(by=sup), pass2 + 364 * DAY)

    [closed] = case.run(close(Outcome.UPGRADED, sup), started.until)
    assert isinstance(closed, CaseClosed) and closed.outcome == Outcome.UPGRADED
    s = case.state
    assert s.stage == Stage.CLOSED and s.outcome == Outcome.UPGRADED and s.closed_at == started.until

    # the state is the fold of its events, and the stream version counts them
    assert s.version == len(case.events)
    assert fold(case.events) == s
    for event in case.events:
        assert EVENT_ADAPTER.validate_json(EVENT_ADAPTER.dump_json(event)) == event

    # a closed case refuses everything but the clock, and the clock has nothing to say
    later = started.until + 10 * DAY
    for command in [
        open_case(),
        plan(bs),
        return_plan(),
        approve(),
        progress("N1"),
        complete("N1"),
        self_check(),
        acceptance(90),
        follow_up(),
        close(),
    ]:
        with pytest.raises(NotAllowedInStage):
            case.attempt(command, later)
    assert case.attempt(tick(), later) == []


# --------------------------------------------------------------------------- stage rules


@pytest.mark.parametrize(
    "command",
    [
        plan(),
        return_plan(),
        approve(),
        progress("M1"),
        complete("M1"),
        self_check(),
        acceptance(90),
        follow_up(),
        close(),
    ],
    ids=lambda c: c.type,
)
def test_nothing_but_open_case_before_the_case_exists(command) -> None:
    with pytest.raises(NotAllowedInStage):
        decide(INITIAL_STATE, command, Context(T0, classic_policy(), CALENDAR))


def test_tick_before_opening_yields_nothing() -> None:
    assert decide(INITIAL_STATE, tick(), Context(T0, classic_policy(), CALENDAR)) == []


def test_case_cannot_be_opened_twice() -> None:
    case = opened()
    with pytest.raises(NotAllowedInStage):
        case.attempt(open_case(), T0 + DAY)


def test_approve_with_no_plan_is_not_allowed() -> None:
    case = opened()
    with pytest.raises(NotAllowedInStage):
        case.attempt(approve(), T0 + DAY)
    with pytest.raises(NotAllowedInStage):
        case.attempt(return_plan(), T0 + DAY)


def test_self_check_with_open_measures_is_not_allowed() -> None:
    case = implementing()
    case.run(complete("M1"), T0 + 10 * DAY)
    with pytest.raises(NotAllowedInStage, match="M2"):
        case.attempt(self_check(), T0 + 11 * DAY)


@pytest.mark.parametrize(
    ("builder", "command"),
    [
        (implementing, acceptance(90)),
        (implementing, follow_up()),
        (implementing, close()),
        (checking, complete("M1")),
        (checking, plan()),
        (consolidating, self_check()),
        (consolidating, acceptance(90)),
        (consolidating, approve()),
    ],
    ids=lambda x: getattr(x, "__name__", getattr(x, "type", "?")),
)
def test_commands_outside_their_stage_are_refused(builder, command) -> None:
    case = builder()
    with pytest.raises(NotAllowedInStage):
        case.attempt(command, T0 + 60 * DAY)


def test_plan_returns_are_counted_per_cycle() -> None:
    case = opened()
    for n in range(1, 4):
        case.run(plan(), T0 + n * DAY)
        case.run(return_plan(comments=f"第{n}次退回"), T0 + n * DAY + timedelta(hours=1))
        assert case.state.plan_returns == n
    case.run(plan(), T0 + 5 * DAY)
    assert case.state.plan_round == 4
    case.run(approve(), T0 + 6 * DAY)
    assert case.state.plan_returns == 3 and case.state.plan_comments == "同意"


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize(
    ("setup", "command"),
    [
        (None, open_case(branch_secretary())),
        (None, open_case(county_leader())),
        ("opened", plan(supervisor())),
        ("opened", plan(county_leader())),
        ("submitted", approve(branch_secretary())),
        ("submitted", return_plan(first_secretary())),
        ("submitted", approve(county_leader())),
        ("checking", self_check(township_secretary())),
        ("checking_acceptance", acceptance(90, by=township_secretary())),
        ("checking_acceptance", acceptance(90, by=branch_secretary("bs-9"))),
        ("consolidating", follow_up(by=branch_secretary())),
        ("consolidating_late", close(by=county_leader())),
        ("implementing", tick().model_copy(update={"actor": supervisor()})),
    ],
)
def test_wrong_role_is_permission_denied(setup, command) -> None:
    case = _case_at(setup)
    with pytest.raises(PermissionDenied):
        case.attempt(command, T0 + 500 * DAY)


def _case_at(setup: str | None) -> Case:
    if setup is None:
        return Case()
    if setup == "opened":
        return opened()
    if setup == "submitted":
        case = opened()
        case.run(plan(), T0 + DAY)
        return case
    if setup == "implementing":
        return implementing()
    if setup == "checking":  # all measures done, self-check not yet submitted
        case = implementing()
        case.run(complete("M1"), T0 + 10 * DAY)
        case.run(complete("M2", first_secretary()), T0 + 10 * DAY)
        return case
    if setup == "checking_acceptance":
        return checking()
    if setup in {"consolidating", "consolidating_late"}:
        case = consolidating()
        case.run(follow_up(), T0 + 100 * DAY)
        return case
    raise AssertionError(setup)


def test_out_of_scope_supervisor_cannot_open_a_case() -> None:
    elsewhere = supervisor("sup-9", scope=["V999", "红旗镇"])
    with pytest.raises(PermissionDenied):
        Case().attempt(open_case(elsewhere), T0)
    # scope by organization code or by region both work
    assert Case().attempt(open_case(supervisor("sup-8", scope=[ORG])), T0)[0].type == "CaseOpened"
    assert Case().attempt(open_case(supervisor("sup-7", scope=[REGION])), T0)[0].type == "CaseOpened"


def test_out_of_scope_actors_are_denied_on_an_existing_case() -> None:
    case = opened()
    with pytest.raises(PermissionDenied):
        case.attempt(plan(branch_secretary("bs-other", scope=["V002"])), T0 + DAY)
    case.run(plan(), T0 + DAY)
    with pytest.raises(PermissionDenied):
        case.attempt(approve(township_secretary("ts-other", scope=["红旗镇"])), T0 + 2 * DAY)
    case.run(approve(), T0 + 2 * DAY)
    with pytest.raises(PermissionDenied):
        case.attempt(progress("M2", first_secretary("fs-other", scope=["V002"])), T0 + 3 * DAY)
    case.run(complete("M1"), T0 + 3 * DAY)
    case.run(complete("M2", first_secretary()), T0 + 3 * DAY)
    case.run(self_check(), T0 + 4 * DAY)
    with pytest.raises(PermissionDenied):
        case.attempt(acceptance(90, by=supervisor("sup-far", scope=["V002"])), T0 + 5 * DAY)


def test_the_responsible_person_may_report_on_their_own_measure_whatever_their_role() -> None:
    leader = county_leader()
    case = opened()
    case.run(plan(measures=[measure("M1", ["P1", "P2", "P3"], date(2026, 6, 30), responsible="cl-1")]), T0 + DAY)
    case.run(approve(), T0 + 2 * DAY)
    assert case.run(progress("M1", leader), T0 + 3 * DAY)[0].actor == "cl-1"
    assert case.run(complete("M1", leader), T0 + 4 * DAY)[0].actor == "cl-1"


def test_a_county_leader_cannot_report_on_someone_elses_measure() -> None:
    case = implementing()  # M1 -> bs-1, M2 -> fs-1
    with pytest.raises(PermissionDenied):
        case.attempt(complete("M1", county_leader()), T0 + 3 * DAY)
    with pytest.raises(PermissionDenied):
        case.attempt(progress("M2", supervisor()), T0 + 3 * DAY)


def test_tick_must_come_from_the_system() -> None:
    case = implementing()
    human_tick = tick().model_copy(update={"actor": township_secretary()})
    with pytest.raises(PermissionDenied):
        case.attempt(human_tick, T0 + 200 * DAY)


# --------------------------------------------------------------------------- separation of duties


def test_plan_submitter_cannot_approve_or_return_their_own_plan() -> None:
    ts = township_secretary()
    case = opened()
    case.run(plan(ts), T0 + DAY)
    with pytest.raises(SeparationOfDuties):
        case.attempt(approve(ts), T0 + 2 * DAY)
    with pytest.raises(SeparationOfDuties):
        case.attempt(return_plan(ts), T0 + 2 * DAY)
    # another reviewer may
    assert case.attempt(approve(township_secretary("ts-2")), T0 + 2 * DAY)[0].type == "PlanApproved"


def test_reviewer_may_approve_a_resubmission_by_someone_else() -> None:
    ts = township_secretary()
    case = opened()
    case.run(plan(ts), T0 + DAY)
    case.run(return_plan(supervisor()), T0 + 2 * DAY)
    case.run(plan(branch_secretary()), T0 + 3 * DAY)
    [approved] = case.run(approve(ts), T0 + 4 * DAY)
    assert approved.actor == "ts-1" and approved.round == 2


def test_someone_who_completed_a_measure_cannot_record_acceptance() -> None:
    leader = county_leader()
    case = opened()
    case.run(
        plan(
            measures=[
                measure("M1", ["P1"], date(2026, 6, 30), responsible="cl-1"),
                measure("M2", ["P2", "P3"], date(2026, 6, 30), responsible="bs-1"),
            ]
        ),
        T0 + DAY,
    )
    case.run(approve(), T0 + 2 * DAY)
    case.run(complete("M1", leader), T0 + 10 * DAY)
    case.run(complete("M2"), T0 + 10 * DAY)
    case.run(self_check(), T0 + 11 * DAY)
    with pytest.raises(SeparationOfDuties):
        case.attempt(acceptance(90, by=leader), T0 + 12 * DAY)
    assert case.attempt(acceptance(90, by=supervisor()), T0 + 12 * DAY)[0].actor == "sup-1"


def test_the_self_check_submitter_cannot_record_acceptance() -> None:
    both = actor("dual-1", Role.FIRST_SECRETARY, Role.COUNTY_LEADER)  # a first secretary who is also a county cadre
    case = implementing()
    case.run(complete("M1"), T0 + 10 * DAY)
    case.run(complete("M2", first_secretary()), T0 + 10 * DAY)
    case.run(self_check(both), T0 + 11 * DAY)
    with pytest.raises(SeparationOfDuties):
        case.attempt(acceptance(90, by=both), T0 + 12 * DAY)


def test_a_multi_role_actor_who_completed_a_measure_cannot_accept() -> None:
    both = actor("dual-2", Role.BRANCH_SECRETARY, Role.SUPERVISOR)
    case = implementing()
    case.run(complete("M1", both), T0 + 10 * DAY)
    case.run(complete("M2", first_secretary()), T0 + 10 * DAY)
    case.run(self_check(), T0 + 11 * DAY)
    with pytest.raises(SeparationOfDuties):
        case.attempt(acceptance(90, by=both), T0 + 12 * DAY)


def test_completing_a_measure_before_a_rework_still_bars_accepting_that_cycle() -> None:
    both = actor("dual-3", Role.BRANCH_SECRETARY, Role.SUPERVISOR)
    case = implementing()
    case.run(complete("M1", both), T0 + 10 * DAY)
    case.run(complete("M2", first_secretary()), T0 + 10 * DAY)
    case.run(self_check(), T0 + 11 * DAY)
    case.run(acceptance(50, by=supervisor()), T0 + 12 * DAY)  # fails: rework, same cycle
    assert case.state.cycle == 1 and case.state.stage == Stage.IMPLEMENTING
    case.run(complete("M1"), T0 + 20 * DAY)
    case.run(complete("M2", first_secretary()), T0 + 20 * DAY)
    case.run(self_check(), T0 + 21 * DAY)
    with pytest.raises(SeparationOfDuties):
        case.attempt(acceptance(90, by=both), T0 + 22 * DAY)


# --------------------------------------------------------------------------- invalid commands


def test_unknown_problem_category_on_open() -> None:
    with pytest.raises(InvalidCommand, match="no_such_category"):
        Case().attempt(open_case(categories=("weak_leadership", "no_such_category")), T0)


def test_unknown_problem_category_on_relapse() -> None:
    case = consolidating()
    with pytest.raises(InvalidCommand, match="bogus"):
        case.attempt(follow_up(True, [ProblemInput(category="bogus", description="x")]), T0 + 100 * DAY)


def test_policy_decides_which_categories_exist() -> None:
    narrow = classic_policy(problem_categories={"only_this": {"zh": "唯一", "en": "only"}})
    with pytest.raises(InvalidCommand):
        Case(policy=narrow).attempt(open_case(categories=("weak_leadership",)), T0)
    [event] = Case(policy=narrow).attempt(open_case(categories=("only_this",)), T0)
    assert event.problems[0].category == "only_this"


def test_measure_addressing_an_unknown_problem() -> None:
    case = opened()
    bad = plan(measures=[measure("M1", ["P1", "P2", "P3", "P9"], date(2026, 6, 30))])
    with pytest.raises(InvalidCommand, match="P9"):
        case.attempt(bad, T0 + DAY)


def test_plan_leaving_a_problem_unaddressed() -> None:
    case = opened()
    bad = plan(measures=[measure("M1", ["P1"], date(2026, 6, 30)), measure("M2", ["P3"], date(2026, 6, 30))])
    with pytest.raises(InvalidCommand, match="P2"):
        case.attempt(bad, T0 + DAY)


def test_duplicate_measure_ids() -> None:
    case = opened()
    bad = plan(measures=[measure("M1", ["P1"], date(2026, 6, 30)), measure("M1", ["P2", "P3"], date(2026, 7, 30))])
    with pytest.raises(InvalidCommand, match="M1"):
        case.attempt(bad, T0 + DAY)


@pytest.mark.parametrize(
    "deadline",
    [
        T0 + DAY,  # exactly now
        T0 + DAY - timedelta(seconds=1),  # a second ago
        date(2026, 1, 1),  # a past date
        date(2026, 1, 6),  # today, but 18:00 Beijing (10:00Z) has passed at 12:00Z
    ],
    ids=["now", "past-instant", "past-date", "today-after-cutoff"],
)
def test_deadline_must_be_in_the_future(deadline) -> None:
    case = opened()
    now = T0 + DAY
    if isinstance(deadline, date) and not isinstance(deadline, datetime) and deadline == date(2026, 1, 6):
        now = at(2026, 1, 6, 12, 0)
    with pytest.raises(InvalidCommand, match="not in the future"):
        case.attempt(plan(deadline=deadline), now)


def test_a_date_deadline_today_is_fine_before_the_cutoff() -> None:
    case = opened()
    [event] = case.attempt(plan(deadline=date(2026, 1, 6)), at(2026, 1, 6, 9, 59))
    assert event.measures[0].deadline == at(2026, 1, 6, 10, 0)


def test_unknown_measure_id_in_progress_or_completion() -> None:
    case = implementing()
    with pytest.raises(InvalidCommand, match="M9"):
        case.attempt(progress("M9"), T0 + 3 * DAY)
    with pytest.raises(InvalidCommand, match="M9"):
        case.attempt(complete("M9"), T0 + 3 * DAY)


def test_follow_up_consistency() -> None:
    case = consolidating()
    with pytest.raises(InvalidCommand):
        case.attempt(follow_up(True, []), T0 + 100 * DAY)
    with pytest.raises(InvalidCommand):
        case.attempt(follow_up(False, [ProblemInput(category="other", description="x")]), T0 + 100 * DAY)


def test_every_refusal_is_a_domain_error_with_a_stable_code() -> None:
    codes = {
        InvalidCommand: "invalid_command",
        NotAllowedInStage: "not_allowed_in_stage",
        PermissionDenied: "permission_denied",
        SeparationOfDuties: "separation_of_duties",
    }
    for cls, code in codes.items():
        assert issubclass(cls, DomainError) and cls.code == code
    with pytest.raises(DomainError) as info:
        opened().attempt(approve(), T0 + DAY)
    assert info.value.code == "not_allowed_in_stage" and "approve" in info.value.message.lower()


# --------------------------------------------------------------------------- acceptance rules


@pytest.mark.parametrize(
    ("score", "unsatisfied", "verdict"),
    [
        (100, 0.51, Verdict.FAILED_SATISFACTION),
        (100, 1.0, Verdict.FAILED_SATISFACTION),
        (40, 0.9, Verdict.FAILED_SATISFACTION),  # the satisfaction veto is reported before the score
        (100, 0.5, Verdict.PASSED),  # "a majority unsatisfied" fails: exactly half does not
        (70, 0.0, Verdict.PASSED),
        (69.99, 0.0, Verdict.FAILED_SCORE),
        (0, 0.0, Verdict.FAILED_SCORE),
    ],
)
def test_acceptance_verdicts(score: float, unsatisfied: float, verdict: Verdict) -> None:
    case = checking()
    now = T0 + 50 * DAY
    recorded, follow = case.run(acceptance(score, unsatisfied), now)
    assert recorded.verdict == verdict
    if verdict == Verdict.PASSED:
        assert isinstance(follow, ConsolidationStarted) and case.state.stage == Stage.CONSOLIDATING
    else:
        assert isinstance(follow, ReworkOrdered) and follow.deadline == now + timedelta(days=90)
        assert case.state.stage == Stage.IMPLEMENTING
        assert all(not m.done for m in case.state.measures)


def test_acceptance_rules_and_version_come_from_the_policy() -> None:
    strict = classic_policy(
        version="county-2027.2",
        acceptance=AcceptancePolicy(pass_score=85, max_unsatisfied_share=0.2),
        rework_period="30d",
        consolidation_period="180d",
    )
    case = checking(strict)
    assert case.state.policy_version == "county-2027.2"
    now = T0 + 50 * DAY
    recorded, rework = case.run(acceptance(84.9, 0.1), now)
    assert (recorded.verdict, recorded.pass_score, recorded.policy_version) == (
        Verdict.FAILED_SCORE,
        85,
        "county-2027.2",
    )
    assert rework.deadline == now + timedelta(days=30) and rework.policy_version == "county-2027.2"
    case.run(complete("M1"), now + DAY)
    case.run(complete("M2", first_secretary()), now + DAY)
    case.run(self_check(), now + 2 * DAY)
    recorded, _ = case.run(acceptance(95, 0.25), now + 3 * DAY)
    assert recorded.verdict == Verdict.FAILED_SATISFACTION and recorded.max_unsatisfied_share == 0.2
    assert case.state.rework_round == 2
    case.run(complete("M1"), now + 4 * DAY)
    case.run(complete("M2", first_secretary()), now + 4 * DAY)
    case.run(self_check(), now + 5 * DAY)
    _, started = case.run(acceptance(95, 0.2), now + 6 * DAY)
    assert started.until == now + 6 * DAY + timedelta(days=180)
    assert [a.round for a in case.state.acceptances] == [1, 2, 3]


def test_policy_version_is_recorded_on_case_opened_and_acceptance() -> None:
    p1 = classic_policy(version="v-open")
    case = opened(p1)
    assert case.events[0].policy_version == "v-open"
    case.run(plan(), T0 + DAY)
    case.run(approve(), T0 + 2 * DAY)
    case.run(complete("M1"), T0 + 3 * DAY)
    case.run(complete("M2", first_secretary()), T0 + 3 * DAY)
    case.run(self_check(), T0 + 4 * DAY)
    case.policy = classic_policy(version="v-accept")
    [recorded, _] = case.run(acceptance(90), T0 + 5 * DAY)
    assert recorded.policy_version == "v-accept"
    assert case.state.policy_version == "v-accept"


# --------------------------------------------------------------------------- deadlines


def test_date_deadline_resolves_to_policy_time_of_day_beijing() -> None:
    [event] = opened().attempt(plan(deadline=date(2026, 6, 30)), T0 + DAY)
    assert all(m.deadline == at(2026, 6, 30, 10, 0) for m in event.measures)
    assert event.measures[0].deadline.astimezone(SHANGHAI).time() == time(18, 0)


def test_date_deadline_uses_a_configured_time_of_day() -> None:
    p = classic_policy(deadline_time_of_day=time(23, 59))
    [event] = opened(p).attempt(plan(deadline=date(2026, 6, 30)), T0 + DAY)
    assert event.measures[0].deadline == at(2026, 6, 30, 15, 59)
    p = classic_policy(deadline_time_of_day=time(6, 0))  # before 08:00 Beijing: the UTC date is the day before
    [event] = opened(p).attempt(plan(deadline=date(2026, 6, 30)), T0 + DAY)
    assert event.measures[0].deadline == at(2026, 6, 29, 22, 0)


def test_datetime_deadline_is_kept_as_the_same_instant() -> None:
    beijing_noon = datetime(2026, 6, 30, 12, 0, tzinfo=SHANGHAI)
    [event] = opened().attempt(plan(deadline=beijing_noon), T0 + DAY)
    assert event.measures[0].deadline == at(2026, 6, 30, 4, 0)


def test_date_deadline_from_json_command() -> None:
    raw = plan().model_dump(mode="json")
    raw["measures"][0]["deadline"] = "2026-06-30"
    command = COMMAND_ADAPTER.validate_python(raw)
    [event] = opened().attempt(command, T0 + DAY)
    assert event.measures[0].deadline == at(2026, 6, 30, 10, 0)


@pytest.mark.parametrize(
    "deadline",
    ["2026-06-30T00:00:00Z", "2026-06-30T00:00:00+08:00"],
)
def test_midnight_datetime_deadline_is_not_mistaken_for_a_date(deadline: str) -> None:
    raw = plan().model_dump(mode="json")
    raw["measures"][0]["deadline"] = deadline
    command = COMMAND_ADAPTER.validate_json(__import__("json").dumps(raw))
    [event] = opened().attempt(command, T0 + DAY)
    expected = datetime.fromisoformat(deadline.replace("Z", "+00:00"))
    assert event.measures[0].deadline == expected


def test_submit_plan_with_midnight_deadline_round_trips_through_json() -> None:
    command = plan(deadline=at(2026, 6, 30, 0, 0))
    again = COMMAND_ADAPTER.validate_json(COMMAND_ADAPTER.dump_json(command))
    assert again == command


def test_commands_round_trip_through_json() -> None:
    for command in [
        open_case(),
        plan(deadline=at(2026, 6, 30, 3, 30)),
        plan(deadline=date(2026, 6, 30)),
        return_plan(),
        approve(),
        progress("M1"),
        complete("M1"),
        self_check(),
        acceptance(72.5, 0.3),
        follow_up(True, [ProblemInput(category="other", description="x")]),
        close(Outcome.STABLE),
        tick(),
    ]:
        assert COMMAND_ADAPTER.validate_json(COMMAND_ADAPTER.dump_json(command)) == command


def test_commands_reject_unknown_keys() -> None:
    raw = approve().model_dump(mode="json")
    raw["comment"] = "typo"
    with pytest.raises(ValueError):
        COMMAND_ADAPTER.validate_python(raw)


def test_naive_deadline_is_rejected() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        measure("M1", ["P1"], datetime(2026, 6, 30, 12, 0))
