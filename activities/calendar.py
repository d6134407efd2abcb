"""Activity: the working-day calendar facts for some years, from chinese-calendar and an override file.

Workflows never read a calendar library: they ask this activity, and the answer (a ``CalendarFacts``)
is recorded in their history, so a replay uses the same facts the timers used.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import structlog
import yaml
from temporalio import activity

from domain.workcal import CalendarFacts, FactSource, YearFacts, weekends_only

log = structlog.get_logger(__name__)


def default_override_path() -> Path | None:
    """PDCA_CALENDAR, else $PDCA_HOME/calendar.yaml when it exists."""
    explicit = os.environ.get("PDCA_CALENDAR")
    if explicit:
        return Path(explicit)
    home = Path(os.environ.get("PDCA_HOME", Path.home() / ".pdca"))
    candidate = home / "calendar.yaml"
    return candidate if candidate.exists() else None


def package_facts(year: int) -> YearFacts | None:
    """The chinese-calendar package's arrangement for ``year``, or None if it does not know the year."""
    import chinese_calendar

    first, days = date(year, 1, 1), (date(year + 1, 1, 1) - date(year, 1, 1)).days
    try:
        chinese_calendar.is_workday(first)
    except NotImplementedError:
        return None
    holidays, workdays, names = [], [], {}
    for offset in range(days):
        day = first + timedelta(days=offset)
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if day.weekday() < 5 and on_holiday:
            holidays.append(day)
        elif day.weekday() >= 5 and chinese_calendar.is_workday(day):
            workdays.append(day)
        if name and (on_holiday or day in workdays):
            names[day] = str(getattr(name, "value", name))
    version = getattr(chinese_calendar, "__version__", "?")
    return YearFacts(
        year=year, source=FactSource.CHINESE_CALENDAR, holidays=holidays, workdays=workdays, names=names, origin=f"chinesecalendar {version}"
    )


def override_facts(path: Path | None) -> dict[int, YearFacts]:
    """Years given in the override file (see docs/calendar.md for the format)."""
    if path is None or not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    years: dict[int, YearFacts] = {}
    for year, entry in (data.get("years") or {}).items():
        entry = entry or {}
        years[int(year)] = YearFacts(
            year=int(year),
            source=FactSource.OVERRIDE,
            holidays=[date.fromisoformat(str(d)) for d in entry.get("holidays", [])],
            workdays=[date.fromisoformat(str(d)) for d in entry.get("workdays", [])],
            origin=str(path),
        )
    return years


def facts_for_years(years: list[int], override: Path | None) -> CalendarFacts:
    overrides = override_facts(override)
    result: dict[int, YearFacts] = {}
    for year in sorted(set(years)):
        result[year] = overrides.get(year) or package_facts(year) or weekends_only(year)
    return CalendarFacts(years=result)


class CalendarActivities:
    def __init__(self, override_path: Path | None = None) -> None:
        self.override_path = override_path

    @activity.defn(name="load_calendar_facts")
    def load_calendar_facts(self, years: list[int]) -> CalendarFacts:
        facts = facts_for_years(years, self.override_path)
        missing = [y for y, f in facts.years.items() if f.source == FactSource.WEEKENDS_ONLY]
        if missing:
            log.warning("calendar_weekends_only", years=missing, override=str(self.override_path))
        return facts
