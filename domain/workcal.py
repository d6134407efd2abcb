"""Working-day calendar arithmetic (工作日): pure, deterministic, no library lookups.

The facts — which weekdays are public holidays or local rest days, which weekend days are make-up
workdays (调休) — arrive as data (``CalendarFacts``), fetched by an activity from ``chinese-calendar``
and an override file, so workflow code never reads a calendar library and replays see the same facts.
A year without facts counts weekends only, and says so (``warnings``).

Offsets are written like durations: ``"7d"``, ``"12h"``, ``"30m"``, ``"90s"`` for calendar time,
``"5wd"`` for working days.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from domain.limits import MAX_ID, Cap
from domain.timeutil import SHANGHAI, format_duration, parse_duration, require_aware


class FactSource(StrEnum):
    CHINESE_CALENDAR = "chinese_calendar"  # the chinese-calendar package's official arrangement
    OVERRIDE = "override"  # the override file (a year the package does not know yet, or local rest days)
    WEEKENDS_ONLY = "weekends_only"  # nothing known: Saturdays and Sundays off, with a warning


class YearFacts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int
    source: FactSource
    # Weekdays that are days off (public holidays, local rest days).
    holidays: list[date] = Field(default_factory=list)
    # Weekend days that are workdays (调休 make-up days).
    workdays: list[date] = Field(default_factory=list)
    # Display names for days off and make-up days, e.g. {"2026-10-01": "国庆节"}.
    names: dict[date, str] = Field(default_factory=dict)
    # Where the facts came from (package version, override file path): recorded with the timers.
    origin: str = ""
    # Shown to every consumer when set, e.g. an override year marked provisional (an example, not
    # yet the State Council's published arrangement).
    warning: str = ""


class CalendarFacts(BaseModel):
    """The facts for a set of years: the payload a calendar activity returns."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    years: dict[int, YearFacts] = Field(default_factory=dict)

    def merged(self, other: CalendarFacts) -> CalendarFacts:
        return CalendarFacts(years={**self.years, **other.years})


def weekends_only(year: int) -> YearFacts:
    return YearFacts(year=year, source=FactSource.WEEKENDS_ONLY, origin="weekends only")


