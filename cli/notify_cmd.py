"""`pdca notify`: 通知 notification channels: status, test, digest schedule."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cli.common import (
    DbOpt,
    JsonOpt,
    Lang,
    LangOpt,
    TimeoutOpt,
    reading,
    run,
    run_async,
    run_then_exit,
)
from cli.errors import CliError
from cli.render import console, print_json, when
from domain.labels import label

HELP = """通知 notification channels: how notices reached people, and a test message through a channel.

Channels (log, webhook, DingTalk / WeCom group robots, SMTP email) are configured in a YAML file:
--channels FILE, else env PDCA_CHANNELS, else $PDCA_HOME/channels.yaml (none: the log channel only).
Who gets what comes from the actor directory (PDCA_ACTORS): email, mobile, channels, digest.
Format and examples: examples/channels.yaml, docs/notifications.md.
"""

app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode=None)

ChannelsOpt = Annotated[
    Path | None, typer.Option("--channels", help="Channels YAML [env PDCA_CHANNELS; default $PDCA_HOME/channels.yaml].")
]
ActorsFileOpt = Annotated[
    Path | None, typer.Option("--actors", help="Actor directory YAML [env PDCA_ACTORS; default $PDCA_HOME/actors.yaml].")
]


def parse_since(value: str) -> timedelta | None:
    from domain.timeutil import parse_duration

    if value.strip().lower() == "all":
        return None
    parsed = parse_duration(value)
    if not isinstance(parsed, timedelta) or parsed <= timedelta(0):
        raise CliError(f"--since {value!r}: give a duration such as 30m, 24h, 7d, or 'all'")
    return parsed


def _config(channels_file: Path | None) -> tuple[Any, Path | None]:
    from activities.channels import load_channels_config

    return load_channels_config(channels_file)


def summarize(rows: list[Any], config: Any, since: datetime | None) -> dict[str, Any]:
    """Per channel: notices sent / failed since ``since``, digests, items still queued, last error."""
    from store.notify_models import DeliveryStatus

    names = list(config.names()) if config is not None else []
    stats: dict[str, dict[str, Any]] = {}

    def entry(name: str) -> dict[str, Any]:
        if name not in stats:
            spec = config.spec(name) if config is not None else None
            stats[name] = {
                "channel": name,
                "type": spec.type if spec is not None else "unconfigured",
                "sent": 0,
                "failed": 0,
                "queued_for_digest": 0,
                "digested": 0,
                "digests_sent": 0,
                "last_sent_at": None,
                "last_error": None,
                "last_error_at": None,
            }
        return stats[name]

    for name in names:
        entry(name)
    failures = []
    for row in rows:
        item = entry(row.channel)
        recent = since is None or row.updated_at >= since
        if row.status == DeliveryStatus.QUEUED_FOR_DIGEST:
            item["queued_for_digest"] += 1
        if not recent:
            continue
        if row.status == DeliveryStatus.SENT:
            item["digests_sent" if row.kind == "digest" else "sent"] += 1
            if item["last_sent_at"] is None or row.sent_at > item["last_sent_at"]:
                item["last_sent_at"] = row.sent_at
        elif row.status == DeliveryStatus.DIGESTED:
            item["digested"] += 1
        elif row.status == DeliveryStatus.FAILED:
            item["failed"] += 1
            if item["last_error_at"] is None or row.updated_at > item["last_error_at"]:
                item["last_error_at"], item["last_error"] = row.updated_at, row.last_error
            failures.append(row)
    failures.sort(key=lambda r: r.updated_at, reverse=True)
    return {
        "since": since,
        "channels": list(stats.values()),
        "failures": [
            {
                "event_id": r.event_id,
                "recipient": r.recipient,
                "channel": r.channel,
                "event_type": r.event_type,
                "case_id": r.case_id,
                "attempts": r.attempts,
                "last_error": r.last_error,
                "updated_at": r.updated_at,
            }
            for r in failures[:10]
        ],
    }


@app.command("status")
def status(
    since: Annotated[str, typer.Option("--since", help="Count deliveries in this window: 30m, 24h, 7d, or all.")] = "24h",
    channels_file: ChannelsOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = Lang.zh,
) -> None:
    """通知状态 Per channel: notices sent and failed, digest items queued, the last error (reads the database)."""

    def action() -> None:
        from store.notify_models import DeliveryLedger

        window = parse_since(since)
        moment = datetime.now(UTC) - window if window else None
        try:
            config, path = _config(channels_file)
            problem = None
        except CliError as error:  # a bad file must not hide what was delivered: warn and go on
            config, path, problem = None, None, error.message
        rows = reading(db, lambda log: DeliveryLedger(log.engine).since(moment))
        data = summarize(rows, config, moment)
        data["config"] = str(path) if path else None
        data["config_error"] = problem
        if as_json:
            print_json(_iso(data))
            return
        show_status(data, lang)

    run(action, lang)


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def show_status(data: dict[str, Any], lang: Lang) -> None:
    zh = lang == Lang.zh
    if data["config_error"]:
        console.print(("警告：通道配置有误：" if zh else "warning: channel configuration: ") + data["config_error"])
    source = data["config"] or ("未配置，仅日志通道" if zh else "none, log channel only")
    since = when(data["since"]) if data["since"] else ("全部" if zh else "all time")
    console.print(f"{label('notify.config', lang)}{'：' if zh else ': '}{source}    {label('notify.since', lang)}{'：' if zh else ': '}{since}")
    table = Table(show_header=True, header_style="bold")
    for key in ("channel", "type", "sent", "failed", "queued", "digests", "last_sent", "last_error"):
        table.add_column(label(f"notify.{key}", lang))
    for c in data["channels"]:
        error = f"{when(c['last_error_at'])} {c['last_error']}" if c["last_error"] else "-"
        table.add_row(
            c["channel"], c["type"], str(c["sent"]), str(c["failed"]), str(c["queued_for_digest"]),
            f"{c['digests_sent']}（{c['digested']}）" if zh else f"{c['digests_sent']} ({c['digested']})",
            when(c["last_sent_at"]), error,
        )
    console.print(table)
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
    actors_file: ActorsFileOpt = None,
    lang: LangOpt = Lang.zh,
) -> None:
    """发送测试消息 Send a test message through CHANNEL now; exit 0 when it was accepted, 1 with the error."""

    def action() -> None:
        from activities.channels import build_channel, load_directory
        from domain.timeutil import local

        config, _ = _config(channels_file)
        directory = load_directory(actors_file, config)
        if channel not in config.names():
            raise CliError(f"unknown channel {channel!r}; configured: {', '.join(config.names())}")
        if to is not None and to not in directory:
            raise CliError(f"unknown actor {to!r} in the actor directory" + (f"; known: {', '.join(directory)}" if directory else ""))
        recipient = to or "pdca-test"
        sender = build_channel(channel, config, directory.get)
        now = local(datetime.now(UTC)).strftime("%Y-%m-%d %H:%M")
        message = (
            f"【通道测试】PDCA 通知通道 {channel} 的测试消息（{now}）。收到即表示配置正确，无需回复。"
            if lang == Lang.zh
            else f"[Channel test] Test message of PDCA notification channel {channel} ({now}). No reply needed."
        )
        try:
            sender.send(recipient, message, key=f"test-{uuid.uuid4().hex[:12]}:{recipient}", case_id="", event_type="ChannelTest")
        except Exception as error:  # noqa: BLE001 — any failure is the answer the user asked for
            raise CliError(f"channel {channel} ({config.spec(channel).type}) failed: {error}") from None
        console.print(
            f"✓ 已通过通道 {channel}（{config.spec(channel).type}）发送测试消息给 {recipient}"
            if lang == Lang.zh
            else f"✓ test message sent through channel {channel} ({config.spec(channel).type}) to {recipient}"
        )

    run(action, lang)


@app.command("schedule")
def schedule(
    hour: Annotated[int, typer.Option("--hour", min=0, max=23, help="Hour of the day, Beijing time.")] = 17,
    timeout: TimeoutOpt = 30,
    lang: LangOpt = Lang.zh,
) -> None:
    """创建每日汇总计划 Create the daily digest Schedule (pdca-notification-digest; `pdca up` does it too)."""

    def action() -> None:
        from cli.cases import connect_or_fail
        from cli.schedules import ensure_digest_schedule
        from worker import task_queue

        async def go() -> bool:
            client = await connect_or_fail(min(timeout, 10))
            return await ensure_digest_schedule(client, task_queue(), hour)

        created = run_async(go())
        zh = lang == Lang.zh
        if created:
            console.print(f"✓ 已创建计划 pdca-notification-digest：每个工作日 {hour}:00（北京时间）发送通知汇总" if zh else f"✓ created schedule pdca-notification-digest: working days at {hour}:00 Beijing time")
        else:
            console.print("计划 pdca-notification-digest 已存在" if zh else "schedule pdca-notification-digest already exists")

    run_then_exit(action, lang)
