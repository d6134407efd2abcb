"""Continue-as-new on the real dev server (the time-skipping server never suggests it).

The server is started with a low history-count threshold, so a case with a few dozen commands is told
to continue as new; the case must carry its state, its policy and the request ids it has processed.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from domain.policy import Policy
from domain.rectification import DECIDER, CaseState, ReportProgress
from store.queries import fold_stream
from tests.identity import credential, request
from tests.workflow.scenario import BRANCH, POLICY, approve, measure, open_command, plan, unique_org
from worker import build_worker, open_audit_log
from workflows.rectification import CaseInput, CommandResult, RectificationWorkflow
from workflows.search_attributes import initial_search_attributes


async def test_a_long_case_continues_as_new_and_keeps_its_state(dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    audit_log = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")
    queue = f"can-{uuid.uuid4().hex[:8]}"
    opening = open_command(unique_org("can"))
    case_id = f"rect-{opening.org_code}-{opening.year}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(dev_env.client, audit_log, queue, executor=executor):
            handle = await dev_env.client.start_workflow(
                RectificationWorkflow.run,
                CaseInput(case_id=case_id, policy=POLICY, open=opening, credential=credential(opening.actor)),
                id=case_id,
                task_queue=queue,
                search_attributes=initial_search_attributes("rectification", "designated", opening.org_code, opening.region),
            )
            first_run = (await handle.describe()).run_id

            async def send(request_id: str, command: object) -> object:
                latest = dev_env.client.get_workflow_handle(case_id)
                return await latest.execute_update(
                    RectificationWorkflow.command, request(case_id, command, request_id), result_type=CommandResult
                )

            deadline = datetime.now(UTC) + timedelta(days=60)
            await send("plan", plan(measure("M1", ["P1", "P2"], deadline)))
            await send("approve", approve())
            runs = {first_run}
            for i in range(40):
                await send(f"progress-{i}", ReportProgress(actor=BRANCH, measure_id="M1", note=f"第{i}次进展"))
                runs.add((await dev_env.client.get_workflow_handle(case_id).describe()).run_id)
                if len(runs) > 1 and i >= 15:
                    break
            assert len(runs) > 1, "the server never suggested continue-as-new"

            # A command retried after continue-as-new is still recognised and applied once.
            again = await send("progress-0", ReportProgress(actor=BRANCH, measure_id="M1", note="第0次进展"))
            assert again.duplicate is True

            latest = dev_env.client.get_workflow_handle(case_id)
            state = await latest.query("state", result_type=CaseState)
            stream = audit_log.read_stream(case_id)
            assert state.version == len(stream) == stream[-1].version
            assert state == fold_stream(stream, DECIDER)
            assert state.measures[0].progress_reports == sum(1 for r in stream if r.event_type == "ProgressReported")
            assert (await latest.query("policy", result_type=Policy)) == POLICY
            assert audit_log.verify().ok
            await latest.terminate("test done")
