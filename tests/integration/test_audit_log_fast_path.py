"""The append fast path and the raw verification (store/eventlog.py), on every backend.

An ``AuditLog`` appends through one connection it holds, straight to the driver, and verifies from raw
columns with an inlined copy of the chain's link. These tests pin what that must not change: the link is
``domain.audit.chain.link_hash`` byte for byte; another writer (another instance, another process)
moving the head meanwhile is seen; a held connection that breaks is replaced; duplicates and conflicts
are still recognised on it; it never idles inside a transaction; errors are SQLAlchemy's.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from domain.audit.chain import link_hash
from store.db import make_engine
from store.eventlog import AuditLog, ConcurrencyError, IdempotencyConflict, NewEvent, _link, row_digest
from store.models import AuditEvent

from .conftest import Backend, as_dba

T0 = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)


def event(event_id: str, payload: str | None = None) -> NewEvent:
    return NewEvent(event_id, "Noted", "alice", payload if payload is not None else f'{{"id":"{event_id}"}}', "test-1")


def held_driver(log: AuditLog) -> object:
    assert log._held is not None
    return log._held.connection.driver_connection


def in_transaction(log: AuditLog) -> bool:
    driver = held_driver(log)
    if isinstance(driver, sqlite3.Connection):
        return driver.in_transaction
    from psycopg.pq import TransactionStatus

    return driver.info.transaction_status != TransactionStatus.IDLE  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the link, byte for byte

AWKWARD = [
    "",
    "plain",
    '{"z": 1, "a": "软弱涣散",  "n": null}',
    'quote " backslash \\ slash / done',
    "".join(chr(c) for c in range(0x20)),  # every control character: short and \u00XX escapes
    "del \x7f, nbsp \xa0, line sep \u2028 para sep \u2029, bom \ufeff",
    "astral 𝄞 😀 and combining e\u0301",
    "\\u0041 is not A",
]


@pytest.mark.parametrize("value", AWKWARD)
def test_the_inlined_link_is_link_hash_byte_for_byte(value: str) -> None:
    for policy in (None, value, "2026.1"):
        fields = [7, f"id-{value}", value, 3, value, value, policy, "2026-03-01T01:30:15.123456Z", value]
        assert _link("f" * 64, *fields) == link_hash("f" * 64, fields)


@pytest.mark.parametrize(
    "odd",
    [
        pytest.param((7.0, 3), id="float-position"),
        pytest.param((7, "3"), id="text-version"),
        pytest.param((True, 3), id="bool-position"),
    ],
)
def test_values_of_another_type_hash_as_link_hash_says(odd: tuple[object, object]) -> None:
    position, version = odd
    fields = [position, "e", "s", version, "T", "a", None, "2026-03-01T01:30:15.123456Z", "{}"]
    assert _link("0" * 64, *fields) == link_hash("0" * 64, fields)


def test_a_native_timestamp_hashes_as_its_stored_text() -> None:
    at = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    fields = [1, "e", "s", 1, "T", "a", None, at, "{}"]
    assert _link("0" * 64, *fields) == link_hash("0" * 64, [*fields[:7], "2026-03-01T01:30:15.123456Z", "{}"])


def test_stored_rows_hash_as_row_digest_says(audit_log: AuditLog, backend: Backend) -> None:
    for value in AWKWARD:
        if backend.name == "postgres":
            value = value.replace("\x00", "")  # PostgreSQL text cannot hold NUL
        version = len(audit_log.read_stream("s1"))
        audit_log.append("s1", version, [event(f"e{version}", value)], now=T0)
    for row in audit_log.read_all():
        assert row.hash == row_digest(row.prev_hash, row)
    assert audit_log.verify().ok


def test_verification_hashes_recorded_at_as_stored_not_as_reparsed(audit_log: AuditLog) -> None:
    """A recorded_at rewritten to another spelling of the same instant is still a change to the row."""
    for i in range(1, 4):
        audit_log.append("s1", i - 1, [event(f"e{i}")], now=T0)
    with as_dba(audit_log.engine) as conn:
        conn.execute(text("UPDATE audit_event SET recorded_at = '2026-03-01 01:30:00.000000Z' WHERE position = 2"))

    report = audit_log.verify()

    assert (report.ok, report.bad_position, report.checked) == (False, 2, 1)


def test_a_column_that_cannot_be_hashed_is_reported_not_raised(audit_log: AuditLog, backend: Backend) -> None:
    if backend.name != "sqlite":
        pytest.skip("only SQLite lets a TEXT column hold an integer")
    for i in range(1, 4):
        audit_log.append("s1", i - 1, [event(f"e{i}")], now=T0)
    with as_dba(audit_log.engine) as conn:
        conn.execute(text("UPDATE audit_event SET payload = 12 WHERE position = 3"))

    report = audit_log.verify()

    assert (report.ok, report.bad_position, report.checked) == (False, 3, 2)


# --------------------------------------------------------------------------- other writers


def test_another_instance_appending_meanwhile_is_seen(audit_log: AuditLog, backend: Backend) -> None:
    """Two logs on two engines, as two worker processes: each append lands after the other's."""
    other = AuditLog(make_engine(backend.url))
    try:
        assert audit_log.append("s1", 0, [event("a1")]).positions == [1]
        assert other.append("s2", 0, [event("b1"), event("b2")]).positions == [2, 3]
        assert audit_log.append("s1", 1, [event("a2")]).positions == [4]
        with pytest.raises(ConcurrencyError):
            other.append("s1", 1, [event("b3")])  # its idea of s1 is stale
        assert other.append("s1", 2, [event("b3")]).positions == [5]
        assert audit_log.append("s2", 2, [event("a3")]).positions == [6]
        # a duplicate the other instance stored is recognised here
        again = audit_log.append("s2", 0, [event("b1"), event("b2")])
        assert (again.duplicate, again.positions) == (True, [2, 3])
    finally:
        other.close()
        other.engine.dispose()
    report = audit_log.verify()
    assert (report.ok, report.checked) == (True, 6)


