"""Partners on measures (issue 14 item 5, 结对帮扶): people of pairing units, 联村领导 and 驻村工作队 named on a
measure are told what its responsible person is told and may report on it; the case records the
organization's pairing units at opening."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.actors import Role
from domain.directory import Pairing
from domain.errors import InvalidCommand, SeparationOfDuties
from domain.policy import EscalationStep
from domain.rectification import DecideSanction, MeasureInput, SanctionDecision
from domain.rectification.permissions import may_report, may_see_case
from domain.rungs import Rung
from tests.unit.builders import T0, Case, acceptance, actor, approve, classic_policy, complete, open_case, plan, self_check

DAY = timedelta(days=1)
PARTNER = actor("unit-li", Role.SUPERVISOR, scope=["某县住建局"])  # a paired unit's person, no scope on the village
LIAISON = actor("liaison-zhao", Role.COUNTY_LEADER, scope=["青山镇"])  # 联村领导: a county leader over the township


def partnered(policy=None) -> Case:
    case = Case(policy=policy or classic_policy())
    pairing = Pairing(unit_code="U1", unit_name="县住建局", kind="结对单位", people=["unit-li"], org_codes=["V001", "V002"])
    liaison = Pairing(unit_code="L1", unit_name="联村领导", kind="联村领导", people=["liaison-zhao"], org_codes=["V001"])
    other = Pairing(unit_code="U2", unit_name="县交通局", kind="结对单位", people=["unit-wu"], org_codes=["V002"])
    case.run(open_case().model_copy(update={"pairings": [pairing, liaison, other]}), T0)
    measures = [
        MeasureInput(
            id="M1", description="村部改造", problems=["P1", "P2", "P3"], responsible="bs-1",
            partners=["unit-li", "liaison-zhao", "unit-li", "bs-1"], deadline=date(2026, 3, 31),
        )
    ]
    case.run(plan(measures=measures), T0 + DAY)
    case.run(approve(), T0 + 2 * DAY)
    return case


def test_partners_are_kept_once_and_the_pairings_recorded_at_opening() -> None:
    case = partnered()
    (m,) = case.state.measures
    assert m.partners == ["unit-li", "liaison-zhao"]  # once each, the responsible person not repeated
    assert [p.unit_code for p in case.state.pairings] == ["U1", "L1"]  # only the units paired with this organization


@pytest.mark.parametrize("partners", [["unit-wu"], ["someone"], ["unit-li", "wang.sup"]])
def test_a_partner_must_be_of_the_organizations_pairing_units(partners: list[str]) -> None:
    """A plan cannot hand report rights to anyone it names: only people of the units paired with this
    organization (unit-wu's unit pairs with V002 only)."""
    other = Case(policy=classic_policy())
    pairing = Pairing(unit_code="U1", unit_name="县住建局", kind="结对单位", people=["unit-li"], org_codes=["V001"])
    other.run(open_case().model_copy(update={"pairings": [pairing]}), T0)
    measure = MeasureInput(
        id="M1", description="村部改造", problems=["P1", "P2", "P3"], responsible="bs-1", partners=partners, deadline=date(2026, 3, 31)
    )
    with pytest.raises(InvalidCommand, match="partners: .* not of this organization's pairing units"):
        other.attempt(plan(measures=[measure]), T0 + DAY)


def test_partners_are_told_with_the_responsible_person() -> None:
    case = partnered()
    (m,) = case.state.measures
    events = case.tick(m.deadline - 7 * DAY + timedelta(minutes=1))
    reminder = next(e for e in events if e.type == "ReminderSent")
    assert reminder.recipients[:3] == ["bs-1", "unit-li", "liaison-zhao"]  # type: ignore[union-attr]


def test_partners_may_report_and_complete_and_see_the_case() -> None:
    case = partnered()
    assert may_report(case.state, PARTNER, "M1", case.policy) and may_see_case(PARTNER, case.state)
    case.run(complete("M1", by=LIAISON), T0 + 5 * DAY)
    assert case.state.measures[0].completed_by == "liaison-zhao"
    # a partner who reported cannot accept the cycle (separation of duties, as for the responsible person)
    case.run(self_check(), T0 + 6 * DAY)
    with pytest.raises(SeparationOfDuties):
        case.attempt(acceptance(90, by=LIAISON), T0 + 7 * DAY)


def test_a_partner_cannot_decide_the_sanction_of_their_own_measure() -> None:
    ladder = [EscalationStep(rung=Rung.REMINDER_TALK, after="7d", proposal=True)]
    case = partnered(classic_policy(escalation_ladder=ladder))
    (m,) = case.state.measures
    case.tick(m.deadline + 8 * DAY)  # the 7d rung, as a proposal
    pending = case.state.pending_proposals()
    decide = DecideSanction(actor=LIAISON, proposal_id=pending[0].proposal_id, decision=SanctionDecision.DISMISSED)
    with pytest.raises(SeparationOfDuties, match="liaison-zhao is responsible for measure M1"):
        case.attempt(decide, m.deadline + 9 * DAY)
