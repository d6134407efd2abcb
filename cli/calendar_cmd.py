"""`pdca calendar`: 工作日历 the working-day calendar: show a year, check an override file."""

from __future__ import annotations

import calendar as stdlib_calendar
import os
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.common import JsonOpt, Lang, LangOpt, run
from cli.errors import CliError
from cli.render import console, print_json
from domain.labels import all_keys, label
from domain.workcal import FactSource, WorkCalendar, YearFacts

HELP = """工作日历 the working-day calendar that deadlines, reminders and escalation count on.

Facts for a year come from the chinese-calendar package (the State Council's holiday arrangement, with
make-up workdays 调休) for the years it knows, plus an override file (YAML) for local rest days and
for years the package does not know yet. A year with neither counts weekends only, with a warning.

The override file: --override FILE, else env PDCA_CALENDAR, else $PDCA_HOME/calendar.yaml
(default ~/.pdca/calendar.yaml). Format: examples/calendar-override.yaml, docs/calendar.md.
"""

app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode=None)

OverrideOpt = Annotated[
    Path | None,
    typer.Option(
        "--override",
        help="Override YAML [env PDCA_CALENDAR; default $PDCA_HOME/calendar.yaml when it exists].",
    ),
]


def _override_path(explicit: Path | None) -> Path | None:
    """The override file to use; a file named explicitly (option or PDCA_CALENDAR) must exist."""
    from activities.calendar import default_override_path

    if explicit is not None:
        if not explicit.exists():
            raise CliError(f"{explicit}: no such file")
        return explicit
    path = default_override_path()
    if os.environ.get("PDCA_CALENDAR") and path is not None and not path.exists():
        raise CliError(f"PDCA_CALENDAR={path}: no such file")
    return path if path is not None and path.exists() else None


def _fail(error: Any, lang: Lang) -> None:
    """Every problem of a bad override file on its own line (file:line: field: message), exit 1."""
    prefix = "错误：" if lang == Lang.zh else "error: "
    for problem in error.problems:
        print(f"{prefix}{problem.render(error.origin)}", file=sys.stderr)
    raise typer.Exit(1)


_errors = Console(stderr=True, highlight=False)


def warn(message: str, lang: Lang) -> None:
    """A warning on stderr (so it is seen even when stdout goes to a file)."""
    _errors.print(f"⚠ {'警告：' if lang == Lang.zh else 'warning: '}{message}", style="yellow", soft_wrap=True)


def _weekday(day: date, lang: Lang) -> str:
    return label(f"calendar.weekday.{day.weekday()}", lang.value)


def _holiday_name(name: str, lang: Lang) -> str:
    """The national holidays have English labels; a local name (e.g. 壮族三月三) is shown as written."""
    key = f"calendar.name.{name}"
    return label(key, lang.value) if key in all_keys() else name


def year_report(facts: YearFacts, package: YearFacts | None, warnings: list[str]) -> dict[str, Any]:
    """Everything `show` prints, as data (also the --json output)."""
    calendar = WorkCalendar(_facts_of(facts))
    from_package = set(package.holidays) | set(package.workdays) if package else set()
    local = facts.source == FactSource.CHINESE_CALENDAR and package is not None
    days: list[dict[str, Any]] = []
    listed = sorted(set(facts.holidays) | set(facts.workdays) | set(facts.names))
    for day in listed:
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


def _facts_of(facts: YearFacts) -> Any:
    from domain.workcal import CalendarFacts

    return CalendarFacts(years={facts.year: facts})


