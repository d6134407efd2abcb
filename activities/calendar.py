"""Activity: the working-day calendar facts for some years, from chinese-calendar and an override file.

Workflows never read a calendar library: they ask this activity, and the answer (a ``CalendarFacts``)
is recorded in their history, so a replay uses the same facts the timers used.

Precedence for a year (docs/calendar.md):

1. the override file's year with ``replace: true`` — the whole arrangement, the package is ignored;
2. the ``chinese-calendar`` package's arrangement, plus any days the override file adds for that year
   (local rest days, an extra make-up workday);
3. the override file's year, for a year the package does not know (it raises for years after its data);
4. weekends only, with a warning every consumer sees (``WorkCalendar.warnings``).

The override file (YAML; ``PDCA_CALENDAR``, else ``$PDCA_HOME/calendar.yaml``)::

    years:
      2027:
        provisional: true            # an example until the State Council's notice is out
        holidays:                    # weekdays off
          - {date: 2027-01-01, name: 元旦}
          - {from: 2027-02-10, to: 2027-02-16, name: 春节}   # a range may span a weekend
        workdays:                    # weekend days worked (调休)
          - {date: 2027-02-07, name: 春节}

A bad file is refused as a whole, every problem with its line and field (``CalendarFileError``); the
activity then fails (and is retried) rather than plan deadlines on a calendar nobody meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import structlog
import yaml
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.workcal import CalendarFacts, FactSource, YearFacts, weekends_only
from settings import get_settings
from settings.errors import InputError
from settings.files import check_size

log = structlog.get_logger(__name__)

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_RANGE_DAYS = 31  # a longer range is almost certainly a typo in a year or month
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR_KEYS = {"holidays", "workdays", "provisional", "replace", "note"}
_TOP_KEYS = {"years", "note"}


# ------------------------------------------------------------------ where the override file is


def default_override_path() -> Path | None:
    """``PDCA_CALENDAR``, else ``$PDCA_HOME/calendar.yaml`` (default ``~/.pdca/calendar.yaml``).

    The path is returned even when the file does not exist yet: it is read on every activity call, so
    a file added or corrected later is picked up without restarting the worker.
    """
    return get_settings().calendar_file


# ------------------------------------------------------------------ the package


def package_facts(year: int) -> YearFacts | None:
    """The chinese-calendar package's arrangement for ``year``, or None if it does not know the year.

    ``holidays`` are weekdays off, ``workdays`` weekend days worked (调休); ``names`` (Chinese) cover
    every named day off, weekends inside a holiday included, and every make-up workday.
    """
    import chinese_calendar

    first, days = date(year, 1, 1), (date(year + 1, 1, 1) - date(year, 1, 1)).days
    try:
        chinese_calendar.is_workday(first)
        chinese_calendar.is_workday(date(year, 12, 31))
    except NotImplementedError:
        return None
    holidays: list[date] = []
    workdays: list[date] = []
    names: dict[date, str] = {}
    for offset in range(days):
        day = first + timedelta(days=offset)
        off, name = chinese_calendar.get_holiday_detail(day)
        weekend = day.weekday() >= 5
        if off and not weekend:
            holidays.append(day)
        elif not off and weekend:
            workdays.append(day)
        if name and (off or weekend):
            names[day] = _chinese_name(chinese_calendar, name)
    return YearFacts(
        year=year,
        source=FactSource.CHINESE_CALENDAR,
        holidays=holidays,
        workdays=workdays,
        names=names,
        origin=f"chinesecalendar {getattr(chinese_calendar, '__version__', '?')}",
    )


def _chinese_name(module: object, name: object) -> str:
    """The package reports English names ("National Day"); its Holiday enum knows the Chinese."""
    holiday_enum = module.Holiday  # type: ignore[attr-defined]
    try:
        member = name if isinstance(name, holiday_enum) else holiday_enum(str(name))
        return str(member.chinese)
    except (ValueError, AttributeError):
        return str(getattr(name, "value", name))


# ------------------------------------------------------------------ the override file


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an override file, with the line it is on (1-based)."""

    line: int | None
    field: str
    message: str

    def render(self, origin: str) -> str:
        where = f"{origin}:{self.line}" if self.line else origin
        return f"{where}: {self.field}: {self.message}"


