"""The working-day calendar for any door: a year's facts as data, and a check of an override file.

    override_path(explicit)         -> the override file to use (None: none), Refused when one named is missing
    show(year, override)            -> dict: source, warnings, days off and make-up workdays, working days per month
    check(path)                     -> dict: per year, what the file adds and the working days it leaves

Facts come from the chinese-calendar package and the override file (``activities.calendar``); the
arithmetic is ``domain.workcal.WorkCalendar``. A bad override file is ``CalendarRejected`` with every
problem and its line.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from activities.calendar import (
    CalendarFileError,
    Problem,
    default_override_path,
    facts_for_years,
    load_override,
    package_facts,
    year_facts,
)
from domain.workcal import CalendarFacts, FactSource, WorkCalendar, YearFacts
from service.errors import Refused
from settings import get_settings

__all__ = ["CalendarRejected", "check", "override_path", "show", "year_report"]


class CalendarRejected(Refused):
    """An override file that cannot be used: ``lines`` are its problems, each ``FILE:LINE: field: message``."""

    def __init__(self, error: CalendarFileError) -> None:
        super().__init__(str(error))
        self.origin = error.origin
        self.problems: list[Problem] = list(error.problems)
        self.lines = [problem.render(error.origin) for problem in error.problems]


def override_path(explicit: Path | None) -> Path | None:
    """The override file to use; a file named explicitly (option or PDCA_CALENDAR) must exist."""
    if explicit is not None:
        if not explicit.exists():
            raise Refused(f"{explicit}: no such file")
        return explicit
    path = default_override_path()
    if get_settings().calendar is not None and path is not None and not path.exists():
        raise Refused(f"PDCA_CALENDAR={path}: no such file")
    return path if path is not None and path.exists() else None


def _facts_of(facts: YearFacts) -> CalendarFacts:
    return CalendarFacts(years={facts.year: facts})


def year_report(facts: YearFacts, package: YearFacts | None, warnings: list[str]) -> dict[str, Any]:
    """Everything `pdca calendar show` prints, as data."""
    calendar = WorkCalendar(_facts_of(facts))
    from_package = set(package.holidays) | set(package.workdays) if package else set()
    local = facts.source == FactSource.CHINESE_CALENDAR and package is not None
    days: list[dict[str, Any]] = []
    for day in sorted(set(facts.holidays) | set(facts.workdays) | set(facts.names)):
        if day in facts.workdays:
            kind = "workday"
        elif day in facts.holidays:
            kind = "holiday"
        elif day.weekday() >= 5:
            kind = "weekend"  # a weekend day inside a named holiday
        else:
            continue
        days.append(
            {
                "date": day.isoformat(),
                "weekday": day.weekday(),
                "kind": kind,
                "name": facts.names.get(day, ""),
                "local": local and kind != "weekend" and day not in from_package,
            }
        )
    months = []
    for month in range(1, 13):
        first = date(facts.year, month, 1)
        length = stdlib_calendar.monthrange(facts.year, month)[1]
        working = calendar.working_days_between(first, first + timedelta(days=length))
        months.append({"month": month, "working_days": working, "days_off": length - working})
    return {
        "year": facts.year,
        "source": facts.source.value,
        "origin": facts.origin,
        "warnings": warnings,
        "days": days,
        "months": months,
        "working_days": sum(m["working_days"] for m in months),
        "days_off": sum(m["days_off"] for m in months),
    }


def show(year: int, override: Path | None = None) -> dict[str, Any]:
    """``year`` as the workflows will count it: the override file ``override`` (else PDCA_CALENDAR, else
    $PDCA_HOME/calendar.yaml when it exists) over the package's arrangement."""
    path = override_path(override)
    try:
        facts = facts_for_years([year], path).years[year]
    except CalendarFileError as error:
        raise CalendarRejected(error) from None
    warnings = WorkCalendar(_facts_of(facts)).warnings([year])
    return year_report(facts, package_facts(year), warnings)


def check(path: Path) -> dict[str, Any]:
    """Check an override file; per year: days off and make-up workdays it lists, whether it is
    provisional, how it combines with the package, the working days of the year, warnings."""
    if not path.exists():
        raise Refused(f"{path}: no such file")
    try:
        years = load_override(path)
    except CalendarFileError as error:
        raise CalendarRejected(error) from None
    summary = []
    for year, entry in sorted(years.items()):
        package = package_facts(year)
        facts = year_facts(year, package, entry, str(path))
        if package is None:
            effect = "arrangement"
        elif entry.replace:
            effect = "replaces_package"
        else:
            effect = "adds_to_package"
        summary.append(
            {
                "year": year,
                "holidays": len(entry.holidays),
                "workdays": len(entry.workdays),
                "provisional": entry.provisional,
                "effect": effect,
                "working_days": WorkCalendar(_facts_of(facts)).working_days_between(date(year, 1, 1), date(year + 1, 1, 1)),
                "warnings": [facts.warning] if facts.warning else [],
            }
        )
    return {"file": str(path), "ok": True, "years": summary}
