"""Activities: deliver a notice to the people an event names; send the daily digests.

Channels (log, webhook, DingTalk, WeCom, SMTP) live in activities/channels.py behind the ``Channel``
protocol below. The ``Notifier`` routes each recipient to their channels (actor directory:
``channels``, ``digest``; else the configured default) and keeps one ``notice_delivery`` row per
idempotency key (event id, recipient, channel):

- a key already sent is never sent again (activity retries, workflow replays, duplicate notices);
- a key is recorded as ``sending`` (committed) before it is sent: a retry that finds a key left
  ``sending`` by an attempt that died mid-send marks it ``uncertain`` and does not send it again
  (at most once; a person checks it in `pdca notify status`, docs/notifications.md "Crashes");
- a failing recipient or channel does not stop the others; after trying everything the activity
  raises, so Temporal retries it with the workflow's backoff, and only the failed keys are re-tried;
- a recipient with ``digest: true`` gets the notice queued for one message a day (``send_digests``).
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

import structlog
from pydantic import AliasChoices, BaseModel, Field
from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.channels import (  # noqa: F401  (LogChannel re-exported: the default channel)
    ChannelError,
    ChannelsConfig,
    LogChannel,
    RecipientError,
    build_channel,
    load_channels_config,
    load_directory,
)
from domain.actors import Actor
from domain.kinds import decider_named
from domain.timeutil import local
from i18n import render_notice
from i18n.links import item_link
from observability.metrics import NOTICES
from settings import get_settings
from store.notify_models import DONE, DeliveryLedger, DeliveryStatus, NoticeDelivery

log = structlog.get_logger(__name__)

DIGEST_EVENT_TYPE = "NoticeDigest"


class Notice(BaseModel):
    event_id: str  # idempotency key: a retried delivery names the same event
    # The stream the event belongs to; ``case_id`` is how workers before the rename sent it.
    stream_id: str = Field(validation_alias=AliasChoices("stream_id", "case_id"))
    org_name: str
    payload: str  # the event's stored JSON
    kind: str = "rectification"  # the stream kind (a Decider's name, domain/kinds.py): reads the payload; i18n words it


class Channel(Protocol):
    name: str

    def send(self, recipient: str, message: str, *, key: str, case_id: str, event_type: str) -> None: ...


class Failure(BaseModel):
    recipient: str
    channel: str
    error: str
    permanent: bool = False


class DeliveryReport(BaseModel):
    sent: int = 0
    already: int = 0  # keys sent (or queued) before: not sent again
    uncertain: int = 0  # keys an earlier attempt began sending and never recorded: not sent again (a person checks)
    queued: int = 0  # newly queued for a digest
    failures: list[Failure] = Field(default_factory=list)

    def summary(self) -> str:
        head = f"{len(self.failures)} of {self.sent + len(self.failures)} deliveries failed"
        return head + ": " + "; ".join(f"{f.recipient} via {f.channel}: {f.error}" for f in self.failures[:5])


class DigestRequest(BaseModel):
    as_of: datetime  # the workflow's now; its Beijing date names the digest
    lang: str = "zh"


class DigestResult(BaseModel):
    day: str
    digests_sent: int = 0
    items: int = 0  # notices carried by the digests sent
    already_sent: int = 0  # recipients whose digest for the day went out before
    uncertain: int = 0  # digests an earlier attempt began sending and never recorded: not sent again
    failures: list[Failure] = Field(default_factory=list)
    skipped: str | None = None  # why nothing was sent (e.g. not a working day)


class Notifier:
    """Routes recipients to channels and records every key's outcome in the delivery ledger."""

    name = "directory"  # as a Channel (cadence reports): delivers through each recipient's channels

    def __init__(
        self,
        channels: Mapping[str, Channel],
        directory: Mapping[str, Actor] | None = None,
        default: Sequence[str] = ("log",),
        ledger: DeliveryLedger | None = None,
        digests: bool = True,
    ) -> None:
        self.channels = dict(channels)
        self.directory = dict(directory or {})
        self.default = list(default)
        self.ledger = ledger
        self.digests = digests

    @classmethod
    def single(cls, channel: Channel, ledger: DeliveryLedger | None = None) -> Notifier:
        """Everyone through one channel, no digests (tests, embedding)."""
        return cls({channel.name: channel}, default=[channel.name], ledger=ledger, digests=False)

    @classmethod
    def from_config(cls, config: ChannelsConfig, directory: Mapping[str, Actor], ledger: DeliveryLedger | None) -> Notifier:
        contacts = directory.get
        channels = {name: build_channel(name, config, contacts) for name in config.names()}
        return cls(channels, directory, config.default_channels, ledger)

    @classmethod
    def from_files(cls, ledger: DeliveryLedger | None = None) -> Notifier:
        """From PDCA_CHANNELS / $PDCA_HOME/channels.yaml and the actor directory (raises
        settings.errors.InputError with the file and line when either is invalid)."""
        config, path = load_channels_config()
        directory = load_directory(config=config, strict=False)  # a typo must not stop the worker
        log.info(
            "notify_config",
            file=str(path) if path else None,
            channels=config.names(),
            default=config.default_channels,
            actors=len(directory),
        )
        return cls.from_config(config, directory, ledger)

    def routes(self, recipient: str) -> tuple[list[str], bool]:
        actor = self.directory.get(recipient)
        names = actor.channels if actor is not None and actor.channels is not None else self.default
        return list(dict.fromkeys(names)), bool(self.digests and actor is not None and actor.digest)

    # ------------------------------------------------------------------ one notice

    def deliver(
        self, *, event_id: str, event_type: str, kind: str, case_id: str, recipients: Sequence[str], message: str
    ) -> DeliveryReport:
        report = DeliveryReport()
        down: dict[str, str] = {}  # channels that failed during this attempt
        for recipient in dict.fromkeys(recipients):
            names, digest = self.routes(recipient)
            for name in names:
                ctx = {"channel": name, "recipient_id": recipient, "case_id": case_id, "event_type": event_type, "event_id": event_id}
                row = self.ledger.get(event_id, recipient, name) if self.ledger else None
                if row is not None and row.status in DONE:
                    report.already += 1
                    log.info("notice_already_delivered", status=row.status, **ctx)
                    continue
                if row is not None and row.status == DeliveryStatus.UNCERTAIN:
                    report.uncertain += 1
                    log.info("notice_uncertain_not_resent", **ctx)
                    continue
                record = {
                    "event_id": event_id,
                    "recipient": recipient,
                    "channel": name,
                    "event_type": event_type,
                    "kind": kind,
                    "case_id": case_id,
                    "message": message,
                }
                if digest:
                    self._record(record, DeliveryStatus.QUEUED_FOR_DIGEST, attempted=False)
                    NOTICES.labels(event_type, name, "queued").inc()
                    report.queued += 1
                    log.info("notice_queued_for_digest", **ctx)
                    continue
                channel = self.channels.get(name)
                claimed: NoticeDelivery | None = None
                if channel is None:
                    error, permanent = f"channel {name!r} is not configured", True
                elif name in down:
                    error, permanent = f"not tried: the channel failed earlier in this attempt ({down[name]})", False
                else:
                    claimed = self._claim(record)
                    if claimed is not None and claimed.status != DeliveryStatus.SENDING:
                        self._not_sending(claimed, report, event_type, ctx)
                        continue
                    try:
                        channel.send(recipient, message, key=f"{event_id}:{recipient}", case_id=case_id, event_type=event_type)
                    except RecipientError as failure:
                        error, permanent = str(failure), failure.permanent
                    except Exception as failure:  # noqa: BLE001 — any channel error is recorded, then retried
                        error, permanent = describe(failure), False
                        down[name] = error
                    else:
                        self._record(record, DeliveryStatus.SENT, attempted=claimed is None)
                        NOTICES.labels(event_type, name, "sent").inc()
                        report.sent += 1
                        log.info("notice_sent", **ctx)
                        continue
                # an attempt is counted once: when the key was claimed (with a ledger), else here
                attempted = claimed is None and channel is not None and not error.startswith("not tried")
                self._record(record, DeliveryStatus.FAILED, error=error, attempted=attempted)
                NOTICES.labels(event_type, name, "failed").inc()
                report.failures.append(Failure(recipient=recipient, channel=name, error=error, permanent=permanent))
                log.warning("notice_failed", error=error, permanent=permanent, **ctx)
        return report

    def _claim(self, record: dict[str, str]) -> NoticeDelivery | None:
        """Record that this attempt is about to send ``record``'s key (None without a ledger: just send)."""
        return self.ledger.claim(**record, by=attempt_name()) if self.ledger is not None else None

    def _not_sending(self, row: NoticeDelivery, report: DeliveryReport, event_type: str, ctx: dict[str, str]) -> None:
        """The claim found the key done, or left ``sending`` by an attempt that never finished: not sent."""
        if row.status == DeliveryStatus.UNCERTAIN:
            report.uncertain += 1
            NOTICES.labels(event_type, ctx["channel"], "uncertain").inc()
            log.warning("notice_uncertain", error=row.last_error, attempts=row.attempts, **ctx)
        else:
            report.already += 1
            log.info("notice_already_delivered", status=row.status, **ctx)

    def _record(self, record: dict[str, str], status: DeliveryStatus, error: str | None = None, attempted: bool = True) -> None:
        if self.ledger is not None:
            self.ledger.record(**record, status=status, error=error, attempted=attempted)

    def send(self, recipient: str, message: str, *, key: str, case_id: str, event_type: str) -> None:
        """The Channel protocol, for other activities (cadence reports): route, record, raise on failure."""
        event_id = key[: -len(recipient) - 1] if key.endswith(f":{recipient}") else key
        if len(event_id) > 64:
            event_id = "h:" + hashlib.sha256(event_id.encode()).hexdigest()[:62]
        report = self.deliver(
            event_id=event_id, event_type=event_type[:64], kind="report", case_id=case_id, recipients=[recipient], message=message
        )
        if report.failures:
            raise RuntimeError(report.summary())

    # ------------------------------------------------------------------ daily digests

    def send_digests(self, as_of: datetime, lang: str = "zh") -> DigestResult:
        day = local(as_of).date().isoformat()
        result = DigestResult(day=day)
        if self.ledger is None:
            result.skipped = "no delivery ledger"
            return result
        digest_id = f"digest:{day}"
        groups: dict[tuple[str, str], list] = defaultdict(list)
        for row in self.ledger.queued():
            groups[(row.recipient, row.channel)].append(row)
        for (recipient, name), rows in groups.items():
            ctx = {"channel": name, "recipient_id": recipient, "digest_id": digest_id}
            # A digest sent before a crash: its items are done. One whose sending never finished
            # (uncertain): its items are not sent again either; they are uncertain with it.
            for earlier in {r.digest_id for r in rows if r.digest_id}:
                done = self.ledger.get(earlier, recipient, name)
                if done is not None and done.status in (DeliveryStatus.SENT, DeliveryStatus.UNCERTAIN):
                    outcome = DeliveryStatus.DIGESTED if done.status == DeliveryStatus.SENT else DeliveryStatus.UNCERTAIN
                    self.ledger.mark_carried(recipient, name, earlier, outcome)
                    rows = [r for r in rows if r.digest_id != earlier]
            today = self.ledger.get(digest_id, recipient, name)
            if today is not None and today.status == DeliveryStatus.SENDING:
                # today's digest was being sent by an attempt that died: uncertain, with the items it carried
                today = self.ledger.claim(
                    event_id=digest_id, recipient=recipient, channel=name, event_type=DIGEST_EVENT_TYPE, kind="digest",
                    case_id="", message=today.message, by=attempt_name(),
                )
                self.ledger.mark_carried(recipient, name, digest_id, DeliveryStatus.UNCERTAIN)
                rows = [r for r in rows if r.digest_id != digest_id]
                NOTICES.labels(DIGEST_EVENT_TYPE, name, "uncertain").inc()
                log.warning("digest_uncertain", error=today.last_error, **ctx)
            if today is not None and today.status == DeliveryStatus.SENT:
                result.already_sent += 1  # what is left waits for the next working day's digest
                continue
            if today is not None and today.status == DeliveryStatus.UNCERTAIN:
                result.uncertain += 1  # not sent twice the same day: what is left waits for the next digest
                continue
            if not rows:
                continue
            self.ledger.assign([(r.event_id, r.recipient, r.channel) for r in rows], digest_id)
            message = render_digest(day, [r.message for r in rows], lang)
            record = {
                "event_id": digest_id,
                "recipient": recipient,
                "channel": name,
                "event_type": DIGEST_EVENT_TYPE,
                "kind": "digest",
                "case_id": "",
                "message": message,
            }
            channel = self.channels.get(name)
            if channel is not None:
                claimed = self.ledger.claim(**record, by=attempt_name())
                if claimed.status != DeliveryStatus.SENDING:  # another attempt got there first (checked above)
                    result.already_sent += 1
                    continue
            try:
                if channel is None:
                    raise RecipientError(f"channel {name!r} is no longer configured", permanent=True)
                channel.send(recipient, message, key=f"{digest_id}:{recipient}", case_id="", event_type=DIGEST_EVENT_TYPE)
            except Exception as failure:  # noqa: BLE001
                error = describe(failure)
                self._record(record, DeliveryStatus.FAILED, error=error, attempted=False)  # counted when claimed
                NOTICES.labels(DIGEST_EVENT_TYPE, name, "failed").inc()
                result.failures.append(
                    Failure(
                        recipient=recipient, channel=name, error=error, permanent=isinstance(failure, RecipientError) and failure.permanent
                    )
                )
                log.warning("digest_failed", error=error, items=len(rows), **ctx)
                continue
            self._record(record, DeliveryStatus.SENT, attempted=False)
            carried = self.ledger.mark_digested(recipient, name, digest_id)
            NOTICES.labels(DIGEST_EVENT_TYPE, name, "sent").inc()
            result.digests_sent += 1
            result.items += carried
            log.info("digest_sent", items=carried, **ctx)
        return result


