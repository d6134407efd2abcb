"""Notification channels for any door: how notices reached people, and a test message through a channel.

    parse_since("24h")                                   -> timedelta (None for "all")
    status(deps, channels_file=, since=, now=)           -> dict: per channel sent / failed / queued / uncertain, failures, uncertain
    send_test(deps, channel, to=, channels_file=, actors_file=, lang=, now=) -> dict (raises Refused with the error)
    await schedule_digest(deps, hour=17)                 -> True if the daily digest Schedule was created

Channels come from channels.yaml (``activities.channels``: the file, else PDCA_CHANNELS, else
$PDCA_HOME/channels.yaml); deliveries from the ``notice_delivery`` ledger; the wording of a test
message from ``i18n.notices``. The daily digest schedule itself is ``service.schedules``'.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from service.bootstrap import Deps
from service.errors import Refused
from settings.errors import InputError

__all__ = ["parse_since", "schedule_digest", "send_test", "status", "summarize"]


def parse_since(value: str) -> timedelta | None:
    """A window such as 30m, 24h, 7d; "all" is None (every delivery)."""
    from domain.timeutil import parse_duration

    if value.strip().lower() == "all":
        return None
    try:
        parsed = parse_duration(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, timedelta) or parsed <= timedelta(0):
        raise Refused(f"--since {value!r}: give a duration such as 30m, 24h, 7d, or 'all'")
    return parsed


def summarize(rows: list[Any], config: Any, since: datetime | None) -> dict[str, Any]:
    """Per channel: notices sent / failed since ``since``, digests, items still queued, deliveries left
    uncertain by a worker that died mid-send (all of them, whatever ``since``: a person must check each), last error."""
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
                "uncertain": 0,
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
    uncertain = []
    for row in rows:
        item = entry(row.channel)
        recent = since is None or row.updated_at >= since
        if row.status == DeliveryStatus.QUEUED_FOR_DIGEST:
            item["queued_for_digest"] += 1
        if row.status == DeliveryStatus.UNCERTAIN:
            item["uncertain"] += 1
            uncertain.append(row)
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
        "uncertain": [
            {
                "event_id": r.event_id,
                "recipient": r.recipient,
                "channel": r.channel,
                "event_type": r.event_type,
                "case_id": r.case_id,
                "attempts": r.attempts,
                "sending_by": r.sending_by,
                "sending_at": r.sending_at,
                "message": r.message,
            }
            for r in sorted(uncertain, key=lambda r: r.updated_at, reverse=True)
        ],
    }


def status(
    deps: Deps, *, channels_file: Path | None = None, since: timedelta | None = timedelta(hours=24), now: datetime | None = None
) -> dict[str, Any]:
    """Deliveries per channel in the window ``since`` before ``now`` (None: all time), with the channels
    file used (``config``) — a bad file does not hide what was delivered: its problem is ``config_error``."""
    from activities.channels import load_channels_config
    from store.notify_models import DeliveryLedger

    moment = (now or datetime.now(UTC)) - since if since else None
    try:
        config, path = load_channels_config(channels_file)
        problem = None
    except InputError as error:
        config, path, problem = None, None, error.message
    rows = deps.reading(lambda engine: DeliveryLedger(engine).since(moment))
    data = summarize(rows, config, moment)
    data["config"] = str(path) if path else None
    data["config_error"] = problem
    return data


def send_test(
    deps: Deps,
    channel: str,
    *,
    to: str | None = None,
    channels_file: Path | None = None,
    actors_file: Path | None = None,
    lang: str = "zh",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Send a test message through ``channel`` now, addressed to actor ``to`` (else "pdca-test").
    Returns what was sent; a channel that fails is ``Refused`` with its error."""
    from activities.channels import build_channel, load_channels_config, load_directory
    from i18n.notices import channel_test_message

    config, _ = load_channels_config(channels_file)
    directory = load_directory(actors_file, config)
    if channel not in config.names():
        raise Refused(f"unknown channel {channel!r}; configured: {', '.join(config.names())}")
    if to is not None and to not in directory:
        raise Refused(f"unknown actor {to!r} in the actor directory" + (f"; known: {', '.join(directory)}" if directory else ""))
    recipient = to or "pdca-test"
    kind = config.spec(channel).type
    sender = build_channel(channel, config, directory.get)
    message = channel_test_message(channel, now or datetime.now(UTC), "zh" if lang == "zh" else "en")
    key = f"test-{uuid.uuid4().hex[:12]}:{recipient}"
    try:
        sender.send(recipient, message, key=key, case_id="", event_type="ChannelTest")
    except Exception as error:  # noqa: BLE001 — any failure is the answer the user asked for
        raise Refused(f"channel {channel} ({kind}) failed: {error}") from None
    return {"channel": channel, "type": kind, "recipient": recipient, "message": message, "key": key, "sent": True}


async def schedule_digest(deps: Deps, hour: int = 17) -> bool:
    """The daily notice digest Schedule at ``hour``:00 Beijing time (working days): True if created,
    False if it existed."""
    from service.schedules import ensure_digest_schedule

    return await ensure_digest_schedule(await deps.client(), deps.task_queue, hour, timeout=deps.timeout)
