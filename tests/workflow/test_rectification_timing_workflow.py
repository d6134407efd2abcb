"""Calendar-aware timing on the time-skipping server (issue 4): calendar facts fetched through the
activity and kept in state, pause/resume and extension moving timers, and the full escalation ladder
with one sanction approved, one dismissed and one lapsing to the next rung."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.policy import EscalationStep, Policy, Recipient, Rung
from domain.rectification import (
    DecideSanction,
    ExtendDeadline,
    PauseMeasures,
    ResumeMeasures,
    SanctionDecision,
)
from domain.timeutil import local
from domain.workcal import CalendarFacts, WorkCalendar, WorkingHours
from tests.workflow.scenario import (
    BRANCH,
    COUNTY,
    FIRST_SEC,
    SUPERVISOR,
    approve,
    complete,
    measure,
    plan,
)

DAY = timedelta(days=1)

# Calendar time (d) so virtual-time arithmetic stays readable; working_time still applies.
LADDER_POLICY = Policy(
    version="ladder-1",
    supervisors=["sup-zhang"],
    superiors={"*": ["ts-li"]},
    reminder_leads=["5wd", "1wd"],
    escalation_ladder=[
        EscalationStep(rung=Rung.REMINDER, after="1wd", notify=[Recipient.RESPONSIBLE]),
        EscalationStep(rung=Rung.REMINDER_TALK, after="3wd"),
        EscalationStep(rung=Rung.SUPERVISION_NOTICE, after="5wd", notify=[Recipient.LEADERS, Recipient.SUPERIOR]),
        EscalationStep(rung=Rung.ADMONISHMENT_TALK, after="10wd", proposal=True, decide_within="3wd"),
        EscalationStep(rung=Rung.PERSONNEL_ADJUSTMENT, after="30wd", proposal=True, decide_within="5wd"),
    ],
)


async def test_full_ladder_with_approved_dismissed_and_lapsed_sanctions(cases) -> None:
    case = cases()
    case.policy = LADDER_POLICY
    await case.start()
    t0 = await case.now()
    # M1 (resp-a) and M2 (resp-b), both due in 20 days; nobody completes them.
    due = t0 + 20 * DAY
    await case.cmd(plan(measure("M1", ["P1"], due, "resp-a"), measure("M2", ["P2"], due, "resp-b")))
    await case.cmd(approve())
    await case.settle()
    facts = await case.handle.query("calendar", result_type=CalendarFacts)
    assert facts.years, "calendar facts fetched through the activity and kept in the workflow"
    cal = WorkCalendar(facts)
    hours = LADDER_POLICY.working_hours

    # Past the admonishment rung (10wd after the deadline, about two weeks): both proposals pending.
    await case.advance_to(due + 16 * DAY)
    proposals = {p["measure_id"]: p for p in case.events("SanctionProposed")}
    assert set(proposals) == {"M1", "M2"} and all(p["rung"] == "admonishment_talk" for p in proposals.values())
    # M1's is approved, M2's dismissed; the responsible person may not decide their own.
    from domain.actors import Actor, Role

    own = Actor(id="resp-a", roles=[Role.SUPERVISOR])
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await case.cmd(DecideSanction(actor=own, measure_id="M1", rung=Rung.ADMONISHMENT_TALK, decision=SanctionDecision.DISMISSED))
    assert "cannot decide its sanction" in str(caught.value.cause)
    pid = proposals["M1"]["proposal_id"]
    await case.cmd(DecideSanction(actor=SUPERVISOR, proposal_id=pid, decision=SanctionDecision.APPROVED, comment="同意诫勉"))
    await case.cmd(
        DecideSanction(
            actor=COUNTY, measure_id="M2", rung=Rung.ADMONISHMENT_TALK, decision=SanctionDecision.DISMISSED, comment="已说明原因"
        )
    )
    decided = {e["measure_id"]: e["decision"] for e in case.events("SanctionDecided")}
    assert decided == {"M1": "approved", "M2": "dismissed"}

    # The personnel-adjustment proposal (30wd) is left undecided: it lapses after 5wd; no rung follows.
    await case.advance_to(due + 60 * DAY)
    lapsed = case.events("SanctionLapsed")
    assert {e["rung"] for e in lapsed} == {"personnel_adjustment"} and all(e["next_rung"] is None for e in lapsed)
    # Every rung fired once per measure, in order, at working moments.
    for mid in ("M1", "M2"):
        fired = [e["rung"] for e in case.events("EscalationRaised", measure_id=mid)] + [
            e["rung"] for e in case.events("SanctionProposed", measure_id=mid)
        ]
        assert fired == ["reminder", "reminder_talk", "supervision_notice", "admonishment_talk", "personnel_adjustment"]
    timed = [
        e for t in ("ReminderSent", "MeasureOverdue", "EscalationRaised", "SanctionProposed", "SanctionLapsed") for e in case.events(t)
    ]
    assert all(cal.is_working_time(datetime.fromisoformat(e["at"]), hours) for e in timed)
    assert all(e.get("calendar") for e in timed)
    state = await case.state()
    assert [p.status.value for p in state.proposals].count("lapsed") == 2


async def test_a_lapsed_proposal_brings_the_next_rung_forward(cases) -> None:
    case = cases()
    case.policy = LADDER_POLICY
    await case.start()
    t0 = await case.now()
    due = t0 + 10 * DAY
    await case.cmd(plan(measure("M1", ["P1", "P2"], due, "resp-a")))
    await case.cmd(approve())
    # Admonishment at 10wd; undecided for 3wd → lapses (13wd after the deadline: 17–19 days); personnel
    # adjustment (30wd) fires early, and would lapse 5wd later (18wd: 24 days at the earliest, exactly 24
    # from a Monday — where a few seconds of the test server's clock decided whether it had lapsed).
    await case.advance_to(due + 21 * DAY)
    [lapse] = case.events("SanctionLapsed")
    assert lapse["rung"] == "admonishment_talk" and lapse["next_rung"] == "personnel_adjustment"
    [early] = case.events("SanctionProposed", rung="personnel_adjustment")
    assert early["early"] is True and early["at"] == lapse["at"]


async def test_pause_resume_and_extension_move_the_timers(cases) -> None:
    case = cases()
    case.policy = LADDER_POLICY
    await case.start()
    t0 = await case.now()
    due = t0 + 30 * DAY
    await case.cmd(plan(measure("M1", ["P1"], due, "resp-a"), measure("M2", ["P2"], due, "resp-b")))
    await case.cmd(approve())
    await case.advance(2 * DAY)
    paused = await case.cmd(PauseMeasures(actor=SUPERVISOR, reason="村“两委”换届", requested_by="ts-li"))
    assert paused.events == ["MeasuresPaused"]
    # A month passes: nothing fires for the paused measures.
    await case.advance(60 * DAY)
    assert not case.events("MeasureOverdue") and not case.events("EscalationRaised")
    before = {m.id: m.deadline for m in (await case.state()).measures}
    resumed = await case.cmd(ResumeMeasures(actor=COUNTY, note="换届完成"))
    assert resumed.events == ["MeasuresResumed"]
    [event] = case.events("MeasuresResumed")
    facts = await case.handle.query("calendar", result_type=CalendarFacts)
    cal = WorkCalendar(facts)
    for shift in event["shifts"]:
        old, new = datetime.fromisoformat(shift["old_deadline"]), datetime.fromisoformat(shift["new_deadline"])
        assert old == before[shift["measure_id"]]
        assert shift["working_days"] == cal.working_days_between(
            local(datetime.fromisoformat(shift["paused_since"])).date(), local(datetime.fromisoformat(event["at"])).date()
        )
        # The new deadline is the n-th working day after the old one (the old one may itself fall on a
        # day off: this session's virtual clock starts wherever earlier tests left it).
        assert cal.add_working_days(local(old).date(), shift["working_days"]) == local(new).date()
        assert shift["working_days"] > 30
    # Extend M2 by 10 working days; refused when the approver asked for it himself.
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await case.cmd(ExtendDeadline(actor=SUPERVISOR, measure_id="M2", by="10wd", reason="工程延误", requested_by="sup-zhang"))
    assert "cannot approve" in str(caught.value.cause)
    await case.cmd(ExtendDeadline(actor=SUPERVISOR, measure_id="M2", by="10wd", reason="工程延误", requested_by="resp-b"))
    state = await case.state()
    m1, m2 = state.measure("M1"), state.measure("M2")
    assert m1 and m2 and cal.working_days_between(local(m1.deadline).date(), local(m2.deadline).date()) == 10
    # M1 falls overdue at its moved deadline, M2 ten working days later.
    # (the virtual clock starts wherever earlier tests left it: a deadline at night or before a weekend
    # is only marked overdue at the next working moment)
    await case.advance_to(cal.next_working_moment(m2.deadline, WorkingHours()) + DAY)
    overdue = {e["measure_id"]: datetime.fromisoformat(e["at"]) for e in case.events("MeasureOverdue")}
    assert overdue["M1"] >= m1.deadline and overdue["M2"] >= m2.deadline
    await case.cmd(complete("M1", actor=BRANCH))
    await case.cmd(complete("M2", actor=FIRST_SEC))

