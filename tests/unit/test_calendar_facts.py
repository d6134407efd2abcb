"""Calendar facts (activities/calendar.py): the chinese-calendar package, the override file and its
validation, the merge and the weekend fallback; `pdca calendar show` / `check` through Typer's runner."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from typer.testing import CliRunner

from activities.calendar import (
    CalendarActivities,
    CalendarFileError,
    default_override_path,
    facts_for_years,
    load_override,
    package_facts,
    parse_override,
)
from cli.main import app
from domain.workcal import FactSource, WorkCalendar

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "calendar-override.yaml"
runner = CliRunner()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# ------------------------------------------------------------------ the package


def test_package_facts_2026_real_arrangement() -> None:
    facts = package_facts(2026)
    assert facts is not None and facts.source == FactSource.CHINESE_CALENDAR
    assert facts.origin.startswith("chinesecalendar ")
    assert facts.workdays == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    assert {date(2026, 10, d) for d in (1, 2, 5, 6, 7)} <= set(facts.holidays)
    assert {date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)} <= set(facts.holidays)
    assert all(d.weekday() < 5 for d in facts.holidays)
    assert all(d.weekday() >= 5 for d in facts.workdays)
    # names in Chinese, for days off (weekends inside a holiday too) and make-up workdays
    assert facts.names[date(2026, 10, 1)] == "国庆节"
    assert facts.names[date(2026, 10, 3)] == "国庆节"
    assert facts.names[date(2026, 9, 20)] == "国庆节"
    assert facts.names[date(2026, 2, 14)] == "春节"
    assert facts.names[date(2026, 9, 25)] == "中秋"
    assert date(2026, 3, 7) not in facts.names  # an ordinary Saturday has no name


def test_package_does_not_know_2027() -> None:
    assert package_facts(2027) is None


# ------------------------------------------------------------------ the override file


def test_example_file_gives_2027_as_provisional(tmp_path: Path) -> None:
    facts = facts_for_years([2026, 2027, 2028], EXAMPLE)
    assert facts.years[2026] == package_facts(2026)  # the example has no 2026 entries
    y2027 = facts.years[2027]
    assert y2027.source == FactSource.OVERRIDE and y2027.origin == str(EXAMPLE)
    assert date(2027, 2, 8) in y2027.holidays and date(2027, 2, 6) not in y2027.holidays  # a range spans the weekend
    assert y2027.names[date(2027, 2, 6)] == "春节"
    assert date(2027, 2, 14) in y2027.workdays
    assert facts.years[2028].source == FactSource.WEEKENDS_ONLY
    calendar = WorkCalendar(facts)
    warnings = calendar.warnings([2026, 2027, 2028])
    assert len(warnings) == 2
    assert "2027" in warnings[0] and "provisional" in warnings[0]
    assert "2028" in warnings[1] and "weekends only" in warnings[1]
    assert not calendar.is_workday(date(2027, 10, 4)) and calendar.is_workday(date(2027, 10, 9))


def test_local_rest_days_are_added_to_a_known_year(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        years:
          2026:
            holidays:
              - {from: 2026-04-20, to: 2026-04-21, name: 壮族三月三}
              - 2026-12-31
            workdays:
              - {date: 2026-04-25, name: 壮族三月三}
        """,
    )
    facts = facts_for_years([2026], path).years[2026]
    package = package_facts(2026)
    assert package is not None
    assert facts.source == FactSource.CHINESE_CALENDAR
    assert facts.origin == f"{package.origin} + {path}"
    assert set(facts.holidays) == set(package.holidays) | {date(2026, 4, 20), date(2026, 4, 21), date(2026, 12, 31)}
    assert set(facts.workdays) == set(package.workdays) | {date(2026, 4, 25)}
    assert facts.names[date(2026, 4, 20)] == "壮族三月三" and facts.names[date(2026, 10, 1)] == "国庆节"
    calendar = WorkCalendar(facts_for_years([2026], path))
    assert calendar.add_working_days(date(2026, 4, 17), 1) == date(2026, 4, 22)
    assert calendar.is_workday(date(2026, 4, 25))
    assert not calendar.is_workday(date(2026, 10, 1))  # the package's days stay
    assert calendar.warnings([2026]) == []


