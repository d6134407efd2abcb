"""Chain verification speed against its floor: SHA-256 over the very bytes every link hashes.

    .venv/bin/python -m benchmarks.bench_verify [--quick] [--events N]

A SQLite audit log of N events (default 100,000; quick 20,000) over 200 streams, appended through
``AuditLog.append`` in batches of 500, is then verified three ways, alternating, median of 3 rounds:

- "ours":  ``AuditLog.verify()`` (the whole chain, stream versions too);
- "bare":  a plain ``sqlite3`` loop over the same rows computing the same link (``link_hash``) and
           comparing it and ``prev_hash``;
- "read":  a plain ``sqlite3`` loop that only reads the same columns in the same pages (no hashing):
           what reading the rows into Python costs by itself;
- "floor": ``hashlib.sha256(material).hexdigest()`` over the exact bytes each link hashes, prepared in
           memory beforehand: no database, no JSON, no comparisons. Nothing that checks the chain can
           be faster than this.

Keys: verify_events_per_s (ours), verify_sha256_floor_ratio = ours rate / floor rate (goal >= 0.5; the same
from CPU time, steadier on a shared machine: verify_sha256_floor_ratio_cpu), and the other loops' rates.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.audit.chain import GENESIS_HASH, link_hash
from store.db import make_engine
from store.eventlog import AuditLog, NewEvent
from store.migrate import upgrade

STREAMS = 200
BATCH = 500


def fill(log: AuditLog, events: int) -> None:
    versions = [0] * STREAMS
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for first in range(0, events, BATCH):
        stream = (first // BATCH) % STREAMS
        news = [
            NewEvent(
                uuid.uuid4().hex,
                "ProgressReported",
                "user-17",
                json.dumps({"type": "ProgressReported", "measure_id": f"M{i % 7}", "note": f"第{i}次进展：已整改", "evidence": []},
                           ensure_ascii=False),
                "2026.1",
            )
            for i in range(first, min(first + BATCH, events))
        ]
        log.append(f"rect-V{stream:04d}-2026", versions[stream], news, now=start + timedelta(seconds=first))
        versions[stream] += len(news)


def materials(path: Path) -> list[bytes]:
    """The exact bytes each link hashes (prev hash, newline, the JSON of the stored columns)."""
    db = sqlite3.connect(path)
    rows = db.execute(
        "SELECT position, event_id, stream_id, version, event_type, actor, policy_version, recorded_at, payload, prev_hash "
        "FROM audit_event ORDER BY position"
    ).fetchall()
    db.close()
    return [
        (row[9] + "\n" + json.dumps(list(row[:9]), ensure_ascii=False, separators=(",", ":"))).encode("utf-8")
        for row in rows
    ]


def floor(blobs: list[bytes]) -> float:
    sha256 = hashlib.sha256
    started = time.perf_counter()
    for blob in blobs:
        sha256(blob).hexdigest()
    return time.perf_counter() - started


def bare(path: Path) -> float:
    started = time.perf_counter()
    db = sqlite3.connect(path)
    cursor = db.execute(
        "SELECT position, event_id, stream_id, version, event_type, actor, policy_version, recorded_at, payload, prev_hash, hash "
        "FROM audit_event ORDER BY position"
    )
    prev, expected, versions = GENESIS_HASH, 1, {}
    while rows := cursor.fetchmany(1000):
        for row in rows:
            if row[0] != expected or row[9] != prev or link_hash(prev, row[:9]) != row[10]:
                raise AssertionError(f"bad row {row[0]}")
            versions[row[2]] = row[3]
            prev, expected = row[10], expected + 1
    db.close()
    return time.perf_counter() - started


def read(path: Path) -> float:
    """Only reading the rows (the same columns, in pages of 1000 as ``verify`` does): no hashing, no checks."""
    started = time.perf_counter()
    db = sqlite3.connect(path)
    after = 0
    while rows := db.execute(
        "SELECT position, event_id, stream_id, version, event_type, actor, policy_version, recorded_at, payload, prev_hash, hash "
        "FROM audit_event WHERE position > ? ORDER BY position LIMIT 1000",
        (after,),
    ).fetchall():
        after = rows[-1][0]
    db.close()
    return time.perf_counter() - started


def ours(log: AuditLog, events: int) -> float:
    started = time.perf_counter()
    report = log.verify()
    elapsed = time.perf_counter() - started
    assert report.ok and report.checked == events, report
    return elapsed


def measure(quick: bool, events: int | None = None) -> dict[str, float]:
    events = events or (20_000 if quick else 100_000)
    rounds = 3
    with tempfile.TemporaryDirectory(prefix="pdca-bench-verify-") as tmp:
        path = Path(tmp) / "audit.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        log = AuditLog(engine)
        started = time.perf_counter()
        fill(log, events)
        print(f"verify: {events} events appended in batches of {BATCH} in {time.perf_counter() - started:.1f} s")
        blobs = materials(path)
        times: dict[str, list[float]] = {"ours": [], "bare": [], "read": [], "floor": []}
        cpu: dict[str, list[float]] = {"ours": [], "floor": []}
        runs: dict[str, Callable[[], float]] = {
            "ours": lambda: ours(log, events),
            "bare": lambda: bare(path),
            "read": lambda: read(path),
            "floor": lambda: floor(blobs),
        }
        for _ in range(rounds):
            for name, run in runs.items():
                started_cpu = time.process_time()
                times[name].append(run())
                if name in cpu:
                    cpu[name].append(time.process_time() - started_cpu)
        close = getattr(log, "close", None)
        if close:
            close()
        engine.dispose()
    rate = {name: events / statistics.median(spent) for name, spent in times.items()}
    labels = {"ours": "AuditLog.verify", "bare": "bare sqlite3 loop", "read": "reading the rows only", "floor": "SHA-256 only"}
    for name, label in labels.items():
        print(f"verify {label:22}: {rate[name]:10.0f} events/s  ({1e6 / rate[name]:6.2f} µs/event)")
    ratio = rate["ours"] / rate["floor"]
    cpu_ratio = statistics.median(cpu["floor"]) / statistics.median(cpu["ours"])
    print(
        f"verify: ours / SHA-256 floor = {ratio:.3f} (goal >= 0.5; by CPU time {cpu_ratio:.3f}); ours / bare loop = "
        f"{rate['ours'] / rate['bare']:.2f}; reading the rows alone = {rate['read'] / rate['floor']:.3f} of the floor"
    )
    return {
        "verify_events_per_s": round(rate["ours"]),
        "verify_sha256_floor_ratio": round(ratio, 3),
        "verify_sha256_floor_ratio_cpu": round(cpu_ratio, 3),
        "verify_bare_loop_events_per_s": round(rate["bare"]),
        "verify_read_only_events_per_s": round(rate["read"]),
        "verify_sha256_floor_events_per_s": round(rate["floor"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20,000 events instead of 100,000")
    parser.add_argument("--events", type=int, default=None)
    args = parser.parse_args()
    print(json.dumps(measure(args.quick, args.events)))


if __name__ == "__main__":
    main()
