"""The worker: registers the workflows and activities in one place and runs them.

Settings (settings/__init__.py; every one an environment variable):

    TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE,
    TEMPORAL_CONFIG_FILE   the Temporal connection, read by temporalio.envconfig as the `temporal`
                       CLI reads them (settings/temporal.py; default localhost:7233, namespace "default")
    PDCA_TASK_QUEUE    task queue (default pdca-rectification)
    PDCA_WORKFLOW_CACHE  workflows kept in the worker's memory (default 2000, ~0.5 MB each measured: with the
                       process's ~150 MB about 1.1 GB at most); a workflow not cached replays its history
                       on its next task (a case sleeping on a timer costs nothing while evicted)
    PDCA_DATABASE_URL  audit database (default: SQLite file under PDCA_HOME, ~/.pdca); on PostgreSQL a
                       role that owns nothing (docs/security.md, least privilege)
    PDCA_MIGRATION_DATABASE_URL, PDCA_DATABASE_APP_ROLE  when set, start-up migrates as this owner URL
                       and grants that app role; else start-up runs no DDL if the schema is current
    PDCA_METRICS_PORT  Prometheus /metrics port: project metrics (default 9464; 0 disables)
    PDCA_SDK_METRICS_PORT  Prometheus port of the Temporal SDK's own metrics (default 9465; 0 disables)
    PDCA_METRICS_ADDR  address both metrics ports bind to (default 127.0.0.1)
    PDCA_LOG_FORMAT    "console" (default on a terminal) or "json"
    PDCA_CHECKPOINT_DIR  where the daily audit verification writes signed checkpoints of the chain head
                       (default $PDCA_HOME/checkpoints; keep it on other storage than the database; the
                       retired PDCA_DIGEST_DIR is read when it is unset), signed with the audit key in
                       PDCA_AUDIT_KEY_DIR (default $PDCA_HOME/audit-keys); PDCA_CHECKPOINT_WEBHOOK gets a copy
    PDCA_REPORTS_DIR   where scheduled reports are written (default $PDCA_HOME/reports)
    PDCA_PAYLOAD_KEY_DIR  the keys that encrypt Temporal payloads (default $PDCA_HOME/payload-keys; the
                       same on every worker and client; `pdca codec init` makes the first, `pdca up` does)
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import structlog
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.audit import AuditActivities
from activities.cadence import CadenceActivities
from activities.calendar import CalendarActivities, default_override_path
from activities.campaign import CampaignActivities
from activities.identity import IdentityActivities
from activities.notify import Channel, NotifyActivities
from activities.org_record import OrgRecordActivities
from observability.logging import configure_logging
from observability.metrics import serve as serve_metrics
from service.bootstrap import connect
from settings import InputError, get_settings
from store.checkpoints import Anchoring
from store.db import create_sqlite_directory, make_engine
from store.eventlog import AuditLog
from store.projections import PROJECTORS
from workflows.audit_verification import AuditVerificationWorkflow
from workflows.cadence import CadenceWorkflow
from workflows.campaign import CampaignWorkflow
from workflows.digest import NotificationDigestWorkflow
from workflows.directory import DirectoryWorkflow
from workflows.inspection import InspectionWorkflow
from workflows.project import SecretaryProjectWorkflow
from workflows.rating import RatingWorkflow
from workflows.rectification import RectificationWorkflow

WORKFLOWS: Sequence[type] = (
    RectificationWorkflow,
    AuditVerificationWorkflow,
    CadenceWorkflow,
    CampaignWorkflow,
    SecretaryProjectWorkflow,
    NotificationDigestWorkflow,
    DirectoryWorkflow,
    InspectionWorkflow,
    RatingWorkflow,
)
# Modules the workflow sandbox shares instead of re-importing on every run (they are pure or
# only used from activities); re-importing pydantic/sqlmodel/structlog costs seconds per run.
PASSTHROUGH = (
    "pydantic", "pydantic_core", "domain", "activities", "store", "observability", "settings",
    "sqlmodel", "sqlalchemy", "structlog", "prometheus_client", "annotated_types", "cryptography", "gmssl",
)


def metrics_address() -> str:
    return get_settings().metrics_addr


def sdk_runtime(port: int | None = None) -> Runtime | None:
    """A runtime whose Prometheus exporter serves the SDK's own metrics (task latencies, pollers,
    slots) on a port of its own: the SDK runs its own HTTP server, which cannot share a port with
    prometheus-client's. One per process."""
    port = get_settings().sdk_metrics_port if port is None else port
    if not port:
        return None
    # Prometheus conventions (counters end in _total, durations in seconds with a unit suffix), which
    # the SDK's exporter does not follow by default.
    config = PrometheusConfig(
        bind_address=f"{metrics_address()}:{port}",
        counters_total_suffix=True,
        unit_suffix=True,
        durations_as_seconds=True,
    )
    return Runtime(telemetry=TelemetryConfig(metrics=config))


def reports_dir() -> Path:
    """Where scheduled reports (digests, review lists, bulletins) are written (PDCA_REPORTS_DIR, default $PDCA_HOME/reports)."""
    return get_settings().reports_path


