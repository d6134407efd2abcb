"""Property tests: random command sequences against the decider, with invariants checked after every step."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.actors import SYSTEM_ACTOR, Actor, Role
from domain.decider import Context
from domain.errors import DomainError, NotAllowedInStage
from domain.policy import EscalationStep, Policy, Recipient, Rung
from domain.rectification import (
    EVENT_ADAPTER,
    INITIAL_STATE,
    ROLES_ALLOWED,
    ApprovePlan,
    Basis,
    BasisKind,
    CaseState,
    CloseCase,
    CompleteMeasure,
    DecideSanction,
    ExtendDeadline,
    FindingInput,
    MeasureInput,
    OpenCase,
    Outcome,
    PauseMeasures,
    PlanStatus,
    ProblemInput,
    RecordAcceptance,
    RecordExecution,
    RecordFindings,
    RecordFollowUp,
    ReportProgress,
    RequestRelief,
    ResumeMeasures,
    ReturnPlan,
    SanctionDecision,
    Stage,
    SubmitPlan,
    SubmitSelfCheck,
    Tick,
    decide,
    evolve,
    fold,
    next_wakeup,
)

from .builders import CALENDAR, ORG, REGION, T0, actor, classic_policy

SECOND = timedelta(seconds=1)

ACTORS: list[Actor] = [
    actor("sup-1", Role.SUPERVISOR),
    actor("sup-2", Role.SUPERVISOR),
    actor("sup-x", Role.SUPERVISOR, scope=["V999"]),  # out of scope
    actor("cl-1", Role.COUNTY_LEADER),
    actor("ts-1", Role.TOWNSHIP_SECRETARY, scope=[REGION]),
    actor("ts-2", Role.TOWNSHIP_SECRETARY),
    actor("ts-x", Role.TOWNSHIP_SECRETARY, scope=["红旗镇"]),  # out of scope
    actor("bs-1", Role.BRANCH_SECRETARY, scope=[ORG]),
    actor("fs-1", Role.FIRST_SECRETARY, scope=[ORG]),
    actor("bs-x", Role.BRANCH_SECRETARY, scope=["V999"]),  # out of scope
    actor("dual-1", Role.BRANCH_SECRETARY, Role.SUPERVISOR),  # may both implement and accept
    actor("dual-2", Role.FIRST_SECRETARY, Role.COUNTY_LEADER),  # may both self-check and accept
    SYSTEM_ACTOR,
]
RESPONSIBLE = ["bs-1", "fs-1", "cl-1", "dual-1", "dual-2", "村委会主任"]
CATEGORIES = ["weak_leadership", "organization_life", "collective_economy", "mass_discontent", "other"]

POLICIES = [
    classic_policy(supervisors=["sup-1"]),
    classic_policy(
        version="p-short",
        reminder_leads=["3d", "12h", "30m"],
        escalation_ladder=[
            EscalationStep(rung=Rung.REMINDER, after="0d"),
            EscalationStep(rung=Rung.REMINDER_TALK, after="2d", notify=[Recipient.LEADERS]),
            EscalationStep(rung=Rung.ADMONISHMENT_TALK, after="10d", notify=[Recipient.SUPERVISORS]),
        ],
        rework_period="20d",
        consolidation_period="30d",
        supervisors=["sup-2"],
    ),
    classic_policy(version="p-none", reminder_leads=[], escalation_ladder=[], consolidation_period="1d"),
    # The calendar-aware default: working-day leads and rungs, notices at working moments, sanction proposals.
    Policy(version="p-timed", supervisors=["sup-1"], superiors={"*": ["ts-1"]}),
    Policy(
        version="p-timed-short",
        reminder_leads=["2wd", "3h"],
        escalation_ladder=[
            EscalationStep(rung=Rung.REMINDER, after="0wd"),
            EscalationStep(rung=Rung.ADMONISHMENT_TALK, after="1wd", decide_within="1wd"),
            EscalationStep(rung=Rung.PERSONNEL_ADJUSTMENT, after="3d", proposal=True, decide_within="4h"),
        ],
        rework_period="20d",
        consolidation_period="30d",
    ),
]

TIMING_KINDS = ["PauseMeasures", "ResumeMeasures", "ExtendDeadline", "DecideSanction"]
KINDS = list(ROLES_ALLOWED) + TIMING_KINDS
TIMING_ROLES = frozenset({Role.SUPERVISOR, Role.COUNTY_LEADER})


def sensible(state: CaseState) -> list[str]:
    """The commands that would move the case on (most of the time the generator picks one of these)."""
    match state.stage:
        case Stage.NEW:
            return ["OpenCase"]
        case Stage.DESIGNATED:
            return ["SubmitPlan"]
        case Stage.PLANNING if state.plan_status == PlanStatus.SUBMITTED:
            return ["ApprovePlan", "ApprovePlan", "ReturnPlan", "SubmitPlan"]
        case Stage.PLANNING:
            return ["SubmitPlan", "SubmitPlan", "SubmitPlan", "ApprovePlan"]
        case Stage.IMPLEMENTING if state.plan_status == PlanStatus.SUBMITTED:  # a supplementary plan (issue 14)
            return ["ApprovePlan", "ApprovePlan", "ReturnPlan"]
        case Stage.IMPLEMENTING if state.unaddressed():  # findings recorded since the plan
            return ["SubmitPlan", "SubmitPlan", "CompleteMeasure"]
        case Stage.IMPLEMENTING if state.open_measures():
            return ["CompleteMeasure", "CompleteMeasure", "ReportProgress", "SubmitSelfCheck"] + TIMING_KINDS
        case Stage.IMPLEMENTING:
            return ["SubmitSelfCheck", "SubmitSelfCheck", "ReportProgress"]
        case Stage.CHECKING:
            return ["RecordAcceptance"]
        case Stage.CONSOLIDATING:
            return ["RecordFollowUp", "CloseCase", "CloseCase"]
        case _:
            return KINDS


class Chooser:
    """All the choices of one step, from one drawn seed: cheap to generate, and a failing
    sequence still shrinks (fewer steps, smaller seeds)."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def num(self, lo: int, hi: int) -> int:
        return self.random.randint(lo, hi)

    def pick(self, options: list):
        return self.random.choice(options)

    def chance(self, one_in: int) -> bool:
        return self.random.randrange(one_in) == 0


