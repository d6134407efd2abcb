"""The audit event log: append-only, optimistic per-stream versions, one global hash chain.

Every row's ``hash`` is SHA-256 over the previous row's hash and the exact text stored in the
row's columns (``domain/audit/chain.py``), so editing, deleting or reordering any stored row breaks
verification at that row; ``verify`` also checks that every stream's versions run 1, 2, 3, … in
position order. A cut tail or a chain recomputed from some row on is only revealed by signed
checkpoints kept outside the database (``store/checkpoints.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain.audit.chain import GENESIS_HASH, link_hash
from store.db import format_utc
from store.models import AuditEvent

__all__ = ["GENESIS_HASH", "AppendResult", "AuditLog", "ConcurrencyError", "IdempotencyConflict", "NewEvent", "VerifyReport", "row_digest"]
# Any constant will do; it names "the audit_event append lock" for pg_advisory_xact_lock.
_PG_APPEND_LOCK = 0x5044_4341


class ConcurrencyError(Exception):
    """The stream moved on since the caller read it: the append was refused."""


class IdempotencyConflict(Exception):
    """An event id was reused for different content."""


@dataclass(frozen=True)
class NewEvent:
    event_id: str
    event_type: str
    actor: str
    payload: str  # exact JSON text: hashed and stored byte for byte
    policy_version: str | None = None


@dataclass(frozen=True)
class AppendResult:
    stream_id: str
    version: int
    positions: list[int]
    duplicate: bool


@dataclass(frozen=True)
class VersionBreak:
    """The first event whose stream version is not the stream's previous version + 1 (from 1)."""

    position: int
    stream_id: str
    expected: int
    found: int

    def __str__(self) -> str:
        return f"stream {self.stream_id}: expected version {self.expected}, found {self.found} (position {self.position})"


@dataclass(frozen=True)
class VerifyReport:
    """``ok``: the chain is intact and every stream's versions are contiguous from 1.

    A broken chain stops the walk: ``head_*`` are the last intact row's, ``bad_position`` the first bad
    row. A version break does not stop it (the chain itself may be intact up to the real head):
    ``version_break`` names it, and ``bad_position``/``reason`` too when the chain is intact."""

    ok: bool
    checked: int
    head_position: int
    head_hash: str
    bad_position: int | None = None
    reason: str | None = None
    version_break: VersionBreak | None = None

    @property
    def chain_intact(self) -> bool:
        """Every row up to the head links and hashes (stream versions aside)."""
        return self.ok or (self.version_break is not None and self.bad_position == self.version_break.position)


# Called inside the append transaction with the stream's full event list, so projections
# commit (or roll back) together with the events they reflect.
Projector = Callable[[Session, str, Sequence[AuditEvent]], None]


def row_digest(prev_hash: str, row: AuditEvent) -> str:
    fields = [
        row.position,
        row.event_id,
        row.stream_id,
        row.version,
        row.event_type,
        row.actor,
        row.policy_version,
        format_utc(row.recorded_at),
        row.payload,
    ]
    return link_hash(prev_hash, fields)


def _check_lengths(stream_id: str, events: Sequence[NewEvent]) -> None:
    """Refuse what PostgreSQL would refuse, on SQLite too (it ignores VARCHAR lengths)."""
    columns = AuditEvent.__table__.columns  # type: ignore[attr-defined]
    values = [("stream_id", stream_id)]
    for new in events:
        values += [("event_id", new.event_id), ("event_type", new.event_type), ("actor", new.actor)]
        if new.policy_version is not None:
            values.append(("policy_version", new.policy_version))
    for column, value in values:
        limit = columns[column].type.length
        if len(value) > limit:
            raise ValueError(f"{column} longer than {limit} characters: {value[:40]}…")