def anchoring() -> Anchoring:
    """Where the scheduled verification writes signed checkpoints and the audit key that signs them
    (PDCA_CHECKPOINT_DIR, PDCA_AUDIT_KEY_DIR, PDCA_SIGNATURE_ALGORITHM, PDCA_CHECKPOINT_WEBHOOK)."""
    settings = get_settings()
    return Anchoring(settings.checkpoints_path, settings.audit_key_path, settings.signature_algorithm, settings.checkpoint_webhook)


def task_queue() -> str:
    return get_settings().task_queue


def open_audit_log(database_url: str | None = None, migrate: bool = True) -> AuditLog:
    """The audit log the worker appends to, as PDCA_DATABASE_URL's role (``database_url`` wins). With
    ``migrate``, the schema is brought to head first: through PDCA_MIGRATION_DATABASE_URL (the owner role,
    granting PDCA_DATABASE_APP_ROLE) when that is set and no ``database_url`` is given, else through the
    app's own URL, which runs no DDL when the schema is current (store.migrate.upgrade; ``SchemaBehind``
    when it is not and the role may not migrate)."""
    settings = get_settings()
    if migrate:
        from store.migrate import upgrade  # Alembic costs ~0.2 s to import: only when migrating

        owner_url = settings.migration_database_url if database_url is None else None
        if owner_url:
            create_sqlite_directory(owner_url)
            owner = make_engine(owner_url)
            try:
                upgrade(owner, app_role=settings.database_app_role)
            finally:
                owner.dispose()
        else:
            create_sqlite_directory(database_url or settings.audit_database_url)
    engine = make_engine(database_url)
    if migrate:
        upgrade(engine)  # at head: no DDL, no lock
        _warn_if_privileged(engine)
    return AuditLog(engine, PROJECTORS)


def _warn_if_privileged(engine: Engine) -> None:
    """A warning when the app's PostgreSQL role could switch the append-only triggers off (docs/security.md)."""
    from store.privileges import privileged_reason

    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        reason = privileged_reason(connection)
    if reason:
        structlog.get_logger("worker").warning(
            "audit_database_role_privileged", reason=reason,
            hint="run the app as a role that owns nothing (PDCA_MIGRATION_DATABASE_URL for the owner)",
        )


def build_worker(
    client: Client,
    audit_log: AuditLog,
    queue: str | None = None,
    channel: Channel | None = None,
    executor: ThreadPoolExecutor | None = None,
    authority_dir: Path | None = None,
    cached_workflows: int | None = None,
) -> Worker:
    """The worker. ``append_events`` is registered here for both ways workflows call it: as a regular
    activity (streams recorded before ``append-local-v1``) and as a local activity, which runs on the
    worker that runs the workflow — so every worker of the task queue must register it, as this one does.
    ``cached_workflows``: PDCA_WORKFLOW_CACHE (the bound on workflows held in memory)."""
    audit = AuditActivities(audit_log, anchoring())
    notify = NotifyActivities(channel, engine=audit_log.engine)  # channel None: PDCA_CHANNELS + actor directory
    calendar = CalendarActivities(default_override_path())
    identity = IdentityActivities(authority_dir or get_settings().authority_path)
    return Worker(
        client,
        task_queue=queue or task_queue(),
        workflows=list(WORKFLOWS),
        activities=[
            audit.append_events,
            audit.verify_audit_chain,
            notify.send_notice,
            calendar.load_calendar_facts,
            CadenceActivities(audit_log.engine, reports_dir(), notify.channel).run_cadence,
            *CampaignActivities(audit_log.engine).activities(),
            notify.send_digests,
            identity.trusted_keys,
            *OrgRecordActivities(audit_log.engine).activities(),  # a hand-opened case's record (memory-recall-v1)
        ],
        activity_executor=executor or ThreadPoolExecutor(max_workers=8),
        max_cached_workflows=get_settings().workflow_cache if cached_workflows is None else cached_workflows,
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
        ),
    )


async def assemble(
    metrics_port: int | None = None, sdk_metrics_port: int | None = None, database_url: str | None = None
) -> tuple[Client, Worker]:
    """Everything a running worker needs, in one place for `pdca worker` and `pdca up`: a client whose
    runtime exports the SDK's metrics, the migrated audit log, the project's /metrics, the worker."""
    port = get_settings().metrics_port if metrics_port is None else metrics_port
    client = await connect(runtime=sdk_runtime(sdk_metrics_port))
    audit_log = open_audit_log(database_url)
    serve_metrics(audit_log.engine, port, metrics_address())
    return client, build_worker(client, audit_log)


async def run_worker(database_url: str | None = None, metrics_port: int | None = None) -> None:
    _, worker = await assemble(metrics_port, database_url=database_url)
    structlog.get_logger("worker").info("worker_started", task_queue=worker.task_queue)
    await worker.run()


def main() -> None:
    try:
        configure_logging()
        asyncio.run(run_worker())
    except KeyboardInterrupt:
        pass
    except InputError as error:  # a setting that cannot be used: one line, exit 1
        raise SystemExit(f"error: {error.message}") from None


if __name__ == "__main__":
    main()
