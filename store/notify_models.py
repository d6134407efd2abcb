"""Tables (projections and working data); see the matching migration in store/migrations/versions.

``notice_delivery``: one row per idempotency key (event id, recipient, channel) — what happened to
one person's copy of one notice on one channel. It is working data, not the record (the audit log
is): it makes deliveries at-most-once per key across activity retries, workflow replays and
duplicate notices, holds the daily-digest queue, and feeds `pdca notify status`.

Sending is recorded before it happens: a key is claimed (status ``sending``, attempts + 1, who and when)
in its own committed transaction, then sent, then marked ``sent`` or ``failed``. A worker killed between
the send and the record leaves ``sending`` behind; the next attempt cannot know whether the message went
out, so it marks the key ``uncertain`` and does not send it again (docs/notifications.md, "Crashes").

Daily digests are rows too: event id ``digest:YYYY-MM-DD`` (Beijing date), so a digest is sent once
per recipient, channel and day; the notices it carries point at it through ``digest_id``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, col, select

from store.db import UTCDateTime


class DeliveryStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # retried by the activity's retry policy; the last error is kept
    QUEUED_FOR_DIGEST = "queued_for_digest"  # the recipient wants a daily digest
    DIGESTED = "digested"  # carried by a digest that was sent
    SENDING = "sending"  # claimed by an attempt that is sending it now (or died doing so)
    UNCERTAIN = "uncertain"  # an attempt died while sending: maybe delivered, never resent; a person checks


DONE = (DeliveryStatus.SENT, DeliveryStatus.DIGESTED, DeliveryStatus.QUEUED_FOR_DIGEST)
"""A key in one of these states is not sent (again) by a delivery attempt."""


class NoticeDelivery(SQLModel, table=True):
    __tablename__ = "notice_delivery"
    __table_args__ = (
        Index("ix_notice_delivery_channel_status", "channel", "status"),
        Index("ix_notice_delivery_status_recipient", "status", "recipient"),
    )

    event_id: str = Field(primary_key=True, max_length=64)  # audit event id, or digest:YYYY-MM-DD
    recipient: str = Field(primary_key=True, max_length=128)  # actor id
    channel: str = Field(primary_key=True, max_length=64)  # channel name in channels.yaml
    event_type: str = Field(max_length=64)
    kind: str = Field(max_length=32)  # stream kind (rectification, project, ...) or "digest"
    case_id: str = Field(max_length=128)
    status: str = Field(max_length=24)
    attempts: int = 0  # delivery attempts on this channel (0 while only queued)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    message: str = Field(sa_column=Column(Text, nullable=False))  # the words sent (digests re-use them)
    digest_id: str | None = Field(default=None, max_length=64)  # the digest that carries / carried it
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sending_by: str | None = Field(default=None, max_length=200)  # the attempt that last claimed it (worker, activity attempt)
    sending_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # when that attempt began sending


def utcnow() -> datetime:
    return datetime.now(UTC)


class DeliveryLedger:
    """Repository over ``notice_delivery``. Every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, event_id: str, recipient: str, channel: str) -> NoticeDelivery | None:
        with Session(self.engine) as session:
            return session.get(NoticeDelivery, (event_id, recipient, channel))

    def record(
        self,
        *,
        event_id: str,
        recipient: str,
        channel: str,
        event_type: str,
        kind: str,
        case_id: str,
        status: DeliveryStatus,
        message: str,
        error: str | None = None,
        attempted: bool = True,
    ) -> NoticeDelivery:
        """Create or update the row of one key. A row already ``sent`` is never changed."""
        now = utcnow()
        with Session(self.engine) as session, session.begin():
            row = session.get(NoticeDelivery, (event_id, recipient, channel))
            if row is None:
                row = NoticeDelivery(
                    event_id=event_id, recipient=recipient, channel=channel, event_type=event_type, kind=kind,
                    case_id=case_id, status=status.value, message=message, created_at=now, updated_at=now,
                )
                session.add(row)
            elif row.status in (DeliveryStatus.SENT, DeliveryStatus.DIGESTED):
                session.expunge(row)
                return row
            row.status = status.value
            row.message = message
            row.updated_at = now
            if attempted:
                row.attempts += 1
            if status == DeliveryStatus.SENT:
                row.sent_at = now
                row.last_error = None
            if error is not None:
                row.last_error = error[:2000]
            session.flush()
            session.expunge(row)
            return row

    def claim(
        self,
        *,
        event_id: str,
        recipient: str,
        channel: str,
        event_type: str,
        kind: str,
        case_id: str,
        message: str,
        by: str,
    ) -> NoticeDelivery:
        """Record, before sending, that attempt ``by`` is about to send this key; committed on return.

        The row comes back as it now is. Only when its status is ``sending`` may the caller send. A
        key found ``sending`` was claimed by an attempt that did not record its outcome (a worker killed
        mid-send, or an attempt timed out by Temporal): it becomes ``uncertain`` and is not sent again.
        A key ``sent``, queued or digested, or already ``uncertain``, comes back unchanged."""
        now = utcnow()
        with Session(self.engine) as session, session.begin():
            row = session.get(NoticeDelivery, (event_id, recipient, channel), with_for_update=True)
            if row is None:
                row = NoticeDelivery(
                    event_id=event_id, recipient=recipient, channel=channel, event_type=event_type, kind=kind,
                    case_id=case_id, status=DeliveryStatus.SENDING.value, message=message, created_at=now, updated_at=now,
                )
                session.add(row)
            elif row.status in DONE or row.status == DeliveryStatus.UNCERTAIN:
                session.expunge(row)
                return row
            elif row.status == DeliveryStatus.SENDING:
                row.status = DeliveryStatus.UNCERTAIN.value
                row.last_error = (
                    f"attempt {row.sending_by} began sending at {row.sending_at:%Y-%m-%dT%H:%M:%SZ} and did not record "
                    "the outcome (worker stopped?): maybe delivered; not resent — check with the recipient"
                    if row.sending_at is not None
                    else f"attempt {row.sending_by} began sending and did not record the outcome: not resent"
                )
                row.updated_at = now
                session.flush()
                session.expunge(row)
                return row
            else:
                row.status = DeliveryStatus.SENDING.value
                row.message = message
                row.updated_at = now
            row.attempts += 1
            row.sending_by = by[:200]
            row.sending_at = now
            session.flush()
            session.expunge(row)
            return row

    def mark_carried(self, recipient: str, channel: str, digest_id: str, status: DeliveryStatus) -> int:
        """The notices queued for ``digest_id`` take ``status`` (digested, or uncertain with their digest)."""
        now = utcnow()
        with Session(self.engine) as session, session.begin():
            rows = session.exec(
                select(NoticeDelivery).where(
                    NoticeDelivery.recipient == recipient,
                    NoticeDelivery.channel == channel,
                    NoticeDelivery.digest_id == digest_id,
                    NoticeDelivery.status == DeliveryStatus.QUEUED_FOR_DIGEST.value,
                )
            ).all()
            for row in rows:
                row.status = status.value
                if status == DeliveryStatus.DIGESTED:
                    row.sent_at = now
                row.updated_at = now
            return len(rows)

    def queued(self) -> list[NoticeDelivery]:
        """Every notice waiting for a digest, oldest first."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(NoticeDelivery)
                .where(NoticeDelivery.status == DeliveryStatus.QUEUED_FOR_DIGEST.value)
                .order_by(col(NoticeDelivery.created_at), col(NoticeDelivery.event_id))
            ).all()
            return list(rows)

    def assign(self, keys: Iterable[tuple[str, str, str]], digest_id: str) -> None:
        with Session(self.engine) as session, session.begin():
            for key in keys:
                row = session.get(NoticeDelivery, key)
                if row is not None and row.status == DeliveryStatus.QUEUED_FOR_DIGEST:
                    row.digest_id = digest_id
                    row.updated_at = utcnow()

    def mark_digested(self, recipient: str, channel: str, digest_id: str) -> int:
        return self.mark_carried(recipient, channel, digest_id, DeliveryStatus.DIGESTED)

    def since(self, moment: datetime | None) -> list[NoticeDelivery]:
        """Rows touched since ``moment`` (all rows when None), plus every row still queued or uncertain."""
        with Session(self.engine) as session:
            query = select(NoticeDelivery)
            if moment is not None:
                query = query.where(
                    (col(NoticeDelivery.updated_at) >= moment)
                    | (col(NoticeDelivery.status).in_([DeliveryStatus.QUEUED_FOR_DIGEST.value, DeliveryStatus.UNCERTAIN.value]))
                )
            return list(session.exec(query.order_by(col(NoticeDelivery.updated_at))).all())
