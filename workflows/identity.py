"""Workflow-side access to the authority's public keys: fetched by an activity (recorded in history)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.identity import IdentityActivities
    from domain.identity import TrustedKeys


async def fetch_keys() -> TrustedKeys:
    """The public keys credentials may be signed with now (never a private key)."""
    return await workflow.execute_activity_method(
        IdentityActivities.trusted_keys,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
    )
