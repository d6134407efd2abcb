"""Findings into a case (issue 14 item 4): an inspection's findings become problems of the current cycle
(marked with their source), and the plan must address them — a new version before approval, a
supplementary plan (补充整改方案) once approved; in consolidation they open a new cycle."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.errors import InvalidCommand, NotAllowedInStage, PermissionDenied
from domain.rectification import EVENT_ADAPTER, FindingInput, FindingsRecorded, RecordFindings, Stage
from domain.rectification.permissions import available
from tests.unit.builders import (
    T0,
    approve,
    branch_secretary,
    complete,
    consolidating,
    county_leader,
    first_secretary,
    implementing,
    measure,
    opened,
    plan,
    return_plan,
    self_check,
    supervisor,
    township_secretary,
)

DAY = timedelta(days=1)
SOURCE = "insp-2027-001"


def findings(*ids: str, by=None, source: str = SOURCE) -> RecordFindings:
    items = [FindingInput(finding_id=i, category="organization_life", description=f"明察暗访发现：{i}") for i in ids]
    return RecordFindings(actor=by or supervisor(), source=source, findings=items)


def test_findings_become_problems_of_the_current_cycle() -> None:
    case = opened()
    (event,) = case.run(findings("F1", "F2"), T0 + DAY)
    assert isinstance(event, FindingsRecorded) and not event.new_cycle and event.cycle == 1
    assert [(p.id, p.source, p.finding_id) for p in event.problems] == [("P4", SOURCE, "F1"), ("P5", SOURCE, "F2")]
    assert EVENT_ADAPTER.validate_json(EVENT_ADAPTER.dump_json(event)) == event
    with pytest.raises(InvalidCommand, match="the plan leaves problems without a measure: P4, P5"):
        case.attempt(plan(), T0 + 2 * DAY)
    with pytest.raises(InvalidCommand, match=f"already recorded in this case: {SOURCE}/F1"):
        case.attempt(findings("F1"), T0 + 2 * DAY)


def test_a_plan_awaiting_review_cannot_be_approved_over_new_findings() -> None:
    case = opened()
    case.run(plan(), T0 + DAY)
    case.run(findings("F1"), T0 + 2 * DAY)
    with pytest.raises(NotAllowedInStage, match=rf"without a measure: P4 \({SOURCE}\); return it"):
        case.attempt(approve(), T0 + 3 * DAY)


def test_after_approval_a_supplementary_plan_adds_measures() -> None:
    case = implementing()
    case.run(findings("F1"), T0 + 3 * DAY)
    assert case.state.stage == Stage.IMPLEMENTING
    assert [p.id for p in case.state.unaddressed()] == ["P4"]
    assert "SubmitPlan" in available(case.state, branch_secretary(), case.policy, T0 + 3 * DAY)
    case.run(complete("M1"), T0 + 4 * DAY)
    case.run(complete("M2", by=first_secretary()), T0 + 4 * DAY)
    with pytest.raises(NotAllowedInStage, match=rf"no measure yet: P4 \({SOURCE}\); submit a supplementary plan"):
        case.attempt(self_check(), T0 + 5 * DAY)
    due = date(2026, 3, 31)
    with pytest.raises(InvalidCommand, match="measure ids already in the plan: M1"):
        case.attempt(plan(measures=[measure("M1", ["P4"], due)]), T0 + 5 * DAY)
    with pytest.raises(InvalidCommand, match=r"addresses only the problems found since \(P4\), not: P1"):
        case.attempt(plan(measures=[measure("M3", ["P4", "P1"], due)]), T0 + 5 * DAY)
    (submitted,) = case.run(plan(measures=[measure("M3", ["P4"], due)]), T0 + 5 * DAY)
    assert submitted.supplement and [m.id for m in submitted.measures] == ["M3"]  # type: ignore[union-attr]
    assert case.state.stage == Stage.IMPLEMENTING and [m.id for m in case.state.measures] == ["M1", "M2"]
    with pytest.raises(NotAllowedInStage, match="supplementary plan is awaiting review"):
        case.attempt(self_check(), T0 + 6 * DAY)
    case.run(approve(), T0 + 6 * DAY)
    assert [m.id for m in case.state.measures] == ["M1", "M2", "M3"]
    assert [m.done for m in case.state.measures] == [True, True, False]  # the approved measures keep their state
    case.run(complete("M3"), T0 + 7 * DAY)
    case.run(self_check(), T0 + 8 * DAY)
    assert case.state.stage == Stage.CHECKING


def test_a_returned_supplementary_plan_is_dropped_and_resubmitted() -> None:
    case = implementing()
    case.run(findings("F1"), T0 + 3 * DAY)
    case.run(plan(measures=[measure("M3", ["P4"], date(2026, 3, 31))]), T0 + 4 * DAY)
    case.run(return_plan(by=township_secretary()), T0 + 5 * DAY)
    assert case.state.supplement == [] and [p.id for p in case.state.unaddressed()] == ["P4"]
    case.run(plan(measures=[measure("M3", ["P4"], date(2026, 4, 30))]), T0 + 6 * DAY)
    case.run(approve(), T0 + 7 * DAY)
    assert [m.id for m in case.state.measures] == ["M1", "M2", "M3"]


def test_findings_in_checking_send_the_case_back_to_implementing() -> None:
    case = implementing()
    case.run(complete("M1"), T0 + 4 * DAY)
    case.run(complete("M2", by=first_secretary()), T0 + 4 * DAY)
    case.run(self_check(), T0 + 5 * DAY)
    case.run(findings("F1", by=county_leader()), T0 + 6 * DAY)
    assert case.state.stage == Stage.IMPLEMENTING and case.state.self_check_by is None


def test_findings_in_consolidation_open_a_new_cycle() -> None:
    case = consolidating()
    (event,) = case.run(findings("F1"), T0 + 50 * DAY)
    assert event.new_cycle and event.cycle == 2  # type: ignore[union-attr]
    state = case.state
    assert (state.stage, state.cycle, state.measures) == (Stage.DESIGNATED, 2, [])
    assert [(p.id, p.cycle, p.source) for p in state.problems if p.cycle == 2] == [("P4", 2, SOURCE)]


def test_who_and_what() -> None:
    case = opened()
    with pytest.raises(PermissionDenied):
        case.attempt(findings("F1", by=branch_secretary()), T0 + DAY)
    bad = RecordFindings(
        actor=supervisor(), source=SOURCE, findings=[FindingInput(finding_id="F1", category="no_such", description="x")]
    )
    with pytest.raises(InvalidCommand, match="unknown problem category 'no_such'"):
        case.attempt(bad, T0 + DAY)
    with pytest.raises(InvalidCommand, match="duplicate finding ids: F1"):
        case.attempt(findings("F1", "F1"), T0 + DAY)