def test_replace_uses_only_the_files_days(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        years:
          2026:
            replace: true
            holidays: [{from: 2026-10-01, to: 2026-10-08, name: 国庆节}]
        """,
    )
    facts = facts_for_years([2026], path).years[2026]
    assert facts.source == FactSource.OVERRIDE and "replaces chinesecalendar" in facts.origin
    assert facts.workdays == []
    calendar = WorkCalendar(facts_for_years([2026], path))
    assert calendar.is_workday(date(2026, 2, 16))  # the package's Spring Festival is gone
    assert not calendar.is_workday(date(2026, 10, 8))


def test_no_file_empty_file_and_empty_year(tmp_path: Path) -> None:
    assert load_override(None) == {}
    assert load_override(tmp_path / "missing.yaml") == {}
    assert parse_override("") == {}
    assert parse_override("years:\n") == {}
    empty_year = parse_override("years:\n  2027:\n")
    assert empty_year[2027].holidays == [] and empty_year[2027].workdays == []
    facts = facts_for_years([2027], write(tmp_path, "years:\n  2027: {}\n")).years[2027]
    assert facts.source == FactSource.OVERRIDE  # an explicit (empty) arrangement: no weekend warning


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("years:\n  2027:\n    holidays:\n      - 2027-02-30\n", 4, "years.2027.holidays.0", "not a date"),
        ("years:\n  2027:\n    holidays:\n      - 27-2-3\n", 4, "years.2027.holidays.0", "YYYY-MM-DD"),
        ("years:\n  2027:\n    holidays:\n      - 2026-12-31\n", 4, "years.2027.holidays.0", "not in 2027"),
        ("years:\n  2027:\n    holidays:\n      - {date: 2027-02-06, name: 春节}\n", 4, "years.2027.holidays.0.date", "is a Saturday"),
        ("years:\n  2027:\n    workdays:\n      - 2027-02-08\n", 4, "years.2027.workdays.0", "must be a Saturday or Sunday"),
        (
            "years:\n  2027:\n    holidays:\n      - 2027-10-01\n      - 2027-10-01\n",
            5,
            "years.2027.holidays.1",
            "listed twice (first at line 4)",
        ),
        (
            "years:\n  2027:\n    holidays:\n      - {from: 2027-10-01, to: 2027-10-07}\n    workdays:\n      - 2027-10-02\n",
            6,
            "years.2027.workdays.0",
            "listed twice (first at line 4)",
        ),
        ("years:\n  2027:\n    holidays:\n      - {from: 2027-10-07, to: 2027-10-01}\n", 4, "years.2027.holidays.0.to", "before"),
        ("years:\n  2027:\n    holidays:\n      - {from: 2027-01-01, to: 2027-03-01}\n", 4, "years.2027.holidays.0.to", "at most 31"),
        ("years:\n  2027:\n    holidays:\n      - {from: 2027-02-06, to: 2027-02-07}\n", 4, "years.2027.holidays.0", "only weekend days"),
        (
            "years:\n  2027:\n    workdays:\n      - {from: 2027-02-06, to: 2027-02-08}\n",
            4,
            "years.2027.workdays.0",
            "2027-02-08 is a Monday",
        ),
        ("years:\n  2027:\n    holidays:\n      - {date: 2027-10-01, when: x}\n", 4, "years.2027.holidays.0.when", "unknown field"),
        ("years:\n  2027:\n    holidays:\n      - {from: 2027-10-01}\n", 4, "years.2027.holidays.0", "both `from` and `to`"),
        ("years:\n  2027:\n    holiday:\n      - 2027-10-01\n", 3, "years.2027.holiday", "unknown field"),
        ("years:\n  2027:\n    provisional: maybe\n", 3, "years.2027.provisional", "true or false"),
        ("years:\n  27:\n    holidays: []\n", 2, "years.27", "four digits"),
        ("years:\n  2027: {}\n  2027: {}\n", 3, "years.2027", "listed twice"),
        ("year:\n  2027: {}\n", 1, "year", "unknown field"),
        ("years: [2027]\n", 1, "years", "mapping of years"),
        ("years:\n  2027:\n    holidays: 2027-10-01\n", 3, "years.2027.holidays", "expected a list"),
        ("years:\n  2027:\n    holidays: [2027-10-01\n", 4, "(file)", "invalid YAML"),
    ],
)
def test_validation_reports_line_and_field(text: str, line: int, field: str, message: str) -> None:
    with pytest.raises(CalendarFileError) as raised:
        parse_override(text, "cal.yaml")
    problem = raised.value.problems[0]
    assert (problem.line, problem.field) == (line, field), raised.value.problems
    assert message in problem.message
    assert str(raised.value).startswith(f"cal.yaml:{line}: {field}: ")


def test_every_problem_is_reported_at_once() -> None:
    text = "years:\n  2027:\n    holidays:\n      - 2027-02-06\n      - 2027-13-01\n    workdays:\n      - 2027-02-08\n"
    with pytest.raises(CalendarFileError) as raised:
        parse_override(text)
    assert [p.line for p in raised.value.problems] == [4, 5, 7]


def test_default_override_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PDCA_CALENDAR", str(tmp_path / "explicit.yaml"))
    monkeypatch.setenv("PDCA_HOME", str(tmp_path / "home"))
    assert default_override_path() == tmp_path / "explicit.yaml"
    monkeypatch.delenv("PDCA_CALENDAR")
    assert default_override_path() == tmp_path / "home" / "calendar.yaml"


# ------------------------------------------------------------------ the activity (Temporal's activity environment)


def test_activity_returns_facts_and_refuses_a_bad_file(tmp_path: Path) -> None:
    env = ActivityEnvironment()
    facts = env.run(CalendarActivities(EXAMPLE).load_calendar_facts, [2026, 2027, 2028])
    assert [facts.years[y].source for y in (2026, 2027, 2028)] == [
        FactSource.CHINESE_CALENDAR,
        FactSource.OVERRIDE,
        FactSource.WEEKENDS_ONLY,
    ]
    # the file is read on every call: a file created after the worker started is used
    path = tmp_path / "later.yaml"
    activities = CalendarActivities(path)
    assert env.run(activities.load_calendar_facts, [2027]).years[2027].source == FactSource.WEEKENDS_ONLY
    path.write_text("years:\n  2027:\n    holidays: [2027-10-01]\n", encoding="utf-8")
    assert env.run(activities.load_calendar_facts, [2027]).years[2027].holidays == [date(2027, 10, 1)]
    path.write_text("years:\n  2027:\n    holidays: [2027-10-02]\n", encoding="utf-8")  # a Saturday
    with pytest.raises(ApplicationError, match=r"later.yaml:3: years.2027.holidays.0: 2027-10-02 is a Saturday") as raised:
        env.run(activities.load_calendar_facts, [2027])
    assert raised.value.type == "CalendarFileInvalid" and not raised.value.non_retryable


# ------------------------------------------------------------------ the CLI


def test_cli_show_2026_json() -> None:
    result = runner.invoke(app, ["calendar", "show", "2026", "--json", "--override", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["source"] == "chinese_calendar" and report["warnings"] == []
    days = {d["date"]: d for d in report["days"]}
    assert days["2026-10-01"] == {"date": "2026-10-01", "weekday": 3, "kind": "holiday", "name": "国庆节", "local": False}
    assert days["2026-10-03"]["kind"] == "weekend"
    assert days["2026-09-20"]["kind"] == "workday" and days["2026-10-10"]["kind"] == "workday"
    assert [m["working_days"] for m in report["months"]][8:10] == [22, 18]
    assert report["working_days"] == 248 and report["working_days"] + report["days_off"] == 365


def test_cli_show_table_and_lang_en(tmp_path: Path) -> None:
    path = write(tmp_path, "years:\n  2026:\n    holidays: [{date: 2026-04-20, name: 壮族三月三}]\n")
    zh = runner.invoke(app, ["calendar", "show", "2026", "--override", str(path)])
    assert zh.exit_code == 0, zh.output
    assert "2026年工作日历" in zh.stdout and "国庆节" in zh.stdout and "调休上班" in zh.stdout
    assert "放假（本地）" in zh.stdout and "│ 壮族三月三" in zh.stdout
    assert "全年 │    247" in zh.stdout  # one local rest day fewer than the package's 248
    en = runner.invoke(app, ["calendar", "show", "2026", "--lang", "en", "--override", str(path)])
    assert "National Day" in en.stdout and "make-up workday" in en.stdout and "day off (local)" in en.stdout
    assert "│ 壮族三月三" in en.stdout  # a local name has no translation: shown as written


def test_cli_show_warns_for_provisional_and_unknown_years(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PDCA_HOME", str(tmp_path))  # no calendar.yaml there
    monkeypatch.delenv("PDCA_CALENDAR", raising=False)
    bare = runner.invoke(app, ["calendar", "show", "2028", "--lang", "en"])
    assert bare.exit_code == 0
    assert "warning: no holiday calendar for 2028" in bare.stderr
    assert "weekends only" in bare.stdout and "260" in bare.stdout
    monkeypatch.setenv("PDCA_CALENDAR", str(EXAMPLE))
    provisional = runner.invoke(app, ["calendar", "show", "2027", "--json"])
    assert provisional.exit_code == 0
    assert "provisional" in json.loads(provisional.stdout)["warnings"][0]
    monkeypatch.setenv("PDCA_CALENDAR", str(tmp_path / "missing.yaml"))
    missing = runner.invoke(app, ["calendar", "show", "2027"])
    assert missing.exit_code == 1 and "missing.yaml: no such file" in missing.stderr


def test_cli_check(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["calendar", "check", str(EXAMPLE), "--lang", "en"])
    assert ok.exit_code == 0, ok.output
    assert "2027: 18 weekday(s) off, 6 make-up workday(s)" in ok.stdout
    assert "provisional" in ok.stderr
    as_json = json.loads(runner.invoke(app, ["calendar", "check", str(EXAMPLE), "--json"]).stdout)
    assert as_json["years"][0]["effect"] == "arrangement" and as_json["years"][0]["provisional"] is True

    bad = write(tmp_path, "years:\n  2027:\n    holidays:\n      - 2027-02-06\n    workdays: [2027-02-08]\n")
    result = runner.invoke(app, ["calendar", "check", str(bad)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        (
            f"错误：{bad}:4: years.2027.holidays.0: 2027-02-06 is a Saturday: weekends are days off anyway; "
            "list weekdays under holidays (a from/to range may span a weekend)"
        ),
        f"错误：{bad}:5: years.2027.workdays.0: 2027-02-08 is a Monday: a make-up workday (调休) must be a Saturday or Sunday",
    ]
    missing = runner.invoke(app, ["calendar", "check", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 1 and "no such file" in missing.stderr


def test_cli_help_explains_the_override_file() -> None:
    result = runner.invoke(app, ["calendar", "--help"])
    assert "PDCA_CALENDAR" in result.stdout
    show_help = runner.invoke(app, ["calendar", "show", "--help"])
    assert "--override" in show_help.stdout and "--json" in show_help.stdout
