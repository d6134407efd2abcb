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


TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))
# A local fetch's retries back off within the workflow task up to this; longer backoffs wait on a timer.
LOCAL_RETRY_THRESHOLD = timedelta(seconds=5)


async def fetch_keys(local: bool = False) -> TrustedKeys:
    """The public keys credentials may be signed with now (never a private key)."""
    if local:
        return await workflow.execute_local_activity_method(
            IdentityActivities.trusted_keys,
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
            local_retry_threshold=LOCAL_RETRY_THRESHOLD,
        )
    return await workflow.execute_activity_method(IdentityActivities.trusted_keys, start_to_close_timeout=TIMEOUT, retry_policy=RETRY)
