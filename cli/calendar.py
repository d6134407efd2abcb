"""`pdca calendar show|check`: 工作日历 the working-day calendar. The work is service/calendar.py."""

from __future__ import annotations

import calendar as stdlib_calendar
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.common import Lang, emit, noun, opts, run
from cli.render import console
from i18n import all_keys, label
from service import calendar as workcal

app = noun("""工作日历 the working-day calendar that deadlines, reminders and escalation count on.

Facts for a year come from the chinese-calendar package (the State Council's holiday arrangement, with
make-up workdays 调休) for the years it knows, plus an override file (YAML) for local rest days and
for years the package does not know yet. A year with neither counts weekends only, with a warning.

The override file: --override FILE, else env PDCA_CALENDAR, else $PDCA_HOME/calendar.yaml
(default ~/.pdca/calendar.yaml). Format: examples/calendar-override.yaml, docs/calendar.md.
""")

OverrideOpt = Annotated[
    Path | None,
    typer.Option("--override", help="Override YAML [env PDCA_CALENDAR; default $PDCA_HOME/calendar.yaml when it exists]."),
]

_errors = Console(stderr=True, highlight=False)


def warn(message: str, lang: Lang) -> None:
    """A warning on stderr (so it is seen even when stdout goes to a file)."""
    _errors.print(f"⚠ {'警告：' if lang == Lang.zh else 'warning: '}{message}", style="yellow", soft_wrap=True)


def _rejected(error: workcal.CalendarRejected) -> None:
    """Every problem of a bad override file on its own line (file:line: field: message), exit 1."""
    prefix = "错误：" if opts().lang == Lang.zh else "error: "
    for line in error.lines:
        print(f"{prefix}{line}", file=sys.stderr)
    raise typer.Exit(1)


def _weekday(day: date, lang: Lang) -> str:
    return label(f"calendar.weekday.{day.weekday()}", lang.value)


def _holiday_name(name: str, lang: Lang) -> str:
    """The national holidays have English labels; a local name (e.g. 壮族三月三) is shown as written."""
    key = f"calendar.name.{name}"
    return label(key, lang.value) if key in all_keys() else name


@app.command("show")
def show(
    year: Annotated[int, typer.Argument(min=1900, max=2199, help="Year, e.g. 2026.")],
    override: OverrideOpt = None,
) -> None:
    """查看日历 Show a year: where its facts come from, warnings, every day off and make-up workday
    (调休) with its name, and the working days per month.

    Days added by the override file to the package's arrangement are marked local (本地). With the
    global option --json (or --output json) the same report is printed as JSON.
    """

    def action() -> None:
        try:
            report = workcal.show(year, override)
        except workcal.CalendarRejected as error:
            _rejected(error)
        emit(report, lambda: _print_report(report, opts().lang))

    run(action)


def _print_report(report: dict[str, Any], lang: Lang) -> None:
    zh = lang == Lang.zh
    L = lambda key: label(key, lang.value)  # noqa: E731
    year = report["year"]
    console.print(f"{year}年工作日历" if zh else f"Working-day calendar {year}", style="bold")
    source = L(f"calendar.source.{report['source']}")
    origin = f"（{report['origin']}）" if zh else f" ({report['origin']})"
    shown_origin = report["origin"] and report["source"] != "weekends_only"
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
            table.add_row(day["date"], _weekday(date.fromisoformat(day["date"]), lang), kind, _holiday_name(day["name"], lang))
        console.print(table)
    else:
        console.print(L("calendar.word.no_days"))
    months = Table(title=L("calendar.word.months"), title_justify="left")
    months.add_column(L("calendar.word.month"))
    months.add_column(L("calendar.word.working_days"), justify="right")
    months.add_column(L("calendar.word.days_off"), justify="right")
    for month in report["months"]:
        months.add_row(
            f"{month['month']}月" if zh else stdlib_calendar.month_abbr[month["month"]], str(month["working_days"]), str(month["days_off"])
        )
    months.add_row(L("calendar.word.total"), str(report["working_days"]), str(report["days_off"]), style="bold")
    console.print(months)


@app.command("check")
def check(file: Annotated[Path, typer.Argument(help="Override YAML to check (format: examples/calendar-override.yaml).")]) -> None:
    """校验覆盖文件 Check a calendar override file: every bad entry is reported with its line and field
    (a date outside its year, a holiday on a weekend, a make-up workday on a weekday, a date listed
    twice, a malformed date), exit 1. On success print a summary per year.
    """

    def action() -> None:
        try:
            result = workcal.check(file)
        except workcal.CalendarRejected as error:
            _rejected(error)
        emit(result, lambda: _print_check(result, opts().lang))

    run(action)


def _print_check(result: dict[str, Any], lang: Lang) -> None:
    zh = lang == Lang.zh
    file = result["file"]
    if not result["years"]:
        console.print(f"✓ {file}：无年份（不覆盖任何日期）" if zh else f"✓ {file}: no years (overrides nothing)", soft_wrap=True)
    for item in result["years"]:
        effect = label(f"calendar.effect.{item['effect']}", lang.value)
        if zh:
            line = (
                f"✓ {file}：{item['year']}年 放假(工作日) {item['holidays']} 天，调休上班 {item['workdays']} 天；"
                f"{effect}；全年工作日 {item['working_days']} 天"
            )
        else:
            line = (
                f"✓ {file}: {item['year']}: {item['holidays']} weekday(s) off, {item['workdays']} make-up workday(s); "
                f"{effect}; {item['working_days']} working days in the year"
            )
        console.print(line, soft_wrap=True)
        for warning in item["warnings"]:
            warn(warning, lang)