def test_writers_on_separate_connections_get_gapless_positions(audit_log: AuditLog, backend: Backend) -> None:
    writers, appends = 3, 15
    logs = [AuditLog(make_engine(backend.url)) for _ in range(writers)]
    barrier = threading.Barrier(writers)

    def write(w: int) -> list[list[int]]:
        barrier.wait()
        out, version = [], 0
        for i in range(appends):
            result = logs[w].append(f"w{w}", version, [event(f"w{w}-{i}-{j}") for j in range(1 + i % 3)])
            out.append(result.positions)
            version = result.version
        return out

    try:
        with ThreadPoolExecutor(writers) as pool:
            batches = [b for result in pool.map(write, range(writers)) for b in result]
    finally:
        for log in logs:
            log.close()
            log.engine.dispose()
    total = sum(len(b) for b in batches)
    assert sorted(p for b in batches for p in b) == list(range(1, total + 1))
    assert all(b == list(range(b[0], b[0] + len(b))) for b in batches)
    assert audit_log.verify().checked == total


def _append_from_a_process(url: str, writer: int, appends: int) -> list[int]:
    log = AuditLog(make_engine(url))
    positions = []
    for i in range(appends):
        positions += log.append(f"p{writer}", i, [NewEvent(f"p{writer}-{i}", "Noted", "proc", "{}")]).positions
    return positions


def test_writers_in_other_processes_keep_the_chain(audit_log: AuditLog, backend: Backend) -> None:
    processes, appends = 2, 20
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.starmap(_append_from_a_process, [(backend.url, w, appends) for w in range(processes)])
    mine = [audit_log.append("here", i, [event(f"here-{i}")]).positions[0] for i in range(3)]
    positions = sorted(p for r in results for p in r)
    assert positions == list(range(1, processes * appends + 1))
    assert mine == [processes * appends + 1, processes * appends + 2, processes * appends + 3]
    report = audit_log.verify()
    assert (report.ok, report.checked) == (True, processes * appends + 3)


# --------------------------------------------------------------------------- the held connection


def test_appends_reuse_one_connection_and_leave_no_transaction_open(audit_log: AuditLog) -> None:
    audit_log.append("s1", 0, [event("a1")])
    held = audit_log._held
    assert held is not None and not in_transaction(audit_log)
    audit_log.append("s1", 1, [event("a2")])
    with pytest.raises(ConcurrencyError):
        audit_log.append("s1", 1, [event("a3")])
    assert not in_transaction(audit_log)
    with pytest.raises(IdempotencyConflict):
        audit_log.append("s1", 2, [event("a1", '{"changed":true}')])
    assert not in_transaction(audit_log)
    assert audit_log.append("s1", 0, [event("a1")]).duplicate
    assert not in_transaction(audit_log)
    assert audit_log._held is held
    assert audit_log.append("s1", 2, [event("a3")]).positions == [3]


def test_a_broken_held_connection_is_replaced(audit_log: AuditLog, backend: Backend) -> None:
    audit_log.append("s1", 0, [event("a1")])
    held = audit_log._held
    assert held is not None
    if backend.name == "sqlite":
        held.connection.driver_connection.close()  # type: ignore[union-attr]
    else:
        pid = held.connection.driver_connection.info.backend_pid  # type: ignore[union-attr]
        with audit_log.engine.connect() as admin:
            assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()

    result = audit_log.append("s1", 1, [event("a2")])

    assert (result.positions, result.duplicate) == ([2], False)
    assert audit_log._held is not held
    assert audit_log.verify().ok
    assert [r.event_id for r in audit_log.read_stream("s1")] == ["a1", "a2"]


