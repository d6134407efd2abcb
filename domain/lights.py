"""The traffic light of a deadline (pure): green, yellow or red by working days left on the policy's calendar.

    red     past its deadline (or due today or earlier)
    yellow  at most ``YELLOW_WITHIN`` working days left
    green   more than that
    paused  its clock is stopped (暂停计时): no light counts down
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from domain.timeutil import local
from domain.workcal import WorkCalendar

YELLOW_WITHIN = 5  # working days


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    PAUSED = "paused"


def working_days_left(deadline: datetime, now: datetime, calendar: WorkCalendar) -> int:
    """Working days from today (Beijing) to the deadline's day; negative when it is past."""
    today, due = local(now).date(), local(deadline).date()
    if due >= today:
        return calendar.working_days_between(today, due)
    return -calendar.working_days_between(due, today)


def light(deadline: datetime, now: datetime, calendar: WorkCalendar, *, paused: bool = False, yellow_within: int = YELLOW_WITHIN) -> Light:
    if paused:
        return Light.PAUSED
    if deadline <= now:
        return Light.RED
    left = working_days_left(deadline, now, calendar)
    return Light.YELLOW if left <= yellow_within else Light.GREEN