TEXTS = ["整改", "x", "群众反映强烈 \"引号\" \\ 反斜杠", "emoji 🚩", "多行\n文本"]


def draw_actor(c: Chooser, kind: str) -> Actor:
    fitting = [a for a in ACTORS if a.has_any(ROLES_ALLOWED.get(kind, TIMING_ROLES))]
    return c.pick(ACTORS if c.chance(5) else fitting)


def draw_problems(c: Chooser, min_size: int) -> list[ProblemInput]:
    categories = CATEGORIES + ["bogus"] if c.chance(3) else CATEGORIES
    return [
        ProblemInput(category=c.pick(categories), description=c.pick(TEXTS)) for _ in range(c.num(min_size, 3))
    ]


def draw_deadline(c: Chooser, now: datetime):
    moment = now + timedelta(days=c.num(-3, 120), minutes=c.num(0, 24 * 60))
    return moment.date() if c.chance(2) else moment


def draw_plan(c: Chooser, state: CaseState, now: datetime, by: Actor) -> SubmitPlan:
    current = [p.id for p in state.problems if p.cycle == state.cycle]
    supplement = state.stage == Stage.IMPLEMENTING
    if supplement:  # a supplementary plan: the problems found since, new measure ids
        current = [p.id for p in state.unaddressed()]
    every = [p.id for p in state.problems] + ["P99"]
    n = c.num(1, 3)
    if current and not c.chance(3):  # a plan that covers every problem of this cycle
        addressed = [current[i::n] or [current[0]] for i in range(n)]
        ids = [f"{'N' if supplement else 'M'}{len(state.measures) + i + 1 if supplement else i + 1}" for i in range(n)]
    else:
        addressed = [[c.pick(every) for _ in range(c.num(1, 3))] for _ in range(n)]
        ids = [c.pick(["M1", "M2", "M3"]) for _ in range(n)]
    measures = [
        MeasureInput(
            id=ids[i],
            description=c.pick(TEXTS),
            problems=addressed[i],
            responsible=c.pick(RESPONSIBLE),
            deadline=draw_deadline(c, now),
        )
        for i in range(n)
    ]
    return SubmitPlan(actor=by, measures=measures, summary=c.pick(TEXTS))


