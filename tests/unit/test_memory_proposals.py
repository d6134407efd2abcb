"""Memory across years turns into case-level sanction proposals (issue 4 part 5).

At opening the memory rules are evaluated "at designation" over the history the designation read;
at each acceptance "at acceptance" with the verdict just recorded and the case's own earlier failed
rounds. Each rule proposes at most once per case; the proposals are decided like ladder proposals.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.designation import designate
from domain.directory import (
    AcceptanceResult,
    Assessment,
    HistoryRecord,
    Level,
    Organization,
    OrgDomain,
)
from domain.errors import NotAllowedInStage
from domain.memory import RuleName
from domain.policy import Policy, Rung
from domain.rectification import (
    EVENT_ADAPTER,
    DecideSanction,
    ProposalSource,
    ProposalStatus,
    SanctionDecision,
    SanctionLapsed,
    SanctionProposed,
    Verdict,
)
from tests.unit.builders import (
    ORG,
    T0,
    Case,
    acceptance,
    approve,
    classic_policy,
    complete,
    county_leader,
    first_secretary,
    open_case,
    plan,
    self_check,
    supervisor,
)

SECRETARY = "陈书记"


def record(year: int, **fields) -> HistoryRecord:
    return HistoryRecord(org_code=ORG, year=year, person=SECRETARY, **fields)


def opened_with(history: list[HistoryRecord] | None, policy: Policy | None = None) -> Case:
    case = Case(policy=policy or classic_policy())
    command = open_case().model_copy(update={"history": history, "secretary": SECRETARY if history is not None else None})
    case.run(command, T0)
    return case


def to_checking(case: Case, start=T0) -> None:
    case.run(plan(), start + timedelta(days=1))
    case.run(approve(), start + timedelta(days=2))
    case.run(complete("M1"), start + timedelta(days=30))
    case.run(complete("M2", by=first_secretary()), start + timedelta(days=31))
    case.run(self_check(), start + timedelta(days=32))


def memory_proposals(case: Case) -> list[SanctionProposed]:
    return [e for e in case.of_type("SanctionProposed") if e.source == ProposalSource.MEMORY]  # type: ignore[union-attr]


def test_designated_two_years_running_proposes_exactly_that_at_opening() -> None:
    policy = classic_policy()
    case = opened_with([record(2025, designated=True)], policy)
    assert [e.type for e in case.events] == ["CaseOpened", "SanctionProposed"]
    (proposal,) = memory_proposals(case)
    assert proposal.measure_id is None
    assert proposal.rung == policy.memory.designated_repeatedly.rung == Rung.ADMONISHMENT_TALK
    assert proposal.rule == RuleName.DESIGNATED_REPEATEDLY.value
    assert proposal.reason == "连续两年被认定为软弱涣散党组织"
    assert proposal.years == [2025, 2026]
    assert proposal.proposal_id == "S1"
    assert proposal.decide_by == T0 + timedelta(days=7)  # 5wd from Monday, weekends-only calendar, any_time
    assert proposal.recipients == ["cl-1"]
    state = case.state
    assert state.history == [record(2025, designated=True)] and state.secretary == SECRETARY
    assert [(p.proposal_id, p.status, p.source) for p in state.proposals] == [("S1", ProposalStatus.PENDING, ProposalSource.MEMORY)]
    # the event round-trips through the audit payload
    assert EVENT_ADAPTER.validate_json(EVENT_ADAPTER.dump_json(proposal)) == proposal


def test_a_memory_proposal_takes_decide_within_of_its_rung_on_the_ladder() -> None:
    policy = Policy(notice_window="any_time")  # default ladder: personnel adjustment decided within 10wd
    case = opened_with([record(2024, acceptance=AcceptanceResult.FAILED), record(2025, failed_acceptances=1)], policy)
    (proposal,) = memory_proposals(case)
    assert proposal.rule == RuleName.FAILED_ACCEPTANCE.value and proposal.rung == Rung.PERSONNEL_ADJUSTMENT
    assert proposal.decide_by == T0 + timedelta(days=14)


def test_a_history_that_triggers_nothing_and_no_history_propose_nothing() -> None:
    quiet = opened_with([record(2023, designated=True)])  # outside the two-year window
    assert [e.type for e in quiet.events] == ["CaseOpened"] and quiet.state.proposals == []
    plain = opened_with(None)
    assert [e.type for e in plain.events] == ["CaseOpened"]
    assert plain.state.history is None


def test_another_secretary_does_not_answer_for_a_predecessor() -> None:
    case = opened_with([HistoryRecord(org_code=ORG, year=2025, person="王前任", designated=True)])
    assert memory_proposals(case) == []


def test_failed_acceptance_across_years_proposes_once_at_acceptance() -> None:
    case = opened_with([record(2024, acceptance=AcceptanceResult.FAILED)])
    assert memory_proposals(case) == []  # one failure at designation: not yet
    to_checking(case)
    first = case.run(acceptance(50), T0 + timedelta(days=40))
    assert [e.type for e in first] == ["AcceptanceRecorded", "SanctionProposed", "ReworkOrdered"]
    proposal = first[1]
    assert isinstance(proposal, SanctionProposed)
    assert (proposal.rule, proposal.rung, proposal.years) == (RuleName.FAILED_ACCEPTANCE.value, Rung.PERSONNEL_ADJUSTMENT, [2024, 2026])
    # rework, fail again: the rule already proposed in this case
    case.run(complete("M1"), T0 + timedelta(days=60))
    case.run(complete("M2", by=first_secretary()), T0 + timedelta(days=61))
    case.run(self_check(), T0 + timedelta(days=62))
    again = case.run(acceptance(40), T0 + timedelta(days=70))
    assert [e.type for e in again] == ["AcceptanceRecorded", "ReworkOrdered"]
    assert len(memory_proposals(case)) == 1


def test_the_cases_own_failed_rounds_count_without_earlier_years() -> None:
    case = opened_with([])  # designated for the first time: history read, nothing in it
    assert memory_proposals(case) == []
    to_checking(case)
    assert [e.type for e in case.run(acceptance(50), T0 + timedelta(days=40))] == ["AcceptanceRecorded", "ReworkOrdered"]
    case.run(complete("M1"), T0 + timedelta(days=60))
    case.run(complete("M2", by=first_secretary()), T0 + timedelta(days=61))
    case.run(self_check(), T0 + timedelta(days=62))
    second = case.run(acceptance(45), T0 + timedelta(days=70))
    assert [e.type for e in second] == ["AcceptanceRecorded", "SanctionProposed", "ReworkOrdered"]
    assert second[1].years == [2026, 2026]  # type: ignore[union-attr]


def test_a_passed_acceptance_proposes_nothing_new() -> None:
    case = opened_with([record(2025, failed_acceptances=1)])
    to_checking(case)
    events = case.run(acceptance(90), T0 + timedelta(days=40))
    assert [e.type for e in events] == ["AcceptanceRecorded", "ConsolidationStarted"]
    assert case.state.acceptances[0].verdict == Verdict.PASSED


def test_a_memory_proposal_is_decided_by_id_and_only_once() -> None:
    case = opened_with([record(2025, designated=True)])
    decided = case.run(
        DecideSanction(actor=county_leader(), proposal_id="S1", decision=SanctionDecision.APPROVED, comment="同意"), T0 + timedelta(days=1)
    )
    assert [e.type for e in decided] == ["SanctionDecided"]
    assert decided[0].measure_id is None  # type: ignore[union-attr]
    assert "cl-1" in decided[0].recipients  # type: ignore[union-attr]
    p = case.state.proposal("S1")
    assert p is not None and p.status == ProposalStatus.APPROVED and p.decided_by == "cl-1"
    with pytest.raises(NotAllowedInStage):
        case.run(DecideSanction(actor=supervisor(), proposal_id="S1", decision=SanctionDecision.DISMISSED), T0 + timedelta(days=2))
    # named by rung without a measure
    other = opened_with([record(2025, designated=True)])
    dismissed = other.run(
        DecideSanction(actor=supervisor(), rung=Rung.ADMONISHMENT_TALK, decision=SanctionDecision.DISMISSED), T0 + timedelta(days=1)
    )
    assert dismissed[0].proposal_id == "S1"  # type: ignore[union-attr]


def test_an_undecided_memory_proposal_simply_lapses() -> None:
    case = opened_with([record(2025, designated=True)])
    assert case.tick(T0 + timedelta(days=6)) == []
    lapsed = case.tick(T0 + timedelta(days=7))
    assert [e.type for e in lapsed] == ["SanctionLapsed"]
    event = lapsed[0]
    assert isinstance(event, SanctionLapsed) and event.next_rung is None and event.measure_id is None
    assert case.state.proposal("S1").status == ProposalStatus.LAPSED  # type: ignore[union-attr]
    assert case.tick(T0 + timedelta(days=30)) == []


def test_ladder_proposals_number_after_memory_proposals() -> None:
    policy = Policy(notice_window="any_time")
    case = opened_with([record(2025, designated=True)], policy)
    case.run(plan(), T0 + timedelta(days=1))
    case.run(approve(), T0 + timedelta(days=2))
    case.run(DecideSanction(actor=supervisor(), proposal_id="S1", decision=SanctionDecision.DISMISSED), T0 + timedelta(days=3))
    events = case.tick(T0 + timedelta(days=300))  # far overdue: the ladder's proposals fire
    ladder = [e for e in events if isinstance(e, SanctionProposed)]
    assert ladder and all(e.source == ProposalSource.LADDER for e in ladder)
    assert len({p.proposal_id for p in case.state.proposals}) == len(case.state.proposals)
    assert case.state.proposals[0].proposal_id == "S1" and case.state.proposals[0].source == ProposalSource.MEMORY


def test_designee_open_case_carries_the_history_and_secretary() -> None:
    org = Organization(
        code=ORG,
        name="青山村党支部",
        region="青山镇",
        domain=OrgDomain.VILLAGE,
        level=Level.BRANCH,
        secretary=SECRETARY,
        leader="cl-1",
        flags=["纪委"],
    )
    assessments = [Assessment(org_code=ORG, year=2025, score=40, star=2)]
    history = [record(2025, designated=True), HistoryRecord(org_code="V999", year=2025, designated=True)]
    policy = Policy(notice_window="any_time")
    listing = designate([org], assessments, history, 2026, policy.designation, policy.memory)
    (designee,) = listing.designees
    assert "history" not in designee.model_dump()
    command = designee.open_case(2026, supervisor(), [])
    assert command.history == [record(2025, designated=True)] and command.secretary == SECRETARY
    case = Case(policy=policy)
    case.run(command, T0)
    assert [p.rule for p in memory_proposals(case)] == [f.rule.value for f in designee.memory] == [RuleName.DESIGNATED_REPEATEDLY.value]


def test_an_old_opening_payload_still_loads() -> None:
    old = open_case().model_dump(mode="json")
    old.pop("history"), old.pop("secretary")
    from domain.rectification import COMMAND_ADAPTER

    command = COMMAND_ADAPTER.validate_python(old)
    assert command.history is None  # type: ignore[union-attr]
    case = Case()
    case.run(command, T0)
    payload = EVENT_ADAPTER.dump_python(case.events[0], mode="json")
    payload.pop("history"), payload.pop("secretary")
    assert EVENT_ADAPTER.validate_python(payload).history is None  # type: ignore[union-attr]
