"""Record the history of one supervision-cadence run moved to the next working day, for the replay test.

    python -m tests.replay.record_cadence_history [output.json]

On the time-skipping test server with a real worker and a throw-away audit log: a 月督导 run stamped
(``TemporalScheduledStartTime``) for Saturday 2026-12-12 09:00 asks the calendar, waits on a timer
until Monday 2026-12-14 09:00 and then runs (patch ``cadence-working-days-v1``). Writes
``handle.fetch_history().to_json()`` under ``histories/cadence/``.

Re-record only on purpose: the committed JSON proves today's workflow code still replays it.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from cli.binaries import find_binary
from domain.cadence import CadenceEntry, CadenceKind
from domain.policy import Policy
from domain.timeutil import SHANGHAI
from tests.replay.payloads import replay_converter  # payloads encrypted with the fixed test keys
from worker import build_worker, open_audit_log
from workflows.cadence import SCHEDULED_START, CadenceInput, CadenceWorkflow
from workflows.search_attributes import register

HISTORIES = Path(__file__).parent / "histories" / "cadence"
DEFAULT_OUTPUT = HISTORIES / "cadence_moved_run.json"
WORKFLOW_ID = "pdca-cadence-monthly-digest-run-2026-12-12T01:00:00Z"
SCHEDULED = datetime(2026, 12, 12, 9, 0, tzinfo=SHANGHAI)  # a Saturday


async def record(output: Path = DEFAULT_OUTPUT) -> Path:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=replay_converter(), test_server_existing_path=find_binary("temporal-test-server")
    )
    try:
        await register(env.client)
        await env.client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(search_attributes={SCHEDULED_START.name: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME})
        )
        with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(max_workers=2) as executor:
            os.environ["PDCA_REPORTS_DIR"] = str(Path(tmp) / "reports")
            (Path(tmp) / "calendar.yaml").write_text("years: {}\n", encoding="utf-8")
            os.environ["PDCA_CALENDAR"] = str(Path(tmp) / "calendar.yaml")
            audit_log = open_audit_log(f"sqlite:///{Path(tmp) / 'audit.db'}")
            queue = "record-cadence-history"
            policy = Policy(supervisors=["wang.sup"])
            entry = CadenceEntry(months=list(range(1, 13)), day=SCHEDULED.day)
            policy = policy.model_copy(update={"cadence": policy.cadence.model_copy(update={"monthly_digest": entry})})
            async with build_worker(env.client, audit_log, queue, executor=executor):
                now = await env.get_current_time()
                if now < SCHEDULED:
                    await env.sleep(SCHEDULED - now)
                handle = await env.client.start_workflow(
                    CadenceWorkflow.run,
                    CadenceInput(kind=CadenceKind.MONTHLY_DIGEST, policy=policy),
                    id=WORKFLOW_ID,
                    task_queue=queue,
                    search_attributes=TypedSearchAttributes([SearchAttributePair(SCHEDULED_START, SCHEDULED.astimezone(UTC))]),
                )
                result = await handle.result()
                history = await handle.fetch_history()
            audit_log.engine.dispose()
    finally:
        await env.shutdown()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(history.to_json(), encoding="utf-8")
    print(f"wrote {output} ({len(history.events)} history events; files {result.files[0]})")
    return output


def main() -> None:
    asyncio.run(record(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT))


if __name__ == "__main__":
    main()
