"""Timers through Tick: reminders, overdue notices, escalation ladder, end of consolidation, next_wakeup."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from domain.policy import EscalationStep, Recipient, Rung
from domain.rectification import (
    ConsolidationEnded,
    EscalationRaised,
    MeasureOverdue,
    ReminderSent,
    Stage,
    next_wakeup,
)
from domain.timeutil import parse_duration

from .builders import (
    T0,
    Case,
    acceptance,
    approve,
    at,
    branch_secretary,
    checking,
    classic_policy,
    close,
    complete,
    consolidating,
    county_leader,
    first_secretary,
    follow_up,
    implementing,
    measure,
    open_case,
    opened,
    plan,
    self_check,
    supervisor,
    tick,
)

SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
DUE = at(2026, 6, 30, 10, 0)  # the default plan's deadline: 2026-06-30 18:00 Beijing


def notices(events) -> list[tuple]:
    out = []
    for e in events:
        if isinstance(e, ReminderSent):
            out.append(("reminder", e.measure_id, e.lead, tuple(e.covers)))
        elif isinstance(e, MeasureOverdue):
            out.append(("overdue", e.measure_id))
        elif isinstance(e, EscalationRaised):
            out.append(("escalation", e.measure_id, e.rung.value, e.overdue_for))
        elif isinstance(e, ConsolidationEnded):
            out.append(("consolidation_ended",))
        else:
            out.append((e.type,))
    return out


# --------------------------------------------------------------------------- reminders


def test_each_reminder_lead_fires_once_at_deadline_minus_lead() -> None:
    case = implementing()
    for lead, name in [(timedelta(days=7), "7d"), (timedelta(days=1), "1d")]:
        assert case.tick(DUE - lead - SECOND) == []
        fired = case.tick(DUE - lead)
        assert notices(fired) == [("reminder", "M1", name, (name,)), ("reminder", "M2", name, (name,))]
        assert [e.recipients for e in fired] == [["bs-1"], ["fs-1"]]
        assert all(e.deadline == DUE and e.at == DUE - lead for e in fired)
        assert case.tick(DUE - lead) == []
        assert case.tick(DUE - lead + timedelta(hours=1)) == []
    assert case.state.measure("M1").reminded == ["7d", "1d"]
    assert case.tick(DUE - SECOND) == []
    assert len(case.of_type("ReminderSent")) == 4


def test_a_late_tick_sends_one_reminder_covering_the_missed_leads() -> None:
    case = implementing()
    # nobody ticked for weeks: both leads are due at once, only the nearest is sent
    fired = case.tick(DUE - timedelta(hours=2))
    assert notices(fired) == [("reminder", "M1", "1d", ("7d", "1d")), ("reminder", "M2", "1d", ("7d", "1d"))]
    assert case.tick(DUE - timedelta(hours=1)) == []
    assert case.state.measure("M2").reminded == ["7d", "1d"]


def test_plan_approved_after_both_leads_passed_sends_a_single_reminder() -> None:
    case = opened()
    case.run(plan(deadline=at(2026, 1, 10, 0, 0)), T0 + timedelta(hours=1))
    approved_at = at(2026, 1, 9, 12, 0)  # 12 h before the deadline: 7d and 1d have both passed
    case.run(approve(), approved_at)
    assert next_wakeup(case.state, case.ctx(), catch_up=False) <= approved_at  # due now
    fired = case.tick(approved_at)
    assert notices(fired) == [("reminder", "M1", "1d", ("7d", "1d")), ("reminder", "M2", "1d", ("7d", "1d"))]
    assert next_wakeup(case.state, case.ctx(), catch_up=False) == at(2026, 1, 10, 0, 0)
    assert case.tick(at(2026, 1, 9, 23, 59)) == []
    assert notices(case.tick(at(2026, 1, 10, 0, 0))) == [("overdue", "M1"), ("overdue", "M2")]
    assert len(case.of_type("ReminderSent")) == 2


def test_plan_approved_after_only_the_longer_lead_passed() -> None:
    case = opened()
    case.run(plan(deadline=at(2026, 1, 20, 0, 0)), T0 + timedelta(hours=1))
    case.run(approve(), at(2026, 1, 16, 0, 0))  # 4 days out: the 7d lead has passed, 1d has not
    fired = case.tick(at(2026, 1, 16, 0, 0))
    assert notices(fired) == [("reminder", "M1", "7d", ("7d",)), ("reminder", "M2", "7d", ("7d",))]
    assert case.tick(at(2026, 1, 19, 0, 0) - SECOND) == []
    assert [e.lead for e in case.tick(at(2026, 1, 19, 0, 0))] == ["1d", "1d"]


def test_custom_reminder_leads_each_fire_once() -> None:
    policy = classic_policy(reminder_leads=["1h", "3d", "12h"])  # order in the file does not matter
    case = implementing(policy)
    fired = []
    for moment in [DUE - timedelta(days=3), DUE - timedelta(hours=12), DUE - timedelta(hours=1)]:
        assert case.tick(moment - SECOND) == []
        fired += case.tick(moment)
        assert case.tick(moment) == []
    assert [(e.measure_id, e.lead) for e in fired] == [
        ("M1", "3d"),
        ("M2", "3d"),
        ("M1", "12h"),
        ("M2", "12h"),
        ("M1", "1h"),
        ("M2", "1h"),
    ]


def test_completed_measures_get_no_notices() -> None:
    case = implementing()
    case.run(complete("M1"), DUE - 10 * DAY)
    fired = case.tick(DUE - 7 * DAY) + case.tick(DUE) + case.tick(DUE + 30 * DAY)
    assert {e.measure_id for e in fired} == {"M2"}


# --------------------------------------------------------------------------- overdue and escalation


def test_overdue_fires_once_at_the_deadline() -> None:
    case = implementing()
    case.tick(DUE - 7 * DAY)
    case.tick(DUE - DAY)
    assert case.tick(DUE - SECOND) == []
    fired = case.tick(DUE)
    assert notices(fired) == [("overdue", "M1"), ("overdue", "M2")]
    assert fired[0].recipients == ["bs-1", "cl-1"]  # responsible + liaison leaders
    assert case.state.overdue and case.state.measure("M1").overdue
    assert case.tick(DUE) == []
    assert case.tick(DUE + DAY) == []


def test_escalation_ladder_rungs_fire_once_each() -> None:
    policy = classic_policy(supervisors=["sup-1", "sup-2"])
    case = implementing(policy)
    case.tick(DUE)
    assert case.tick(DUE + 7 * DAY - SECOND) == []
    first = case.tick(DUE + 7 * DAY)
    assert notices(first) == [
        ("escalation", "M1", "reminder_talk", "7d"),
        ("escalation", "M2", "reminder_talk", "7d"),
    ]
    assert first[0].recipients == ["bs-1", "cl-1"]
    assert case.tick(DUE + 7 * DAY) == []
    assert case.tick(DUE + 21 * DAY - SECOND) == []
    second = case.tick(DUE + 21 * DAY)
    assert notices(second) == [
        ("escalation", "M1", "supervision_notice", "21d"),
        ("escalation", "M2", "supervision_notice", "21d"),
    ]
    assert second[1].recipients == ["fs-1", "cl-1", "sup-1", "sup-2"]
    assert case.tick(DUE + 400 * DAY) == []
    assert case.state.measure("M1").escalated == [Rung.REMINDER_TALK, Rung.SUPERVISION_NOTICE]
    assert next_wakeup(case.state, case.ctx(), catch_up=False) is None


def test_a_late_tick_raises_overdue_and_every_due_rung_together() -> None:
    case = implementing()
    fired = case.tick(DUE + 30 * DAY)
    assert notices(fired) == [
        ("overdue", "M1"),
        ("escalation", "M1", "reminder_talk", "7d"),
        ("escalation", "M1", "supervision_notice", "21d"),
        ("overdue", "M2"),
        ("escalation", "M2", "reminder_talk", "7d"),
        ("escalation", "M2", "supervision_notice", "21d"),
    ]
    assert case.tick(DUE + 30 * DAY) == []


def test_a_longer_configured_ladder() -> None:
    ladder = [
        EscalationStep(rung=Rung.REMINDER, after="0d"),
        EscalationStep(rung=Rung.REMINDER_TALK, after="3d"),
        EscalationStep(rung=Rung.SUPERVISION_NOTICE, after="14d", notify=[Recipient.SUPERVISORS]),
        # Plain rungs here (no proposals): tests/unit/test_rectification_ladder.py covers sanctions.
        EscalationStep(rung=Rung.ADMONISHMENT_TALK, after="30d", notify=[Recipient.LEADERS], proposal=False),
        EscalationStep(rung=Rung.PERSONNEL_ADJUSTMENT, after="60d", notify=[Recipient.SUPERVISORS], proposal=False),
    ]
    policy = classic_policy(escalation_ladder=ladder, supervisors=["sup-1"], reminder_leads=[])
    case = implementing(policy)
    case.run(complete("M2", first_secretary()), T0 + 10 * DAY)
    assert next_wakeup(case.state, case.ctx(), catch_up=False) == DUE
    assert notices(case.tick(DUE)) == [("overdue", "M1"), ("escalation", "M1", "reminder", "0d")]
    seen = []
    for step in ladder[1:]:
        assert case.tick(DUE + parse_duration(step.after) - SECOND) == []
        [event] = case.tick(DUE + parse_duration(step.after))
        seen.append((event.rung, event.overdue_for, event.recipients))
    assert seen == [
        (Rung.REMINDER_TALK, "3d", ["bs-1", "cl-1"]),
        (Rung.SUPERVISION_NOTICE, "14d", ["sup-1"]),
        (Rung.ADMONISHMENT_TALK, "30d", ["cl-1"]),
        (Rung.PERSONNEL_ADJUSTMENT, "60d", ["sup-1"]),
    ]


def test_completing_an_overdue_measure_stops_its_escalation() -> None:
    case = implementing()
    case.tick(DUE)
    case.run(complete("M1"), DUE + DAY)
    assert {e.measure_id for e in case.tick(DUE + 30 * DAY)} == {"M2"}


def test_rework_restarts_the_timers_on_the_new_deadline() -> None:
    case = implementing()
    case.tick(DUE + 30 * DAY)  # everything overdue and escalated
    case.run(complete("M1"), DUE + 31 * DAY)
    case.run(complete("M2", first_secretary()), DUE + 31 * DAY)
    case.run(self_check(), DUE + 32 * DAY)
    failed_at = DUE + 40 * DAY
    _, rework = case.run(acceptance(10), failed_at)
    new_due = failed_at + timedelta(days=90)
    assert rework.deadline == new_due
    m1 = case.state.measure("M1")
    assert (m1.reminded, m1.overdue, m1.escalated, m1.deadline) == ([], False, [], new_due)
    assert next_wakeup(case.state, case.ctx(), catch_up=False) == new_due - 7 * DAY
    assert [e.lead for e in case.tick(new_due - 7 * DAY)] == ["7d", "7d"]
    assert [e.type for e in case.tick(new_due)] == ["MeasureOverdue", "MeasureOverdue"]


# --------------------------------------------------------------------------- other stages, consolidation


def test_ticks_outside_implementation_and_consolidation_say_nothing() -> None:
    case = Case()
    assert case.tick(T0) == []
    case.run(open_case(), T0)
    assert case.attempt(tick(), T0 + 400 * DAY) == [] and next_wakeup(case.state, case.ctx(), catch_up=False) is None
    case.run(plan(), T0 + DAY)
    assert case.tick(T0 + 2000 * DAY) == [] and next_wakeup(case.state, case.ctx(), catch_up=False) is None
    chk = checking()
    assert chk.tick(DUE + 400 * DAY) == [] and next_wakeup(chk.state, chk.ctx(), catch_up=False) is None


def test_consolidation_ends_once_at_consolidation_until() -> None:
    policy = classic_policy(supervisors=["sup-1"])
    case = consolidating(policy)
    until = case.state.consolidation_until
    assert until == T0 + 40 * DAY + timedelta(days=365)
    assert next_wakeup(case.state, case.ctx(), catch_up=False) == until
    assert case.tick(until - SECOND) == []
    [ended] = case.tick(until)
    assert isinstance(ended, ConsolidationEnded) and ended.recipients == ["cl-1", "sup-1"]
    assert case.state.consolidation_ended and case.state.stage == Stage.CONSOLIDATING
    assert case.tick(until) == [] and case.tick(until + 100 * DAY) == []
    assert next_wakeup(case.state, case.ctx(), catch_up=False) is None
    case.run(follow_up(), until + DAY)
    case.run(close(), until + 2 * DAY)
    assert case.tick(until + 3 * DAY) == [] and next_wakeup(case.state, case.ctx(), catch_up=False) is None


def test_next_wakeup_follows_the_case() -> None:
    case = opened()
    assert next_wakeup(case.state, case.ctx(), catch_up=False) is None
    case.run(plan(), T0 + DAY)
    assert next_wakeup(case.state, case.ctx(), catch_up=False) is None
    case.run(approve(), T0 + 2 * DAY)
    assert next_wakeup(case.state, case.ctx(), catch_up=False) == DUE - 7 * DAY
    case.tick(DUE - 7 * DAY)
    assert next_wakeup(case.state, case.ctx(), catch_up=False) == DUE - DAY
    case.tick(DUE - DAY)
    assert next_wakeup(case.state, case.ctx(), catch_up=False) == DUE
    case.tick(DUE)
    assert next_wakeup(case.state, case.ctx(), catch_up=False) == DUE + 7 * DAY
    case.run(complete("M1"), DUE + DAY)
    case.run(complete("M2", first_secretary()), DUE + DAY)
    assert next_wakeup(case.state, case.ctx(), catch_up=False) is None


# --------------------------------------------------------------------------- a year and more, simulated


class Clock:
    """Drives a case: between scripted commands, Tick exactly when next_wakeup says."""

    def __init__(self, case: Case, start: datetime) -> None:
        self.case = case
        self.now = start
        self.log: list[tuple[datetime, tuple]] = []
        self.ticks = 0

    def advance(self, until: datetime) -> None:
        case = self.case
        while True:
            wake = next_wakeup(case.state, case.ctx(), catch_up=False)
            if wake is None or wake > until:
                break
            if wake > self.now:
                # nothing is due before the wake-up: not a second earlier, not half-way there
                assert case.attempt(tick(), wake - SECOND) == [], wake
                assert case.attempt(tick(), self.now + (wake - self.now) / 2) == []
            moment = max(wake, self.now)
            fired = case.tick(moment)
            self.ticks += 1
            assert fired, f"next_wakeup said {wake} but Tick at {moment} yielded nothing"
            assert case.attempt(tick(), moment) == []  # idempotent
            self.log.extend((moment, n) for n in notices(fired))
            self.now = moment
        if until > self.now:
            assert case.attempt(tick(), until) == []  # the next wake-up is later, or there is none
            self.now = until

    def run(self, when: datetime, command) -> list:
        self.advance(when)
        events = self.case.run(command, when)
        self.now = when
        return events


def test_simulated_year_of_timers() -> None:
    policy = classic_policy(supervisors=["sup-1"])
    case = Case(policy=policy)
    clock = Clock(case, T0)
    bs, fs, sup, leader = branch_secretary(), first_secretary(), supervisor(), county_leader()

    clock.run(T0, open_case())
    clock.run(
        T0 + DAY,
        plan(
            measures=[
                measure("M1", ["P1"], date(2026, 3, 31), responsible="bs-1"),
                measure("M2", ["P2"], at(2026, 4, 15, 1, 30), responsible="fs-1"),
                measure("M3", ["P3"], date(2026, 5, 20), responsible="bs-1"),
            ]
        ),
    )
    clock.run(T0 + 2 * DAY, approve())
    clock.run(at(2026, 3, 28), complete("M1", bs))
    clock.run(at(2026, 5, 20), complete("M2", fs))
    clock.run(at(2026, 5, 25), complete("M3", bs))
    clock.run(at(2026, 5, 26), self_check(fs))
    clock.run(at(2026, 6, 1, 2), acceptance(65, 0.2, sup))  # fails: rework until 2026-08-30T02:00Z
    clock.run(at(2026, 8, 29, 12), complete("M1", bs))
    clock.run(at(2026, 8, 29, 12), complete("M2", fs))
    clock.run(at(2026, 9, 10), complete("M3", bs))
    clock.run(at(2026, 9, 11), self_check(bs))
    clock.run(at(2026, 9, 15, 2), acceptance(80, 0.3, leader))  # passes: consolidation until 2027-09-15T02:00Z
    clock.run(at(2027, 3, 1), follow_up(False, by=sup))
    clock.run(at(2027, 9, 20), close(by=sup))
    clock.advance(at(2028, 1, 1))

    assert case.state.stage == Stage.CLOSED
    expected = [
        (at(2026, 3, 24, 10), ("reminder", "M1", "7d", ("7d",))),
        (at(2026, 4, 8, 1, 30), ("reminder", "M2", "7d", ("7d",))),
        (at(2026, 4, 14, 1, 30), ("reminder", "M2", "1d", ("1d",))),
        (at(2026, 4, 15, 1, 30), ("overdue", "M2")),
        (at(2026, 4, 22, 1, 30), ("escalation", "M2", "reminder_talk", "7d")),
        (at(2026, 5, 6, 1, 30), ("escalation", "M2", "supervision_notice", "21d")),
        (at(2026, 5, 13, 10), ("reminder", "M3", "7d", ("7d",))),
        (at(2026, 5, 19, 10), ("reminder", "M3", "1d", ("1d",))),
        (at(2026, 5, 20, 10), ("overdue", "M3")),
        # rework: every measure reopened with the deadline 2026-06-01T02:00Z + 90d
        (at(2026, 8, 23, 2), ("reminder", "M1", "7d", ("7d",))),
        (at(2026, 8, 23, 2), ("reminder", "M2", "7d", ("7d",))),
        (at(2026, 8, 23, 2), ("reminder", "M3", "7d", ("7d",))),
        (at(2026, 8, 29, 2), ("reminder", "M1", "1d", ("1d",))),
        (at(2026, 8, 29, 2), ("reminder", "M2", "1d", ("1d",))),
        (at(2026, 8, 29, 2), ("reminder", "M3", "1d", ("1d",))),
        (at(2026, 8, 30, 2), ("overdue", "M3")),
        (at(2026, 9, 6, 2), ("escalation", "M3", "reminder_talk", "7d")),
        (at(2027, 9, 15, 2), ("consolidation_ended",)),
    ]
    assert clock.log == expected
    # and each notice exactly once per measure and plan round
    counts = Counter(n for _, n in clock.log)
    assert counts[("overdue", "M2")] == 1 and counts[("consolidation_ended",)] == 1
    assert len(case.of_type("ConsolidationEnded")) == 1


@pytest.mark.parametrize(
    "leads, ladder_days",
    [
        (["7d", "1d"], [7, 21]),
        (["14d", "3d", "2h", "30m"], [1, 2, 10, 30, 90]),
        ([], []),
        (["1d"], [0]),
    ],
)
def test_simulated_year_wakeups_are_exact_for_various_policies(leads, ladder_days) -> None:
    rungs = list(Rung)
    policy = classic_policy(
        reminder_leads=leads,
        escalation_ladder=[EscalationStep(rung=rungs[i], after=timedelta(days=d)) for i, d in enumerate(ladder_days)],
        consolidation_period="200d",
        rework_period="45d",
    )
    case = Case(policy=policy)
    clock = Clock(case, T0)
    clock.run(T0, open_case())
    clock.run(
        T0 + DAY,
        plan(
            measures=[
                measure(f"M{i}", ["P1", "P2", "P3"], T0 + timedelta(days=20 * i, hours=i, minutes=7 * i))
                for i in range(1, 6)
            ]
        ),
    )
    clock.run(T0 + 3 * DAY, approve())
    for i in range(1, 6):
        clock.run(T0 + timedelta(days=25 * i), complete(f"M{i}"))
    clock.run(T0 + 130 * DAY, self_check())
    clock.run(T0 + 131 * DAY, acceptance(10, 0.0))
    for i in range(1, 6):
        clock.run(T0 + timedelta(days=131 + 10 * i), complete(f"M{i}"))
    clock.run(T0 + 200 * DAY, self_check())
    clock.run(T0 + 201 * DAY, acceptance(99, 0.0))
    clock.advance(T0 + 500 * DAY)

    # per plan round (before / after the rework), each measure has each lead and rung at most once
    rounds: list[list[tuple]] = [[], []]
    rework_at = T0 + 131 * DAY
    for when, n in clock.log:
        if n[0] != "consolidation_ended":
            rounds[when > rework_at].append(n)
    for notes in rounds:
        covered = Counter((n[1], lead) for n in notes if n[0] == "reminder" for lead in n[3])
        assert all(c == 1 for c in covered.values()), covered
        assert all(c == 1 for c in Counter(n for n in notes if n[0] != "reminder").values())
    assert [n for _, n in clock.log].count(("consolidation_ended",)) == 1
    assert case.state.consolidation_ended
    # in the rework round every measure was late by 10*i - 45 days: M5 (5 days) escalated only on short rungs
    late_m5 = [n for n in rounds[1] if n[1] == "M5" and n[0] == "escalation"]
    assert [n[3] for n in late_m5] == [f"{d}d" for d in ladder_days if d <= 5]


def test_distinct_sub_minute_leads_each_fire() -> None:
    policy = classic_policy(reminder_leads=[timedelta(seconds=90), timedelta(seconds=60)])
    case = implementing(policy)
    first = case.tick(DUE - timedelta(seconds=90))
    assert len(first) == 2
    second = case.tick(DUE - timedelta(seconds=60))
    assert [e.measure_id for e in second] == ["M1", "M2"]
