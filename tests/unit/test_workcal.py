"""Working-day arithmetic (domain/workcal.py) over the real 2025–2026 arrangement of chinese-calendar.

2026 facts used below (checked against the package, and `pdca calendar show 2026`):
  Spring Festival: 15 Feb (Sun) – 23 Feb (Mon) off; make-up workdays Sat 14 Feb and Sat 28 Feb.
  Mid-autumn: Fri 25 Sep off.  National Day: 1–7 Oct off; make-up workdays Sun 20 Sep and Sat 10 Oct.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activities.calendar import package_facts
from domain.timeutil import SHANGHAI
from domain.workcal import (
    CalendarFacts,
    FactSource,
    WorkCalendar,
    WorkingHours,
    YearFacts,
    normalize_offset,
    offset_length,
    parse_offset,
)

FACTS = CalendarFacts(years={y: package_facts(y) for y in (2025, 2026)})  # type: ignore[misc]
CAL = WorkCalendar(FACTS)
HOURS = WorkingHours()


def bj(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A Beijing wall-clock moment, as UTC (how the system stores moments)."""
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI).astimezone(UTC)


# ------------------------------------------------------------------ the days


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2026, 9, 18), True),  # Fri
        (date(2026, 9, 19), False),  # Sat
        (date(2026, 9, 20), True),  # Sun: make-up workday for National Day
        (date(2026, 9, 25), False),  # Fri: Mid-autumn
        (date(2026, 9, 30), True),
        *[(date(2026, 10, d), False) for d in range(1, 8)],  # National Day week
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Sat: make-up workday
        (date(2026, 10, 11), False),
        (date(2026, 2, 13), True),
        (date(2026, 2, 14), True),  # Sat: make-up workday for the Spring Festival
        *[(date(2026, 2, d), False) for d in range(15, 24)],  # 15–23 Feb off
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Sat: make-up workday
        (date(2026, 3, 1), False),
    ],
)
def test_is_workday_2026(day: date, workday: bool) -> None:
    assert CAL.is_workday(day) is workday


def test_add_working_days_across_national_day() -> None:
    assert CAL.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert CAL.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)  # the make-up Saturday counts
    assert CAL.add_working_days(date(2026, 9, 30), 4) == date(2026, 10, 12)
    # from the make-up Sunday: 21–24 Sep, then Fri 25 (Mid-autumn) and the weekend are off: the 5th is Mon 28
    assert CAL.add_working_days(date(2026, 9, 20), 5) == date(2026, 9, 28)
    # from inside the holiday: the first working day after it
    assert CAL.add_working_days(date(2026, 10, 3), 1) == date(2026, 10, 8)


def test_subtract_working_days_across_national_day() -> None:
    assert CAL.add_working_days(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert CAL.add_working_days(date(2026, 10, 12), -4) == date(2026, 9, 30)
    assert CAL.add_working_days(date(2026, 9, 21), -1) == date(2026, 9, 20)  # back onto the make-up Sunday


def test_add_and_subtract_across_spring_festival() -> None:
    assert CAL.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)  # make-up Saturday
    assert CAL.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)  # nine days off in between
    assert CAL.add_working_days(date(2026, 2, 24), -1) == date(2026, 2, 14)
    assert CAL.add_working_days(date(2026, 2, 24), -2) == date(2026, 2, 13)
    assert CAL.add_working_days(date(2026, 2, 27), 1) == date(2026, 2, 28)  # make-up Saturday again
    assert CAL.add_working_days(date(2026, 2, 27), 2) == date(2026, 3, 2)


def test_zero_working_days_is_the_day_itself() -> None:
    assert CAL.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)