def draw_command(c: Chooser, state: CaseState, now: datetime):
    roll = c.num(0, 9)
    if roll < 2:
        kind = "Tick"
    elif roll < 9:
        kind = c.pick(sensible(state))
    else:
        kind = c.pick(KINDS)
    by = draw_actor(c, kind)
    measure_ids = [m.id for m in state.measures] + ["MX"]
    if kind == "Tick":
        return Tick(actor=by) if c.chance(10) else Tick()
    if kind == "OpenCase":
        return OpenCase(
            actor=by,
            org_code=ORG,
            org_name="青山村党支部",
            region=REGION,
            year=2026,
            basis=Basis(kind=BasisKind.DIRECT, detail="直接认定"),
            problems=draw_problems(c, 1),
            leaders=[c.pick(["cl-1", "cl-2"]) for _ in range(c.num(1, 2))],
        )
    if kind == "SubmitPlan":
        return draw_plan(c, state, now, by)
    if kind == "ReturnPlan":
        return ReturnPlan(actor=by, comments=c.pick(TEXTS))
    if kind == "ApprovePlan":
        return ApprovePlan(actor=by)
    if kind == "ReportProgress":
        return ReportProgress(actor=by, measure_id=c.pick(measure_ids), note=c.pick(TEXTS))
    if kind == "CompleteMeasure":
        open_ids = [m.id for m in state.open_measures()]
        if open_ids and not c.chance(3):  # usually the responsible person completes their measure
            mid = c.pick(open_ids)
            responsible = state.measure(mid).responsible
            by = next((a for a in ACTORS if a.id == responsible), by)
        else:
            mid = c.pick(measure_ids)
        return CompleteMeasure(actor=by, measure_id=mid, note=c.pick(TEXTS), evidence=["e"])
    if kind == "SubmitSelfCheck":
        return SubmitSelfCheck(actor=by, summary=c.pick(TEXTS))
    if kind == "RecordAcceptance":
        score = c.pick([85, 100, 70, 69.99]) if c.chance(2) else c.num(0, 10000) / 100
        share = c.pick([0.1, 0.5, 0.51]) if c.chance(2) else c.num(0, 100) / 100
        return RecordAcceptance(actor=by, score=score, unsatisfied_share=share)
    if kind == "RecordFollowUp":
        relapsed = c.chance(4)
        new = draw_problems(c, 0) if relapsed or c.chance(4) else []
        return RecordFollowUp(actor=by, relapsed=relapsed, note=c.pick(TEXTS), new_problems=new)
    if kind == "CloseCase":
        return CloseCase(actor=by, outcome=c.pick(list(Outcome)))
    chosen = [c.pick(measure_ids) for _ in range(c.num(0, 2))]
    if kind == "RequestRelief":
        return RequestRelief(actor=by, measure_ids=chosen, reason="换届")
    if kind == "PauseMeasures":
        if state.relief_requests and c.chance(2):  # granting a request: its sender is the requester
            return PauseMeasures(actor=by, measure_ids=chosen, reason="换届", request=c.pick([*state.relief_requests, "Q99"]))
        return PauseMeasures(actor=by, measure_ids=chosen, reason="换届", requested_by=c.pick(["ts-1", by.id]))
    if kind == "ResumeMeasures":
        return ResumeMeasures(actor=by, measure_ids=chosen)
    if kind == "ExtendDeadline":
        if c.chance(2):
            return ExtendDeadline(actor=by, measure_id=c.pick(measure_ids), by=c.pick(["3wd", "2d", "5h"]), reason="延期")
        return ExtendDeadline(actor=by, measure_id=c.pick(measure_ids), to=now + timedelta(days=c.num(-5, 60)), reason="延期")
    if kind == "DecideSanction":
        ids = [p.proposal_id for p in state.proposals] + ["S99"]
        return DecideSanction(actor=by, proposal_id=c.pick(ids), decision=c.pick(list(SanctionDecision)), comment="意见")
    if kind == "RecordExecution":  # issue 14
        ids = [p.proposal_id for p in state.proposals] + ["S99"]
        on = (now - timedelta(days=c.num(-2, 30))).date()
        new = c.pick([None, "李新书记", state.secretary or "陈书记"])
        return RecordExecution(actor=by, proposal_id=c.pick(ids), action=c.pick(TEXTS), executed_on=on, new_secretary=new)
    if kind == "RecordFindings":  # issue 14
        categories = CATEGORIES + ["bogus"] if c.chance(3) else CATEGORIES
        items = [
            FindingInput(finding_id=c.pick(["F1", "F2", "F3"]), category=c.pick(categories), description=c.pick(TEXTS))
            for _ in range(c.num(1, 2))
        ]
        return RecordFindings(actor=by, source=c.pick(["insp-2026-001", "insp-2026-002"]), findings=items)
    raise AssertionError(kind)


