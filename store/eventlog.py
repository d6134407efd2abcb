"""The audit event log: append-only, optimistic per-stream versions, one global hash chain.

Every row's ``hash`` is SHA-256 over the previous row's hash and the exact text stored in the
row's columns (``domain/audit/chain.py``), so editing, deleting or reordering any stored row breaks
verification at that row; ``verify`` also checks that every stream's versions run 1, 2, 3, … in
position order. A cut tail or a chain recomputed from some row on is only revealed by signed
checkpoints kept outside the database (``store/checkpoints.py``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) quotes strings with
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, StatementError
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


# Called inside the append transaction with ONLY the events that append stored (built in memory, version
# ascending; the first may have version > 1), on a Session bound to the append's own connection: the
# projections commit (or roll back) together with the events they reflect. A rebuild passes each stream's
# whole list from version 1. A projector needing earlier state keeps its own or reads it through the session.
Projector = Callable[[Session, str, Sequence[AuditEvent]], None]
# ``verify``'s callback: the position and hash of every row whose link verified, in position order.
OnRow = Callable[[int, str], None]

_COLUMNS = (
    "position, event_id, stream_id, version, event_type, actor, policy_version, recorded_at, payload, prev_hash, hash"
)


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


def _link(
    prev_hash: str,
    position: Any,
    event_id: Any,
    stream_id: Any,
    version: Any,
    event_type: Any,
    actor: Any,
    policy_version: Any,
    recorded_at: Any,
    payload: Any,
) -> str:
    """``link_hash(prev_hash, [the nine columns])`` from the values as stored (``recorded_at`` its text),
    byte for byte, without json.dumps's per-call encoder: integers as ``repr`` writes them, strings quoted
    by the very function json.dumps(ensure_ascii=False) uses. Anything else (a tampered column of another
    type, a native timestamp) goes through ``link_hash`` itself. tests/integration/test_audit_log_fast_path.py
    checks both agree."""
    if type(position) is int and type(version) is int:
        try:
            material = (
                f"{prev_hash}\n[{position},{encode_basestring(event_id)},{encode_basestring(stream_id)},{version},"
                f"{encode_basestring(event_type)},{encode_basestring(actor)},"
                f"{'null' if policy_version is None else encode_basestring(policy_version)},"
                f"{encode_basestring(recorded_at)},{encode_basestring(payload)}]"
            )
            return hashlib.sha256(material.encode("utf-8")).hexdigest()
        except TypeError:
            pass
    if isinstance(recorded_at, datetime):
        recorded_at = format_utc(recorded_at)
    fields = [position, event_id, stream_id, version, event_type, actor, policy_version, recorded_at, payload]
    return link_hash(prev_hash, fields)


_LIMITS: dict[str, int] = {
    column.name: column.type.length
    for column in AuditEvent.__table__.columns  # type: ignore[attr-defined]
    if column.name in ("stream_id", "event_id", "event_type", "actor", "policy_version")
}


def _check_lengths(stream_id: str, events: Sequence[NewEvent]) -> None:
    """Refuse what PostgreSQL would refuse, on SQLite too (it ignores VARCHAR lengths)."""
    values = [("stream_id", stream_id)]
    for new in events:
        values += [("event_id", new.event_id), ("event_type", new.event_type), ("actor", new.actor)]
        if new.policy_version is not None:
            values.append(("policy_version", new.policy_version))
    for column, value in values:
        limit = _LIMITS[column]
        if len(value) > limit:
            raise ValueError(f"{column} longer than {limit} characters: {value[:40]}…")


class _Sql:
    """The statements an append and a verification run, in the driver's own parameter style.

    Passed to the driver's cursor as they are: SQLAlchemy's per-statement execution (compilation cache,
    result metadata, Row objects) costs more than the work itself on the hot path."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.mark = mark = "%s" if postgres else "?"
        self.lock = f"SELECT pg_advisory_xact_lock({_PG_APPEND_LOCK})"
        self.insert = f"INSERT INTO audit_event ({_COLUMNS}) VALUES ({', '.join([mark] * 11)})"
        self.page = f"SELECT {_COLUMNS} FROM audit_event WHERE position > {mark} ORDER BY position LIMIT {mark}"
        self._by_count: dict[tuple[str, int], str] = {}

    def _ids(self, count: int) -> str:
        """A condition on ``count`` event ids: one list parameter on PostgreSQL, a mark each on SQLite."""
        return "event_id = ANY(%s)" if self.postgres else f"event_id IN ({', '.join('?' * count)})"

    def state(self, count: int) -> str:
        """In one round trip: how many of ``count`` event ids are stored already, the stream's version and
        the chain head (position, hash; NULL in an empty log). Parameters: the ids, then the stream."""
        sql = self._by_count.get(("state", count))
        if sql is None:
            sql = self._by_count["state", count] = (
                f"SELECT (SELECT count(*) FROM audit_event WHERE {self._ids(count)}),"
                f" (SELECT coalesce(max(version), 0) FROM audit_event WHERE stream_id = {self.mark}),"
                " (SELECT position FROM audit_event ORDER BY position DESC LIMIT 1),"
                " (SELECT hash FROM audit_event ORDER BY position DESC LIMIT 1)"
            )
        return sql

    def stored(self, count: int) -> str:
        """The stored rows of ``count`` event ids (what a duplicate is compared with)."""
        sql = self._by_count.get(("stored", count))
        if sql is None:
            columns = "event_id, position, stream_id, version, event_type, actor, policy_version, payload"
            sql = self._by_count["stored", count] = f"SELECT {columns} FROM audit_event WHERE {self._ids(count)}"
        return sql

    def ids(self, events: Sequence[NewEvent]) -> tuple[Any, ...]:
        ids = [new.event_id for new in events]
        return (ids,) if self.postgres else tuple(ids)


