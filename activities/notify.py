"""Activity: deliver a notice to the people an event names.

The channel here is the structured log (the default); issue-level work adds webhook, DingTalk,
WeCom and SMTP channels behind the same ``Channel`` protocol.
"""

from __future__ import annotations

from typing import Protocol

import structlog
from pydantic import BaseModel
from temporalio import activity

from observability.metrics import NOTICES
from domain.messages import render_notice
from domain.rectification import EVENT_ADAPTER

log = structlog.get_logger(__name__)


class Notice(BaseModel):
    event_id: str  # idempotency key: a retried delivery names the same event
    case_id: str
    org_name: str
    payload: str  # the event's stored JSON


class Channel(Protocol):
    name: str

    def send(self, recipient: str, message: str, *, key: str, case_id: str, event_type: str) -> None: ...


class LogChannel:
    name = "log"

    def send(self, recipient: str, message: str, *, key: str, case_id: str, event_type: str) -> None:
        log.info("notice", channel=self.name, recipient_id=recipient, case_id=case_id, event_type=event_type, key=key, message=message)


class NotifyActivities:
    def __init__(self, channel: Channel | None = None) -> None:
        self.channel = channel or LogChannel()

    @activity.defn(name="send_notice")
    def send_notice(self, notice: Notice) -> int:
        event = EVENT_ADAPTER.validate_json(notice.payload)
        recipients = getattr(event, "recipients", [])
        message = render_notice(event, notice.case_id, notice.org_name)
        for recipient in recipients:
            try:
                self.channel.send(recipient, message, key=f"{notice.event_id}:{recipient}", case_id=notice.case_id, event_type=event.type)
            except Exception:
                NOTICES.labels(event.type, self.channel.name, "failed").inc()
                log.warning("notice_failed", channel=self.channel.name, case_id=notice.case_id, event_type=event.type, exc_info=True)
                raise  # the activity retries; the workflow gives up after its attempts without failing the case
            NOTICES.labels(event.type, self.channel.name, "sent").inc()
        return len(recipients)
