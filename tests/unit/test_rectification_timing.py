"""Calendar-aware timing of a rectification case (issue 4): working-day budgets, reminders only at
working moments, pause and resume, deadline extension — with real chinese-calendar facts for 2026
(National Day 国庆 2026-10-01..07 with 调休 make-up workdays 2026-09-20 and 2026-10-10)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities.calendar import facts_for_years
from domain.errors import (
    InvalidCommand,
    NotAllowedInStage,
    PermissionDenied,
    SeparationOfDuties,
)
from domain.policy import Policy
from domain.rectification import (
    DeadlineExtended,
    EscalationRaised,
    ExtendDeadline,
    MeasureInput,
    MeasureOverdue,
    MeasuresPaused,
    MeasuresResumed,
    PauseMeasures,
    ReminderSent,
    ResumeMeasures,
    next_wakeup,
    overdue_moment,
    reminder_moment,
    rung_moment,
)
from domain.timeutil import SHANGHAI, local
from domain.workcal import WorkCalendar

from .builders import (
    Case,
    approve,
    branch_secretary,
    county_leader,
    implementing,
    open_case,
    plan,
    supervisor,
)

UTC = UTC
CAL = WorkCalendar(facts_for_years([2025, 2026, 2027], None))
POLICY = Policy(supervisors=["sup-1"], superiors={"*": ["ts-1"]})  # the defaults: 5wd/1wd, five rungs
HOURS = POLICY.working_hours


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


OPENED_AT = bj(2026, 8, 3, 10)


def case_due(deadline: date | datetime, opened_at: datetime = OPENED_AT, policy: Policy = POLICY) -> Case:
    """An implementing case: M1 (bs-1) and M2 (fs-1) both due at ``deadline``."""
    return implementing(policy, opened_at, CAL, deadline=deadline)


def run_until(case: Case, end: datetime, start: datetime | None = None) -> list:
    """Drive the case the way the workflow does: tick at every next_wakeup (or at once, when it is
    already past) until ``end``."""
    fired = []
    cursor = start or case.events[-1].at
    while (wake := next_wakeup(case.state, case.ctx(), catch_up=False)) is not None and max(wake, cursor) <= end:
        cursor = max(wake, cursor)
        new = case.tick(cursor)
        assert new, f"woke at {cursor} for nothing"
        fired += new
    return fired


# ------------------------------------------------------------------ budgets


def test_a_working_day_budget_counts_from_the_submission_day_over_the_holiday() -> None:
    case = Case(policy=POLICY, calendar=CAL)
    case.run(open_case(), bj(2026, 9, 28, 10))
    m = MeasureInput(id="M1", description="x", problems=["P1", "P2", "P3"], responsible="bs-1", budget="5wd")
    [submitted] = case.run(plan(measures=[m]), bj(2026, 9, 29, 15))  # Tue 29 Sep
    # 30 Sep (1), National Day 1–7 Oct off, 8, 9 (3), Sat 10 Oct 调休 (4), Mon 12 Oct (5) at 18:00.
    assert submitted.measures[0].deadline == bj(2026, 10, 12, 18)
    assert submitted.measures[0].budget == "5wd"
    assert "2026:chinese_calendar" in (submitted.calendar or "")


def test_a_measure_gives_a_deadline_or_a_budget_not_both() -> None:
    with pytest.raises(ValueError, match="either deadline"):
        MeasureInput(id="M1", description="x", problems=["P1"], responsible="bs-1", budget="5wd", deadline=date(2026, 9, 1))
    with pytest.raises(ValueError, match="either deadline"):
        MeasureInput(id="M1", description="x", problems=["P1"], responsible="bs-1")


# ------------------------------------------------------------------ reminders at working moments


def test_reminders_skip_the_national_day_holiday() -> None:
    case = case_due(date(2026, 10, 9))  # Fri 9 Oct 18:00, just after the holiday
    fired = run_until(case, bj(2026, 10, 9, 18))
    reminders = [e for e in fired if isinstance(e, ReminderSent) and e.measure_id == "M1"]
    # 5wd before Fri 9 Oct: 8 Oct, (1–7 Oct off) 30, 29, 28 Sep, (27 Sun, 26 Sat, 25 中秋 off) 24 Sep.
    assert [e.lead for e in reminders] == ["5wd", "1wd"]
    assert local(reminders[0].at) == datetime(2026, 9, 24, 18, 0, tzinfo=SHANGHAI)
    assert local(reminders[1].at) == datetime(2026, 10, 8, 18, 0, tzinfo=SHANGHAI)
    assert all(CAL.is_working_time(e.at, HOURS) for e in fired)


def test_a_reminder_due_at_night_waits_for_the_morning() -> None:
    policy = POLICY.model_copy(update={"reminder_leads": ["12h"]})
    case = case_due(bj(2026, 9, 16, 10), policy=policy)  # due Wed 10:00; 12h ahead is Tue 22:00
    [reminder] = [e for e in run_until(case, bj(2026, 9, 16, 10)) if isinstance(e, ReminderSent) and e.measure_id == "M1"]
    assert reminder.at == bj(2026, 9, 16, 9)


def test_overdue_and_rungs_wait_for_working_time_and_record_the_calendar() -> None:
    case = case_due(date(2026, 9, 30))  # Wed 30 Sep 18:00, the last workday before the holiday
    fired = run_until(case, bj(2026, 11, 30, 18))
    overdue = [e for e in fired if isinstance(e, MeasureOverdue) and e.measure_id == "M1"]
    assert [e.at for e in overdue] == [bj(2026, 9, 30, 18)]
    rungs = [e for e in fired if isinstance(e, EscalationRaised) and e.measure_id == "M1"]
    # 1wd after 30 Sep is Thu 8 Oct (1–7 off); 5wd: 8, 9, 10 (调休), 12, 13 → 13 Oct.
    assert [(e.rung.value, local(e.at).date()) for e in rungs[:2]] == [
        ("reminder", date(2026, 10, 8)),
        ("reminder_talk", date(2026, 10, 13)),
    ]
    assert all(CAL.is_working_time(e.at, HOURS) for e in fired)
    assert all("2026:chinese_calendar" in (e.calendar or "") for e in overdue + rungs)


_MOMENTS = st.datetimes(min_value=datetime(2026, 1, 20), max_value=datetime(2026, 12, 20), timezones=st.just(SHANGHAI))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deadline=_MOMENTS, leads=st.sets(st.sampled_from(["1wd", "2wd", "5wd", "1d", "3d", "12h", "3h", "30m"]), min_size=1, max_size=4))
def test_reminders_never_on_a_holiday_a_weekend_day_off_or_at_night(deadline: datetime, leads: set[str]) -> None:
    policy = POLICY.model_copy(update={"reminder_leads": sorted(leads)})
    opened_at = bj(2026, 1, 2, 9)
    case = case_due(deadline.astimezone(UTC), opened_at=opened_at, policy=policy)
    fired = run_until(case, deadline.astimezone(UTC) + timedelta(days=120))
    for event in fired:
        day = local(event.at).date()
        assert CAL.is_workday(day), f"{event.type} on {day}, a day off"
        assert time(9) <= local(event.at).time() <= time(18), f"{event.type} at {local(event.at)}"
    sent = [lead for e in fired if isinstance(e, ReminderSent) for lead in e.covers if e.measure_id == "M1"]
    assert len(sent) == len(set(sent))  # each lead once


# ------------------------------------------------------------------ pause and resume


def test_a_pause_across_national_day_moves_every_due_date_by_the_paused_working_days() -> None:
    case = case_due(date(2026, 10, 30))
    before = case.state.measure("M1")
    assert before is not None
    leads = {lead: reminder_moment(before, lead, POLICY, CAL) for lead in POLICY.sorted_leads()}
    rungs = {s.rung: rung_moment(before, s, POLICY, CAL) for s in POLICY.escalation_ladder}
    overdue = overdue_moment(before, POLICY, CAL)

    sup = supervisor()
    [paused] = case.run(PauseMeasures(actor=sup, reason="村“两委”换届", requested_by="ts-1"), bj(2026, 9, 15, 10))
    assert isinstance(paused, MeasuresPaused) and paused.whole_case and paused.measure_ids == ["M1", "M2"]
    assert case.state.case_paused
    # Paused: nothing fires, however long it lasts.
    assert next_wakeup(case.state, case.ctx(), catch_up=False) is None
    assert case.tick(bj(2026, 12, 31, 10)) == []

    [resumed] = case.run(ResumeMeasures(actor=sup, note="换届完成"), bj(2026, 10, 15, 10))
    assert isinstance(resumed, MeasuresResumed)
    paused_days = CAL.working_days_between(date(2026, 9, 15), date(2026, 10, 15))
    assert paused_days == 18  # 调休 20 Sep and 10 Oct count; 25 Sep and 1–7 Oct do not
    assert {s.working_days for s in resumed.shifts} == {paused_days}
    after = case.state.measure("M1")
    assert after is not None and not after.paused
    def moved(old: datetime, new: datetime) -> int:
        return CAL.working_days_between(local(old).date(), local(new).date())

    assert moved(before.deadline, after.deadline) == paused_days
    assert moved(overdue, overdue_moment(after, POLICY, CAL)) == paused_days
    for lead, old in leads.items():
        assert moved(old, reminder_moment(after, lead, POLICY, CAL)) == paused_days
    for step in POLICY.escalation_ladder:
        assert moved(rungs[step.rung], rung_moment(after, step, POLICY, CAL)) == paused_days
    assert after.changes[0].kind == "pause" and after.changes[0].working_days == paused_days
    assert not case.state.case_paused


def test_pausing_one_measure_leaves_the_other_running() -> None:
    case = case_due(date(2026, 11, 2))
    case.run(PauseMeasures(actor=county_leader(), measure_ids=["M2"], reason="换届", requested_by="fs-1"), bj(2026, 10, 12, 10))
    fired = run_until(case, bj(2026, 11, 3, 18))
    assert {e.measure_id for e in fired} == {"M1"}


def test_pause_and_extension_need_an_approver_who_did_not_ask() -> None:
    case = case_due(date(2026, 11, 2))
    with pytest.raises(PermissionDenied):
        case.attempt(PauseMeasures(actor=branch_secretary(), reason="换届", requested_by="ts-1"), bj(2026, 9, 1, 10))
    with pytest.raises(SeparationOfDuties):
        case.attempt(PauseMeasures(actor=supervisor(), reason="换届", requested_by="sup-1"), bj(2026, 9, 1, 10))
    with pytest.raises(NotAllowedInStage):
        case.attempt(ResumeMeasures(actor=supervisor()), bj(2026, 9, 1, 10))


# ------------------------------------------------------------------ extension


def test_an_extension_rearms_reminders_and_keeps_fired_rungs() -> None:
    case = case_due(date(2026, 9, 1))
    fired = run_until(case, bj(2026, 9, 10, 18))
    m = case.state.measure("M1")
    assert m is not None and m.overdue and m.escalated == ["reminder", "reminder_talk"] and m.reminded == ["5wd", "1wd"]
    assert any(isinstance(e, EscalationRaised) for e in fired)
    [extended] = case.run(
        ExtendDeadline(actor=supervisor(), measure_id="M1", by="15wd", reason="需上级审批", requested_by="bs-1"), bj(2026, 9, 11, 10)
    )
    assert isinstance(extended, DeadlineExtended) and extended.old_deadline == bj(2026, 9, 1, 18)
    assert extended.new_deadline == bj(2026, 9, 21, 18)  # 15 working days, counting Sunday 20 Sep (调休)
    m = case.state.measure("M1")
    assert m is not None and not m.overdue and m.reminded == [] and m.escalated == ["reminder", "reminder_talk"]
    later = [e for e in run_until(case, bj(2026, 10, 30, 18)) if getattr(e, "measure_id", None) == "M1"]
    kinds = [(e.type, getattr(e, "lead", None) or getattr(e, "rung", None)) for e in later]
    assert ("ReminderSent", "5wd") in kinds and ("MeasureOverdue", None) in kinds
    assert ("EscalationRaised", "reminder") not in kinds  # fired once, stays fired
    assert ("EscalationRaised", "supervision_notice") in kinds


def test_an_extension_must_move_the_deadline_later() -> None:
    case = case_due(date(2026, 9, 30))
    with pytest.raises(InvalidCommand, match="not later"):
        case.attempt(ExtendDeadline(actor=supervisor(), measure_id="M1", to=date(2026, 9, 29), reason="x"), bj(2026, 9, 1, 10))
    with pytest.raises(ValueError, match="either to"):
        ExtendDeadline(actor=supervisor(), measure_id="M1", reason="x")
    [e] = case.attempt(ExtendDeadline(actor=supervisor(), measure_id="M1", to=date(2026, 10, 20), reason="x"), bj(2026, 9, 1, 10))
    assert e.new_deadline == bj(2026, 10, 20, 18)


def test_reminders_for_a_plan_approved_on_a_make_up_saturday() -> None:
    case = Case(policy=POLICY, calendar=CAL)
    case.run(open_case(), bj(2026, 10, 9, 10))
    case.run(plan(deadline=date(2026, 10, 12)), bj(2026, 10, 10, 9, 30))  # Sat 10 Oct, 调休 workday
    fired = case.run(approve(), bj(2026, 10, 10, 10))
    assert fired and all(not isinstance(e, ReminderSent) for e in fired)
    reminders = [e for e in run_until(case, bj(2026, 10, 12, 18)) if isinstance(e, ReminderSent)]
    # 5wd ahead was 30 Sep, already past: sent at once on the 调休 Saturday; 1wd ahead is that same
    # Saturday at 18:00 (a workday), so it goes then — not on Sunday, not after the weekend.
    assert [(local(e.at), e.lead) for e in reminders if e.measure_id == "M1"] == [
        (datetime(2026, 10, 10, 10, tzinfo=SHANGHAI), "5wd"),
        (datetime(2026, 10, 10, 18, tzinfo=SHANGHAI), "1wd"),
    ]
