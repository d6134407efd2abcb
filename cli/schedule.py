"""`pdca schedule list|show|create|pause|resume|trigger`: the supervision cadence (月督导、季观摩、半年通报)
and the project's other Temporal Schedules. The work is service/schedules.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from cli.common import Lang, PolicyOpt, deps, emit, noun, opts, run_async, run_then_exit
from cli.render import console
from service import schedules

app = noun(
    "督导节奏 supervision cadence on working days (月督导/季观摩/半年通报, Asia/Shanghai): list, show, create, pause, resume, trigger."
)

IdArg = Annotated[str, typer.Argument(help="Schedule id as `pdca schedule list` shows it, e.g. pdca-cadence-monthly-digest.")]

_OUTCOME_ZH = {"created": "已创建", "updated": "已更新", "unchanged": "未变", "deleted": "已删除", "absent": "未启用"}
_WEEKDAY_ZH = "一二三四五六日"
_WEEKDAY_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_RULE = {
    "next_working_day": ("逢节假日、周末顺延至下一工作日", "moved to the next working day when the day is off"),
    "working_days_only": ("仅工作日执行", "working days only"),
    "every_day": ("每天", "every day"),
}


def _day(moment: str, zh: bool) -> str:
    """'2027-06-07 09:00' with its weekday: '2027-06-07 周一 09:00'."""
    day = date.fromisoformat(moment[:10])
    weekday = f"周{_WEEKDAY_ZH[day.weekday()]}" if zh else _WEEKDAY_EN[day.weekday()]
    return f"{moment[:10]} {weekday} {moment[11:]}"


def _state(row: dict[str, Any], zh: bool) -> str:
    if not row["paused"]:
        return "运行中" if zh else "active"
    return ("已暂停" if zh else "paused") + (f"（{row['note']}）" if row["note"] else "")


def _moved_from(row: dict[str, Any]) -> dict[str, str]:
    """{the moment a run really happens: the firing it was moved from}."""
    return {m["runs"]: m["scheduled"] for m in row["moved"]}


@app.command("list")
def list_schedules() -> None:
    """列出计划 The product's schedules: what they run, the next runs (Beijing time, on working days), paused or not.

    The dates are when the work really happens: a 月督导/季观摩/半年通报 whose day is a weekend or public
    holiday is moved to the next working day (顺延, with the day it was due: 原定), the daily notice digest
    skips days off.
    `pdca schedule show ID` lists the next ten.
    """

    def action() -> None:
        rows = run_async(schedules.list_schedules(deps()))
        zh = opts().lang == Lang.zh

        def show() -> None:
            if not rows:
                console.print("没有计划；运行 `pdca schedule create`" if zh else "no schedules; run `pdca schedule create`")
            for row in rows:
                moved = _moved_from(row)
                nexts = ", ".join(
                    _day(t, zh) + ((f"（原定 {moved[t][:10]}）" if zh else f" (due {moved[t][:10]})") if t in moved else "")
                    for t in row["next_runs"]
                ) or "-"
                console.print(
                    f"{row['id']}  {row['what']}  [{_state(row, zh)}]  {'下次' if zh else 'next'}: {nexts}", markup=False, soft_wrap=True
                )
            for warning in dict.fromkeys(w for row in rows for w in row["calendar_warnings"]):
                console.print((f"⚠ 日历：{warning}" if zh else f"⚠ calendar: {warning}"), markup=False, soft_wrap=True)

        emit(rows, show)

    run_then_exit(action)


@app.command("show")
def show_schedule(schedule_id: IdArg) -> None:
    """查看计划 One schedule: its rule, its next runs on working days (up to 10; each moved one with the
    day it was due) and its recent firings."""

    def action() -> None:
        schedules.check_own(schedule_id)
        row = run_async(schedules.show_schedule(deps(), schedule_id))
        zh = opts().lang == Lang.zh

        def show() -> None:
            rule = _RULE.get(row["rule"], (row["rule"], row["rule"]))
            console.print(f"{row['id']}  {row['what']}  [{_state(row, zh)}]", markup=False, soft_wrap=True)
            console.print(f"{'规则' if zh else 'rule'}: {rule[0] if zh else rule[1]}", markup=False)
            console.print("下次执行（北京时间）：" if zh else "next runs (Beijing time):")
            moved = _moved_from(row)
            for moment in row["next_runs"]:
                note = ""
                if moment in moved:
                    due = _day(moved[moment], zh)
                    note = f"  ← 原定 {due}，顺延" if zh else f"  ← due {due}, moved to the next working day"
                console.print(f"  {_day(moment, zh)}{note}", markup=False, soft_wrap=True)
            if not row["next_runs"]:
                console.print("  -")
            if row["recent"]:
                console.print("最近触发：" if zh else "recent firings:")
                for recent in row["recent"]:
                    console.print(f"  {_day(recent['started'], zh)}", markup=False)
            for warning in row["calendar_warnings"]:
                console.print((f"⚠ 日历：{warning}" if zh else f"⚠ calendar: {warning}"), markup=False, soft_wrap=True)

        emit(row, show)

    run_then_exit(action)


@app.command("create")
def create(policy_file: PolicyOpt = None) -> None:
    """创建计划 Create or update the cadence schedules from the policy (idempotent; `pdca up` does it too).

    A schedule whose spec is unchanged is left as it is, paused or not; a changed policy updates it;
    a cadence the policy disables is deleted. The daily audit verification and notice digest are
    ensured as well.
    """

    def action() -> None:
        from settings.directory import load_policy

        outcome = run_async(schedules.ensure_all(deps(), load_policy(policy_file)))
        zh = opts().lang == Lang.zh

        def show() -> None:
            for sid, what in sorted(outcome.items()):
                console.print(f"✓ {sid}: {_OUTCOME_ZH[what] if zh else what}")

        emit(outcome, show)

    run_then_exit(action)


def _done(schedule_id: str, action: str, zh_word: str) -> None:
    emit(
        {"schedule_id": schedule_id, "action": action},
        lambda: console.print(f"✓ {schedule_id}: {zh_word if opts().lang == Lang.zh else action}"),
    )


@app.command("pause")
def pause(
    schedule_id: IdArg,
    note: Annotated[str, typer.Option("--note", help="Why (shown by `pdca schedule list`).")] = "",
) -> None:
    """暂停 Pause a schedule (e.g. during 换届); `pdca up` and `schedule create` keep it paused."""

    def action() -> None:
        schedules.check_own(schedule_id)
        run_async(schedules.pause(deps(), schedule_id, note))
        _done(schedule_id, "paused", "已暂停")

    run_then_exit(action)


@app.command("resume")
def resume(schedule_id: IdArg) -> None:
    """恢复 Resume a paused schedule."""

    def action() -> None:
        schedules.check_own(schedule_id)
        run_async(schedules.resume(deps(), schedule_id))
        _done(schedule_id, "resumed", "已恢复")

    run_then_exit(action)


@app.command("trigger")
def trigger(schedule_id: IdArg) -> None:
    """立即执行 Run a schedule's action now (e.g. the monthly digest before a meeting).

    Runs at once, whatever the day, and covers up to now: a 半年通报 triggered in November reports the
    year up to that moment, not as of 30 June.
    """

    def action() -> None:
        schedules.check_own(schedule_id)
        run_async(schedules.trigger(deps(), schedule_id))
        _done(schedule_id, "triggered", "已触发")

    run_then_exit(action)
