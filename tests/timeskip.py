"""Skipping virtual time on the time-skipping test server in bounded steps: ``skip`` is the demo's own
(service/timeskip.py, where the reason is written down); ``skip_to`` skips to an instant."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio.testing import WorkflowEnvironment

from service.timeskip import SKIP_STEP, skip

__all__ = ["SKIP_STEP", "skip", "skip_to"]


async def skip_to(env: WorkflowEnvironment, instant: datetime, step: timedelta = SKIP_STEP) -> None:
    """Skip until the server's clock reaches ``instant`` (nothing when it is there already)."""
    now = await env.get_current_time()
    if instant > now:
        await skip(env, instant - now, step)
