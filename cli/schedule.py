"""`pdca schedule list|create|pause|resume|trigger`: the supervision cadence (月督导、季观摩、半年通报)
and the project's other Temporal Schedules. The work is service/schedules.py."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import Lang, PolicyOpt, deps, emit, noun, opts, run_async, run_then_exit
from cli.render import console
from service import schedules

app = noun("督导节奏 supervision cadence schedules (月督导/季观摩/半年通报, Asia/Shanghai): list, create, pause, resume, trigger.")

IdArg = Annotated[str, typer.Argument(help="Schedule id as `pdca schedule list` shows it, e.g. pdca-cadence-monthly-digest.")]

_OUTCOME_ZH = {"created": "已创建", "updated": "已更新", "unchanged": "未变", "deleted": "已删除", "absent": "未启用"}


@app.command("list")
def list_schedules() -> None:
    """列出计划 The product's schedules: what they run, when next (Beijing time), paused or not."""

    def action() -> None:
        rows = run_async(schedules.list_schedules(deps()))
        zh = opts().lang == Lang.zh

        def show() -> None:
            if not rows:
                console.print("没有计划；运行 `pdca schedule create`" if zh else "no schedules; run `pdca schedule create`")
            for row in rows:
                paused = (
                    (("已暂停" if zh else "paused") + (f"（{row['note']}）" if row["note"] else ""))
                    if row["paused"]
                    else ("运行中" if zh else "active")
                )
                nexts = ", ".join(row["next_runs"]) or "-"
                console.print(f"{row['id']}  {row['what']}  [{paused}]  {'下次' if zh else 'next'}: {nexts}", markup=False, soft_wrap=True)

        emit(rows, show)

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
    """立即执行 Run a schedule's action now (e.g. the monthly digest before a meeting)."""

    def action() -> None:
        schedules.check_own(schedule_id)
        run_async(schedules.trigger(deps(), schedule_id))
        _done(schedule_id, "triggered", "已触发")

    run_then_exit(action)
