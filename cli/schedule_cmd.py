"""`pdca schedule`: the supervision cadence (月督导、季观摩、半年通报) and the product's other Temporal
Schedules — list them, create them from the policy, pause, resume, run one now."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import render
from cli.common import JsonOpt, Lang, LangOpt, TimeoutOpt, run_async, run_then_exit
from cli.errors import CliError

app = typer.Typer(
    help="督导节奏 supervision cadence schedules (月督导/季观摩/半年通报, Asia/Shanghai): list, create, pause, resume, trigger.",
    no_args_is_help=True,
)

PolicyOpt = Annotated[Path | None, typer.Option("--policy", help="Policy YAML [env PDCA_POLICY; default: built-in].")]
IdArg = Annotated[str, typer.Argument(help="Schedule id as `pdca schedule list` shows it, e.g. pdca-cadence-monthly-digest.")]

# Every schedule the product owns starts with this.
OWN_PREFIX = "pdca-"


async def _client(timeout: float):  # type: ignore[no-untyped-def]
    from cli.cases import connect_or_fail

    return await connect_or_fail(min(timeout, 10))


async def _handle(timeout: float, schedule_id: str):  # type: ignore[no-untyped-def]
    if not schedule_id.startswith(OWN_PREFIX):
        raise CliError(f"{schedule_id!r} is not one of pdca's schedules (they start with {OWN_PREFIX!r}); see `pdca schedule list`")
    client = await _client(timeout)
    handle = client.get_schedule_handle(schedule_id)
    try:
        await handle.describe()
    except Exception as error:  # noqa: BLE001 — RPCError NOT_FOUND and friends
        raise CliError(f"no schedule {schedule_id!r} ({error}); see `pdca schedule list`") from None
    return handle


@app.command("list")
def list_schedules(as_json: JsonOpt = False, timeout: TimeoutOpt = 30, lang: LangOpt = Lang.zh) -> None:
    """列出计划 The product's schedules: what they run, when next (Beijing time), paused or not."""

    def action() -> None:
        async def go() -> list[dict[str, Any]]:
            client = await _client(timeout)
            rows = []
            async for entry in await client.list_schedules():
                if not entry.id.startswith(OWN_PREFIX):
                    continue
                description = await client.get_schedule_handle(entry.id).describe()
                state = description.schedule.state
                calendars = description.schedule.spec.calendars
                rows.append(
                    {
                        "id": entry.id,
                        "what": calendars[0].comment if calendars else "",
                        "paused": state.paused,
                        "note": state.note or "",
                        "next_runs": [_beijing(t) for t in description.info.next_action_times[:3]],
                        "recent_runs": len(description.info.recent_actions),
                    }
                )
            return sorted(rows, key=lambda row: row["id"])

        rows = run_async(go())
        if as_json:
            render.print_json(rows)
            return
        zh = lang == Lang.zh
        if not rows:
            render.console.print("没有计划；运行 `pdca schedule create`" if zh else "no schedules; run `pdca schedule create`")
            return
        for row in rows:
            paused = ("已暂停" if zh else "paused") + (f"（{row['note']}）" if row["note"] else "") if row["paused"] else ("运行中" if zh else "active")
            nexts = ", ".join(row["next_runs"]) or "-"
            render.console.print(f"{row['id']}  {row['what']}  [{paused}]  {'下次' if zh else 'next'}: {nexts}")

    run_then_exit(action, lang)


@app.command("create")
def create(policy_file: PolicyOpt = None, timeout: TimeoutOpt = 30, lang: LangOpt = Lang.zh) -> None:
    """创建计划 Create or update the cadence schedules from the policy (idempotent; `pdca up` does it too).

    A schedule whose spec is unchanged is left as it is, paused or not; a changed policy updates it;
    a cadence the policy disables is deleted. The daily audit verification is ensured as well.
    """
    from cli.cadence import ensure_cadence
    from cli.schedules import ensure_audit_verification, ensure_digest_schedule
    from workflows.digest import SCHEDULE_ID as DIGEST_SCHEDULE_ID
    from cli.settings import load_policy
    from worker import task_queue

    def action() -> None:
        policy = load_policy(policy_file)

        async def go() -> dict[str, str]:
            client = await _client(timeout)
            outcome = await ensure_cadence(client, task_queue(), policy)
            from workflows.audit_verification import SCHEDULE_ID

            outcome[SCHEDULE_ID] = "created" if await ensure_audit_verification(client, task_queue()) else "unchanged"
            digest = "created" if await ensure_digest_schedule(client, task_queue()) else "unchanged"
            outcome[DIGEST_SCHEDULE_ID] = digest
            return outcome

        outcome = run_async(go())
        words = {"created": "已创建", "updated": "已更新", "unchanged": "未变", "deleted": "已删除", "absent": "未启用"}
        for sid, what in sorted(outcome.items()):
            render.console.print(f"✓ {sid}: {words[what] if lang == Lang.zh else what}")

    run_then_exit(action, lang)


@app.command("pause")
def pause(
    schedule_id: IdArg,
    note: Annotated[str, typer.Option("--note", help="Why (shown by `pdca schedule list`).")] = "",
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """暂停 Pause a schedule (e.g. during 换届); `pdca up` and `schedule create` keep it paused."""

    def action() -> None:
        async def go() -> None:
            handle = await _handle(timeout, schedule_id)
            await handle.pause(note=note or "paused with pdca schedule pause")

        run_async(go())
        render.console.print(f"✓ {schedule_id}: {'已暂停' if lang == Lang.zh else 'paused'}")

    run_then_exit(action, lang)


@app.command("resume")
def resume(schedule_id: IdArg, timeout: TimeoutOpt = 30, lang: LangOpt = Lang.zh) -> None:
    """恢复 Resume a paused schedule."""

    def action() -> None:
        async def go() -> None:
            handle = await _handle(timeout, schedule_id)
            await handle.unpause(note="resumed with pdca schedule resume")

        run_async(go())
        render.console.print(f"✓ {schedule_id}: {'已恢复' if lang == Lang.zh else 'resumed'}")

    run_then_exit(action, lang)


@app.command("trigger")
def trigger(schedule_id: IdArg, timeout: TimeoutOpt = 30, lang: LangOpt = Lang.zh) -> None:
    """立即执行 Run a schedule's action now (e.g. the monthly digest before a meeting)."""

    def action() -> None:
        async def go() -> None:
            handle = await _handle(timeout, schedule_id)
            await handle.trigger()

        run_async(go())
        render.console.print(f"✓ {schedule_id}: {'已触发' if lang == Lang.zh else 'triggered'}")

    run_then_exit(action, lang)


def _beijing(moment: datetime) -> str:
    from domain.timeutil import local

    return local(moment).strftime("%Y-%m-%d %H:%M")