def draw_step(c: Chooser, stage: Stage) -> timedelta:
    size = c.num(0, 9) + (3 if stage == Stage.CONSOLIDATING else 0)
    if size == 0:
        return timedelta(0)
    if size < 5:
        return timedelta(minutes=c.num(1, 3 * 24 * 60))
    if size < 8:
        return timedelta(days=c.num(1, 60))
    return timedelta(days=c.num(300, 400))


STEP = st.integers(0, 2**32 - 1)


class Ledger:
    """What the events say happened, tracked independently of CaseState."""

    def __init__(self) -> None:
        self.epoch = 0  # a new set of measures: plan submitted, rework ordered, relapse
        self.notices: set[tuple] = set()
        self.submitter: str | None = None
        self.involved: set[str] = set()  # completed a measure or self-checked in this cycle, any rework round
        self.moves: dict[str, int] = {}  # deadline moves per measure (pause resumed, extension): overdue may fire again
        self.decided: set[str] = set()  # sanction proposals decided or lapsed: never twice

    def record(self, e) -> None:
        t = e.type
        if t in {"PlanSubmitted", "ReworkOrdered", "RelapseRecorded"}:
            self.epoch += 1
        if t == "RelapseRecorded":  # a new cycle: only its own reporters are barred from accepting it
            self.involved = set()
        if t == "PlanSubmitted":
            self.submitter = e.actor
        elif t in {"PlanApproved", "PlanReturned"}:
            assert e.actor != self.submitter, f"{e.actor} reviewed their own plan"
        elif t in {"MeasureCompleted", "SelfCheckSubmitted"}:
            self.involved.add(e.actor)
        elif t == "AcceptanceRecorded":
            assert e.actor not in self.involved, f"{e.actor} accepted work they reported"
        elif t == "ReminderSent":
            for lead in e.covers:
                self._once((self.epoch, e.measure_id, "lead", lead, self.moves.get(e.measure_id, 0)))
            assert e.lead in e.covers
        elif t == "MeasureOverdue":
            self._once((self.epoch, e.measure_id, "overdue", self.moves.get(e.measure_id, 0)))
        elif t == "EscalationRaised":
            self._once((self.epoch, e.measure_id, "rung", e.rung))  # rungs stay fired across deadline moves
        elif t == "SanctionProposed":
            self._once((self.epoch, e.measure_id, "rung", e.rung))
        elif t in {"SanctionDecided", "SanctionLapsed"}:
            assert e.proposal_id not in self.decided, f"proposal {e.proposal_id} decided twice"
            self.decided.add(e.proposal_id)
        elif t == "DeadlineExtended":
            self.moves[e.measure_id] = self.moves.get(e.measure_id, 0) + 1
        elif t == "MeasuresResumed":
            for shift in e.shifts:
                self.moves[shift.measure_id] = self.moves.get(shift.measure_id, 0) + 1
        elif t == "ConsolidationStarted":
            self.epoch += 1
        elif t == "ConsolidationEnded":
            self._once((self.epoch, "consolidation_ended"))

    def _once(self, key: tuple) -> None:
        assert key not in self.notices, f"fired twice: {key}"
        self.notices.add(key)