def test_a_held_connection_broken_by_the_retry_too_raises(audit_log: AuditLog, backend: Backend) -> None:
    """Only one reconnect per append: a database that keeps failing is reported, not retried forever."""
    audit_log.append("s1", 0, [event("a1")])
    original = audit_log._connection

    def broken() -> object:
        connection = original()
        if backend.name == "sqlite":
            connection.connection.driver_connection.close()  # type: ignore[union-attr]
        else:
            connection.connection.driver_connection.close()  # type: ignore[union-attr]
        return connection

    audit_log._connection = broken  # type: ignore[method-assign,assignment]
    with pytest.raises(DBAPIError) as raised:
        audit_log.append("s1", 1, [event("a2")])
    assert getattr(raised.value, "connection_invalidated", False)
    del audit_log._connection
    assert audit_log.append("s1", 1, [event("a2")]).positions == [2]


def test_a_locked_database_is_sqlalchemys_operational_error_and_the_log_goes_on(backend: Backend) -> None:
    if backend.name != "sqlite":
        pytest.skip("SQLite's busy timeout")
    from store.migrate import upgrade

    upgrade(backend.engine)
    log = AuditLog(make_engine(backend.url, busy_timeout=0.2))
    log.append("s1", 0, [event("a1")])
    blocker = sqlite3.connect(backend.url.split("///", 1)[1], isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="locked"):
            log.append("s1", 1, [event("a2")])
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert not in_transaction(log)
    assert log.append("s1", 1, [event("a2")]).positions == [2]
    log.close()
    log.engine.dispose()


def test_close_releases_the_held_connection_and_the_next_append_makes_one(audit_log: AuditLog) -> None:
    audit_log.append("s1", 0, [event("a1")])
    held = audit_log._held
    audit_log.close()
    assert audit_log._held is None and held is not None and held.closed
    assert audit_log.append("s1", 1, [event("a2")]).positions == [2]


def test_appends_from_many_threads_share_the_held_connection(audit_log: AuditLog) -> None:
    threads, appends = 6, 10

    def write(t: int) -> list[int]:
        return [audit_log.append(f"t{t}", i, [event(f"t{t}-{i}")]).positions[0] for i in range(appends)]

    with ThreadPoolExecutor(threads) as pool:
        positions = sorted(p for r in pool.map(write, range(threads)) for p in r)
    assert positions == list(range(1, threads * appends + 1))
    assert audit_log.verify().ok


# --------------------------------------------------------------------------- projectors


def test_projectors_get_only_the_new_rows_in_the_append_transaction(audit_log: AuditLog) -> None:
    seen: list[tuple[str, list[tuple[int, int, str, datetime]]]] = []
    in_tx: list[bool] = []

    def record(session: Session, stream_id: str, rows: Sequence[AuditEvent]) -> None:
        seen.append((stream_id, [(r.version, r.position, r.hash, r.recorded_at) for r in rows]))
        # the session sees the rows just inserted: it is the append's own transaction
        count = session.connection().execute(text("SELECT count(*) FROM audit_event WHERE stream_id = :s"), {"s": stream_id})
        in_tx.append(count.scalar_one() == rows[-1].version)

    log = AuditLog(audit_log.engine, [record])
    beijing = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    log.append("s1", 0, [event("a1"), event("a2")], now=beijing)
    log.append("s2", 0, [event("b1")], now=beijing)
    log.append("s1", 2, [event("a3")], now=beijing)
    assert log.append("s1", 2, [event("a3")]).duplicate  # a duplicate projects nothing

    stored = {r.position: r for r in log.read_all()}
    assert [(s, [(v, p) for v, p, _, _ in rows]) for s, rows in seen] == [
        ("s1", [(1, 1), (2, 2)]),
        ("s2", [(1, 3)]),
        ("s1", [(3, 4)]),
    ]
    for _, rows in seen:
        for _, position, digest, at in rows:
            assert digest == stored[position].hash
            assert at == stored[position].recorded_at == beijing and at.tzinfo == UTC
    assert in_tx == [True, True, True]
    log.close()


def test_rebuild_passes_each_streams_whole_list(audit_log: AuditLog) -> None:
    seen: dict[str, list[int]] = {}

    def record(session: Session, stream_id: str, rows: Sequence[AuditEvent]) -> None:
        seen[stream_id] = [r.version for r in rows]

    log = AuditLog(audit_log.engine, [record])
    log.append("s1", 0, [event("a1"), event("a2")])
    log.append("s1", 2, [event("a3")])
    seen.clear()

    assert log.rebuild_projections(lambda session: None) == 1
    assert seen == {"s1": [1, 2, 3]}
    log.close()


def test_the_database_file_keeps_wal_and_full_sync_on_the_held_connection(audit_log: AuditLog, backend: Backend) -> None:
    if backend.name != "sqlite":
        pytest.skip("SQLite pragmas")
    audit_log.append("s1", 0, [event("a1")])
    driver = held_driver(audit_log)
    assert isinstance(driver, sqlite3.Connection)
    assert driver.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert driver.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: as bare sqlite3 with WAL
    assert driver.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    assert driver.isolation_level is None
    assert Path(backend.url.split("///", 1)[1]).exists()
