"""A Tick that catches up outside working hours (a command at night, a worker that was down) sends
nothing until the next working moment, and ``next_wakeup(..., now)`` says exactly when — never a
moment in the past at which nothing fires (a workflow would wake in a loop).

Found by the decider property test: a plan approved on a Friday at 20:34 for a measure due at 23:08
that night; the 5wd reminder's moment had passed, the reminder could no longer go out before the
deadline, yet next_wakeup kept answering that past moment."""

from __future__ import annotations

from datetime import UTC, datetime

from domain import project, rectification
from domain.policy import Policy
from domain.timeutil import SHANGHAI
from domain.workcal import WorkCalendar, WorkingHours
from tests.unit import test_project_decider as pd
from tests.unit.builders import approve, measure, opened, plan

CAL = WorkCalendar()  # weekends only: enough for these cases
HOURS = WorkingHours()
TIMED = Policy(supervisors=["sup-1"])  # the defaults: notices in working time, reminders 5wd and 1wd


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC)


def test_a_reminder_that_can_no_longer_go_out_before_the_deadline_is_not_a_wake_up() -> None:
    case = opened(TIMED, bj(2027, 4, 20, 10, 0), CAL)
    case.run(plan(measures=[measure("M1", ["P1", "P2", "P3"], bj(2027, 4, 23, 23, 8))]), bj(2027, 4, 23, 11, 57))
    case.run(approve(), bj(2027, 4, 23, 20, 34))  # Friday evening
    now = bj(2027, 4, 23, 20, 34)
    assert case.attempt(rectification.Tick(), now) == []  # nothing at night
    wake = rectification.next_wakeup(case.state, case.ctx(now))
    assert wake == bj(2027, 4, 26, 9, 0)  # Monday morning: the overdue notice, no late reminder
    fired = case.attempt(rectification.Tick(), wake)
    assert [e.type for e in fired] == ["MeasureOverdue"]


def test_a_night_catch_up_waits_for_the_morning_and_then_sends_once() -> None:
    case = opened(TIMED, bj(2027, 3, 1, 10, 0), CAL)
    case.run(plan(measures=[measure("M1", ["P1", "P2", "P3"], bj(2027, 3, 31, 18, 0))]), bj(2027, 3, 2, 10, 0))
    case.run(approve(), bj(2027, 3, 2, 11, 0))
    night = bj(2027, 3, 26, 22, 0)  # the 5wd reminder fell due on 24 March; the worker was down
    assert case.attempt(rectification.Tick(), night) == []
    morning = rectification.next_wakeup(case.state, case.ctx(night))
    assert morning == bj(2027, 3, 29, 9, 0) and CAL.is_working_time(morning, HOURS)
    assert [e.type for e in case.tick(morning)] == ["ReminderSent"]
    assert rectification.next_wakeup(case.state, case.ctx(morning)) > morning


def test_projects_wait_for_working_time_too() -> None:
    p = pd.approved()  # milestone M1 due 2027-03-31 18:00 (Wednesday); its 5wd reminder on 24 March
    night = bj(2027, 3, 26, 22, 0)  # nobody ticked since: a Friday night
    assert p.tick(night) == []
    morning = project.next_wakeup(p.state, p.ctx(night))
    assert morning == bj(2027, 3, 29, 9, 0)
    assert [e.type for e in p.tick(morning)] == ["MilestoneReminderSent"]
    late = bj(2027, 3, 31, 23, 0)  # past the deadline at night: no late reminder, the overdue waits
    q = pd.approved()
    assert q.tick(late) == []
    wake = project.next_wakeup(q.state, q.ctx(late))
    assert wake == bj(2027, 4, 1, 9, 0)
    assert "MilestoneReminderSent" not in [e.type for e in q.tick(wake)]