def test_working_days_between() -> None:
    assert CAL.working_days_between(date(2026, 10, 1), date(2026, 11, 1)) == 18  # 22 weekdays − 5 + 1 make-up
    assert CAL.working_days_between(date(2026, 9, 1), date(2026, 10, 1)) == 22  # 22 − Mid-autumn + 20 Sep
    assert CAL.working_days_between(date(2026, 2, 1), date(2026, 3, 1)) == 16  # 20 − 6 + 2 make-up
    assert CAL.working_days_between(date(2026, 9, 28), date(2026, 10, 12)) == 6  # 28–30 Sep, 8–10 Oct
    assert CAL.working_days_between(date(2026, 1, 1), date(2027, 1, 1)) == 248
    assert CAL.working_days_between(date(2026, 10, 12), date(2026, 9, 28)) == 0
    assert CAL.working_days_between(date(2026, 10, 1), date(2026, 10, 8)) == 0


# ------------------------------------------------------------------ moments


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (bj(2026, 9, 29, 22), bj(2026, 9, 30, 9)),  # at night: next morning
        (bj(2026, 9, 30, 7, 30), bj(2026, 9, 30, 9)),  # early morning: opening the same day
        (bj(2026, 9, 30, 18, 1), bj(2026, 10, 8, 9)),  # evening before the holiday: after it
        (bj(2026, 10, 3, 10), bj(2026, 10, 8, 9)),  # on the holiday
        (bj(2026, 10, 9, 20), bj(2026, 10, 10, 9)),  # Friday evening: the make-up Saturday
        (bj(2026, 10, 10, 10), bj(2026, 10, 10, 10)),  # on the make-up Saturday, in hours: now
        (bj(2026, 2, 14, 8), bj(2026, 2, 14, 9)),  # make-up Saturday before opening
        (bj(2026, 2, 14, 19), bj(2026, 2, 24, 9)),  # its evening: after the Spring Festival
        (bj(2026, 9, 30, 18), bj(2026, 9, 30, 18)),  # working hours are inclusive at both ends
        (bj(2026, 9, 19, 12), bj(2026, 9, 20, 9)),  # Saturday: the make-up Sunday
    ],
)
def test_next_working_moment(moment: datetime, expected: datetime) -> None:
    assert CAL.next_working_moment(moment, HOURS) == expected


def test_next_working_moment_requires_an_offset() -> None:
    with pytest.raises(ValueError):
        CAL.next_working_moment(datetime(2026, 10, 3, 10), HOURS)


def test_is_working_time() -> None:
    assert CAL.is_working_time(bj(2026, 10, 10, 9), HOURS)
    assert not CAL.is_working_time(bj(2026, 10, 10, 8, 59), HOURS)
    assert not CAL.is_working_time(bj(2026, 10, 2, 10), HOURS)


def test_shift_by_working_days_keeps_the_beijing_time_of_day() -> None:
    assert CAL.shift(bj(2026, 9, 28, 10), "5wd") == bj(2026, 10, 10, 10)
    assert CAL.shift(bj(2026, 10, 8, 17), "-3wd") == bj(2026, 9, 28, 17)
    assert CAL.shift(bj(2026, 2, 13, 23, 30), "1wd") == bj(2026, 2, 14, 23, 30)  # late night stays late night
    assert CAL.shift(bj(2026, 9, 30, 10), "7d") == bj(2026, 10, 7, 10)  # calendar days ignore holidays
    assert CAL.shift(bj(2026, 9, 30, 10), "-12h") == bj(2026, 9, 29, 22)


def test_offsets() -> None:
    assert parse_offset("5wd") == (1, 5)
    assert parse_offset("-7d") == (-1, timedelta(days=7))
    assert normalize_offset("24h") == "1d"
    assert normalize_offset(timedelta(hours=36)) == "36h"
    assert normalize_offset(" 3 wd ") == "3wd"
    assert offset_length("5wd") == timedelta(days=7)
    for bad in ("5", "wd", "5 weeks", "1.5d", ""):
        with pytest.raises(ValueError):
            parse_offset(bad)
    with pytest.raises(ValueError, match="without a sign"):
        normalize_offset("-5wd")


# ------------------------------------------------------------------ facts, sources, warnings