def check_state(state: CaseState, events: list, policy: Policy, now: datetime) -> None:
    assert state.version == len(events)
    assert state.stage in set(Stage)
    done = [m for m in state.measures if m.done]
    assert len(done) <= len(state.measures)
    if state.stage in {Stage.CHECKING, Stage.CONSOLIDATING}:
        assert state.measures and len(done) == len(state.measures)
    for m in state.measures:
        assert len(m.reminded) == len(set(m.reminded))
        assert len(m.escalated) == len(set(m.escalated))
        assert m.done == (m.completed_by is not None)
    if state.stage == Stage.IMPLEMENTING:  # approved, or a supplementary plan under review / returned (issue 14)
        assert state.plan_status == PlanStatus.APPROVED or state.supplement or state.unaddressed()
    new_cycles = sum(e.type == "RelapseRecorded" or (e.type == "FindingsRecorded" and e.new_cycle) for e in events)
    assert state.cycle == 1 + new_cycles
    assert CaseState.model_validate_json(state.model_dump_json()) == state

    # the clock: a Tick now says something exactly when next_wakeup is due, and repeating it says nothing
    wake = next_wakeup(state, Context(now, policy, CALENDAR))
    due_now = decide(state, Tick(), Context(now, policy, CALENDAR))
    if wake is None or wake > now:
        assert due_now == [], (wake, now, due_now)
    else:
        assert due_now, (wake, now)
        after = state
        for e in due_now:
            after = evolve(after, e)
        assert decide(after, Tick(), Context(now, policy, CALENDAR)) == []
    if wake is not None and wake > now:
        assert decide(state, Tick(), Context(wake, policy, CALENDAR)) != []
        if wake - SECOND >= now:
            assert decide(state, Tick(), Context(wake - SECOND, policy, CALENDAR)) == []


@settings(
    max_examples=100,
    deadline=None,  # no timing in tests: a loaded CI machine made a slow example fail once (DeadlineExceeded)
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(policy=st.sampled_from(POLICIES), steps=st.lists(STEP, min_size=25, max_size=80))
def test_random_command_sequences_keep_the_invariants(policy: Policy, steps: list[int]) -> None:
    state = INITIAL_STATE
    events: list = []
    ledger = Ledger()
    now = T0
    for seed in steps:
        c = Chooser(seed)
        now = now + draw_step(c, state.stage)
        command = draw_command(c, state, now)
        was_closed = state.stage == Stage.CLOSED
        try:
            new = decide(state, command, Context(now, policy, CALENDAR))
        except DomainError as error:
            event(f"refused: {error.code}")
            if was_closed and command.type != "Tick":  # a human's Tick is refused for its actor instead
                assert isinstance(error, NotAllowedInStage)
            continue
        if was_closed:
            assert command.type == "Tick", f"a closed case accepted {command.type}"
            assert new == []
        for e in new:
            assert e.at == now and e.actor == command.actor.id
            if e.type in {"CaseOpened", "AcceptanceRecorded"}:
                assert e.policy_version == policy.version
            assert EVENT_ADAPTER.validate_json(EVENT_ADAPTER.dump_json(e)) == e
            assert EVENT_ADAPTER.validate_python(e.model_dump(mode="json")) == e
            ledger.record(e)
            state = evolve(state, e)
            events.append(e)
        if command.type == "Tick":
            assert decide(state, Tick(), Context(now, policy, CALENDAR)) == []  # timers are idempotent
        if new:
            assert fold(events) == state
        check_state(state, events, policy, now)
    event(f"ended in: {state.stage.value}")
    event(f"cycles: {state.cycle}")
    event(f"closed: {state.stage == Stage.CLOSED}")
    event(f"steps: {len(steps) // 10 * 10}+")
