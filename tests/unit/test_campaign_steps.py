"""The multi-step designation (认定程序, seed 003: 县级领导遍访 → 基层党委摸排 → 联席部门会诊 → 常委会议审定):
each step by a person with its role, in order, recorded as an event; the list is approved and cases open
only after the last step; without steps a supervisor approves directly (old campaigns unchanged)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.actors import Actor, Role
from domain.campaign import (
    INITIAL_STATE,
    ApproveDesignation,
    DesignationApproved,
    DesignationStepRecorded,
    OpenCampaign,
    RecordDesignationStep,
    decide,
    evolve,
)
from domain.decider import Context
from domain.directory import OrgClass
from domain.errors import DomainError, InvalidCommand, NotAllowedInStage, PermissionDenied
from domain.policy import Policy
from domain.rectification import Basis, BasisKind, OpenCase, ProblemInput
from settings.directory import load_policy

NOW = datetime(2027, 3, 2, 1, 0, tzinfo=UTC)
POLICY = load_policy(Path(__file__).resolve().parents[2] / "examples" / "policy-designation-003.yaml")
SUP = Actor(id="sup", roles=[Role.SUPERVISOR])
LEADER = Actor(id="cl", roles=[Role.COUNTY_LEADER])
TOWN = Actor(id="ts", roles=[Role.TOWNSHIP_SECRETARY], scope=["城关镇"])
TOWN_ELSEWHERE = Actor(id="ts2", roles=[Role.TOWNSHIP_SECRETARY], scope=["河西镇"])


def opening(code: str) -> OpenCase:
    return OpenCase(
        actor=SUP, org_code=code, org_name=f"{code}党支部", region="城关镇", year=2027,
        basis=Basis(kind=BasisKind.RANKING, detail="倒排"), problems=[ProblemInput(category="weak_leadership", description="x")],
        leaders=["cl"],
    )


def apply(state, command, policy: Policy = POLICY):  # type: ignore[no-untyped-def]
    for event in decide(state, command, Context(now=NOW, policy=policy)):
        state = evolve(state, event)
    return state


def opened(policy: Policy = POLICY):  # type: ignore[no-untyped-def]
    return apply(INITIAL_STATE, OpenCampaign(actor=SUP, region="城关镇", year=2027), policy)


def step(code: str, actor: Actor, note: str = "意见", org_codes: list[str] | None = None) -> RecordDesignationStep:
    return RecordDesignationStep(actor=actor, step=code, note=note, org_codes=org_codes or [])


ALL_STEPS = [("visit", LEADER), ("survey", TOWN), ("consult", SUP), ("decide", LEADER)]


def test_steps_in_order_then_approval_records_classes_and_labels() -> None:
    state = opened()
    with pytest.raises(NotAllowedInStage, match=r"visit \(县级领导遍访\).*survey.*consult.*decide.*cases open only after the last step"):
        decide(state, ApproveDesignation(actor=SUP, designees=[opening("V1")]), Context(now=NOW, policy=POLICY))
    for code, actor in ALL_STEPS[:-1]:
        state = apply(state, step(code, actor))
    state = apply(state, step("decide", LEADER, "常委会审定：V1、V2", ["V1", "V2"]))
    assert [(s.step, s.actor) for s in state.steps.values()] == [("visit", "cl"), ("survey", "ts"), ("consult", "sup"), ("decide", "cl")]
    with pytest.raises(InvalidCommand, match=r"not on the list of the last step decide \(常委会议审定\): V9"):
        decide(state, ApproveDesignation(actor=SUP, designees=[opening("V1"), opening("V9")]), Context(now=NOW, policy=POLICY))
    events = decide(
        state,
        ApproveDesignation(
            actor=SUP, designees=[opening("V1")], classes={"V1": OrgClass.THIRD, "X": OrgClass.FIRST}, labels={"V1": "软弱涣散村党组织"}
        ),
        Context(now=NOW, policy=POLICY),
    )
    (approved,) = events
    assert isinstance(approved, DesignationApproved)
    assert approved.steps == ["visit", "survey", "consult", "decide"]
    assert approved.classes == {"V1": OrgClass.THIRD} and approved.labels == {"V1": "软弱涣散村党组织"}
    state = evolve(state, approved)
    assert state.cases["rect-V1-2027"].org_class == "third" and state.cases["rect-V1-2027"].label == "软弱涣散村党组织"


def test_a_step_needs_its_role_its_predecessors_and_a_known_code() -> None:
    state = opened()
    ctx = Context(now=NOW, policy=POLICY)
    with pytest.raises(PermissionDenied, match=r"designation step visit \(县级领导遍访\): county_leader"):
        decide(state, step("visit", SUP), ctx)  # a supervisor may not record the county leaders' visits
    with pytest.raises(NotAllowedInStage, match=r"comes after visit \(县级领导遍访\)"):
        decide(state, step("survey", TOWN), ctx)
    with pytest.raises(InvalidCommand, match=r"unknown designation step 'vote'; known: visit \(县级领导遍访\)"):
        decide(state, step("vote", SUP), ctx)
    state = apply(state, step("visit", LEADER))
    with pytest.raises(PermissionDenied, match="may not act on region 城关镇"):
        decide(state, step("survey", TOWN_ELSEWHERE), ctx)
    with pytest.raises(InvalidCommand, match="org_codes: listed twice: V1"):
        decide(state, step("survey", TOWN, org_codes=["V1", "V1"]), ctx)
    (event,) = decide(state, step("survey", TOWN, "摸排10种问题表现情形"), ctx)
    assert isinstance(event, DesignationStepRecorded)
    got = (event.step, event.name, event.index, event.of, event.actor, event.note)
    assert got == ("survey", "基层党委摸排", 2, 4, "ts", "摸排10种问题表现情形")
    with pytest.raises(ValueError):
        RecordDesignationStep(actor=LEADER, step="visit", note="")  # notes are required


def test_without_steps_a_supervisor_approves_directly_and_steps_are_refused() -> None:
    policy = Policy()
    state = opened(policy)
    with pytest.raises(InvalidCommand, match="none: the policy has no designation.steps"):
        decide(state, step("visit", LEADER), Context(now=NOW, policy=policy))
    (event,) = decide(state, ApproveDesignation(actor=SUP, designees=[opening("V1")]), Context(now=NOW, policy=policy))
    assert isinstance(event, DesignationApproved) and event.steps == []


@settings(max_examples=120, deadline=None)
@given(st.lists(st.sampled_from(range(len(ALL_STEPS))), max_size=8))
def test_approval_is_possible_exactly_when_every_step_was_recorded(order: list[int]) -> None:
    state = opened()
    for i in order:
        code, actor = ALL_STEPS[i]
        try:
            state = apply(state, step(code, actor))
        except DomainError:
            assert any(ALL_STEPS[j][0] not in state.steps for j in range(i))  # refused only out of order
    codes = list(state.steps)
    assert codes == [c for c, _ in ALL_STEPS][: len(codes)]  # recorded steps are always a prefix
    approve = ApproveDesignation(actor=SUP, designees=[opening("V1")])
    if len(codes) == len(ALL_STEPS):
        assert decide(state, approve, Context(now=NOW, policy=POLICY))
    else:
        with pytest.raises(NotAllowedInStage):
            decide(state, approve, Context(now=NOW, policy=POLICY))
