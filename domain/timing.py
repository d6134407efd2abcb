"""When a notice may go out: working moments per the calendar and the policy (pure; shared by every kind).

A timer's notice that falls due outside working time (night, weekend, holiday) goes out at the next
working moment, unless the policy says ``notice_window: any_time`` (demos, tests).
"""

from __future__ import annotations

from datetime import datetime

from domain.policy import Policy
from domain.workcal import WorkCalendar


def deliverable(moment: datetime, policy: Policy, calendar: WorkCalendar) -> datetime:
    """When a notice due at ``moment`` may go out: the next working moment (or at once, with any_time)."""
    if policy.notice_window == "any_time":
        return moment
    return calendar.next_working_moment(moment, policy.working_hours).astimezone(moment.tzinfo)


def may_notify(now: datetime, policy: Policy, calendar: WorkCalendar) -> bool:
    """May a notice go out now? A Tick that catches up at night or on a holiday waits for the next
    working moment instead of sending what fell due meanwhile (``next_wakeup`` says when)."""
    return policy.notice_window == "any_time" or calendar.may_notify(now, policy.working_hours)


def catch_up(moment: datetime, now: datetime | None, policy: Policy, calendar: WorkCalendar) -> datetime:
    """When a timer due at ``moment`` fires, seen from ``now``: a moment already past is due now if
    ``now`` is working time, else at the next working moment (``None``: the moment as computed)."""
    if now is None or moment > now:
        return moment
    return now if may_notify(now, policy, calendar) else deliverable(now, policy, calendar)
