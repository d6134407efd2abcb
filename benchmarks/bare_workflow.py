"""The baselines for bench_workflow: what a bare Temporal workflow costs for the same traffic.

``BareWorkflow``: an update handler with no validation and no I/O (the command round trip's floor).

``BareCase``: a whole case done the bare way, with the same Temporal traffic as a RectificationWorkflow
case and the same kind of database write, and nothing else (no rules, no credentials, no search
attributes, no notices):

- ``run()``: two regular activities (as a case fetches the authority's keys and its calendar facts:
  ``bare_read`` reads a small file), then the opening appended by a *local* activity (``bare_append``);
- each ``command`` Update waits for the opening, then appends one event by a local activity under a lock
  and answers the new version.

``bare_append`` is the plain sqlite3 module doing an append's logical work in one write transaction:
``BEGIN IMMEDIATE``, read the stream's version and the chain head, SHA-256 over the previous hash and
the payload, insert, ``COMMIT`` — WAL with ``synchronous=FULL``, the audit log's durability.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow


@workflow.defn(name="BareBenchmark")
class BareWorkflow:
    def __init__(self) -> None:
        self.notes: list[str] = []
        self.done = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done)
        return len(self.notes)

    @workflow.update
    async def note(self, text: str) -> int:
        self.notes.append(text)
        return len(self.notes)

    @workflow.signal
    def finish(self) -> None:
        self.done = True


@dataclass
class BareEvent:
    stream_id: str
    event_id: str
    payload: str


class BareStore:
    """A SQLite file and one connection per executor thread (as a pool would hold them)."""

    def __init__(self, path: Path, read_path: Path) -> None:
        self.path = path
        self.read_path = read_path
        self.local = threading.local()
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS events (position INTEGER PRIMARY KEY, event_id TEXT UNIQUE, stream_id TEXT,"
                " version INTEGER, payload TEXT, hash TEXT, UNIQUE (stream_id, version))"
            )
        read_path.write_text("{}", encoding="utf-8")

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self.local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA synchronous=FULL")
            self.local.db = db
        return db

    @activity.defn(name="bare_read")
    def bare_read(self) -> int:
        return len(self.read_path.read_text(encoding="utf-8"))

    @activity.defn(name="bare_append")
    def bare_append(self, event: BareEvent) -> int:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("SELECT 1 FROM events WHERE event_id = ?", (event.event_id,)).fetchone():
                db.execute("ROLLBACK")
                return -1  # a retry: stored once
            (version,) = db.execute("SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?", (event.stream_id,)).fetchone()
            head = db.execute("SELECT hash FROM events ORDER BY position DESC LIMIT 1").fetchone()
            digest = hashlib.sha256(((head[0] if head else "") + event.payload).encode()).hexdigest()
            db.execute(
                "INSERT INTO events (event_id, stream_id, version, payload, hash) VALUES (?, ?, ?, ?, ?)",
                (event.event_id, event.stream_id, version + 1, event.payload, digest),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return int(version) + 1


BARE_TIMEOUT = timedelta(seconds=30)


@workflow.defn(name="BareCase")
class BareCase:
    @workflow.init
    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        self.version = 0
        self.opened = False
        self.done = False
        self.lock = asyncio.Lock()

    @workflow.run
    async def run(self, case_id: str) -> int:
        await workflow.execute_activity_method(BareStore.bare_read, start_to_close_timeout=BARE_TIMEOUT)  # "keys"
        await self._append("opened")
        await workflow.execute_activity_method(BareStore.bare_read, start_to_close_timeout=BARE_TIMEOUT)  # "calendar"
        self.opened = True
        await workflow.wait_condition(lambda: self.done)
        return self.version

    async def _append(self, payload: str) -> None:
        event = BareEvent(stream_id=self.case_id, event_id=str(workflow.uuid4()), payload=payload)
        self.version = await workflow.execute_local_activity_method(BareStore.bare_append, event, start_to_close_timeout=BARE_TIMEOUT)

    @workflow.update
    async def command(self, payload: str) -> int:
        await workflow.wait_condition(lambda: self.opened)
        async with self.lock:
            await self._append(payload)
        return self.version

    @workflow.signal
    def finish(self) -> None:
        self.done = True