def test_year_without_facts_counts_weekends_only_and_warns() -> None:
    assert not CAL.covers(2027)
    assert CAL.covers(2026)
    assert CAL.is_workday(date(2027, 10, 1))  # a Friday: without facts, just a Friday
    assert not CAL.is_workday(date(2027, 10, 2))
    assert CAL.year_facts(2027).source == FactSource.WEEKENDS_ONLY
    (warning,) = CAL.warnings([2026, 2027, 2027])
    assert "2027" in warning and "weekends only" in warning
    assert CAL.warnings([2025, 2026]) == []
    assert CAL.sources([2026, 2027]) == "2026:chinese_calendar(chinesecalendar 1.11.0); 2027:weekends_only(weekends only)"


def test_a_year_facts_warning_reaches_every_consumer() -> None:
    provisional = YearFacts(year=2027, source=FactSource.OVERRIDE, holidays=[date(2027, 10, 1)], warning="2027 is provisional")
    calendar = WorkCalendar(FACTS.merged(CalendarFacts(years={2027: provisional})))
    assert calendar.covers(2027)
    assert calendar.warnings([2026, 2027]) == ["2027 is provisional"]
    assert not calendar.is_workday(date(2027, 10, 1))


def test_facts_survive_a_json_round_trip() -> None:
    """Facts travel as an activity result through Temporal's pydantic converter."""
    again = CalendarFacts.model_validate_json(FACTS.model_dump_json())
    assert again == FACTS
    assert again.years[2026].names[date(2026, 10, 1)] == "国庆节"


# ------------------------------------------------------------------ properties

DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 10, 31))
WORKDAYS = DAYS.filter(CAL.is_workday)
COUNTS = st.integers(min_value=0, max_value=40)


@settings(max_examples=300, deadline=None)
@given(start=DAYS, n=COUNTS)
def test_add_then_count_gives_n(start: date, n: int) -> None:
    end = CAL.add_working_days(start, n)
    # the workdays in (start, end] are exactly n
    assert CAL.working_days_between(start + timedelta(days=1), end + timedelta(days=1)) == n
    if CAL.is_workday(start):
        assert CAL.working_days_between(start, end) == n
    if n:
        assert CAL.is_workday(end) and end > start


@settings(max_examples=300, deadline=None)
@given(start=WORKDAYS, n=COUNTS)
def test_subtract_inverts_add_on_workdays(start: date, n: int) -> None:
    assert CAL.add_working_days(CAL.add_working_days(start, n), -n) == start
    assert CAL.add_working_days(CAL.add_working_days(start, -n), n) == start


MOMENTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 20)).map(
    lambda naive: naive.replace(tzinfo=SHANGHAI).astimezone(UTC)
)
HOURS_CHOICES = st.sampled_from(
    [WorkingHours(), WorkingHours(start=time(8, 30), end=time(17, 30)), WorkingHours(start=time(0), end=time(23, 59))]
)


@settings(max_examples=400, deadline=None)
@given(moment=MOMENTS, hours=HOURS_CHOICES)
def test_next_working_moment_is_the_earliest_working_moment_not_before(moment: datetime, hours: WorkingHours) -> None:
    result = CAL.next_working_moment(moment, hours)
    assert result >= moment
    assert CAL.is_working_time(result, hours)
    assert CAL.is_workday(result.astimezone(SHANGHAI).date())
    assert CAL.next_working_moment(result, hours) == result
    if result != moment:
        # the moment was outside working time, and nothing in between is working time: the result is an opening
        assert not CAL.is_working_time(moment, hours)
        local = result.astimezone(SHANGHAI)
        assert local.timetz().replace(tzinfo=None) == hours.start
        day = moment.astimezone(SHANGHAI).date() + timedelta(days=1)
        while day < local.date():
            assert not CAL.is_workday(day)
            day += timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(moment=MOMENTS, n=st.integers(min_value=-30, max_value=30))
def test_shift_by_working_days_matches_add_working_days(moment: datetime, n: int) -> None:
    shifted = CAL.shift(moment, f"{n}wd")
    local, moved = moment.astimezone(SHANGHAI), shifted.astimezone(SHANGHAI)
    assert moved.time() == local.time()
    assert moved.date() == CAL.add_working_days(local.date(), n)
