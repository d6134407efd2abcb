"""What the console offers and how it colours a deadline (pure): the traffic light by working days, and
``available`` — the case-level commands a person could send now — agreeing with what the decider accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import DomainError
from domain.lights import Light, light, working_days_left
from domain.permissions import may_see
from domain.rectification.permissions import available, may_report
from domain.workcal import WorkCalendar
from tests.unit import builders

CAL = WorkCalendar()  # weekends only
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 Beijing


@pytest.mark.parametrize(
    ("deadline", "expected", "left"),
    [
        (MONDAY + timedelta(days=14), Light.GREEN, 10),  # two weeks: 10 working days
        (MONDAY + timedelta(days=7), Light.YELLOW, 5),  # a week: 5 working days, the yellow edge
        (MONDAY + timedelta(hours=3), Light.YELLOW, 0),  # due today, not yet past
        (MONDAY - timedelta(hours=1), Light.RED, 0),  # past, same day
        (MONDAY - timedelta(days=3), Light.RED, -1),  # last Friday: one working day overdue
    ],
)
def test_the_light_counts_working_days_left(deadline: datetime, expected: Light, left: int) -> None:
    assert light(deadline, MONDAY, CAL) == expected
    assert working_days_left(deadline, MONDAY, CAL) == left


def test_a_paused_measure_shows_no_countdown() -> None:
    assert light(MONDAY - timedelta(days=30), MONDAY, CAL, paused=True) == Light.PAUSED


def test_a_village_sees_its_case_a_township_its_villages_and_a_responsible_person_their_measure() -> None:
    village, township = builders.branch_secretary(), builders.township_secretary()
    other = builders.branch_secretary("bs-9", scope=["V009"])
    assert may_see(village, builders.ORG, builders.REGION) and may_see(township, builders.ORG, builders.REGION)
    assert not may_see(other, builders.ORG, builders.REGION)
    assert may_see(other, builders.ORG, builders.REGION, involved=True)


def _offered_matches_the_decider(case: builders.Case, actor, now: datetime) -> frozenset[str]:  # type: ignore[no-untyped-def]
    offered = available(case.state, actor, case.policy, now)
    samples = {
        "ApprovePlan": builders.approve(by=actor),
        "ReturnPlan": builders.return_plan(by=actor),
        "SubmitSelfCheck": builders.self_check(by=actor),
        "RecordAcceptance": builders.acceptance(90, by=actor),
    }
    for kind, command in samples.items():
        try:
            case.attempt(command, now)
            accepted = True
        except DomainError:
            accepted = False
        assert (kind in offered) == accepted, (kind, actor.id, case.state.stage)
    return offered


def test_offered_reviews_follow_role_scope_and_separation_of_duties() -> None:
    case = builders.opened()
    case.run(builders.plan(), builders.T0 + timedelta(days=1))  # submitted by bs-1
    now = builders.T0 + timedelta(days=1, hours=1)
    assert "ApprovePlan" in _offered_matches_the_decider(case, builders.township_secretary(), now)
    assert "ApprovePlan" not in _offered_matches_the_decider(case, builders.township_secretary(scope=["别镇"]), now)
    assert "ApprovePlan" not in _offered_matches_the_decider(case, builders.branch_secretary(), now)  # the author
    assert "ApprovePlan" not in _offered_matches_the_decider(case, builders.township_secretary("bs-1"), now)  # submitter


def test_acceptance_is_not_offered_to_a_reporter_of_the_cycle() -> None:
    case = builders.checking()
    now = case.now + timedelta(hours=1)
    assert "RecordAcceptance" in _offered_matches_the_decider(case, builders.supervisor(), now)
    assert "RecordAcceptance" not in _offered_matches_the_decider(case, builders.supervisor("bs-1"), now)  # completed M1


def test_a_measure_is_reportable_by_its_responsible_person_and_implementers_in_scope() -> None:
    case = builders.implementing()
    assert may_report(case.state, builders.branch_secretary(), "M1", case.policy)
    assert may_report(case.state, builders.supervisor("fs-1"), "M2", case.policy)  # responsible, whatever the role
    assert not may_report(case.state, builders.supervisor(), "M1", case.policy)
    assert not may_report(case.state, builders.branch_secretary("bs-9", scope=["V009"]), "M1", case.policy)
