"""Append cost with the worker's projectors on, as a case's stream grows: flat, or growing with the stream?

    .venv/bin/python -m benchmarks.bench_projection [--quick]

A migrated SQLite file and ``AuditLog(engine, PROJECTORS)``, as the worker builds it. Every event is a real
rectification event, decided by ``domain.rectification.DECIDER`` from real commands: a case is opened, its
plan of ``MEASURES`` measures submitted and approved, then it receives ``ReportProgress`` after
``ReportProgress`` (one event per append, as one command appends). One "old" case is grown to ``OLD``
events (through the bare log, which is faster to set up; its first projected appends then fold it once);
``ROUNDS`` "young" cases are brought to their 9th event. Then, round by round and in alternating order,
one append to the old case (its ~500th event) and one to a young case (its 10th event) are timed. Both
kinds of stream live in the same file, so the database's size weighs on both alike.

``projection_growth_ratio`` = median append at the old case's ~500th event / median at a young case's 10th
(a TIME ratio: 1.0 is flat; the goal is <= 1.2). Absolute milliseconds per append are reported beside it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from domain.actors import Actor, Role
from domain.decider import Context
from domain.policy import Policy
from domain.rectification import (
    DECIDER,
    EVENT_ADAPTER,
    ApprovePlan,
    Basis,
    BasisKind,
    CaseState,
    Command,
    MeasureInput,
    OpenCase,
    ProblemInput,
    ReportProgress,
    SubmitPlan,
)
from store.db import make_engine
from store.eventlog import AuditLog, NewEvent
from store.migrate import upgrade
from store.projections import PROJECTORS

MEASURES = 6  # the plan's measures: each has its row in measure_ledger, rewritten by a full projection
REGION = "青山镇"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 09:00 Beijing
POLICY = Policy()
SUPERVISOR = Actor(id="sup-1", roles=[Role.SUPERVISOR])
TOWNSHIP = Actor(id="ts-1", roles=[Role.TOWNSHIP_SECRETARY])
SECRETARY = Actor(id="bs-1", roles=[Role.BRANCH_SECRETARY])


class BenchCase:
    """One case driven through the real decider; ``next_batch`` decides its next command's events."""

    def __init__(self, org_code: str) -> None:
        self.org_code = org_code
        self.state: CaseState = DECIDER.initial
        self.now = T0
        self.reports = 0

    @property
    def stream_id(self) -> str:
        return self.state.case_id

    def _command(self) -> Command:
        if self.state.version == 0:
            return OpenCase(
                actor=SUPERVISOR,
                org_code=self.org_code,
                org_name=f"{self.org_code}村党支部",
                region=REGION,
                year=2026,
                basis=Basis(kind=BasisKind.RANKING, detail="2025年度综合考评倒排第3名", rank=3),
                problems=[ProblemInput(category="weak_leadership", description="班子软弱涣散")],
                leaders=["cl-1"],
            )
        if self.state.plan_round == 0:
            measures = [
                MeasureInput(id=f"M{i}", description=f"整改措施{i}", problems=["P1"], responsible="bs-1", deadline=date(2026, 12, 31))
                for i in range(1, MEASURES + 1)
            ]
            return SubmitPlan(actor=SECRETARY, measures=measures, summary="一村一策")
        if self.state.stage.value == "planning":
            return ApprovePlan(actor=TOWNSHIP, comments="同意")
        self.reports += 1
        measure_id = f"M{self.reports % MEASURES + 1}"
        return ReportProgress(actor=SECRETARY, measure_id=measure_id, note=f"第{self.reports}次推进情况", evidence=["会议纪要.pdf"])

    def next_batch(self) -> tuple[str, int, list[NewEvent], datetime]:
        """(stream, expected version, the events, their time) of the next command; the state moves on."""
        self.now += timedelta(minutes=7)
        expected = self.state.version
        events = DECIDER.decide(self.state, self._command(), Context(now=self.now, policy=POLICY))
        assert events, "the benchmark's command decided nothing"
        self.state = DECIDER.fold(events, self.state)
        batch = [
            NewEvent(uuid.uuid4().hex, e.type, e.actor, EVENT_ADAPTER.dump_json(e).decode(), e.policy_version) for e in events
        ]
        return self.stream_id, expected, batch, self.now


def grow(log: AuditLog, case: BenchCase, events: int) -> None:
    while case.state.version < events:
        stream_id, expected, batch, at = case.next_batch()
        log.append(stream_id, expected, batch, now=at)


def timed_append(log: AuditLog, case: BenchCase) -> float:
    stream_id, expected, batch, at = case.next_batch()  # decided outside the timed region
    started = time.perf_counter()
    log.append(stream_id, expected, batch, now=at)
    return time.perf_counter() - started


def run(old_events: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="pdca-bench-projection-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'audit.db'}")
        upgrade(engine)
        bare, projected = AuditLog(engine), AuditLog(engine, PROJECTORS)
        old = BenchCase("OLD001")
        grow(bare, old, old_events - 3)
        grow(projected, old, old_events - 1)  # the first projected appends fold the grown stream once
        young = [BenchCase(f"Y{i:04d}") for i in range(rounds + 1)]
        for case in young:
            grow(projected, case, 9)
        at_old: list[float] = []
        at_young: list[float] = []
        for r, case in enumerate(young):  # round 0 is a warm-up
            if r % 2:
                spent_young, spent_old = timed_append(projected, case), timed_append(projected, old)
            else:
                spent_old, spent_young = timed_append(projected, old), timed_append(projected, case)
            if r:
                at_old.append(spent_old)
                at_young.append(spent_young)
        assert all(case.state.version == 10 for case in young), "a young case is not at its 10th event"
        final_old = old.state.version
        assert projected.verify().ok
        for log in (bare, projected):
            close = getattr(log, "close", None)
            if close:
                close()
        engine.dispose()
    young_s, old_s = statistics.median(at_young), statistics.median(at_old)
    ratio = old_s / young_s
    print(
        f"projection append, SQLite, {MEASURES} measures: at the 10th event {young_s * 1e3:7.2f} ms, "
        f"at events {old_events}..{final_old} {old_s * 1e3:7.2f} ms  growth ratio {ratio:.2f}x ({rounds} interleaved rounds)"
    )
    return {
        "projection_growth_ratio": round(ratio, 3),
        "projection_append_ms_at_10": round(young_s * 1e3, 3),
        f"projection_append_ms_at_{old_events}": round(old_s * 1e3, 3),
    }


def measure(quick: bool) -> dict[str, float]:
    rounds = 15 if quick else 41
    out = run(500, rounds)
    if not quick:  # the same, four times longer: still flat?
        extra = run(2000, rounds)
        out["projection_growth_ratio_2000"] = extra["projection_growth_ratio"]
        out["projection_append_ms_at_2000"] = extra["projection_append_ms_at_2000"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the 500-event stream only, fewer rounds")
    args = parser.parse_args()
    print(json.dumps(measure(args.quick)))


if __name__ == "__main__":
    main()
