"""Workflow-side access to the authority's public keys: fetched by an activity (recorded in history) —
a local activity (in the workflow task that asks, no round trip through the server) for runs started
since ``local-fetch-v1`` (workflows/audited.py), the regular activity for runs recorded before."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.identity import IdentityActivities
    from domain.identity import TrustedKeys
    from workflows.activity_calls import call_activity


TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))


async def fetch_keys(local: bool = False) -> TrustedKeys:
    """The public keys credentials may be signed with now (never a private key)."""
    keys: TrustedKeys = await call_activity(IdentityActivities.trusted_keys, local=local, timeout=TIMEOUT, retry=RETRY)
    return keys
