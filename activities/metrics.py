"""Prometheus metrics recorded by activities (never by workflow code: replay would double count)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

AUDIT_EVENTS_APPENDED = Counter(
    "pdca_audit_events_appended_total", "Audit events durably appended, by event type", ["event_type"]
)
AUDIT_APPENDS_DEDUPLICATED = Counter(
    "pdca_audit_appends_deduplicated_total", "Appends recognised as retries of an append already stored"
)
AUDIT_APPEND_SECONDS = Histogram(
    "pdca_audit_append_seconds", "Time to append one batch of events to the audit log, in seconds"
)
NOTICES_SENT = Counter("pdca_notices_sent_total", "Notices delivered, by event type and channel", ["event_type", "channel"])
