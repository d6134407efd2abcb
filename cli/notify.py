"""`pdca notify status|test|schedule`: 通知 notification channels. The work is service/notify.py."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.common import Lang, deps, emit, noun, opts, run, run_async, run_then_exit
from cli.render import console, when
from i18n import label
from service import notify
from service.schedules import DIGEST_SCHEDULE_ID

app = noun("""通知 notification channels: how notices reached people, and a test message through a channel.

Channels (log, webhook, DingTalk / WeCom group robots, SMTP email) are configured in a YAML file:
--channels FILE, else env PDCA_CHANNELS, else $PDCA_HOME/channels.yaml (none: the log channel only).
Who gets what comes from the contacts file (PDCA_ACTORS, server side; `notify test --contacts`): email,
mobile, channels, digest. Contacts are not identity: who may act is the people directory (`pdca person`).
Format and examples: examples/channels.yaml, docs/notifications.md.
""")

ChannelsOpt = Annotated[
    Path | None, typer.Option("--channels", help="Channels YAML [env PDCA_CHANNELS; default $PDCA_HOME/channels.yaml].")
]


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


@app.command("status")
def status(
    since: Annotated[str, typer.Option("--since", help="Count deliveries in this window: 30m, 24h, 7d, or all.")] = "24h",
    channels_file: ChannelsOpt = None,
) -> None:
    """通知状态 Per channel: notices sent and failed, digest items queued, deliveries uncertain (a worker died
    while sending: check with the recipient; never resent), the last error (reads the database)."""

    def action() -> None:
        data = notify.status(deps(), channels_file=channels_file, since=notify.parse_since(since))
        emit(_iso(data), lambda: show_status(data, opts().lang))

    run(action)


def show_status(data: dict[str, Any], lang: Lang) -> None:
    zh = lang == Lang.zh
    if data["config_error"]:
        console.print(("警告：通道配置有误：" if zh else "warning: channel configuration: ") + data["config_error"])
    source = data["config"] or ("未配置，仅日志通道" if zh else "none, log channel only")
    since = when(data["since"]) if data["since"] else ("全部" if zh else "all time")
    console.print(
        f"{label('notify.config', lang)}{'：' if zh else ': '}{source}    {label('notify.since', lang)}{'：' if zh else ': '}{since}"
    )
    table = Table(show_header=True, header_style="bold")
    for key in ("channel", "type", "sent", "failed", "queued", "uncertain", "digests", "last_sent", "last_error"):
        table.add_column(label(f"notify.{key}", lang))
    for c in data["channels"]:
        error = f"{when(c['last_error_at'])} {c['last_error']}" if c["last_error"] else "-"
        table.add_row(
            c["channel"],
            c["type"],
            str(c["sent"]),
            str(c["failed"]),
            str(c["queued_for_digest"]),
            str(c["uncertain"]),
            f"{c['digests_sent']}（{c['digested']}）" if zh else f"{c['digests_sent']} ({c['digested']})",
            when(c["last_sent_at"]),
            error,
        )
    console.print(table)
    if data["uncertain"]:
        console.print(label("notify.uncertain_list", lang) + ("：" if zh else ":"))
        for u in data["uncertain"]:
            console.print(
                f"  {when(u['sending_at'])}  {u['channel']}  {u['recipient']}  {u['event_type']}  {u['case_id']}  "
                f"{'事件' if zh else 'event'} {u['event_id']}"
            )
    if data["failures"]:
        console.print(label("notify.recent_failures", lang) + ("：" if zh else ":"))
        for f in data["failures"]:
            console.print(
                f"  {when(f['updated_at'])}  {f['channel']}  {f['recipient']}  {f['event_type']}  {f['case_id']}  "
                f"{'尝试' if zh else 'attempts'} {f['attempts']}  {f['last_error']}"
            )


@app.command("test")
def test(
    channel: Annotated[str, typer.Argument(help="Channel name in the channels file (or 'log').")],
    to: Annotated[str | None, typer.Option("--to", help="Actor id to address (email / @-mention from the directory).")] = None,
    channels_file: ChannelsOpt = None,
    contacts: Annotated[
        Path | None, typer.Option("--contacts", envvar="PDCA_ACTORS", help="Contacts YAML [default: $PDCA_HOME/actors.yaml].")
    ] = None,
) -> None:
    """发送测试消息 Send a test message through CHANNEL now; exit 0 when it was accepted, 1 with the error."""

    def action() -> None:
        g = opts()
        sent = notify.send_test(deps(), channel, to=to, channels_file=channels_file, actors_file=contacts, lang=g.lang.value)
        emit(
            sent,
            lambda: console.print(
                f"✓ 已通过通道 {channel}（{sent['type']}）发送测试消息给 {sent['recipient']}"
                if g.lang == Lang.zh
                else f"✓ test message sent through channel {channel} ({sent['type']}) to {sent['recipient']}"
            ),
        )

    run(action)


@app.command("schedule")
def schedule(hour: Annotated[int, typer.Option("--hour", min=0, max=23, help="Hour of the day, Beijing time.")] = 17) -> None:
    """创建每日汇总计划 Create the daily digest Schedule (pdca-notification-digest; `pdca up` does it too)."""

    def action() -> None:
        created = run_async(notify.schedule_digest(deps(), hour))
        sid = DIGEST_SCHEDULE_ID
        zh = opts().lang == Lang.zh

        def show() -> None:
            if created:
                console.print(
                    f"✓ 已创建计划 {sid}：每个工作日 {hour}:00（北京时间）发送通知汇总"
                    if zh
                    else f"✓ created schedule {sid}: working days at {hour}:00 Beijing time"
                )
            else:
                console.print(f"计划 {sid} 已存在" if zh else f"schedule {sid} already exists")

        emit({"schedule_id": sid, "created": created, "hour": hour}, show)

    run_then_exit(action)