# Connections held by an AuditLog in a process that forked since: never closed or returned from the
# child (that would talk on the parent's socket), only forgotten.
_FORKED_AWAY: list[Connection] = []


class AuditLog:
    """Appends go through one connection the log holds (made on the first append, remade if it breaks),
    one write transaction each, serialized within the process by a lock (activities run in a thread
    pool) and across processes by the database: SQLite ``BEGIN IMMEDIATE`` (store.db), PostgreSQL
    ``pg_advisory_xact_lock``. Reads and verification use the engine's pool. ``close()`` releases the
    held connection."""

    def __init__(self, engine: Engine, projectors: Sequence[Projector] = ()) -> None:
        self.engine = engine
        self.projectors = list(projectors)
        self._postgres = engine.dialect.name == "postgresql"
        self._sql = _Sql(self._postgres)
        self._lock = threading.Lock()
        self._held: Connection | None = None
        self._held_pid = 0

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
        if recorded_at.tzinfo is None or recorded_at.utcoffset() is None:
            raise ValueError(f"naive datetime {recorded_at!r} refused: store UTC instants only")
        with self._lock:
            for attempt in (1, 2):
                connection = self._connection()
                try:
                    return self._append(connection, stream_id, expected_version, events, recorded_at)
                except DBAPIError as error:
                    if not (error.connection_invalidated or connection.invalidated or connection.closed):
                        raise
                    self._release()
                    # The connection broke (server restart, idle timeout, network): once more on a new
                    # one. Had the first attempt's COMMIT gone through, the event ids make this a
                    # duplicate, reported with the stored positions.
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def _connection(self) -> Connection:
        held = self._held
        if held is not None and self._held_pid != os.getpid():
            _FORKED_AWAY.append(held)
            held = self._held = None
        if held is None or held.closed or held.invalidated:
            if held is not None:
                self._release()
            held = self._held = self.engine.connect()
            self._held_pid = os.getpid()
        return held

    def _release(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            try:
                held.close()
            except Exception:  # noqa: BLE001 - already broken: the pool discards it
                pass

    def close(self) -> None:
        """Release the connection appends hold (the next append makes a new one)."""
        with self._lock:
            if self._held is not None and self._held_pid == os.getpid():
                self._release()
            self._held = None

    def _append(
        self,
        connection: Connection,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        recorded_at: datetime,
    ) -> AppendResult:
        """One write transaction on the held connection. The statements go to the driver's cursor as
        they are: SQLAlchemy's per-statement execution machinery costs more than the work itself.

        Without projectors the transaction is the driver's too: ``BEGIN IMMEDIATE`` on SQLite (what
        store.db's begin hook would say), PostgreSQL's implicit BEGIN; with projectors it is the
        Connection's (the same hook), so the projectors' Session joins it."""
        sql = self._sql
        driver = connection.connection.driver_connection
        assert driver is not None
        transaction = connection.begin() if self.projectors else None
        cursor = None
        statement: str = "BEGIN IMMEDIATE"
        params: Any = None
        try:
            try:
                cursor = driver.cursor()
                # Serialize writers: the chain head must be read and extended atomically, and positions
                # must commit in order so that readers tailing by position never skip a late-committing
                # row. SQLite: BEGIN IMMEDIATE (here, or store.db's begin hook). PostgreSQL: the lock.
                if sql.postgres:
                    statement = sql.lock
                    cursor.execute(statement)
                elif transaction is None:
                    cursor.execute(statement)
                ids = sql.ids(events)
                statement, params = sql.state(len(events)), (*ids, stream_id)
                duplicates, current, position, prev_hash = cursor.execute(statement, params).fetchone()
                if duplicates:
                    statement, params = sql.stored(len(events)), ids
                    stored = cursor.execute(statement, params).fetchall()
                    result = self._duplicate(stream_id, expected_version, events, {row[0]: row for row in stored})
                else:
                    if current != expected_version:
                        raise ConcurrencyError(
                            f"stream {stream_id} is at version {current}, the append expected {expected_version}"
                        )
                    rows = self._rows(stream_id, expected_version, events, recorded_at, position, prev_hash)
                    statement, params = sql.insert, rows
                    if len(rows) > 1:
                        cursor.executemany(statement, rows)
                    else:
                        cursor.execute(statement, rows[0])
                    if transaction is not None:
                        self._project(connection, stream_id, rows, recorded_at.astimezone(UTC))
                    result = AppendResult(stream_id, expected_version + len(events), [row[0] for row in rows], False)
                statement, params = "COMMIT", None
                if transaction is not None:
                    transaction.commit()
                else:
                    driver.commit()
                return result
            except self._driver_error as error:
                raise self._wrapped(error, connection, cursor, statement, params) from error
        except BaseException:
            self._rollback(connection, transaction)
            raise
        finally:
            if cursor is not None:
                with contextlib.suppress(Exception):  # a broken connection's cursor may refuse even this
                    cursor.close()

    @staticmethod
    def _rows(
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        recorded_at: datetime,
        position: int | None,
        prev_hash: str | None,
    ) -> list[tuple[Any, ...]]:
        """The new rows, chained on from the head (``position``, ``prev_hash``; None: the empty log)."""
        if position is None or prev_hash is None:
            position, prev_hash = 0, GENESIS_HASH
        stamp = format_utc(recorded_at)
        rows = []
        for offset, new in enumerate(events, start=1):
            fields = (
                position + offset,
                new.event_id,
                stream_id,
                expected_version + offset,
                new.event_type,
                new.actor,
                new.policy_version,
                stamp,
                new.payload,
            )
            digest = _link(prev_hash, *fields)
            rows.append((*fields, prev_hash, digest))
            prev_hash = digest
        return rows

    @property
    def _driver_error(self) -> type[Exception]:
        return self.engine.dialect.loaded_dbapi.Error

    def _wrapped(
        self, error: Exception, connection: Connection, cursor: Any, statement: str, params: Any
    ) -> StatementError:
        """The driver's error as SQLAlchemy raises it (OperationalError, IntegrityError, …), the held
        connection invalidated when the error says it is gone."""
        dialect = self.engine.dialect
        driver = connection.connection.driver_connection
        gone = dialect.is_disconnect(error, driver, cursor)  # type: ignore[arg-type]
        if gone:
            connection.invalidate(error)
        return DBAPIError.instance(
            statement, params, error, self._driver_error, connection_invalidated=gone, dialect=dialect
        )

    def _fetch(self, connection: Connection, statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """The rows as the driver returns them (plain tuples: no Row objects, no result processing)."""
        driver = connection.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        try:
            return cursor.execute(statement, params).fetchall()
        except self._driver_error as error:
            raise self._wrapped(error, connection, cursor, statement, params) from error
        finally:
            cursor.close()

    def _rollback(self, connection: Connection, transaction: Any) -> None:
        """End a failed append's transaction; a connection that cannot even roll back is invalidated."""
        if connection.invalidated or connection.closed:
            return
        try:
            if transaction is not None:
                if transaction.is_active:
                    transaction.rollback()
            else:
                driver = connection.connection.driver_connection
                assert driver is not None
                driver.rollback()
        except Exception as error:  # noqa: BLE001 - the connection is unusable: the next append makes a new one
            if not connection.invalidated:
                connection.invalidate(error)

    def _project(self, connection: Connection, stream_id: str, rows: list[tuple[Any, ...]], recorded_at: datetime) -> None:
        """Run the projectors over the new rows, in the append's own transaction."""
        stored = [
            AuditEvent(
                position=row[0],
                event_id=row[1],
                stream_id=row[2],
                version=row[3],
                event_type=row[4],
                actor=row[5],
                policy_version=row[6],
                recorded_at=recorded_at,
                payload=row[8],
                prev_hash=row[9],
                hash=row[10],
            )
            for row in rows
        ]
        # Joins the open transaction: the Session neither commits nor ends it.
        with Session(bind=connection) as session:
            for project in self.projectors:
                project(session, stream_id, stored)
            session.flush()

    @staticmethod
    def _duplicate(
        stream_id: str, expected_version: int, events: Sequence[NewEvent], existing: dict[str, Any]
    ) -> AppendResult:
        """``existing``: event_id → (event_id, position, stream_id, version, event_type, actor, policy_version, payload)."""
        positions = []
        for offset, new in enumerate(events, start=1):
            row = existing.get(new.event_id)
            same = row is not None and tuple(row[2:]) == (
                stream_id,
                expected_version + offset,
                new.event_type,
                new.actor,
                new.policy_version,
                new.payload,
            )
            if not same:
                raise IdempotencyConflict(f"event id {new.event_id} was already used for different content")
            assert row is not None
            positions.append(row[1])
        return AppendResult(stream_id, expected_version + len(events), positions, duplicate=True)

    @staticmethod
    def _stream(session: Session, stream_id: str, after_version: int = 0) -> list[AuditEvent]:
        query = (
            select(AuditEvent)
            .where(AuditEvent.stream_id == stream_id, AuditEvent.version > after_version)
            .order_by(col(AuditEvent.version))
        )
        return list(session.exec(query).all())

    def read_stream(self, stream_id: str, after_version: int = 0) -> list[AuditEvent]:
        """The stream's events in version order (only those after ``after_version``)."""
        with Session(self.engine) as session:
            return self._stream(session, stream_id, after_version)

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

    def verify(self, batch: int = 1000, on_row: OnRow | None = None) -> VerifyReport:
        """Walk the whole chain; report the first row whose stored bytes do not hash to its link, and the
        first event whose stream version is not its stream's previous one + 1. ``on_row(position, hash)``
        sees every row whose link verified, in position order (a Merkle root, checkpoints:
        store/checkpoints.py).

        Reads raw columns a batch at a time by position (each batch its own short transaction, so
        appends go on meanwhile) and hashes the stored text as it is: no entities, no datetimes."""
        prev_hash, expected_position = GENESIS_HASH, 1
        versions: dict[str, int] = {}
        version_break: VersionBreak | None = None
        link, page, sha256, quote = _link, self._sql.page, hashlib.sha256, encode_basestring
        with self.engine.connect() as connection:
            while True:
                with connection.begin():  # SQLite: BEGIN IMMEDIATE (store.db): a writer waits one batch at most
                    rows = self._fetch(connection, page, (expected_position - 1, batch))
                if not rows:
                    break
                for position, event_id, stream_id, version, event_type, actor, policy, at, payload, stored_prev, digest in rows:
                    problem = None
                    if position != expected_position:
                        problem = f"position {expected_position} is missing (next row is {position})"
                    elif stored_prev != prev_hash:
                        problem = "prev_hash does not match the previous row's hash"
                    else:
                        try:
                            computed = None
                            if type(position) is int and type(version) is int:
                                try:  # _link's fast path inline: a call per row costs about what the hashing does
                                    material = (
                                        f"{prev_hash}\n[{position},{quote(event_id)},{quote(stream_id)},{version},"
                                        f"{quote(event_type)},{quote(actor)},{'null' if policy is None else quote(policy)},"
                                        f"{quote(at)},{quote(payload)}]"
                                    )
                                    computed = sha256(material.encode("utf-8")).hexdigest()
                                except TypeError:
                                    pass
                            if computed is None:  # a value of another type than stored: link_hash says what it hashes to
                                computed = link(prev_hash, position, event_id, stream_id, version, event_type, actor, policy, at, payload)
                        except (TypeError, ValueError) as error:  # a column no longer JSON or UTF-8 text
                            problem = f"stored content cannot be hashed: {error}"
                        else:
                            if computed != digest:
                                problem = "stored content does not match its hash"
                    if problem:
                        head = expected_position - 1
                        return VerifyReport(False, head, head, prev_hash, position, problem, version_break)
                    expected_version = versions.get(stream_id, 0) + 1
                    if version != expected_version and version_break is None:
                        version_break = VersionBreak(position, stream_id, expected_version, version)
                    versions[stream_id] = version
                    if on_row is not None:
                        on_row(position, digest)
                    prev_hash, expected_position = digest, position + 1
        # positions run 1, 2, 3, … (checked above): the rows checked are the head's position
        head = expected_position - 1
        if version_break is not None:
            return VerifyReport(False, head, head, prev_hash, version_break.position, str(version_break), version_break)
        return VerifyReport(True, head, head, prev_hash)

    def rebuild_projections(self, reset: Callable[[Session], None]) -> int:
        """Drop every projection row and re-derive it from the log, stream by stream (each projector
        gets the stream's whole list from version 1)."""
        with Session(self.engine) as session, session.begin():
            # Under the append lock, so a stream first appended meanwhile is not reset and missed.
            if self._postgres:
                session.connection().exec_driver_sql(self._sql.lock)
            streams = self._stream_ids(session)
            reset(session)
            for stream_id in streams:
                stream = self._stream(session, stream_id)
                for project in self.projectors:
                    project(session, stream_id, stream)
        return len(streams)
