"""Prometheus metrics of the project (prometheus-client), named by Prometheus conventions.

Two kinds:
- counters and histograms recorded by activities as things happen (an activity's result is recorded in
  history, so replay never runs it again: nothing is double counted);
- gauges computed from the projections at scrape time (``ProjectionCollector``), so they are right even
  after a worker restart and agree with `pdca case list`.

No label carries a personal name: labels are codes (kind, stage, region, event type, rung, verdict,
channel, result). The Temporal SDK's own metrics are served on a second port (see ``sdk_runtime``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

# Buckets from seconds to a year: stage durations run from minutes (walkthrough) to months.
_DAY = 86400.0
STAGE_BUCKETS = (60.0, 3600.0, _DAY, 7 * _DAY, 30 * _DAY, 90 * _DAY, 180 * _DAY, 365 * _DAY, 730 * _DAY)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

AUDIT_EVENTS_APPENDED = Counter(
    "pdca_audit_events_appended_total", "Audit events durably appended, by event type", ["event_type"]
)
AUDIT_APPENDS_DEDUPLICATED = Counter(
    "pdca_audit_appends_deduplicated_total", "Appends recognised as retries of an append already stored"
)
AUDIT_APPEND_SECONDS = Histogram(
    "pdca_audit_append_seconds", "Time to append one batch of events to the audit log", buckets=LATENCY_BUCKETS
)
COMMAND_APPLY_SECONDS = Histogram(
    "pdca_command_apply_seconds",
    "From the workflow deciding a command or timer to its events being durable, by kind of event batch",
    ["kind"],
    buckets=LATENCY_BUCKETS,
)
NOTICES = Counter(
    "pdca_notices_total", "Notices (reminders, overdue notices, escalations) by event type, channel and result",
    ["event_type", "channel", "result"],
)
ESCALATIONS = Counter("pdca_escalations_total", "Escalation rungs fired, by rung", ["rung"])
ACCEPTANCE_VERDICTS = Counter("pdca_acceptance_verdicts_total", "Acceptance verdicts recorded, by verdict", ["verdict"])
STAGE_DURATION_SECONDS = Histogram(
    "pdca_stage_duration_seconds", "Time a case spent in a stage, observed when it leaves it", ["kind", "stage"],
    buckets=STAGE_BUCKETS,
)
AUDIT_VERIFICATIONS = Counter(
    "pdca_audit_verifications_total", "Hash-chain verifications run, by result (ok or broken)", ["result"]
)
AUDIT_CHAIN_OK = Gauge("pdca_audit_chain_ok", "1 if the last hash-chain verification found the chain intact, else 0")
AUDIT_CHAIN_VERIFIED_EVENTS = Gauge("pdca_audit_chain_verified_events", "Events checked by the last verification")
AUDIT_LAST_VERIFICATION = Gauge(
    "pdca_audit_last_verification_timestamp_seconds", "Unix time of the last hash-chain verification"
)
AUDIT_CHECKPOINTS = Counter(
    "pdca_audit_checkpoints_total", "Signed checkpoints of the chain head written, by result (written or failed)", ["result"]
)
AUDIT_CHECKPOINT_POSITION = Gauge("pdca_audit_checkpoint_position", "Chain position the last checkpoint written anchors")
AUDIT_LAST_CHECKPOINT = Gauge("pdca_audit_last_checkpoint_timestamp_seconds", "Unix time of the last checkpoint written")
AUDIT_CHECKPOINT_WEBHOOK_FAILURES = Counter(
    "pdca_audit_checkpoint_webhook_failures_total", "Checkpoints PDCA_CHECKPOINT_WEBHOOK did not accept"
)


def prime(channels: list[str]) -> None:
    """Create every known label set at zero, so rate() and increase() see the first event too, and
    mark the chain state unknown (NaN) until the first verification, rather than 0 ("broken")."""
    from domain.policy import Rung
    from domain.rectification import NOTICE_EVENTS, Verdict

    for event_type in sorted(NOTICE_EVENTS):
        for channel in channels:
            for result in ("sent", "failed"):
                NOTICES.labels(event_type, channel, result)
    for rung in Rung:
        ESCALATIONS.labels(rung.value)
    for verdict in Verdict:
        ACCEPTANCE_VERDICTS.labels(verdict.value)
    for result in ("ok", "broken"):
        AUDIT_VERIFICATIONS.labels(result)
    for result in ("written", "failed"):
        AUDIT_CHECKPOINTS.labels(result)
    AUDIT_CHAIN_OK.set(float("nan"))


class ProjectionCollector(Collector):
    """Gauges read from the projections at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> Iterator[Any]:
        return iter(())  # gauges are computed per scrape; nothing to describe up front

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """One aggregate query per scrape (``store.dashboard_queries.open_case_counts``: a ``GROUP BY``
        over ``case_summary``); its few dozen rows become the three gauges. Nothing is per case."""
        from store.dashboard_queries import open_case_counts  # the store is only needed at scrape time

        open_cases = GaugeMetricFamily(
            "pdca_open_cases", "Cases not yet closed, by kind, stage and region", labels=["kind", "stage", "region"]
        )
        overdue_cases = GaugeMetricFamily(
            "pdca_overdue_cases", "Open cases with at least one overdue measure, by kind and region", labels=["kind", "region"]
        )
        overdue_measures = GaugeMetricFamily(
            "pdca_overdue_measures", "Measures past their deadline and not completed, by kind and region", labels=["kind", "region"]
        )
        up = GaugeMetricFamily("pdca_projection_scrape_success", "1 if the projections could be read at this scrape")
        try:
            counts = open_case_counts(self.engine)
        except Exception:  # a scrape must never raise: report the failure as a metric instead
            up.add_metric([], 0)
            yield up
            return
        overdue: dict[tuple[str, str], list[int]] = {}
        for row in counts:
            open_cases.add_metric([row.kind, row.stage, row.region], row.cases)
            if row.overdue_cases:
                totals = overdue.setdefault((row.kind, row.region), [0, 0])
                totals[0] += row.overdue_cases
                totals[1] += row.overdue_measures
        for (kind, region), (cases, measures) in sorted(overdue.items()):
            overdue_cases.add_metric([kind, region], cases)
            overdue_measures.add_metric([kind, region], measures)
        up.add_metric([], 1)
        yield from (open_cases, overdue_cases, overdue_measures, up)


def serve(engine: Engine, port: int, addr: str = "127.0.0.1", channels: list[str] | None = None) -> None:
    """Serve /metrics (project metrics + projection gauges) on ``port``; 0 disables."""
    if not port:
        return
    prime(channels or ["log"])
    REGISTRY.register(ProjectionCollector(engine))
    start_http_server(port, addr=addr)
