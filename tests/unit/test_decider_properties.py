"""Property tests: random command sequences against the decider, with invariants checked after every step."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.actors import SYSTEM_ACTOR, Actor, Role
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
    MeasureInput,
    OpenCase,
    Outcome,
    PlanStatus,
    ProblemInput,
    RecordAcceptance,
    RecordFollowUp,
    ReportProgress,
    ReturnPlan,
    Stage,
    SubmitPlan,
    SubmitSelfCheck,
    Tick,
    decide,
    evolve,
    fold,
    next_wakeup,
)

from .builders import ORG, REGION, T0, actor

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
    Policy(supervisors=["sup-1"]),
    Policy(
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
    Policy(version="p-none", reminder_leads=[], escalation_ladder=[], consolidation_period="1d"),
]

KINDS = list(ROLES_ALLOWED)
SENSIBLE: dict[Stage, list[str]] = {
    Stage.NEW: ["OpenCase"],
    Stage.DESIGNATED: ["SubmitPlan"],
    Stage.PLANNING: ["SubmitPlan", "ApprovePlan", "ApprovePlan", "ReturnPlan"],
    Stage.IMPLEMENTING: ["CompleteMeasure", "CompleteMeasure", "ReportProgress", "SubmitSelfCheck"],
    Stage.CHECKING: ["RecordAcceptance"],
    Stage.CONSOLIDATING: ["RecordFollowUp", "CloseCase", "CloseCase"],
    Stage.CLOSED: KINDS,
}


def draw_actor(data: st.DataObject, kind: str) -> Actor:
    fitting = [a for a in ACTORS if a.has_any(ROLES_ALLOWED[kind])]
    return data.draw(st.one_of(st.sampled_from(fitting), st.sampled_from(ACTORS)))


def draw_problems(data: st.DataObject, min_size: int) -> list[ProblemInput]:
    cats = data.draw(
        st.lists(st.sampled_from(CATEGORIES + ["bogus"]) if data.draw(st.booleans()) else st.sampled_from(CATEGORIES),
                 min_size=min_size, max_size=3)
    )
    return [ProblemInput(category=c, description=data.draw(st.text(min_size=1, max_size=8))) for c in cats]


def draw_deadline(data: st.DataObject, now: datetime):
    delta = timedelta(days=data.draw(st.integers(-3, 120)), minutes=data.draw(st.integers(0, 24 * 60)))
    moment = now + delta
    return moment.date() if data.draw(st.booleans()) else moment


def draw_plan(data: st.DataObject, state: CaseState, now: datetime, by: Actor) -> SubmitPlan:
    current = [p.id for p in state.problems if p.cycle == state.cycle]
    every = [p.id for p in state.problems] + ["P99"]
    n = data.draw(st.integers(1, 3))
    if data.draw(st.booleans()) and current:  # a plan that covers every problem of this cycle
        chunks = [current[i::n] for i in range(n)]
        addressed = [chunk or [current[0]] for chunk in chunks]
        ids = [f"M{i + 1}" for i in range(n)]
    else:
        addressed = [data.draw(st.lists(st.sampled_from(every), min_size=1, max_size=3)) for _ in range(n)]
        ids = [data.draw(st.sampled_from(["M1", "M2", "M3"])) for _ in range(n)]
    measures = [
        MeasureInput(
            id=ids[i],
            description=f"措施{i}",
            problems=addressed[i],
            responsible=data.draw(st.sampled_from(RESPONSIBLE)),
            deadline=draw_deadline(data, now),
        )
        for i in range(n)
    ]
    return SubmitPlan(actor=by, measures=measures)


def draw_command(data: st.DataObject, state: CaseState, now: datetime):
    if data.draw(st.integers(0, 9)) < 3:
        kind = "Tick"
    elif data.draw(st.booleans()):
        kind = data.draw(st.sampled_from(SENSIBLE[state.stage]))
    else:
        kind = data.draw(st.sampled_from(KINDS))
    by = draw_actor(data, kind)
    measure_ids = [m.id for m in state.measures] + ["MX"]
    if kind == "Tick":
        return Tick() if data.draw(st.integers(0, 9)) else Tick(actor=by)
    if kind == "OpenCase":
        return OpenCase(
            actor=by,
            org_code=ORG,
            org_name="青山村党支部",
            region=REGION,
            year=2026,
            basis=Basis(kind=BasisKind.DIRECT, detail="直接认定"),
            problems=draw_problems(data, 1),
            leaders=data.draw(st.lists(st.sampled_from(["cl-1", "cl-2"]), min_size=1, max_size=2)),
        )
    if kind == "SubmitPlan":
        return draw_plan(data, state, now, by)
    if kind == "ReturnPlan":
        return ReturnPlan(actor=by, comments="退回")
    if kind == "ApprovePlan":
        return ApprovePlan(actor=by)
    if kind == "ReportProgress":
        return ReportProgress(actor=by, measure_id=data.draw(st.sampled_from(measure_ids)), note="进展")
    if kind == "CompleteMeasure":
        open_ids = [m.id for m in state.open_measures()]
        if open_ids and data.draw(st.booleans()):  # the responsible person completes their measure
            mid = data.draw(st.sampled_from(open_ids))
            responsible = state.measure(mid).responsible
            by = next((a for a in ACTORS if a.id == responsible), by)
        else:
            mid = data.draw(st.sampled_from(measure_ids))
        return CompleteMeasure(actor=by, measure_id=mid, note="完成", evidence=["e"])
    if kind == "SubmitSelfCheck":
        return SubmitSelfCheck(actor=by, summary="自查")
    if kind == "RecordAcceptance":
        score = data.draw(st.one_of(st.floats(0, 100, allow_nan=False), st.sampled_from([69.99, 70, 100])))
        share = data.draw(st.one_of(st.floats(0, 1, allow_nan=False), st.sampled_from([0.0, 0.5, 0.51])))
        return RecordAcceptance(actor=by, score=score, unsatisfied_share=share)
    if kind == "RecordFollowUp":
        relapsed = data.draw(st.booleans())
        new = draw_problems(data, 0) if data.draw(st.booleans()) or relapsed else []
        return RecordFollowUp(actor=by, relapsed=relapsed, note="回头看", new_problems=new)
    if kind == "CloseCase":
        return CloseCase(actor=by, outcome=data.draw(st.sampled_from(list(Outcome))))
    raise AssertionError(kind)


def draw_step(data: st.DataObject) -> timedelta:
    return data.draw(
        st.one_of(
            st.just(timedelta(0)),
            st.integers(1, 3 * 24 * 60).map(lambda m: timedelta(minutes=m)),
            st.integers(1, 60).map(lambda d: timedelta(days=d)),
            st.integers(300, 400).map(lambda d: timedelta(days=d)),
        )
    )


class Ledger:
    """What the events say happened, tracked independently of CaseState."""

    def __init__(self) -> None:
        self.epoch = 0  # a new set of measures: plan submitted, rework ordered, relapse
        self.notices: set[tuple] = set()
        self.submitter: str | None = None
        self.involved: set[str] = set()  # completed a measure or submitted the self-check, this round

    def record(self, e) -> None:
        t = e.type
        if t in {"PlanSubmitted", "ReworkOrdered", "RelapseRecorded"}:
            self.epoch += 1
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
                self._once((self.epoch, e.measure_id, "lead", lead))
            assert e.lead in e.covers
        elif t == "MeasureOverdue":
            self._once((self.epoch, e.measure_id, "overdue"))
        elif t == "EscalationRaised":
            self._once((self.epoch, e.measure_id, "rung", e.rung))
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
    if state.stage == Stage.IMPLEMENTING:
        assert state.plan_status == PlanStatus.APPROVED
    assert state.cycle == 1 + sum(e.type == "RelapseRecorded" for e in events)
    assert CaseState.model_validate_json(state.model_dump_json()) == state

    # the clock: a Tick now says something exactly when next_wakeup is due, and repeating it says nothing
    wake = next_wakeup(state, policy)
    due_now = decide(state, Tick(), now, policy)
    if wake is None or wake > now:
        assert due_now == [], (wake, now, due_now)
    else:
        assert due_now, (wake, now)
        after = state
        for e in due_now:
            after = evolve(after, e)
        assert decide(after, Tick(), now, policy) == []
    if wake is not None and wake > now:
        assert decide(state, Tick(), wake, policy) != []
        if wake - SECOND >= now:
            assert decide(state, Tick(), wake - SECOND, policy) == []


@settings(
    max_examples=200,
    deadline=timedelta(seconds=5),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), policy=st.sampled_from(POLICIES), steps=st.integers(5, 45))
def test_random_command_sequences_keep_the_invariants(data: st.DataObject, policy: Policy, steps: int) -> None:
    state = INITIAL_STATE
    events: list = []
    ledger = Ledger()
    now = T0
    for _ in range(steps):
        now = now + draw_step(data)
        command = draw_command(data, state, now)
        was_closed = state.stage == Stage.CLOSED
        try:
            new = decide(state, command, now, policy)
        except DomainError as error:
            event(f"refused: {error.code}")
            if was_closed:
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
            assert decide(state, Tick(), now, policy) == []  # timers are idempotent
        if new:
            assert fold(events) == state
        check_state(state, events, policy, now)
    event(f"reached: {state.stage.value}")
    event(f"cycles: {state.cycle}")
