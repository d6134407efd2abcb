"""The worker: registers the workflows and activities in one place and runs them.

    TEMPORAL_ADDRESS   Temporal frontend (default localhost:7233)
    TEMPORAL_NAMESPACE namespace (default "default")
    PDCA_TASK_QUEUE    task queue (default pdca-rectification)
    PDCA_DATABASE_URL  audit database (default: SQLite file under PDCA_HOME, ~/.pdca)
    PDCA_METRICS_PORT  Prometheus /metrics port (default 9464; 0 disables)
    PDCA_LOG_FORMAT    "console" (default on a terminal) or "json"
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import structlog
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.audit import AuditActivities
from activities.notify import Channel, NotifyActivities
from store.db import make_engine
from store.eventlog import AuditLog
from store.projections import PROJECTORS
from workflows.rectification import RectificationWorkflow

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_TASK_QUEUE = "pdca-rectification"
WORKFLOWS: Sequence[type] = (RectificationWorkflow,)
# Modules the workflow sandbox shares instead of re-importing on every run (they are pure or
# only used from activities); re-importing pydantic/sqlmodel/structlog costs seconds per run.
PASSTHROUGH = ("pydantic", "pydantic_core", "domain", "activities", "store", "sqlmodel", "sqlalchemy", "structlog", "prometheus_client", "annotated_types")


def configure_logging(fmt: str | None = None) -> None:
    fmt = fmt or os.environ.get("PDCA_LOG_FORMAT") or ("console" if sys.stderr.isatty() else "json")
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if fmt == "json" else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)


async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    return await Client.connect(
        address or os.environ.get("TEMPORAL_ADDRESS", DEFAULT_ADDRESS),
        namespace=namespace or os.environ.get("TEMPORAL_NAMESPACE", "default"),
        data_converter=pydantic_data_converter,
    )


def task_queue() -> str:
    return os.environ.get("PDCA_TASK_QUEUE", DEFAULT_TASK_QUEUE)


def open_audit_log(database_url: str | None = None, migrate: bool = True) -> AuditLog:
    engine = make_engine(database_url)
    if migrate:
        from store.migrate import upgrade  # Alembic costs ~0.2 s to import: only when migrating

        upgrade(engine)
    return AuditLog(engine, PROJECTORS)


def build_worker(
    client: Client,
    audit_log: AuditLog,
    queue: str | None = None,
    channel: Channel | None = None,
    executor: ThreadPoolExecutor | None = None,
) -> Worker:
    audit = AuditActivities(audit_log)
    notify = NotifyActivities(channel)
    return Worker(
        client,
        task_queue=queue or task_queue(),
        workflows=list(WORKFLOWS),
        activities=[audit.append_events, notify.send_notice],
        activity_executor=executor or ThreadPoolExecutor(max_workers=8),
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
        ),
    )


async def run_worker(database_url: str | None = None, metrics_port: int | None = None) -> None:
    log = structlog.get_logger("worker")
    port = int(os.environ.get("PDCA_METRICS_PORT", "9464")) if metrics_port is None else metrics_port
    if port:
        from prometheus_client import start_http_server

        start_http_server(port, addr=os.environ.get("PDCA_METRICS_ADDR", "127.0.0.1"))
    client = await connect()
    audit_log = open_audit_log(database_url)
    worker = build_worker(client, audit_log)
    log.info("worker_started", task_queue=worker.task_queue, metrics_port=port or None)
    await worker.run()


def main() -> None:
    configure_logging()
    try:
        asyncio.run(run_worker())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