class CalendarFileError(ValueError):
    """An override file that cannot be used; ``problems`` lists every bad entry with its line."""

    def __init__(self, origin: str, problems: list[Problem]) -> None:
        self.origin = origin
        self.problems = problems
        super().__init__("; ".join(p.render(origin) for p in problems))


@dataclass
class OverrideYear:
    """One year of the override file, validated."""

    year: int
    line: int
    holidays: list[date] = field(default_factory=list)  # weekdays off
    workdays: list[date] = field(default_factory=list)  # weekend days worked (调休)
    names: dict[date, str] = field(default_factory=dict)  # incl. weekend days inside a holiday range
    provisional: bool = False
    replace: bool = False
    note: str = ""


def load_override(path: Path | None) -> dict[int, OverrideYear]:
    """The years of the override file at ``path`` ({} when there is no file). Raises CalendarFileError."""
    if path is None or not path.exists():
        return {}
    try:
        check_size(path)
    except InputError as error:
        raise CalendarFileError(str(path), [Problem(None, "(file)", error.message.removeprefix(f"{path}: "))]) from None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CalendarFileError(str(path), [Problem(None, "(file)", f"cannot read: {error}")]) from None
    return parse_override(text, str(path))


def parse_override(text: str, origin: str = "<calendar>") -> dict[int, OverrideYear]:
    """Parse and validate an override file's text; every problem is reported at once."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise CalendarFileError(
            origin, [Problem(mark.line + 1 if mark else None, "(file)", f"invalid YAML: {error.problem or error.context}")]
        ) from None
    parser = _Parser()
    years = parser.file(root)
    if parser.problems:
        raise CalendarFileError(origin, parser.problems)
    return years


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _Parser:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def bad(self, node: yaml.Node | None, where: str, message: str) -> None:
        self.problems.append(Problem(_line(node) if node is not None else None, where, message))

    def file(self, root: yaml.Node | None) -> dict[int, OverrideYear]:
        if root is None:
            return {}  # an empty file: nothing to override
        if not isinstance(root, yaml.MappingNode):
            self.bad(root, "(top level)", "expected a mapping with `years:`")
            return {}
        years: dict[int, OverrideYear] = {}
        for key, value in root.value:
            if key.value not in _TOP_KEYS:
                self.bad(key, key.value, f"unknown field (expected one of: {', '.join(sorted(_TOP_KEYS))})")
            elif key.value == "years":
                if _is_null(value):
                    continue
                if not isinstance(value, yaml.MappingNode):
                    self.bad(value, "years", "expected a mapping of years, e.g. `2027: {holidays: [...], workdays: [...]}`")
                    continue
                for year_key, year_value in value.value:
                    parsed = self.year(year_key, year_value)
                    if parsed is None:
                        continue
                    if parsed.year in years:
                        self.bad(year_key, f"years.{parsed.year}", f"the year is listed twice (first at line {years[parsed.year].line})")
                        continue
                    years[parsed.year] = parsed
        return years

    def year(self, key: yaml.Node, value: yaml.Node) -> OverrideYear | None:
        text = getattr(key, "value", "")
        if not isinstance(key, yaml.ScalarNode) or not re.fullmatch(r"\d{4}", text) or not 1900 < int(text) < 2200:
            self.bad(key, f"years.{text}", "a year is four digits, e.g. 2027")
            return None
        year = OverrideYear(year=int(text), line=_line(key))
        where = f"years.{year.year}"
        if _is_null(value):
            return year
        if not isinstance(value, yaml.MappingNode):
            self.bad(value, where, "expected a mapping with `holidays:` and `workdays:`")
            return None
        seen: dict[date, int] = {}
        for field_key, field_value in value.value:
            name = field_key.value
            if name not in _YEAR_KEYS:
                self.bad(field_key, f"{where}.{name}", f"unknown field (expected one of: {', '.join(sorted(_YEAR_KEYS))})")
            elif name in ("provisional", "replace"):
                flag = _boolean(field_value)
                if flag is None:
                    self.bad(field_value, f"{where}.{name}", "expected true or false")
                else:
                    setattr(year, name, flag)
            elif name == "note":
                if not isinstance(field_value, yaml.ScalarNode):
                    self.bad(field_value, f"{where}.note", "expected text")
                else:
                    year.note = field_value.value
            elif not _is_null(field_value):
                if not isinstance(field_value, yaml.SequenceNode):
                    self.bad(field_value, f"{where}.{name}", "expected a list of dates or {date, name} / {from, to, name} entries")
                    continue
                for index, entry in enumerate(field_value.value):
                    self.entry(year, name, f"{where}.{name}.{index}", entry, seen)
        year.holidays.sort()
        year.workdays.sort()
        return year

    def entry(self, year: OverrideYear, kind: str, where: str, node: yaml.Node, seen: dict[date, int]) -> None:
        holiday = kind == "holidays"
        if isinstance(node, yaml.ScalarNode):
            day = self.date(node, where, year.year)
            if day is not None:
                self.single(year, holiday, day, "", node, where, seen)
            return
        if not isinstance(node, yaml.MappingNode):
            self.bad(node, where, "expected a date, {date, name} or {from, to, name}")
            return
        fields = {k.value: (k, v) for k, v in node.value}
        unknown = set(fields) - {"date", "from", "to", "name"}
        if unknown:
            key = fields[min(unknown)][0]
            self.bad(key, f"{where}.{key.value}", "unknown field (expected date, or from and to; and name)")
            return
        name = ""
        if "name" in fields:
            name_node = fields["name"][1]
            if not isinstance(name_node, yaml.ScalarNode) or not name_node.value.strip():
                self.bad(name_node, f"{where}.name", "expected a name, e.g. 春节")
                return
            name = name_node.value.strip()
        if "date" in fields and ("from" in fields or "to" in fields):
            self.bad(node, where, "give either `date` or `from` and `to`, not both")
            return
        if "date" in fields:
            day = self.date(fields["date"][1], f"{where}.date", year.year)
            if day is not None:
                self.single(year, holiday, day, name, fields["date"][1], f"{where}.date", seen)
            return
        if "from" not in fields or "to" not in fields:
            self.bad(node, where, "expected `date`, or both `from` and `to`")
            return
        start = self.date(fields["from"][1], f"{where}.from", year.year)
        end = self.date(fields["to"][1], f"{where}.to", year.year)
        if start is None or end is None:
            return
        if end < start:
            self.bad(fields["to"][1], f"{where}.to", f"{end} is before {start}")
            return
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            self.bad(fields["to"][1], f"{where}.to", f"a range of {(end - start).days + 1} days: at most {MAX_RANGE_DAYS}")
            return
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        if holiday and all(d.weekday() >= 5 for d in days):
            self.bad(node, where, f"{start}–{end} holds only weekend days, which are days off anyway")
            return
        if not holiday and any(d.weekday() < 5 for d in days):
            bad_day = next(d for d in days if d.weekday() < 5)
            self.bad(
                node, where, f"{bad_day} is a {WEEKDAY_NAMES[bad_day.weekday()]}: a make-up workday (调休) must be a Saturday or Sunday"
            )
            return
        line = _line(node)
        for day in days:
            if not self.unique(day, node, where, seen):
                return
        for day in days:
            seen[day] = line
            if not holiday:
                year.workdays.append(day)
            elif day.weekday() < 5:
                year.holidays.append(day)
            if name:
                year.names[day] = name

    def single(self, year: OverrideYear, holiday: bool, day: date, name: str, node: yaml.Node, where: str, seen: dict[date, int]) -> None:
        weekend = day.weekday() >= 5
        if holiday and weekend:
            self.bad(
                node, where,
                f"{day} is a {WEEKDAY_NAMES[day.weekday()]}: weekends are days off anyway; list weekdays under "
                "holidays (a from/to range may span a weekend)",
            )
            return
        if not holiday and not weekend:
            self.bad(node, where, f"{day} is a {WEEKDAY_NAMES[day.weekday()]}: a make-up workday (调休) must be a Saturday or Sunday")
            return
        if not self.unique(day, node, where, seen):
            return
        seen[day] = _line(node)
        (year.holidays if holiday else year.workdays).append(day)
        if name:
            year.names[day] = name

    def unique(self, day: date, node: yaml.Node, where: str, seen: dict[date, int]) -> bool:
        if day in seen:
            self.bad(node, where, f"{day} is listed twice (first at line {seen[day]})")
            return False
        return True

    def date(self, node: yaml.Node, where: str, year: int) -> date | None:
        text = node.value.strip() if isinstance(node, yaml.ScalarNode) else ""
        if not _DATE.match(text):
            self.bad(node, where, f"{text or 'this'!r} is not a date: write YYYY-MM-DD, e.g. {year}-10-01")
            return None
        try:
            day = date.fromisoformat(text)
        except ValueError as error:
            self.bad(node, where, f"{text} is not a date ({error})")
            return None
        if day.year != year:
            self.bad(node, where, f"{day} is not in {year}")
            return None
        return day


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _boolean(node: yaml.Node) -> bool | None:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:bool":
        return node.value.lower() in {"true", "yes", "on", "y"}
    return None


# ------------------------------------------------------------------ merging


def provisional_warning(year: int, origin: str, note: str = "") -> str:
    detail = f"; note: {note}" if note else ""
    return (
        f"the {year} holiday arrangement in {origin} is provisional (not the State Council's published "
        f"notice{detail}): replace it when the notice is out"
    )


def year_facts(year: int, package: YearFacts | None, override: OverrideYear | None, origin: str) -> YearFacts:
    """The facts for ``year`` from the package's arrangement and the override file's year (see the
    module docstring for the precedence)."""
    warning = provisional_warning(year, origin, override.note) if override and override.provisional else ""
    if override is not None and (package is None or override.replace):
        return YearFacts(
            year=year,
            source=FactSource.OVERRIDE,
            holidays=sorted(override.holidays),
            workdays=sorted(override.workdays),
            names=dict(sorted(override.names.items())),
            origin=origin + (" (replaces chinesecalendar)" if package is not None else ""),
            warning=warning,
        )
    if package is None:
        return weekends_only(year)
    if override is None or not (override.holidays or override.workdays or override.names):
        return package
    # Local additions: a local rest day (weekday) off, a weekend day worked. A package make-up workday
    # listed as a local holiday cannot happen (holidays are weekdays, package workdays weekend days).
    holidays = sorted(set(package.holidays) | set(override.holidays))
    workdays = sorted(set(package.workdays) | set(override.workdays))
    return YearFacts(
        year=year,
        source=FactSource.CHINESE_CALENDAR,
        holidays=holidays,
        workdays=workdays,
        names=dict(sorted({**package.names, **override.names}.items())),
        origin=f"{package.origin} + {origin}",
        warning=warning,
    )


def facts_for_years(years: list[int], override: Path | None) -> CalendarFacts:
    """The facts for ``years``. Raises CalendarFileError when the override file is bad."""
    overrides = load_override(override)
    origin = str(override) if override else ""
    return CalendarFacts(
        years={year: year_facts(year, package_facts(year), overrides.get(year), origin) for year in sorted(set(years))}
    )


# ------------------------------------------------------------------ the activity


class CalendarActivities:
    def __init__(self, override_path: Path | None = None) -> None:
        self.override_path = override_path

    @activity.defn(name="load_calendar_facts")
    def load_calendar_facts(self, years: list[int]) -> CalendarFacts:
        try:
            facts = facts_for_years(years, self.override_path)
        except CalendarFileError as error:
            # Retried (the workflow's retry policy): fix the file and the next attempt succeeds.
            log.error("calendar_override_invalid", override=error.origin, problems=[p.render(error.origin) for p in error.problems])
            raise ApplicationError(
                f"calendar override file is invalid (check it with `pdca calendar check {error.origin}`): {error}",
                type="CalendarFileInvalid",
            ) from None
        missing = [y for y, f in facts.years.items() if f.source == FactSource.WEEKENDS_ONLY]
        if missing:
            log.warning(
                "calendar_weekends_only",
                years=missing,
                override=str(self.override_path),
                hint="add these years to the calendar override file (docs/calendar.md)",
            )
        for year_facts_ in facts.years.values():
            if year_facts_.warning:
                log.warning("calendar_provisional", year=year_facts_.year, warning=year_facts_.warning)
        return facts