class AuditLog:
    def __init__(self, engine: Engine, projectors: Sequence[Projector] = ()) -> None:
        self.engine = engine
        self.projectors = list(projectors)
        self._postgres = engine.dialect.name == "postgresql"

    def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        now: datetime | None = None,
    ) -> AppendResult:
        """Append ``events`` after ``expected_version``; a retried append is stored once."""
        if not events:
            raise ValueError("nothing to append")
        _check_lengths(stream_id, events)
        recorded_at = now or datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            self._lock(session)
            existing = self._existing(session, [e.event_id for e in events])
            if existing:
                return self._duplicate(stream_id, expected_version, events, existing)
            current = session.exec(
                select(func.coalesce(func.max(AuditEvent.version), 0)).where(AuditEvent.stream_id == stream_id)
            ).one()
            if current != expected_version:
                raise ConcurrencyError(
                    f"stream {stream_id} is at version {current}, the append expected {expected_version}"
                )
            head = session.exec(select(AuditEvent).order_by(col(AuditEvent.position).desc()).limit(1)).first()
            prev_hash, position = (head.hash, head.position) if head else (GENESIS_HASH, 0)
            positions = []
            for offset, new in enumerate(events, start=1):
                row = AuditEvent(
                    position=position + offset,
                    event_id=new.event_id,
                    stream_id=stream_id,
                    version=expected_version + offset,
                    event_type=new.event_type,
                    actor=new.actor,
                    policy_version=new.policy_version,
                    recorded_at=recorded_at,
                    payload=new.payload,
                    prev_hash=prev_hash,
                    hash="",
                )
                row.hash = row_digest(prev_hash, row)
                prev_hash = row.hash
                session.add(row)
                positions.append(row.position)
            session.flush()
            if self.projectors:
                stream = self._stream(session, stream_id)
                for project in self.projectors:
                    project(session, stream_id, stream)
        return AppendResult(stream_id, expected_version + len(events), positions, duplicate=False)

    def _lock(self, session: Session) -> None:
        """Serialize writers. SQLite: every transaction is BEGIN IMMEDIATE already (store.db).

        PostgreSQL: the chain head must be read and extended atomically, and positions must
        commit in order so that readers tailing by position never skip a late-committing row.
        """
        if self._postgres:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=_PG_APPEND_LOCK))

    @staticmethod
    def _existing(session: Session, event_ids: list[str]) -> dict[str, AuditEvent]:
        rows = session.exec(select(AuditEvent).where(col(AuditEvent.event_id).in_(event_ids))).all()
        return {row.event_id: row for row in rows}

    @staticmethod
    def _duplicate(
        stream_id: str, expected_version: int, events: Sequence[NewEvent], existing: dict[str, AuditEvent]
    ) -> AppendResult:
        positions = []
        for offset, new in enumerate(events, start=1):
            row = existing.get(new.event_id)
            same = (
                row is not None
                and row.stream_id == stream_id
                and row.version == expected_version + offset
                and row.event_type == new.event_type
                and row.actor == new.actor
                and row.policy_version == new.policy_version
                and row.payload == new.payload
            )
            if not same:
                raise IdempotencyConflict(f"event id {new.event_id} was already used for different content")
            assert row is not None
            positions.append(row.position)
        return AppendResult(stream_id, expected_version + len(events), positions, duplicate=True)

    @staticmethod
    def _stream(session: Session, stream_id: str) -> list[AuditEvent]:
        query = select(AuditEvent).where(AuditEvent.stream_id == stream_id).order_by(col(AuditEvent.version))
        return list(session.exec(query).all())

    def read_stream(self, stream_id: str) -> list[AuditEvent]:
        with Session(self.engine) as session:
            return self._stream(session, stream_id)

    @staticmethod
    def _stream_ids(session: Session) -> list[str]:
        """Every stream, in the order of its first event."""
        query = select(AuditEvent.stream_id).group_by(AuditEvent.stream_id).order_by(func.min(AuditEvent.position))
        return list(session.exec(query).all())

    def stream_ids(self) -> list[str]:
        with Session(self.engine) as session:
            return self._stream_ids(session)

    def read_all(self, after_position: int = 0, limit: int = 1000) -> list[AuditEvent]:
        with Session(self.engine) as session:
            query = (
                select(AuditEvent)
                .where(AuditEvent.position > after_position)
                .order_by(col(AuditEvent.position))
                .limit(limit)
            )
            return list(session.exec(query).all())

    def verify(self, batch: int = 1000, on_row: Callable[[AuditEvent], None] | None = None) -> VerifyReport:
        """Walk the whole chain; report the first row whose stored bytes do not hash to its link, and the
        first event whose stream version is not its stream's previous one + 1. ``on_row`` sees every
        row whose link verified, in position order (a Merkle root, checkpoints: store/checkpoints.py)."""
        prev_hash, expected_position, checked = GENESIS_HASH, 1, 0
        versions: dict[str, int] = {}
        version_break: VersionBreak | None = None
        after = 0
        while True:
            rows = self.read_all(after, batch)
            if not rows:
                break
            for row in rows:
                problem = None
                if row.position != expected_position:
                    problem = f"position {expected_position} is missing (next row is {row.position})"
                elif row.prev_hash != prev_hash:
                    problem = "prev_hash does not match the previous row's hash"
                elif row_digest(prev_hash, row) != row.hash:
                    problem = "stored content does not match its hash"
                if problem:
                    return VerifyReport(False, checked, expected_position - 1, prev_hash, row.position, problem, version_break)
                expected_version = versions.get(row.stream_id, 0) + 1
                if row.version != expected_version and version_break is None:
                    version_break = VersionBreak(row.position, row.stream_id, expected_version, row.version)
                versions[row.stream_id] = row.version
                if on_row is not None:
                    on_row(row)
                prev_hash, expected_position, checked = row.hash, row.position + 1, checked + 1
            after = rows[-1].position
        if version_break is not None:
            return VerifyReport(
                False, checked, expected_position - 1, prev_hash, version_break.position, str(version_break), version_break
            )
        return VerifyReport(True, checked, expected_position - 1, prev_hash)

    def rebuild_projections(self, reset: Callable[[Session], None]) -> int:
        """Drop every projection row and re-derive it from the log, stream by stream."""
        with Session(self.engine) as session, session.begin():
            # Under the append lock, so a stream first appended meanwhile is not reset and missed.
            self._lock(session)
            streams = self._stream_ids(session)
            reset(session)
            for stream_id in streams:
                stream = self._stream(session, stream_id)
                for project in self.projectors:
                    project(session, stream_id, stream)
        return len(streams)