@app.command("show")
def show(
    year: Annotated[int, typer.Argument(min=1900, max=2199, help="Year, e.g. 2026.")],
    override: OverrideOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """查看日历 Show a year: where its facts come from, warnings, every day off and make-up workday
    (调休) with its name, and the working days per month.

    Days added by the override file to the package's arrangement are marked local (本地).
    """
    from activities.calendar import CalendarFileError, facts_for_years, package_facts

    def action() -> None:
        path = _override_path(override)
        try:
            facts = facts_for_years([year], path).years[year]
        except CalendarFileError as error:
            _fail(error, lang)
        warnings = WorkCalendar(_facts_of(facts)).warnings([year])
        report = year_report(facts, package_facts(year), warnings)
        if as_json:
            print_json(report)
            return
        _print_report(report, lang)

    run(action, lang)


def _print_report(report: dict[str, Any], lang: Lang) -> None:
    zh = lang == Lang.zh
    L = lambda key: label(key, lang.value)
    year = report["year"]
    console.print(f"{year}年工作日历" if zh else f"Working-day calendar {year}", style="bold")
    source = L(f"calendar.source.{report['source']}")
    origin = f"（{report['origin']}）" if zh else f" ({report['origin']})"
    shown_origin = report["origin"] and report["source"] != FactSource.WEEKENDS_ONLY.value
    console.print(f"{L('calendar.word.source')}{'：' if zh else ': '}{source}{origin if shown_origin else ''}", soft_wrap=True)
    for warning in report["warnings"]:
        warn(warning, lang)
    if report["days"]:
        table = Table(title=L("calendar.word.days"), title_justify="left")
        for column in ("calendar.word.date", "calendar.word.weekday", "calendar.word.kind", "calendar.word.name"):
            table.add_column(L(column))
        for day in report["days"]:
            kind = L(f"calendar.kind.{day['kind']}")
            if day["local"]:
                kind += f"（{L('calendar.word.local')}）" if zh else f" ({L('calendar.word.local')})"
            table.add_row(
                day["date"], _weekday(date.fromisoformat(day["date"]), lang), kind, _holiday_name(day["name"], lang)
            )
        console.print(table)
    else:
        console.print(L("calendar.word.no_days"))
    months = Table(title=L("calendar.word.months"), title_justify="left")
    months.add_column(L("calendar.word.month"))
    months.add_column(L("calendar.word.working_days"), justify="right")
    months.add_column(L("calendar.word.days_off"), justify="right")
    for month in report["months"]:
        months.add_row(f"{month['month']}月" if zh else stdlib_calendar.month_abbr[month["month"]], str(month["working_days"]), str(month["days_off"]))
    months.add_row(L("calendar.word.total"), str(report["working_days"]), str(report["days_off"]), style="bold")
    console.print(months)


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="Override YAML to check (format: examples/calendar-override.yaml).")],
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """校验覆盖文件 Check a calendar override file: every bad entry is reported with its line and field
    (a date outside its year, a holiday on a weekend, a make-up workday on a weekday, a date listed
    twice, a malformed date), exit 1. On success print a summary per year.
    """
    from activities.calendar import (
        CalendarFileError,
        load_override,
        package_facts,
        year_facts,
    )

    def action() -> None:
        if not file.exists():
            raise CliError(f"{file}: no such file")
        try:
            years = load_override(file)
        except CalendarFileError as error:
            _fail(error, lang)
        summary = []
        for year, entry in sorted(years.items()):
            package = package_facts(year)
            facts = year_facts(year, package, entry, str(file))
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
        if as_json:
            print_json({"file": str(file), "ok": True, "years": summary})
            return
        zh = lang == Lang.zh
        if not summary:
            console.print(f"✓ {file}：无年份（不覆盖任何日期）" if zh else f"✓ {file}: no years (overrides nothing)", soft_wrap=True)
        for item in summary:
            effect = label(f"calendar.effect.{item['effect']}", lang.value)
            if zh:
                line = (f"✓ {file}：{item['year']}年 放假(工作日) {item['holidays']} 天，调休上班 {item['workdays']} 天；"
                        f"{effect}；全年工作日 {item['working_days']} 天")
            else:
                line = (f"✓ {file}: {item['year']}: {item['holidays']} weekday(s) off, {item['workdays']} make-up workday(s); "
                        f"{effect}; {item['working_days']} working days in the year")
            console.print(line, soft_wrap=True)
            for warning in item["warnings"]:
                warn(warning, lang)

    run(action, lang)
