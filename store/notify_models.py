"""Tables (projections and working data); see the matching migration in store/migrations/versions.

``notice_delivery``: one row per idempotency key (event id, recipient, channel) — what happened to
one person's copy of one notice on one channel. It is working data, not the record (the audit log
is): it makes deliveries at-most-once per key across activity retries, workflow replays and
duplicate notices, holds the daily-digest queue, and feeds `pdca notify status`.

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
                row.status = DeliveryStatus.DIGESTED.value
                row.sent_at = now
                row.updated_at = now
            return len(rows)

    def since(self, moment: datetime | None) -> list[NoticeDelivery]:
        """Rows touched since ``moment`` (all rows when None), plus every row still queued."""
        with Session(self.engine) as session:
            query = select(NoticeDelivery)
            if moment is not None:
                query = query.where(
                    (col(NoticeDelivery.updated_at) >= moment)
                    | (NoticeDelivery.status == DeliveryStatus.QUEUED_FOR_DIGEST.value)
                )
            return list(session.exec(query.order_by(col(NoticeDelivery.updated_at))).all())