class WorkingHours(BaseModel):
    """Beijing office hours in which notices may be delivered (inclusive at both ends)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time = time(9, 0)
    end: time = time(18, 0)


class WorkCalendar:
    """Working-day arithmetic over ``CalendarFacts``; years without facts count weekends only."""

    def __init__(self, facts: CalendarFacts | None = None) -> None:
        self.facts = facts or CalendarFacts()
        self._off: set[date] = set()
        self._on: set[date] = set()
        for year_facts in self.facts.years.values():
            self._off.update(year_facts.holidays)
            self._on.update(year_facts.workdays)

    # -------------------------------------------------------------- facts

    def year_facts(self, year: int) -> YearFacts:
        return self.facts.years.get(year) or weekends_only(year)

    def covers(self, year: int) -> bool:
        """True when the year's holidays are known (from the package or an override)."""
        return self.year_facts(year).source != FactSource.WEEKENDS_ONLY

    def warnings(self, years: Iterable[int]) -> list[str]:
        """What a person should know about the facts for these years: a year counted on weekends
        only, or a year whose arrangement is marked provisional."""
        found: list[str] = []
        for year in sorted(set(years)):
            facts = self.year_facts(year)
            if facts.source == FactSource.WEEKENDS_ONLY:
                found.append(
                    f"no holiday calendar for {year}: counting weekends only (add the year to the calendar override file)"
                )
            elif facts.warning:
                found.append(facts.warning)
        return found

    def sources(self, years: Iterable[int]) -> str:
        """A short description of the facts used for these years, recorded on timer events."""
        return "; ".join(
            f"{year}:{facts.source.value}" + (f"({facts.origin})" if facts.origin else "")
            for year in sorted(set(years))
            for facts in [self.year_facts(year)]
        )

    # -------------------------------------------------------------- days

    def is_workday(self, day: date) -> bool:
        if day in self._on:
            return True
        if day in self._off:
            return False
        return day.weekday() < 5

    def next_workday(self, day: date) -> date:
        """``day`` itself when it is a workday, otherwise the first workday after it."""
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """The ``n``-th workday after ``day`` (``n`` ≥ 0; 0 gives ``day`` itself); negative ``n`` counts back."""
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_workday(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Workdays ``d`` with ``start <= d < end`` (0 when ``end <= start``)."""
        count, day = 0, start
        while day < end:
            count += self.is_workday(day)
            day += timedelta(days=1)
        return count

    # -------------------------------------------------------------- moments

    def is_working_time(self, moment: datetime, hours: WorkingHours) -> bool:
        local = require_aware(moment).astimezone(SHANGHAI)
        return self.is_workday(local.date()) and hours.start <= local.time() <= hours.end

    def may_notify(self, now: datetime, hours: WorkingHours, grace: timedelta = timedelta(minutes=5)) -> bool:
        """Is ``now`` working time — or was it ``grace`` ago? A timer fires a little after its moment:
        a notice due at 18:00 on the dot, handled at 18:00:00.3, still goes out that evening."""
        return self.is_working_time(now, hours) or self.is_working_time(now - grace, hours)

    def next_working_moment(self, moment: datetime, hours: WorkingHours) -> datetime:
        """``moment`` when it is inside working hours on a workday, else the next opening (UTC)."""
        moment = require_aware(moment)
        local = moment.astimezone(SHANGHAI)
        day = local.date()
        if self.is_workday(day):
            if hours.start <= local.time() <= hours.end:
                return moment
            if local.time() < hours.start:
                return _at(day, hours.start)
        return _at(self.next_workday(day + timedelta(days=1)), hours.start)

    def shift(self, moment: datetime, offset: str) -> datetime:
        """``moment`` moved by an offset (negative: ``"-5wd"``). Working days keep the Beijing time of day."""
        moment = require_aware(moment)
        sign, amount = parse_offset(offset)
        if isinstance(amount, int):
            local = moment.astimezone(SHANGHAI)
            day = self.add_working_days(local.date(), sign * amount)
            return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=SHANGHAI).astimezone(moment.tzinfo)
        return moment + sign * amount


def _at(day: date, clock: time) -> datetime:

    return datetime.combine(day, clock, tzinfo=SHANGHAI).astimezone(UTC)


# ------------------------------------------------------------------ offsets

_OFFSET = re.compile(r"^\s*(-?)\s*(\d+)\s*(wd|d|h|m|s)\s*$")


def parse_offset(value: str) -> tuple[int, int | timedelta]:
    """``"5wd"`` → (1, 5) working days; ``"-7d"`` → (-1, timedelta(days=7)). Raises ValueError."""
    match = _OFFSET.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not an offset: write e.g. 5wd (working days), 7d, 12h, 30m or 90s")
    sign = -1 if match.group(1) else 1
    number, unit = int(match.group(2)), match.group(3)
    if unit == "wd":
        return sign, number
    parsed = parse_duration(f"{number}{unit}")
    assert isinstance(parsed, timedelta)
    return sign, parsed


def normalize_offset(value: object) -> str:
    """The canonical spelling of a non-negative offset; accepts timedeltas and the strings above."""
    if isinstance(value, timedelta):
        return format_duration(value)
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an offset: write e.g. 5wd, 7d, 12h")
    sign, amount = parse_offset(value)
    if sign < 0:
        raise ValueError(f"{value!r}: offsets here are written without a sign")
    return f"{amount}wd" if isinstance(amount, int) else format_duration(amount)


def offset_length(offset: str) -> timedelta:
    """An offset's nominal length, for ordering only (a working day counts as 7/5 of a day)."""
    sign, amount = parse_offset(offset)
    length = timedelta(days=amount * 7 / 5) if isinstance(amount, int) else amount
    return sign * length


# A policy field holding an offset: stored and serialised as its canonical string.
Offset = Annotated[str, Cap(MAX_ID), BeforeValidator(normalize_offset)]
