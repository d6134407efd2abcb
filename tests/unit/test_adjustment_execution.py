"""落实问责 (issue 14 item 2): an approved 组织调整 or 诫勉谈话 is recorded as carried out — what, when, by
whom (the verified actor), for 组织调整 optionally the new secretary — once per proposal; the case's
secretary changes and the same-secretary memory rules see it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.directory import AcceptanceResult, HistoryRecord
from domain.errors import InvalidCommand, NotAllowedInStage, PermissionDenied
from domain.policy.memory import MemoryPolicy, MemoryRule
from domain.rectification import (
    EVENT_ADAPTER,
    AdjustmentExecuted,
    DecideSanction,
    RecordExecution,
    SanctionDecision,
    SanctionProposed,
)
from domain.rectification.permissions import available
from domain.rungs import Rung
from tests.unit.builders import T0, Case, acceptance, branch_secretary, classic_policy, county_leader, open_case, supervisor
from tests.unit.test_memory_proposals import SECRETARY, record, to_checking

DAY = timedelta(days=1)


def with_proposals(history: list[HistoryRecord]) -> Case:
    case = Case(policy=classic_policy())
    case.run(open_case().model_copy(update={"history": history, "secretary": SECRETARY}), T0)
    return case


def approved_adjustment() -> Case:
    """Failed acceptance in 2024 and 2025: a 组织调整 proposal S1 at opening, approved."""
    case = with_proposals([record(2024, acceptance=AcceptanceResult.FAILED), record(2025, acceptance=AcceptanceResult.FAILED)])
    (proposal,) = case.state.proposals
    assert proposal.rung == Rung.PERSONNEL_ADJUSTMENT
    case.run(DecideSanction(actor=county_leader(), proposal_id="S1", decision=SanctionDecision.APPROVED), T0 + DAY)
    return case


def execute(on: date = date(2026, 1, 14), new: str | None = "李新书记", proposal: str = "S1", by=None) -> RecordExecution:
    action = "免去陈书记村党支部书记职务"
    return RecordExecution(actor=by or supervisor(), proposal_id=proposal, action=action, executed_on=on, new_secretary=new)


def test_a_personnel_adjustment_carried_out_replaces_the_secretary() -> None:
    case = approved_adjustment()
    assert "RecordExecution" in available(case.state, supervisor(), case.policy, T0 + 3 * DAY)
    (event,) = case.run(execute(), T0 + 10 * DAY)
    assert isinstance(event, AdjustmentExecuted)
    assert (event.proposal_id, event.rung, event.executed_on) == ("S1", Rung.PERSONNEL_ADJUSTMENT, date(2026, 1, 14))
    assert (event.previous_secretary, event.new_secretary, event.actor) == (SECRETARY, "李新书记", "sup-1")
    assert EVENT_ADAPTER.validate_json(EVENT_ADAPTER.dump_json(event)) == event
    state = case.state
    assert state.secretary == "李新书记"
    (done,) = state.executions()
    assert done.execution is not None and done.execution.by == "sup-1" and done.execution.previous_secretary == SECRETARY
    assert "RecordExecution" not in available(state, supervisor(), case.policy, T0 + 11 * DAY)


def test_once_per_proposal() -> None:
    case = approved_adjustment()
    case.run(execute(), T0 + 10 * DAY)
    with pytest.raises(NotAllowedInStage, match="already recorded as carried out on 2026-01-14"):
        case.attempt(execute(new=None), T0 + 11 * DAY)


def test_only_approved_adjustments_and_admonishments() -> None:
    pending = with_proposals([record(2024, acceptance=AcceptanceResult.FAILED), record(2025, acceptance=AcceptanceResult.FAILED)])
    with pytest.raises(NotAllowedInStage, match="is pending; only an approved proposal"):
        pending.attempt(execute(), T0 + 2 * DAY)
    with pytest.raises(InvalidCommand, match="proposal_id: unknown proposal 'S9'; this case has: S1"):
        pending.attempt(execute(proposal="S9"), T0 + 2 * DAY)
    talk = with_proposals([record(2024, rank=9, rank_of=9), record(2025, rank=9, rank_of=9)])  # last place twice: 提醒谈话
    talk.run(DecideSanction(actor=county_leader(), proposal_id="S1", decision=SanctionDecision.APPROVED), T0 + DAY)
    with pytest.raises(InvalidCommand, match="only personnel_adjustment .* and admonishment_talk"):
        talk.attempt(execute(new=None), T0 + 2 * DAY)


def test_an_admonishment_talk_is_carried_out_without_a_new_secretary() -> None:
    case = with_proposals([record(2025, designated=True)])  # designated two years running: 诫勉谈话
    case.run(DecideSanction(actor=county_leader(), proposal_id="S1", decision=SanctionDecision.APPROVED), T0 + DAY)
    with pytest.raises(InvalidCommand, match="new_secretary: only a personnel_adjustment"):
        case.attempt(execute(), T0 + 2 * DAY)
    (event,) = case.run(execute(new=None), T0 + 10 * DAY)
    assert event.new_secretary is None and event.previous_secretary is None  # type: ignore[union-attr]
    assert case.state.secretary == SECRETARY


def test_dates_people_and_roles_are_checked() -> None:
    case = approved_adjustment()
    with pytest.raises(InvalidCommand, match=r"executed_on: 2026-01-20 is in the future \(today is 2026-01-15\)"):
        case.attempt(execute(on=date(2026, 1, 20)), T0 + 10 * DAY)
    with pytest.raises(InvalidCommand, match="executed_on: 2026-01-01 is before the proposal was approved"):
        case.attempt(execute(on=date(2026, 1, 1)), T0 + 10 * DAY)
    with pytest.raises(InvalidCommand, match="is already the secretary"):
        case.attempt(execute(new=SECRETARY), T0 + 10 * DAY)
    with pytest.raises(PermissionDenied):
        case.attempt(execute(by=branch_secretary()), T0 + 10 * DAY)


def test_the_memory_rules_see_the_new_secretary() -> None:
    """A failed year under the old secretary no longer counts at acceptance once the secretary is replaced."""
    memory = MemoryPolicy(designated_repeatedly=MemoryRule(rung=Rung.PERSONNEL_ADJUSTMENT, times=2, within_years=2))

    def failing_case(replace: bool) -> list[str]:
        case = Case(policy=classic_policy(memory=memory))
        history = [record(2025, designated=True, acceptance=AcceptanceResult.FAILED)]
        case.run(open_case().model_copy(update={"history": history, "secretary": SECRETARY}), T0)
        case.run(DecideSanction(actor=county_leader(), proposal_id="S1", decision=SanctionDecision.APPROVED), T0 + DAY)
        if replace:
            case.run(execute(), T0 + 10 * DAY)
        to_checking(case, T0 + 10 * DAY)
        return [e.rule or "" for e in case.run(acceptance(50), T0 + 60 * DAY) if isinstance(e, SanctionProposed)]

    assert failing_case(replace=False) == ["failed_acceptance"]  # 2025 and 2026 under 陈书记
    assert failing_case(replace=True) == []  # 李新书记 answers only for 2026
