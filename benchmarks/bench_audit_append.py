"""Audit-log append cost, side by side with the bare driver doing the same logical work, in one run.

    .venv/bin/python -m benchmarks.bench_audit_append [--quick]

"ours": ``AuditLog.append`` (projections off) on a migrated database.
"bare": the driver alone (``sqlite3``; ``psycopg`` for PostgreSQL) on an identically migrated database,
doing what an append must: take the write lock (SQLite ``BEGIN IMMEDIATE``; PostgreSQL the same
``pg_advisory_xact_lock``), look the event ids up (duplicate check), read the stream's version, read the
chain head, hash every row with the same SHA-256 link (``domain.audit.chain.link_hash``), insert, commit.
Two bare variants: "stepwise" asks the three questions in three SELECTs (as they are usually written, and
as this benchmark's bare side did before the fast path); "lean" asks them in one statement, as AuditLog
does (on PostgreSQL two round trips fewer). The headline ``*_ratio`` keys are ours / lean, the stricter;
``*_vs_stepwise_ratio`` are ours / stepwise. All run at equal durability (SQLite WAL with the same
``synchronous``; PostgreSQL ``synchronous_commit`` as the server has it: read back, must agree).

Each round runs all three (order rotating; the first round is a warm-up and dropped); each figure is the
median over rounds of the time per event, each ratio the median over rounds of ours / bare in that round
(a TIME ratio: lower is better). PostgreSQL (``PDCA_TEST_POSTGRES_URL``, default trust auth on 127.0.0.1:5432, database ``test``)
runs in throw-away schemas ``pdca_bench_<random>`` dropped at the end; unreachable, its keys are left out.
The append lock is database-wide: anything else appending in that database meanwhile slows all three.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from domain.audit.chain import GENESIS_HASH, link_hash
from store.db import format_utc, make_engine
from store.eventlog import AuditLog, NewEvent
from store.migrate import upgrade

POSTGRES_URL = os.environ.get("PDCA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_APPEND_LOCK = 0x5044_4341  # the same key store/eventlog.py locks
STREAMS = 10  # appends rotate over this many streams (the version lookup is a real index lookup)
COLUMNS = "position, event_id, stream_id, version, event_type, actor, policy_version, recorded_at, payload, prev_hash, hash"


def payload(i: int) -> str:
    return json.dumps(
        {"type": "ProgressReported", "measure_id": "M1", "note": f"第{i}次进展", "evidence": []}, ensure_ascii=False
    )


def new_events(start: int, size: int) -> list[NewEvent]:
    return [NewEvent(uuid.uuid4().hex, "ProgressReported", "bench", payload(i), "bench-1") for i in range(start, start + size)]


class Appender:
    """Appends ``size`` events per transaction, rotating over ``STREAMS`` streams."""

    def __init__(self, append: Callable[[str, int, list[NewEvent]], object], size: int) -> None:
        self.append, self.size = append, size
        self.versions = [0] * STREAMS
        self.count = 0

    def run(self, transactions: int) -> float:
        """Seconds per event over ``transactions`` appends (events built outside the timed region)."""
        work = []
        for _ in range(transactions):
            stream = self.count % STREAMS
            work.append((f"rect-BENCH{stream}-2026", stream, new_events(self.count * self.size, self.size)))
            self.count += 1
        started = time.perf_counter()
        for stream_id, stream, events in work:
            self.append(stream_id, self.versions[stream], events)
            self.versions[stream] += len(events)
        return (time.perf_counter() - started) / (transactions * self.size)


def rows_for(prev_hash: str, position: int, stream_id: str, version: int, events: list[NewEvent]) -> list[tuple[Any, ...]]:
    recorded_at = format_utc(datetime.now(UTC))
    rows = []
    for offset, new in enumerate(events, start=1):
        fields = (position + offset, new.event_id, stream_id, version + offset, new.event_type, new.actor,
                  new.policy_version, recorded_at, new.payload)
        digest = link_hash(prev_hash, fields)
        rows.append((*fields, prev_hash, digest))
        prev_hash = digest
    return rows


# The two bare appenders. "stepwise" reads as the steps are usually written (three SELECTs: duplicates,
# version, head); "lean" asks all three in one statement as AuditLog does: on PostgreSQL that is two round
# trips fewer. The headline ratios are against "lean", the stricter of the two.
SQLITE_STEPWISE = (
    "SELECT event_id FROM audit_event WHERE event_id IN ({marks})",
    "SELECT coalesce(max(version), 0) FROM audit_event WHERE stream_id = ?",
    "SELECT position, hash FROM audit_event ORDER BY position DESC LIMIT 1",
)
LEAN = (
    "SELECT (SELECT count(*) FROM audit_event WHERE {ids}),"
    " (SELECT coalesce(max(version), 0) FROM audit_event WHERE stream_id = {mark}),"
    " (SELECT position FROM audit_event ORDER BY position DESC LIMIT 1),"
    " (SELECT hash FROM audit_event ORDER BY position DESC LIMIT 1)"
)


def bare_sqlite(path: Path, lean: bool) -> tuple[Callable[[str, int, list[NewEvent]], None], sqlite3.Connection]:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA busy_timeout=30000")
    db.execute("PRAGMA foreign_keys=ON")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    insert = f"INSERT INTO audit_event ({COLUMNS}) VALUES ({', '.join('?' * 11)})"

    def append(stream_id: str, expected: int, events: list[NewEvent]) -> None:
        db.execute("BEGIN IMMEDIATE")
        try:
            ids = [e.event_id for e in events]
            marks = ", ".join("?" * len(ids))
            if lean:
                state = LEAN.format(ids=f"event_id IN ({marks})", mark="?")
                duplicates, current, position, prev = db.execute(state, (*ids, stream_id)).fetchone()
                if duplicates:
                    raise AssertionError("duplicate")
            else:
                if db.execute(SQLITE_STEPWISE[0].format(marks=marks), ids).fetchall():
                    raise AssertionError("duplicate")
                current = db.execute(SQLITE_STEPWISE[1], (stream_id,)).fetchone()[0]
                head = db.execute(SQLITE_STEPWISE[2]).fetchone()
                position, prev = head if head else (None, None)
            if current != expected:
                raise AssertionError("version")
            if position is None:
                position, prev = 0, GENESIS_HASH
            db.executemany(insert, rows_for(prev, position, stream_id, expected, events))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    return append, db


def bare_postgres(url: str, lean: bool) -> tuple[Callable[[str, int, list[NewEvent]], None], Any]:
    import psycopg

    db = psycopg.connect(url, autocommit=True)  # each append is its own transaction block (db.transaction())
    insert = f"INSERT INTO audit_event ({COLUMNS}) VALUES ({', '.join(['%s'] * 11)})"
    state = LEAN.format(ids="event_id = ANY(%s)", mark="%s")

    def append(stream_id: str, expected: int, events: list[NewEvent]) -> None:
        ids = [e.event_id for e in events]
        with db.transaction(), db.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (PG_APPEND_LOCK,))
            if lean:
                row = cur.execute(state, (ids, stream_id)).fetchone()
                assert row is not None
                duplicates, current, position, prev = row
                if duplicates:
                    raise AssertionError("duplicate")
            else:
                if cur.execute("SELECT event_id FROM audit_event WHERE event_id = ANY(%s)", (ids,)).fetchall():
                    raise AssertionError("duplicate")
                row = cur.execute("SELECT coalesce(max(version), 0) FROM audit_event WHERE stream_id = %s", (stream_id,)).fetchone()
                assert row is not None
                current = row[0]
                head = cur.execute("SELECT position, hash FROM audit_event ORDER BY position DESC LIMIT 1").fetchone()
                position, prev = head if head else (None, None)
            if current != expected:
                raise AssertionError("version")
            if position is None:
                position, prev = 0, GENESIS_HASH
            cur.executemany(insert, rows_for(prev, position, stream_id, expected, events))

    return append, db


def interleave(appenders: dict[str, Appender], rounds: int, transactions: int) -> dict[str, list[float]]:
    """Seconds per event of each, per round, over ``rounds`` rounds (after one warm-up round); each round
    runs them all, in an order that rotates from round to round."""
    names = list(appenders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds + 1):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            spent = appenders[name].run(transactions)
            if r:
                times[name].append(spent)
    return times


def run_sqlite(rounds: int, transactions: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="pdca-bench-append-") as tmp:
        for size, key in ((1, "append_sqlite"), (10, "append_sqlite_batch10")):
            paths = {name: Path(tmp) / f"{name}{size}.db" for name in ("ours", "lean", "stepwise")}
            for path in paths.values():
                migrating = make_engine(f"sqlite:///{path}")
                upgrade(migrating)  # the same schema everywhere: indexes, constraints, triggers
                migrating.dispose()
            engine = make_engine(f"sqlite:///{paths['ours']}")
            log = AuditLog(engine)
            lean, lean_db = bare_sqlite(paths["lean"], lean=True)
            stepwise, stepwise_db = bare_sqlite(paths["stepwise"], lean=False)
            with engine.connect() as conn:
                ours_sync = conn.exec_driver_sql("PRAGMA synchronous").scalar_one()
                ours_journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
            for db in (lean_db, stepwise_db):
                assert (ours_sync, ours_journal) == (db.execute("PRAGMA synchronous").fetchone()[0], "wal")
            tx = transactions if size == 1 else max(transactions // 4, 5)
            appenders = {"ours": Appender(log.append, size), "lean": Appender(lean, size), "stepwise": Appender(stepwise, size)}
            report(key, size, interleave(appenders, rounds, tx), f"WAL, synchronous={ours_sync} all", out)
            assert log.verify().ok
            close = getattr(log, "close", None)  # the AuditLog before the held connection had none
            if close:
                close()
            engine.dispose()
            lean_db.close()
            stepwise_db.close()
    return out


@contextmanager
def postgres_schemas(count: int) -> Iterator[list[str]]:
    import psycopg
    from psycopg import sql

    names = [f"pdca_bench_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        for name in names:
            admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield names
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            for name in names:
                assert name.startswith("pdca_bench_")
                admin.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def in_schema(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"


def postgres_unreachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any reason to skip is reported
        return f"{type(error).__name__}: {error}".strip()
    return None


def run_postgres(rounds: int, transactions: int) -> dict[str, float]:
    out: dict[str, float] = {}
    reason = postgres_unreachable()
    if reason:
        print(f"PostgreSQL skipped: {reason}")
        return out
    for size, key in ((1, "append_postgres"), (10, "append_postgres_batch10")):
        with postgres_schemas(3) as schemas:
            urls = dict(zip(("ours", "lean", "stepwise"), map(in_schema, schemas), strict=True))
            for url in urls.values():
                migrating = make_engine(url)
                upgrade(migrating)
                migrating.dispose()
            engine = make_engine(urls["ours"])
            log = AuditLog(engine)
            lean, lean_db = bare_postgres(urls["lean"], lean=True)
            stepwise, stepwise_db = bare_postgres(urls["stepwise"], lean=False)
            with engine.connect() as conn:
                ours_sync = conn.exec_driver_sql("SHOW synchronous_commit").scalar_one()
            for db in (lean_db, stepwise_db):
                assert db.execute("SHOW synchronous_commit").fetchone()[0] == ours_sync
            tx = transactions if size == 1 else max(transactions // 4, 5)
            appenders = {"ours": Appender(log.append, size), "lean": Appender(lean, size), "stepwise": Appender(stepwise, size)}
            report(key, size, interleave(appenders, rounds, tx), f"synchronous_commit={ours_sync} all", out)
            assert log.verify().ok
            close = getattr(log, "close", None)
            if close:
                close()
            engine.dispose()
            lean_db.close()
            stepwise_db.close()
    return out


def report(key: str, size: int, times: dict[str, list[float]], durability: str, out: dict[str, float]) -> None:
    """Medians of the per-event times; ratios are the median of the per-round ratios (the two ran minutes
    apart at most, so a machine whose load drifts shifts both)."""
    unit, scale, shown = ("ms_per_txn", 1e3, "ms/txn") if size == 1 else ("us_per_event", 1e6, "µs/event")
    ours, lean, stepwise = (statistics.median(times[name]) for name in ("ours", "lean", "stepwise"))

    def ratio(bare: str) -> float:
        return statistics.median(o / b for o, b in zip(times["ours"], times[bare], strict=True))

    print(
        f"{key:23} {size:2} event(s)/txn ({durability}): ours {ours * scale:7.2f}, bare lean {lean * scale:7.2f}, "
        f"bare stepwise {stepwise * scale:7.2f} {shown}; ours/lean {ratio('lean'):.2f}x, ours/stepwise {ratio('stepwise'):.2f}x"
    )
    out[f"{key}_ratio"] = round(ratio("lean"), 3)
    out[f"{key}_vs_stepwise_ratio"] = round(ratio("stepwise"), 3)
    out[f"{key}_ours_{unit}"] = round(ours * scale, 3)
    out[f"{key}_bare_{unit}"] = round(lean * scale, 3)
    out[f"{key}_bare_stepwise_{unit}"] = round(stepwise * scale, 3)


def measure(quick: bool) -> dict[str, float]:
    rounds, transactions = (7, 40) if quick else (15, 100)
    print(f"audit append: {rounds} interleaved rounds of {transactions} transactions (batch 10: {max(transactions // 4, 5)})")
    return run_sqlite(rounds, transactions) | run_postgres(rounds, transactions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (well under a minute)")
    args = parser.parse_args()
    print(json.dumps(measure(args.quick)))


if __name__ == "__main__":
    main()
