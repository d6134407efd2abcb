"""Refused commands are counted on the SDK's replay-safe workflow meter, scraped from its own port."""

from __future__ import annotations

import socket
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError

from domain.rectification import ApprovePlan, ReportProgress
from store.payload_codec import data_converter
from tests.identity import credential, request
from tests.workflow.scenario import BRANCH, POLICY, approve, measure, open_command, plan, unique_org
from worker import build_worker, sdk_runtime
from workflows.rectification import CaseInput, RectificationWorkflow
from workflows.search_attributes import initial_search_attributes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rejected(text: str, reason: str, command: str) -> float:
    prefix = "pdca_commands_rejected_total{"
    for line in text.splitlines():
        if line.startswith(prefix) and f'reason="{reason}"' in line and f'command="{command}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_refused_commands_are_counted_by_reason(time_env, audit_log) -> None:
    port = free_port()
    runtime = sdk_runtime(port)
    client = await Client.connect(
        time_env.client.service_client.config.target_host, data_converter=data_converter(), runtime=runtime
    )
    queue = f"metrics-{uuid.uuid4().hex[:8]}"
    opening = open_command(unique_org("met"))
    case_id = f"rect-{opening.org_code}-{opening.year}"
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(client, audit_log, queue, executor=executor):
            handle = await client.start_workflow(
                RectificationWorkflow.run,
                CaseInput(case_id=case_id, policy=POLICY, open=opening, credential=credential(opening.actor)),
                id=case_id,
                task_queue=queue,
                search_attributes=initial_search_attributes("rectification", "designated", opening.org_code, opening.region),
            )
            now = await time_env.get_current_time()
            await handle.execute_update(
                RectificationWorkflow.command,
                request(case_id, plan(measure("M1", ["P1", "P2"], now.replace(year=now.year + 1))), "p"),
            )
            for i, command in enumerate(
                [ApprovePlan(actor=BRANCH), ApprovePlan(actor=BRANCH), ReportProgress(actor=BRANCH, measure_id="M1", note="x")]
            ):
                with pytest.raises(WorkflowUpdateFailedError):
                    await handle.execute_update(RectificationWorkflow.command, request(case_id, command, f"bad-{i}"))
            await handle.execute_update(RectificationWorkflow.command, request(case_id, approve(), "a"))
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
                text = response.read().decode()
            await handle.terminate("test done")
    assert rejected(text, "permission_denied", "ApprovePlan") == 2  # a branch secretary may not review
    assert rejected(text, "not_allowed_in_stage", "ReportProgress") == 1
    assert rejected(text, "not_allowed_in_stage", "ApprovePlan") == 0  # accepted commands count nothing
