"""Audit-log append cost, side by side with raw SQLite on the same machine in the same run.

    .venv/bin/python -m benchmarks.bench_audit_append [--events 2000] [--batch 1]

"ours": AuditLog.append (transaction, version check, chain head read, SHA-256, projections off)
"raw":  sqlite3 INSERT of the same payloads, one transaction per batch, same WAL/synchronous settings.
Reports events/s for each and the ratio; absolute numbers depend on the machine, the ratio less so.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

from store.db import make_engine
from store.eventlog import AuditLog, NewEvent
from store.migrate import upgrade


def payload(i: int) -> str:
    return json.dumps({"type": "ProgressReported", "measure_id": "M1", "note": f"第{i}次进展", "evidence": []}, ensure_ascii=False)


def bench_ours(path: Path, events: int, batch: int) -> float:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    log = AuditLog(engine)
    started = time.perf_counter()
    for start in range(0, events, batch):
        news = [NewEvent(uuid.uuid4().hex, "ProgressReported", "bench", payload(i)) for i in range(start, start + batch)]
        log.append("rect-BENCH-2026", start, news)
    elapsed = time.perf_counter() - started
    assert log.verify().ok
    return elapsed


def bench_raw(path: Path, events: int, batch: int) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE e (position INTEGER PRIMARY KEY, event_id TEXT UNIQUE, stream_id TEXT, version INTEGER, payload TEXT)")
    started = time.perf_counter()
    for start in range(0, events, batch):
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO e (event_id, stream_id, version, payload) VALUES (?, ?, ?, ?)",
            [(uuid.uuid4().hex, "rect-BENCH-2026", i + 1, payload(i)) for i in range(start, start + batch)],
        )
        db.execute("COMMIT")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = bench_raw(Path(tmp) / "raw.db", args.events, args.batch)
        ours = bench_ours(Path(tmp) / "ours.db", args.events, args.batch)
    print(f"events={args.events} batch={args.batch}")
    print(f"raw sqlite3 : {args.events / raw:9.0f} events/s  ({raw * 1e6 / args.events:7.1f} µs/event)")
    print(f"AuditLog    : {args.events / ours:9.0f} events/s  ({ours * 1e6 / args.events:7.1f} µs/event)")
    print(f"ratio ours/raw time per event: {ours / raw:.1f}x")


if __name__ == "__main__":
    main()