def attempt_name() -> str:
    """Who is sending, for the ledger's ``sending_by``: this worker and the activity attempt (if any)."""
    who = f"{socket.gethostname()}:{os.getpid()}"
    if activity.in_activity():
        info = activity.info()
        return f"{who} {info.workflow_id or ''}/{info.activity_id}#{info.attempt}"
    return who


def describe(failure: BaseException) -> str:
    """One line for the ledger and the log: our own errors speak for themselves, others get their type."""
    if isinstance(failure, (ChannelError, RecipientError)):
        return str(failure)
    return f"{type(failure).__name__}: {failure}"


def render_digest(day: str, messages: Sequence[str], lang: str = "zh") -> str:
    if lang == "zh":
        head = f"【每日通知汇总】{day}，共 {len(messages)} 条："
    else:
        head = f"[Daily digest] {day}: {len(messages)} notices"
    return "\n".join([head, *(f"{i}. {text}" for i, text in enumerate(messages, 1))])


class NotifyActivities:
    """``channel``: one channel for everyone (tests; the worker's default is the configured channels).
    ``engine``: the database holding ``notice_delivery`` (the audit database)."""

    def __init__(self, channel: Channel | None = None, engine: Engine | None = None, notifier: Notifier | None = None) -> None:
        ledger = DeliveryLedger(engine) if engine is not None else None
        if notifier is not None:
            self.notifier = notifier
        elif channel is not None:
            self.notifier = Notifier.single(channel, ledger)
        else:
            self.notifier = Notifier.from_files(ledger)
        # What other activities send through (cadence reports): the given channel, else the router.
        self.channel: Channel = channel if channel is not None else self.notifier

    @activity.defn(name="send_notice")
    def send_notice(self, notice: Notice) -> int:
        kind = decider_named(notice.kind)
        event = kind.events.validate_json(notice.payload)
        recipients = list(getattr(event, "recipients", []) or [])
        link = item_link(get_settings().public_base, notice.stream_id, getattr(event, "measure_id", None))
        message = render_notice(kind.name, event, notice.stream_id, notice.org_name, link=link)
        event_type = getattr(event, "type", type(event).__name__)
        report = self.notifier.deliver(
            event_id=notice.event_id,
            event_type=event_type,
            kind=kind.name,
            case_id=notice.stream_id,
            recipients=recipients,
            message=message,
        )
        if report.failures:
            # Temporal retries the activity with the workflow's backoff; sent keys are skipped then.
            permanent = all(f.permanent for f in report.failures)
            raise ApplicationError(
                report.summary(), type="NoticeUndeliverable" if permanent else "NoticeDeliveryFailed", non_retryable=permanent
            )
        return len(recipients)

    @activity.defn(name="send_digests")
    def send_digests(self, request: DigestRequest) -> DigestResult:
        result = self.notifier.send_digests(request.as_of, request.lang)
        if result.failures and not all(f.permanent for f in result.failures):
            raise ApplicationError(
                f"{len(result.failures)} digests failed: "
                + "; ".join(f"{f.recipient} via {f.channel}: {f.error}" for f in result.failures[:5]),
                type="DigestDeliveryFailed",
            )
        return result
