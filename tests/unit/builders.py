"""Builders for the rectification decider tests: actors, commands, plans, and decide+evolve helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from domain.actors import SYSTEM_ACTOR, Actor, Role
from domain.decider import Context
from domain.policy import EscalationStep, Policy, Recipient, Rung
from domain.rectification import (
    INITIAL_STATE,
    ApprovePlan,
    Basis,
    BasisKind,
    CaseState,
    CloseCase,
    CompleteMeasure,
    Event,
    MeasureInput,
    OpenCase,
    Outcome,
    ProblemInput,
    RecordAcceptance,
    RecordFollowUp,
    ReportProgress,
    ReturnPlan,
    SubmitPlan,
    SubmitSelfCheck,
    Tick,
    decide,
    evolve,
)
from domain.workcal import WorkCalendar

UTC = UTC
ORG = "V001"
REGION = "青山镇"
T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 2026-01-05 10:00 Beijing


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Weekends-only arithmetic: the example-based tests that predate holidays use it. Tests about
# holidays build a WorkCalendar from activities.calendar.facts_for_years.
CALENDAR = WorkCalendar()


def classic_policy(**overrides) -> Policy:
    """The calendar-time policy the example-based timer tests were written for: reminders 7d and 1d
    ahead, 提醒谈话 after 7d, 发函督办 after 21d, notices exactly when due."""
    settings = dict(
        notice_window="any_time",
        reminder_leads=["7d", "1d"],
        escalation_ladder=[
            EscalationStep(rung=Rung.REMINDER_TALK, after="7d"),
            EscalationStep(
                rung=Rung.SUPERVISION_NOTICE, after="21d", notify=[Recipient.RESPONSIBLE, Recipient.LEADERS, Recipient.SUPERVISORS]
            ),
        ],
    )
    settings.update(overrides)
    return Policy(**settings)


# ---------------------------------------------------------------- actors


def actor(actor_id: str, *roles: Role, scope: list[str] | None = None, name: str = "") -> Actor:
    return Actor(id=actor_id, name=name or actor_id, roles=list(roles), scope=scope if scope is not None else ["*"])


def supervisor(actor_id: str = "sup-1", scope: list[str] | None = None) -> Actor:
    return actor(actor_id, Role.SUPERVISOR, scope=scope, name="组织部督导员")


def county_leader(actor_id: str = "cl-1", scope: list[str] | None = None) -> Actor:
    return actor(actor_id, Role.COUNTY_LEADER, scope=scope, name="县级包联领导")


def township_secretary(actor_id: str = "ts-1", scope: list[str] | None = None) -> Actor:
    return actor(actor_id, Role.TOWNSHIP_SECRETARY, scope=scope or [REGION], name="乡镇党委书记")


def branch_secretary(actor_id: str = "bs-1", scope: list[str] | None = None) -> Actor:
    return actor(actor_id, Role.BRANCH_SECRETARY, scope=scope or [ORG], name="村党支部书记")


def first_secretary(actor_id: str = "fs-1", scope: list[str] | None = None) -> Actor:
    return actor(actor_id, Role.FIRST_SECRETARY, scope=scope or [ORG], name="驻村第一书记")


SYSTEM = SYSTEM_ACTOR

# ---------------------------------------------------------------- commands


def problems(*categories: str) -> list[ProblemInput]:
    cats = categories or ("weak_leadership", "organization_life", "collective_economy")
    return [ProblemInput(category=c, description=f"问题：{c}") for c in cats]


def open_case(
    by: Actor | None = None,
    *,
    org_code: str = ORG,
    region: str = REGION,
    year: int = 2026,
    categories: tuple[str, ...] = (),
    leaders: list[str] | None = None,
) -> OpenCase:
    return OpenCase(
        actor=by or supervisor(),
        org_code=org_code,
        org_name="青山村党支部",
        region=region,
        year=year,
        basis=Basis(kind=BasisKind.RANKING, detail="2025年度综合考评倒排第3名", rank=3),
        problems=problems(*categories),
        leaders=leaders if leaders is not None else ["cl-1"],
    )


def measure(
    measure_id: str,
    addresses: list[str],
    deadline: date | datetime,
    responsible: str = "bs-1",
    description: str | None = None,
) -> MeasureInput:
    return MeasureInput(
        id=measure_id,
        description=description or f"措施{measure_id}",
        problems=addresses,
        responsible=responsible,
        deadline=deadline,
    )


def plan(
    by: Actor | None = None,
    *,
    measures: list[MeasureInput] | None = None,
    deadline: date | datetime = date(2026, 6, 30),
    summary: str = "一村一策",
) -> SubmitPlan:
    """The default plan: M1 addresses P1, M2 addresses P2 and P3."""
    if measures is None:
        measures = [
            measure("M1", ["P1"], deadline, responsible="bs-1"),
            measure("M2", ["P2", "P3"], deadline, responsible="fs-1"),
        ]
    return SubmitPlan(actor=by or branch_secretary(), measures=measures, summary=summary)


def return_plan(by: Actor | None = None, comments: str = "措施不具体，请细化") -> ReturnPlan:
    return ReturnPlan(actor=by or township_secretary(), comments=comments)


def approve(by: Actor | None = None, comments: str = "同意") -> ApprovePlan:
    return ApprovePlan(actor=by or township_secretary(), comments=comments)


def progress(measure_id: str, by: Actor | None = None, note: str = "推进中") -> ReportProgress:
    return ReportProgress(actor=by or branch_secretary(), measure_id=measure_id, note=note, evidence=["photo.jpg"])


def complete(measure_id: str, by: Actor | None = None, note: str = "已完成") -> CompleteMeasure:
    return CompleteMeasure(actor=by or branch_secretary(), measure_id=measure_id, note=note, evidence=["minutes.pdf"])


def self_check(by: Actor | None = None, summary: str = "自查完成") -> SubmitSelfCheck:
    return SubmitSelfCheck(actor=by or branch_secretary(), summary=summary)


def acceptance(score: float, unsatisfied: float = 0.1, by: Actor | None = None) -> RecordAcceptance:
    return RecordAcceptance(actor=by or supervisor(), score=score, unsatisfied_share=unsatisfied, comments="验收")


def follow_up(
    relapsed: bool = False,
    new: list[ProblemInput] | None = None,
    by: Actor | None = None,
    note: str = "回头看",
) -> RecordFollowUp:
    return RecordFollowUp(actor=by or county_leader(), relapsed=relapsed, note=note, new_problems=new or [])


def close(outcome: Outcome = Outcome.UPGRADED, by: Actor | None = None) -> CloseCase:
    return CloseCase(actor=by or supervisor(), outcome=outcome, note="销号")


def tick() -> Tick:
    return Tick()


# ---------------------------------------------------------------- running


@dataclass
class Case:
    """A case under test: applies decide + evolve and keeps every event."""

    policy: Policy = field(default_factory=classic_policy)
    state: CaseState = field(default_factory=lambda: INITIAL_STATE)
    events: list[Event] = field(default_factory=list)
    calendar: WorkCalendar = field(default_factory=lambda: CALENDAR)
    now: datetime = T0  # the time of the latest command or tick

    def ctx(self, now: datetime | None = None) -> Context:
        """The decision context at ``now`` (default: the latest command's time)."""
        return Context(now=self.now if now is None else now, policy=self.policy, calendar=self.calendar)

    def run(self, command, now: datetime) -> list[Event]:
        new = decide(self.state, command, self.ctx(now))
        self.now = now
        for event in new:
            self.state = evolve(self.state, event)
        self.events.extend(new)
        return new

    def attempt(self, command, now: datetime) -> list[Event]:
        """decide only: the events the command would produce, without applying them."""
        return decide(self.state, command, self.ctx(now))

    def tick(self, now: datetime) -> list[Event]:
        return self.run(Tick(), now)

    def of_type(self, name: str) -> list[Event]:
        return [e for e in self.events if e.type == name]


def apply(
    state: CaseState, command, now: datetime, policy: Policy, calendar: WorkCalendar = CALENDAR
) -> tuple[CaseState, list[Event]]:
    events = decide(state, command, Context(now, policy, calendar))
    for event in events:
        state = evolve(state, event)
    return state, events


def opened(policy: Policy | None = None, now: datetime = T0, calendar: WorkCalendar = CALENDAR) -> Case:
    case = Case(policy=policy or classic_policy(), calendar=calendar)
    case.run(open_case(), now)
    return case


def implementing(policy: Policy | None = None, now: datetime = T0, calendar: WorkCalendar = CALENDAR, **plan_kwargs) -> Case:
    """An opened case whose default plan was submitted by bs-1 and approved by ts-1."""
    case = opened(policy, now, calendar)
    case.run(plan(**plan_kwargs), now + timedelta(days=1))
    case.run(approve(), now + timedelta(days=2))
    return case


def checking(policy: Policy | None = None, now: datetime = T0) -> Case:
    case = implementing(policy, now)
    case.run(complete("M1"), now + timedelta(days=30))
    case.run(complete("M2", by=first_secretary()), now + timedelta(days=31))
    case.run(self_check(), now + timedelta(days=32))
    return case


def consolidating(policy: Policy | None = None, now: datetime = T0) -> Case:
    case = checking(policy, now)
    case.run(acceptance(85, 0.1), now + timedelta(days=40))
    return case
